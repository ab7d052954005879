//! Room **refunds**: refunding an order (`POST /orders/{id}/refund`), the refund retry worker,
//! and calling an event off (`POST /events/{id}/cancel`), which refunds every paid order.
//!
//! Uses the checkout room (a refund webhook's claim, the attempts' upkeep), orders and events.

pub(crate) mod event_cancel;
pub(crate) mod handlers;
