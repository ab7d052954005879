//! The parts of Stripe's API objects Bilten reads. Unknown fields are ignored (Stripe adds fields
//! without a version bump), and every field Stripe documents as nullable is an `Option`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ChargeId, CheckoutSessionId, PaymentIntentId, RefundId};

/// <https://docs.stripe.com/api/checkout/sessions/object>
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutSession {
    pub id: CheckoutSessionId,
    /// `open`, `complete` or `expired`.
    pub status: Option<String>,
    /// `paid`, `unpaid` or `no_payment_required`.
    pub payment_status: String,
    pub payment_intent: Option<PaymentIntentId>,
    pub amount_total: Option<i64>,
    /// Lowercase ISO 4217.
    pub currency: Option<String>,
    /// The hosted page to send the buyer to; null once the session is complete or expired.
    pub url: Option<String>,
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub expires_at: i64,
}

impl CheckoutSession {
    pub fn is_paid(&self) -> bool {
        self.payment_status == "paid"
    }
}

/// <https://docs.stripe.com/api/charges/object>, as carried by `charge.refunded`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub id: ChargeId,
    pub amount: i64,
    pub amount_refunded: i64,
    pub currency: String,
    pub payment_intent: Option<PaymentIntentId>,
    pub refunded: bool,
}

/// <https://docs.stripe.com/api/refunds/object>
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: RefundId,
    pub amount: i64,
    pub currency: String,
    pub payment_intent: Option<PaymentIntentId>,
    pub charge: Option<ChargeId>,
    /// `pending`, `requires_action`, `succeeded`, `failed` or `canceled`.
    pub status: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}
