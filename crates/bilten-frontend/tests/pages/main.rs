//! The web app driven over HTTP like a browser without JavaScript would: a real backend with
//! its own database per test, the frontend on a random port in front of it, and a client
//! that keeps cookies and does not follow redirects (so each step's status is checked).

#![allow(clippy::unwrap_used)]

mod fixtures;
mod helpers;

mod accounts;
mod assets_and_errors;
mod attendee;
mod organizer;
mod security;
