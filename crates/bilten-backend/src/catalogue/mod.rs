//! Room **catalogue**: what everyone sees of the events on sale, `GET /events`, `GET
//! /events/{id}` (with what a promo code reveals and its discount) and an organizer's page,
//! `GET /organizers/{id}`. Public reads, served from
//! the read cache's copies.
//!
//! Uses the events and promo rooms; nothing uses it back (it sits above both, which is why
//! the listing left the events room: promo codes belong to an event, and the listing shows
//! them).

pub(crate) mod handlers;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(Public, handlers::list),
    route!(Public, handlers::get),
    route!(Public, handlers::organizer),
];
