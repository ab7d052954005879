//! The `stripe` provider: hosted Checkout Sessions and refunds over Stripe's REST API
//! ([`bilten_stripe`]). Used when `STRIPE_SECRET_KEY` is set.
//!
//! Checkout: one Checkout Session per payment, created with the idempotency key derived from
//! the payment id, so a retried checkout call never opens a second session. The session
//! carries our order id (`client_reference_id`, `metadata[order_id]`) and payment id
//! (`metadata[payment_id]`); its `id` becomes `payments.provider_reference` and its `url` the
//! buyer's redirect. The outcome arrives by webhook (`crate::webhooks::stripe`).
//!
//! Stripe only accepts `expires_at` 30 minutes to 24 hours ahead, while holds are shorter
//! (15 minutes by default). A buyer can therefore pay after the hold ran out; completion's
//! late-payment path issues the tickets if they are still there and refunds otherwise.

use std::collections::BTreeMap;

use async_trait::async_trait;
use bilten_stripe::{
    CheckoutSessionId, CreateCheckoutSession, CreateRefund, LineItem, StripeClient, StripeError,
};

use super::{
    CheckoutRequest, CheckoutSession, PaymentError, PaymentProvider, RefundReceipt, RefundRequest,
};

/// Stripe's minimum session lifetime is 30 minutes; a minute more absorbs the time between
/// the attempt's claim and Stripe checking it.
const SESSION_LIFETIME_SECS: i64 = super::CHECKOUT_LIFETIME.as_secs() as i64;

pub struct StripeProvider {
    client: StripeClient,
}

impl StripeProvider {
    pub fn new(client: StripeClient) -> Self {
        Self { client }
    }
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "used as `map_err(map_error)`"
)]
fn map_error(error: StripeError) -> PaymentError {
    if error.is_retryable() {
        PaymentError::Unavailable(error.to_string())
    } else {
        PaymentError::Refused(error.to_string())
    }
}

#[async_trait]
impl PaymentProvider for StripeProvider {
    fn kind(&self) -> super::ProviderKind {
        super::ProviderKind::Stripe
    }

    async fn start_checkout(
        &self,
        request: &CheckoutRequest<'_>,
    ) -> Result<CheckoutSession, PaymentError> {
        let params = CreateCheckoutSession {
            currency: request.amount.currency().code().to_owned(),
            // One line with the order's total: prices, promo discounts and fees are already
            // settled in our order, and Stripe only has to collect that amount.
            line_items: vec![LineItem {
                name: request.description.to_owned(),
                unit_amount: request.amount.minor(),
                quantity: 1,
            }],
            success_url: request.return_url.to_owned(),
            cancel_url: request.return_url.to_owned(),
            order_id: request.order_id.to_string(),
            customer_email: Some(request.buyer_email.to_owned()),
            // From the claim, not the clock: a retry after a crash (same idempotency key)
            // must send the same parameters, or Stripe refuses it.
            expires_at: request.claimed_at.timestamp() + SESSION_LIFETIME_SECS,
            metadata: BTreeMap::from([("payment_id".to_owned(), request.payment_id.to_string())]),
        };
        let session = self
            .client
            .create_checkout_session(&params, &request.idempotency_key)
            .await
            .map_err(map_error)?;
        let redirect_url = session.url.clone().ok_or_else(|| {
            PaymentError::Refused("Stripe returned a Checkout Session without a URL".to_owned())
        })?;
        Ok(CheckoutSession {
            provider_reference: session.id.to_string(),
            redirect_url,
        })
    }

    async fn refund(&self, request: &RefundRequest<'_>) -> Result<RefundReceipt, PaymentError> {
        let session_id = request.provider_reference.ok_or_else(|| {
            PaymentError::Refused("the payment has no Checkout Session to refund".to_owned())
        })?;
        // Refunds go against the PaymentIntent, which the session names once it is paid.
        let session = self
            .client
            .retrieve_checkout_session(&CheckoutSessionId::new(session_id))
            .await
            .map_err(map_error)?;
        let payment_intent = session.payment_intent.ok_or_else(|| {
            PaymentError::Refused("the Checkout Session was never paid".to_owned())
        })?;
        let refund = self
            .client
            .create_refund(
                &CreateRefund {
                    payment_intent,
                    amount: request.amount.minor(),
                    refund_id: request.idempotency_key.clone(),
                },
                &request.idempotency_key,
            )
            .await
            .map_err(map_error)?;
        Ok(RefundReceipt {
            provider_reference: refund.id.to_string(),
        })
    }
}
