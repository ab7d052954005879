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

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    // The buyer only (account or `X-Order-Key`); members of the organization get 403.
    route!(Public, handlers::checkout),
    // The test provider's hosted page; the payment id in the URL is the credential.
    route!(Public, hosted_page::show),
    route!(Public, hosted_page::submit),
];
