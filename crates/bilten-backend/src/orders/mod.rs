//! Room **orders**: orders with inventory holds (`POST /orders`, `GET`/`DELETE
//! /orders/{id}`), the purchase engine (`POST /purchases`, group commit of every purchase of an
//! event), and the worker that ends lapsed holds.
//!
//! Uses the promo room (a code's price) and the payments room (test cards).

pub(crate) mod handlers;
pub mod purchase;
pub(crate) mod views;
