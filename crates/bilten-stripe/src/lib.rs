//! Stripe for Bilten, with no dependency on the rest of the workspace: a REST client for the few
//! calls we make (Checkout Sessions, refunds), the webhook signature scheme, and — behind the
//! `fake` feature — a local Stripe server that follows Stripe's documented behaviour, because the
//! real Stripe cannot be reached from the test machines.

mod client;
mod error;
mod event;
mod ids;
mod objects;
mod signature;

#[cfg(feature = "fake")]
pub mod fake;

pub use client::{CreateCheckoutSession, CreateRefund, LineItem, StripeClient, DEFAULT_API_BASE};
pub use error::{ApiErrorType, StripeError};
pub use event::{
    Event, EventData, CHARGE_REFUNDED, CHECKOUT_SESSION_COMPLETED, CHECKOUT_SESSION_EXPIRED,
};
pub use ids::{ChargeId, CheckoutSessionId, EventId, PaymentIntentId, RefundId};
pub use objects::{Charge, CheckoutSession, Refund};
pub use signature::{
    compute_signature, signature_header, verify_signature, verify_webhook, SignatureError,
    DEFAULT_TOLERANCE_SECS,
};
