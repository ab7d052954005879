//! The backend's routes: every room's declaration ([`crate::routing`]), in one list. From it
//! come the router with its OpenAPI operations ([`api`]) and the access table ([`table`]) that
//! the document's security, the authorization tests and the input sweep read. A route exists
//! only as a room's `route!(Access, handler)`, so it cannot be served without saying who may
//! call it, nor documented with other access than it is served with.

use std::sync::LazyLock;

use utoipa_axum::router::OpenApiRouter;

use crate::routing::Route;
pub use crate::routing::{Access, RouteRule};
use crate::{
    accounts, admin, catalogue, checkin, checkout, events, orders, organizations, organizer_views,
    privacy, promo, refunds, tickets, webhooks, AppState,
};

/// Every room's routes.
const ROOMS: &[&[Route]] = &[
    accounts::ROUTES,
    privacy::ROUTES,
    organizations::ROUTES,
    admin::ROUTES,
    events::ROUTES,
    catalogue::ROUTES,
    promo::ROUTES,
    organizer_views::ROUTES,
    checkin::ROUTES,
    orders::ROUTES,
    checkout::ROUTES,
    tickets::ROUTES,
    refunds::ROUTES,
    webhooks::ROUTES,
];

fn all() -> impl Iterator<Item = &'static Route> {
    ROOMS.iter().flat_map(|routes| routes.iter())
}

/// The API's routes with their OpenAPI operations (paths relative to `/api/v1`, see
/// [`crate::openapi`]). Handlers on one path (`GET`, `PATCH` and `DELETE /me`, from two rooms)
/// join one method router and one path item.
pub fn api() -> OpenApiRouter<AppState> {
    all().fold(OpenApiRouter::new(), |router, route| {
        router.routes(route.serve())
    })
}

/// The access table: every route as served, with who may call it.
pub fn table() -> &'static [RouteRule] {
    static TABLE: LazyLock<Vec<RouteRule>> =
        LazyLock::new(|| all().flat_map(Route::rules).collect());
    &TABLE
}

/// Who may call `method path` (a path as in the table, without `/api/v1`).
pub fn access(method: &str, path: &str) -> Option<Access> {
    table()
        .iter()
        .find(|rule| rule.method == method && rule.path == path)
        .map(|rule| rule.access)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{all, table, Access};

    /// Every declared handler serves exactly one operation, and no two serve the same one.
    #[test]
    fn every_route_is_one_operation_with_one_access_rule() {
        for route in all() {
            let rules = route.rules();
            assert_eq!(rules.len(), 1, "{rules:?}: one operation per handler");
        }
        let served: BTreeSet<_> = table().iter().map(|r| (r.method, &r.path)).collect();
        assert_eq!(served.len(), table().len(), "a route is declared twice");
        assert_eq!(table().len(), 93);
    }

    /// The router serves exactly the table's routes: the document the router built has an
    /// operation for each, and no other.
    #[test]
    fn the_router_serves_exactly_the_table() {
        let doc = super::api().into_openapi();
        let mut served = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            for (method, operation) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
                ("PUT", &item.put),
            ] {
                if operation.is_some() {
                    served.insert((method, path.clone()));
                }
            }
        }
        let declared: BTreeSet<_> = table().iter().map(|r| (r.method, r.path.clone())).collect();
        assert_eq!(served, declared);
    }

    /// What docs/API.md says of access, held against the table: admin routes are under
    /// `/admin` and only they; `/me…` is the caller's own (logged in); an organizer route names
    /// the object whose organization decides; and the public routes are exactly these, so a
    /// new public route is a decision made here, not a default.
    #[test]
    fn the_access_table_matches_the_documented_rules() {
        const PUBLIC: &[(&str, &str)] = &[
            ("POST", "/auth/register"),
            ("POST", "/auth/login"),
            ("POST", "/auth/login/two-factor"),
            // A passkey is the credential: its options, then its signed answer.
            ("POST", "/auth/passkey/options"),
            ("POST", "/auth/passkey"),
            ("POST", "/auth/refresh"),
            ("POST", "/auth/forgot"),
            ("POST", "/auth/reset"),
            ("POST", "/auth/verify"),
            ("GET", "/events"),
            ("GET", "/events/{id}"),
            ("GET", "/events/{id}/ticket-keys"),
            ("GET", "/organizers/{id}"),
            ("POST", "/orders"),
            ("POST", "/purchases"),
            // The buyer by account or `X-Order-Key`, or the organization (else 404/403).
            ("GET", "/orders/{id}"),
            ("DELETE", "/orders/{id}"),
            ("POST", "/orders/{id}/checkout"),
            ("GET", "/tickets/{id}"),
            ("PATCH", "/tickets/{id}"),
            ("GET", "/tickets/{id}/qr.svg"),
            ("GET", "/tickets/{id}/pdf"),
            // The payment id in the URL is the credential.
            ("GET", "/pay/test/{id}"),
            ("POST", "/pay/test/{id}"),
            // The Stripe-Signature header is the credential.
            ("POST", "/webhooks/stripe"),
        ];
        for rule in table() {
            let path = rule.path.as_str();
            let is_admin = path.starts_with("/admin/");
            assert_eq!(rule.access == Access::Admin, is_admin, "{rule:?}");
            if path == "/me" || path.starts_with("/me/") {
                assert_eq!(rule.access, Access::User, "{rule:?}");
            }
            if rule.access == Access::Organizer {
                assert!(path.contains("{id}"), "{rule:?}: which organization?");
            }
            let public = PUBLIC.contains(&(rule.method, path));
            assert_eq!(rule.access == Access::Public, public, "{rule:?}");
        }
        for (method, path) in PUBLIC {
            assert_eq!(
                super::access(method, path),
                Some(Access::Public),
                "{method} {path}"
            );
        }
    }

    /// Each rule names its handler by room, module and function, for tests that read what
    /// the handler takes from a request (`tests/api/route_inputs.rs`).
    #[test]
    fn every_rule_names_its_handler() {
        let handler = |method: &str, path: &str| {
            table()
                .iter()
                .find(|r| r.method == method && r.path == path)
                .map(|r| r.handler.as_str())
        };
        assert_eq!(
            handler("POST", "/auth/register"),
            Some("accounts::auth::register")
        );
        assert_eq!(handler("DELETE", "/me"), Some("privacy::delete_me"));
        assert_eq!(
            handler("POST", "/webhooks/stripe"),
            Some("webhooks::stripe::stripe")
        );
    }
}
