//! Room **organizations**: organizations, their members and settings (`settings`: members
//! must use a second factor), and team invitations
//! (an owner inviting an email without an account, the invitee accepting).
//!
//! Uses the accounts room (an accepted invitation proves the invitee's email).

pub(crate) mod handlers;
pub(crate) mod invitations;
pub(crate) mod settings;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(User, handlers::mine),
    route!(User, handlers::create),
    route!(Organizer, handlers::get),
    route!(Organizer, settings::update_organization),
    route!(Organizer, handlers::members),
    route!(Organizer, handlers::add_member),
    route!(Organizer, handlers::remove_member),
    route!(Organizer, invitations::list),
    route!(User, invitations::accept),
];
