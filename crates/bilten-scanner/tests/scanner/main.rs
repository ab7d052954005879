//! The scanner service against a real database (SQLite by default, PostgreSQL with
//! `TEST_DATABASE_URL`), with the backend for the organizer side.
#![expect(
    clippy::expect_used,
    reason = "test support: a failed setup is a failed test, with its message"
)]
// Test code: a failed unwrap is a failed test; scenario tests read best as one story.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

mod browser;
mod checkin;
mod codes;
mod helpers;
mod openapi;
mod organizer;
