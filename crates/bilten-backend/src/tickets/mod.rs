//! Room **tickets**: tickets and their QR codes and PDFs, the events' signing keys and
//! revocations, and the order confirmation mail that carries the tickets.
//!
//! Uses the orders room (a guest reaches a ticket with its order's key) and the events room.

pub mod confirmation;
pub(crate) mod handlers;
pub mod render;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(Public, handlers::keys),
    route!(Organizer, handlers::rotate),
    route!(Organizer, handlers::revoked),
    route!(User, handlers::mine),
    // The buyer (account or the order's `X-Order-Key`) or the organization; else 404.
    route!(Public, handlers::get),
    route!(Public, handlers::update),
    route!(Public, handlers::qr_svg),
    route!(Public, handlers::pdf),
];
