//! Room **tickets**: tickets and their QR codes and PDFs, the events' signing keys and
//! revocations, and the order confirmation mail that carries the tickets.
//!
//! Uses the orders room (a guest reaches a ticket with its order's key) and the events room.

pub mod confirmation;
pub(crate) mod handlers;
pub mod render;
