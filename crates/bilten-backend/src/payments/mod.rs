//! Payment providers behind one interface.
//!
//! A provider does two things for us: it starts a hosted checkout for a payment (and tells us
//! where to send the buyer), and it refunds money it took. It never decides what an order
//! is: when a provider reports that a payment succeeded (the test provider's page, a Stripe
//! webhook), the caller hands the payment to [`crate::checkout::completion`], which completes the order
//! in one transaction or, if it cannot, refunds through [`PaymentProvider::refund`].
//!
//! Providers:
//! - [`TestProvider`] (`test`): the default. A local hosted page where Stripe's published test
//!   card numbers decide the outcome ([`test_card`]), and synchronous completion for API
//!   clients that send `test_card`. No money moves; refunds always succeed.
//! - [`StripeProvider`] (`stripe`): Checkout Sessions over Stripe's REST API, installed with
//!   [`crate::AppState::with_stripe`] when `STRIPE_SECRET_KEY` is set; successes arrive by
//!   webhook (`crate::webhooks::stripe`) and complete orders through `completion::complete_claimed`.
//!
//! Card numbers never reach our database or logs: a real provider takes them on its own page,
//! and the test page only matches the number against the test card table.

pub(crate) mod refund_mail;
pub mod stripe;
pub mod test_card;

use async_trait::async_trait;
use bilten_domain::{Money, OrderId, PaymentId};
use chrono::{DateTime, Utc};

pub use bilten_api::orders::PaymentProvider as ProviderKind;
pub use stripe::StripeProvider;
pub use test_card::TestProvider;

/// How long a checkout can be paid at the provider, from its claim. Stripe accepts session
/// lifetimes of 30 minutes to 24 hours; a minute more than the minimum absorbs the time
/// between the claim and Stripe's check.
pub const CHECKOUT_LIFETIME: std::time::Duration = std::time::Duration::from_secs(31 * 60);

/// What a provider needs to start a hosted checkout.
#[derive(Debug, Clone)]
pub struct CheckoutRequest<'a> {
    pub payment_id: PaymentId,
    pub order_id: OrderId,
    pub amount: Money,
    /// One line for the provider's page and statement ("2 tickets — Summer Jazz").
    pub description: &'a str,
    pub buyer_email: &'a str,
    /// The origin the buyer reached the API at (`https://tickets.example.com`), for pages
    /// this backend serves itself.
    pub api_origin: &'a str,
    /// Where the buyer goes after paying (the web app's order page).
    pub return_url: &'a str,
    /// Sent to the provider so a retried call cannot create a second checkout.
    pub idempotency_key: String,
    /// When the attempt was claimed. Time limits sent to the provider derive from it, never
    /// from the clock, so a retry under the same idempotency key is the same request.
    pub claimed_at: DateTime<Utc>,
}

/// A checkout started at the provider.
#[derive(Debug, Clone)]
pub struct CheckoutSession {
    /// The provider's id for it, stored in `payments.provider_reference`.
    pub provider_reference: String,
    /// Where to send the buyer to pay.
    pub redirect_url: String,
}

/// A refund to make through the provider that took the payment.
#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    pub payment_id: PaymentId,
    pub provider_reference: Option<&'a str>,
    pub amount: Money,
    /// Why, in our words (`late_payment_no_stock`, `order_already_paid`, …).
    pub reason: &'a str,
    /// Stable per refund cause, so a retried refund is not paid out twice.
    pub idempotency_key: String,
}

#[derive(Debug, Clone)]
pub struct RefundReceipt {
    pub provider_reference: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The provider could not be reached or failed; worth retrying later.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request itself (bad parameters, not refundable).
    #[error("payment provider refused: {0}")]
    Refused(String),
}

/// A payment provider. Implementations must be idempotent under their idempotency keys:
/// every call may be retried after a timeout.
#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// Which provider this is, as the API shows it.
    fn kind(&self) -> ProviderKind;

    /// The name stored in `payments.provider` (`test`, `stripe`).
    fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    /// Starts a hosted checkout for a pending payment.
    async fn start_checkout(
        &self,
        request: &CheckoutRequest<'_>,
    ) -> Result<CheckoutSession, PaymentError>;

    /// Gives the money of a succeeded payment back (in full, or `amount` of it).
    async fn refund(&self, request: &RefundRequest<'_>) -> Result<RefundReceipt, PaymentError>;

    /// Whether `{"test_card": …}` checkouts and the local test page are allowed. Only the
    /// test provider says yes; with a real provider a test card must never buy a ticket.
    fn accepts_test_cards(&self) -> bool {
        false
    }
}
