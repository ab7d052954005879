//! Room **checkin**: the organizer side of check-in (lists, scanner devices and their pairing
//! codes, statistics, the scan log). The scanning itself is the scanner role's.
//!
//! Uses the events room.

pub(crate) mod activity;
pub(crate) mod devices;
pub(crate) mod lists;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(Organizer, lists::list_lists),
    route!(Organizer, lists::create_list),
    route!(Organizer, devices::list_devices),
    route!(Organizer, devices::create_device),
    route!(Organizer, devices::revoke_device),
    route!(Organizer, devices::pairing_svg),
    route!(Organizer, activity::stats),
    route!(Organizer, activity::log),
];
