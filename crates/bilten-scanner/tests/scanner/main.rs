//! The scanner service against a real database (SQLite by default, PostgreSQL with
//! `TEST_DATABASE_URL`), with the backend for the organizer side.

mod browser;
mod checkin;
mod codes;
mod helpers;
mod organizer;
