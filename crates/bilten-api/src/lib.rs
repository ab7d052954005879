//! The API contract of Bilten, written once: the error-code catalog ([`ErrorCode`]), the error
//! body ([`error::ErrorResponse`]) and the request and response types of the endpoints. The
//! roles that answer (backend, scanner, gateway) and the client that asks (frontend) use these
//! same types, so a change of the wire shape is a change of one type, and docs/openapi.json
//! (generated from them, `ToSchema`) shows it in review.
//!
//! This crate sits low in the workspace: it depends on the domain types only, never on a
//! role, so every role can use it without importing upward.

pub mod accounts;
pub mod admin;
pub mod checkin;
pub mod error;
pub mod error_code;
pub mod events;
pub mod invitations;
pub mod openapi;
pub mod orders;
pub mod organizations;
pub mod page;
pub mod passkeys;
pub mod privacy;
pub mod promo;
pub mod refunds;
pub mod reports;
pub mod tickets;
pub mod two_factor;
pub mod wire;

pub use error::{ErrorDetail, ErrorResponse, FieldProblem};
pub use error_code::ErrorCode;
pub use page::Page;
