//! Room **accounts**: a person's own account. Registration, login (with the second factor),
//! tokens and sessions, password change and reset, email verification (`auth`); `/me` and
//! the caller's sessions (`users`); two-factor sign-in and recovery codes (`two_factor`).
//!
//! Below it: only the shared floor (`current_user`, `secrets`, `passwords`, `client_ip`, `qr`).
//! Rooms above it (organizations, admin) may use it; it uses no other room.

pub(crate) mod auth;
pub(crate) mod two_factor;
pub(crate) mod users;
