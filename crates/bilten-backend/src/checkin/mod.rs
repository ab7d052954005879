//! Room **checkin**: the organizer side of check-in (lists, scanner devices and their pairing
//! codes, statistics, the scan log). The scanning itself is the scanner role's.
//!
//! Uses the events room.

pub(crate) mod handlers;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(Organizer, handlers::list_lists),
    route!(Organizer, handlers::create_list),
    route!(Organizer, handlers::list_devices),
    route!(Organizer, handlers::create_device),
    route!(Organizer, handlers::revoke_device),
    route!(Organizer, handlers::pairing_svg),
    route!(Organizer, handlers::stats),
    route!(Organizer, handlers::log),
];
