//! Room **promo**: an event's promo codes (organizer side) and the rules by which an order
//! finds and prices its code, which the public listing and the purchase engine apply.
//!
//! Uses the events room.

pub(crate) mod handlers;
pub(crate) mod rules;
pub(crate) mod views;
