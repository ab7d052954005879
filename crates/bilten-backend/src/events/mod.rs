//! Room **events**: events, their ticket types and quotas (organizer side), and how an event
//! is found and shown, which most rooms above read (`load_event`, `event_view`).
//!
//! Uses the organizations room (an event belongs to an organization).

pub(crate) mod handlers;
