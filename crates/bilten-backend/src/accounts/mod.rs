//! Room **accounts**: a person's own account. Registration, login (with the second factor),
//! tokens and sessions, password change and reset, email verification (`auth`); `/me` and
//! the caller's sessions (`users`); two-factor sign-in and recovery codes (`two_factor`);
//! passkeys and signing in with one (`passkeys`).
//!
//! Below it: only the shared floor (`current_user`, `secrets`, `passwords`, `client_ip`, `qr`).
//! Rooms above it (organizations, admin) may use it; it uses no other room.

pub(crate) mod auth;
pub(crate) mod passkeys;
pub(crate) mod two_factor;
pub(crate) mod users;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(Public, auth::register),
    route!(Public, auth::login),
    route!(Public, two_factor::login),
    route!(Public, passkeys::sign_in_options),
    route!(Public, passkeys::sign_in),
    route!(Public, auth::refresh),
    route!(User, auth::logout),
    route!(User, auth::logout_everywhere),
    route!(User, auth::change_password),
    route!(Public, auth::forgot),
    route!(Public, auth::reset),
    route!(Public, auth::verify),
    route!(User, auth::resend_verification),
    route!(User, users::me),
    route!(User, users::update_me),
    route!(User, users::my_sessions),
    route!(User, two_factor::status),
    route!(User, two_factor::enrol),
    route!(User, two_factor::disable),
    route!(User, two_factor::confirm),
    route!(User, two_factor::renew_recovery_codes),
    route!(User, passkeys::registration_options),
    route!(User, passkeys::register),
    route!(User, passkeys::list),
    route!(User, passkeys::remove),
];
