//! Room **checkin**: the organizer side of check-in (lists, scanner devices and their pairing
//! codes, statistics, the scan log). The scanning itself is the scanner role's.
//!
//! Uses the events room.

pub(crate) mod handlers;
