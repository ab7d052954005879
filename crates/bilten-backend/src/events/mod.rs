//! Room **events**: events, their ticket types and quotas (organizer side), and how an event
//! is found (`lookup`) and shown (`views`), which most rooms above read. The public listing is
//! the catalogue room's.
//!
//! Uses the organizations room (an event belongs to an organization).

pub(crate) mod handlers;
pub(crate) mod lookup;
pub(crate) mod parse;
pub(crate) mod ticket_types;
pub(crate) mod translations;
pub(crate) mod views;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(Organizer, handlers::list_for_organization),
    route!(Organizer, handlers::create),
    route!(Organizer, handlers::update),
    route!(Organizer, handlers::delete),
    route!(Organizer, handlers::publish),
    route!(Organizer, translations::put_translation),
    route!(Organizer, translations::delete_translation),
    route!(Organizer, ticket_types::list_ticket_types),
    route!(Organizer, ticket_types::create_ticket_type),
    route!(Organizer, ticket_types::update_ticket_type),
    route!(Organizer, ticket_types::list_quotas),
    route!(Organizer, ticket_types::create_quota),
    route!(Organizer, ticket_types::update_quota),
];
