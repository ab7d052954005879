//! Test helpers shared by every crate's integration tests.
//!
//! Each test gets its own database: a fresh SQLite file by default, or — when
//! `TEST_DATABASE_URL` names a PostgreSQL server — a fresh database created on it. Likewise
//! `TEST_REDIS_URL` switches the cache to Redis with a key prefix of its own. So the same
//! suite runs on the embedded default (`cargo test`) and on the real services (CI), and
//! tests never see each other's data.
//!
//! Tests that need a part a fresh machine lacks (a PostgreSQL or Redis server, Chromium, a
//! Python package, …) are `#[ignore = "needs …"]` and take the part from [`needs`], which
//! panics when it is missing.
#![expect(
    clippy::expect_used,
    reason = "test support: a failed setup is a failed test, with its message"
)]

mod app;
mod env;
pub mod needs;
pub mod organizer;

pub use app::{token_from_link, TestApp, TestUser, PASSWORD};
pub use env::{require_services, test_cache, test_store, TestDatabase};
