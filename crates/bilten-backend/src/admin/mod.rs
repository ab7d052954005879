//! Room **admin**: platform administration. Over HTTP for admins (`/admin/*`: users,
//! organizations, moderation of events), and the first admin made from the command line
//! (`bilten admin create`), never over HTTP.
//!
//! Uses the accounts and events rooms.

mod cli;
pub(crate) mod handlers;

pub use cli::{create_admin, AdminOutcome};

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(Admin, handlers::list_users),
    route!(Admin, handlers::set_user_disabled),
    route!(Admin, handlers::list_organizations),
    route!(Admin, handlers::list_events),
    route!(Admin, handlers::unpublish_event),
    route!(Admin, handlers::release_event),
];
