//! Room **checkout**: paying a pending order. `POST /orders/{id}/checkout`, the payment
//! attempts of an order (`attempts`), the test provider's hosted page (`hosted_page`), and the
//! completion of a paid order: tickets issued and the confirmation enqueued in one
//! transaction, or the money returned (`completion`).
//!
//! Uses the orders, tickets and payments rooms.

pub mod attempts;
pub mod completion;
pub(crate) mod handlers;
pub(crate) mod hosted_page;
