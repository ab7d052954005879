//! Room **orders**: orders with inventory holds (`POST /orders`, `GET`/`DELETE
//! /orders/{id}`), the purchase engine (`POST /purchases`, group commit of every purchase of an
//! event), and the worker that ends lapsed holds.
//!
//! Uses the promo room (a code's price) and the payments room (test cards).

pub(crate) mod access;
pub(crate) mod handlers;
pub(crate) mod holds;
pub mod purchase;
pub(crate) mod request;
pub(crate) mod views;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(Public, handlers::create),
    route!(Public, purchase::create),
    // The buyer (account or `X-Order-Key`) or the organization; anyone else gets 404.
    route!(Public, handlers::get),
    route!(Public, handlers::cancel),
];
