//! The web app driven over HTTP like a browser without JavaScript would: a real backend with
//! its own database per test, the frontend on a random port in front of it, and a client
//! that keeps cookies and does not follow redirects (so each step's status is checked); and,
//! in `browser`, the same site in headless Chromium (ignored by plain `cargo test`). One test
//! binary, a module per area.
#![expect(
    clippy::expect_used,
    reason = "test support: a failed setup is a failed test, with its message"
)]
// Test code: a failed unwrap is a failed test, and a flow reads best in one piece.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

mod fixtures;
mod helpers;

mod accounts;
mod admin;
mod assets_and_errors;
mod attendee;
mod browser;
mod console;
mod event_money;
mod event_translations;
mod languages;
mod organizer;
mod security;
mod storefront;
