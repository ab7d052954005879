//! Room **promo**: an event's promo codes (organizer side) and the rules by which an order
//! finds and prices its code, which the public listing and the purchase engine apply.
//!
//! Uses the events room.

pub(crate) mod handlers;
pub(crate) mod rules;
pub(crate) mod views;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(Organizer, handlers::list),
    route!(Organizer, handlers::create),
    route!(Organizer, handlers::update),
];
