//! Room **refunds**: refunding an order (`POST /orders/{id}/refund`), the refund retry worker,
//! and calling an event off (`POST /events/{id}/cancel`), which refunds every paid order.
//!
//! Uses the checkout room (a refund webhook's claim, the attempts' upkeep), orders and events.

pub(crate) mod event_cancel;
pub(crate) mod handlers;
pub(crate) mod payout;
pub(crate) mod reconcile;
pub(crate) mod take;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(Organizer, handlers::refund_order),
    route!(Organizer, event_cancel::cancel),
];
