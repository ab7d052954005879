//! Room **events**: events, their ticket types and quotas (organizer side), and how an event
//! is found (`lookup`) and shown (`views`), which most rooms above read. The public listing is
//! the catalogue room's.
//!
//! Uses the organizations room (an event belongs to an organization).

pub(crate) mod handlers;
pub(crate) mod lookup;
pub(crate) mod parse;
pub(crate) mod ticket_types;
pub(crate) mod views;
