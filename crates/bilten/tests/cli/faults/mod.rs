//! The fault battery: `bilten` roles as real processes while parts of the platform fail —
//! a backend killed with `kill -9` mid-checkout, PostgreSQL restarted and hung (on a cluster
//! of the test's own), Redis killed under load, the SMTP server down then up. After each,
//! the test checks what buyers saw and, with SQL, that the ledger balances.
//!
//! Every test needs parts a fresh machine lacks (PostgreSQL, Redis, aiosmtpd, psql), so all
//! are ignored by plain `cargo test`; `.ci/run` runs them (`-- --include-ignored`). Each is
//! bounded in time, sized for a 2-core machine, talks only to 127.0.0.1 and stops every
//! process it started (on drop, also when it fails).

// Test code: a failed unwrap is a failed test, and a scenario reads best in one piece.
#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::cast_possible_wrap,
    clippy::cast_possible_truncation
)]

mod kill_backend;
mod kill_lease_holder;
mod ledger;
mod load;
mod postgres_outage;
mod redis_outage;
mod smtp_outage;
