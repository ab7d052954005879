//! The backend's API tests: one binary, a module per feature. Each test spawns its own app
//! on its own database (SQLite by default, PostgreSQL/Redis when `TEST_DATABASE_URL` and
//! `TEST_REDIS_URL` are set).
#![expect(
    clippy::expect_used,
    reason = "test support: a failed setup is a failed test, with its message"
)]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod accounts;
mod admin;
mod bad_input;
mod checkout;
mod email_flows;
mod event_cancel;
mod event_translations;
mod guest_orders;
mod hosted_page;
mod idempotency;
mod invitations;
mod nul_bytes;
mod openapi;
mod ops;
mod orders;
mod organizer_page;
mod organizer_views;
mod organizers;
mod outbox_delivery;
mod passkeys;
mod privacy;
mod promo_codes;
mod purchase;
mod purchase_engine;
mod quotas;
mod read_cache;
mod redis_outage;
mod refund_helpers;
mod refunds;
mod route_inputs;
mod sessions;
mod smtp;
mod stripe_payments;
mod throttling;
mod ticketing_helpers;
mod two_factor;
