//! Room **organizer views**: what an organization sees of an event's sales (orders, sales
//! summary, attendees, CSV exports). Read-only.
//!
//! Uses the events room.

pub(crate) mod handlers;
