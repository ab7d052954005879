//! How a room declares its routes: one [`Route`] per handler, saying who may call it. The
//! handler's own `#[utoipa::path]` gives the method and the path, and the same value builds
//! the router, the OpenAPI operation and the access table ([`crate::routes`]), so the three
//! cannot disagree: there is no second list of methods and paths to keep in step.
//!
//! ```text
//! pub(crate) const ROUTES: &[Route] = &[
//!     route!(Public, handlers::register),
//!     route!(User, handlers::logout),
//! ];
//! ```

use utoipa::openapi::path::PathItem;
use utoipa_axum::router::UtoipaMethodRouter;

use crate::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in user, on their own things.
    User,
    /// Members of the organization owning the object in the path (404 for everyone else).
    Organizer,
    /// Platform admins.
    Admin,
}

/// One route of a room: who may call it and the handler that serves it. Built with
/// [`route!`]; the method and the path are read from the handler's `#[utoipa::path]`.
#[derive(Clone, Copy)]
pub struct Route {
    access: Access,
    /// Where the handler is (`bilten_backend::accounts::auth::register`).
    handler: &'static str,
    /// The handler with its OpenAPI operation (`utoipa_axum::routes!`).
    serve: fn() -> UtoipaMethodRouter<AppState>,
}

impl Route {
    /// See [`route!`].
    pub(crate) const fn new(
        access: Access,
        handler: &'static str,
        serve: fn() -> UtoipaMethodRouter<AppState>,
    ) -> Self {
        Self {
            access,
            handler,
            serve,
        }
    }

    /// The handler and its operation, for the router.
    pub(crate) fn serve(&self) -> UtoipaMethodRouter<AppState> {
        (self.serve)()
    }

    /// What this route serves, with who may call it: one rule per operation of the handler
    /// (exactly one for every handler we have; a test checks it).
    pub(crate) fn rules(&self) -> Vec<RouteRule> {
        let (_, paths, _) = self.serve();
        let handler: String = self.handler.split_whitespace().collect();
        let handler = handler
            .strip_prefix("bilten_backend::")
            .unwrap_or(&handler)
            .to_owned();
        let mut rules = Vec::new();
        for (path, item) in paths.paths {
            for method in methods(&item) {
                rules.push(RouteRule {
                    method,
                    path: path.clone(),
                    access: self.access,
                    handler: handler.clone(),
                });
            }
        }
        rules
    }
}

/// The methods a path item has an operation for.
fn methods(item: &PathItem) -> Vec<&'static str> {
    [
        ("GET", item.get.is_some()),
        ("POST", item.post.is_some()),
        ("PATCH", item.patch.is_some()),
        ("DELETE", item.delete.is_some()),
        ("PUT", item.put.is_some()),
    ]
    .into_iter()
    .filter_map(|(method, present)| present.then_some(method))
    .collect()
}

/// One row of the access table: a route as served (method, path under `/api/v1`), who may
/// call it, and the handler (`room::module::function`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    pub method: &'static str,
    pub path: String,
    pub access: Access,
    pub handler: String,
}

/// `route!(Access, path::to::handler)`: a [`Route`] of the handler, callable by `Access`.
macro_rules! route {
    ($access:ident, $($handler:ident)::+) => {
        $crate::routing::Route::new(
            $crate::routing::Access::$access,
            concat!(module_path!(), "::", stringify!($($handler)::+)),
            || utoipa_axum::routes!($($handler)::+),
        )
    };
}
pub(crate) use route;
