//! Room **organizer views**: what an organization sees of an event's sales (orders, sales
//! summary, attendees, CSV exports). Read-only.
//!
//! Uses the events room.

pub(crate) mod handlers;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(Organizer, handlers::orders),
    route!(Organizer, handlers::orders_csv),
    route!(Organizer, handlers::sales_summary),
    route!(Organizer, handlers::attendees),
    route!(Organizer, handlers::attendees_csv),
];
