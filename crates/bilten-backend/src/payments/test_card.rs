//! The `test` payment provider and its card table.
//!
//! Stripe's published test card numbers decide the outcome, so a buyer (or a test) who knows
//! Stripe's test mode knows ours:
//!
//! | number | outcome | decline code |
//! |---|---|---|
//! | 4242 4242 4242 4242 | succeeds (Visa) | — |
//! | 5555 5555 5555 4444 | succeeds (Mastercard) | — |
//! | 3782 822463 10005 | succeeds (American Express) | — |
//! | 4000 0000 0000 0002 | declined | `card_declined` |
//! | 4000 0000 0000 9995 | declined | `insufficient_funds` |
//! | 4000 0000 0000 9987 | declined | `lost_card` |
//! | 4000 0000 0000 9979 | declined | `stolen_card` |
//! | 4000 0000 0000 0069 | declined | `expired_card` |
//! | 4000 0000 0000 0127 | declined | `incorrect_cvc` |
//! | 4000 0000 0000 0119 | declined | `processing_error` |
//! | 4242 4242 4242 4241 | declined | `incorrect_number` |
//!
//! Spaces and dashes are ignored. Any other number is refused as not a test card (a real
//! card number must never be typed into a test page).

use async_trait::async_trait;
use uuid::Uuid;

use super::{
    CheckoutRequest, CheckoutSession, PaymentError, PaymentProvider, RefundReceipt, RefundRequest,
};

/// What charging a test card does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardOutcome {
    Succeeds,
    Declined(&'static str),
}

/// The table above: `(digits, outcome)`.
pub const TEST_CARDS: &[(&str, CardOutcome)] = &[
    ("4242424242424242", CardOutcome::Succeeds),
    ("5555555555554444", CardOutcome::Succeeds),
    ("378282246310005", CardOutcome::Succeeds),
    ("4000000000000002", CardOutcome::Declined("card_declined")),
    (
        "4000000000009995",
        CardOutcome::Declined("insufficient_funds"),
    ),
    ("4000000000009987", CardOutcome::Declined("lost_card")),
    ("4000000000009979", CardOutcome::Declined("stolen_card")),
    ("4000000000000069", CardOutcome::Declined("expired_card")),
    ("4000000000000127", CardOutcome::Declined("incorrect_cvc")),
    (
        "4000000000000119",
        CardOutcome::Declined("processing_error"),
    ),
    (
        "4242424242424241",
        CardOutcome::Declined("incorrect_number"),
    ),
];

/// The outcome of a test card number; `None` when it is not one of ours.
pub fn outcome_of(number: &str) -> Option<CardOutcome> {
    let digits: String = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    TEST_CARDS
        .iter()
        .find(|(card, _)| *card == digits)
        .map(|(_, outcome)| *outcome)
}

/// Human words for a decline code, for the hosted page and error messages.
pub fn decline_message(code: &str) -> &'static str {
    match code {
        "insufficient_funds" => "The card has insufficient funds.",
        "expired_card" => "The card has expired.",
        "incorrect_cvc" => "The card's security code is incorrect.",
        "processing_error" => "An error occurred while processing the card; try again.",
        "incorrect_number" => "The card number is incorrect.",
        _ => "The card was declined.",
    }
}

/// The `test` provider: a hosted page served by this backend. The payment id is the
/// provider reference, and the page's URL is `{api origin}/api/v1/pay/test/{payment id}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TestProvider;

#[async_trait]
impl PaymentProvider for TestProvider {
    fn kind(&self) -> super::ProviderKind {
        super::ProviderKind::Test
    }

    async fn start_checkout(
        &self,
        request: &CheckoutRequest<'_>,
    ) -> Result<CheckoutSession, PaymentError> {
        Ok(CheckoutSession {
            provider_reference: request.payment_id.to_string(),
            redirect_url: format!(
                "{}/api/v1/pay/test/{}",
                request.api_origin.trim_end_matches('/'),
                request.payment_id
            ),
        })
    }

    async fn refund(&self, _request: &RefundRequest<'_>) -> Result<RefundReceipt, PaymentError> {
        // No money moved, so there is none to give back; the receipt is all there is.
        Ok(RefundReceipt {
            provider_reference: format!("re_test_{}", Uuid::now_v7().simple()),
        })
    }

    fn accepts_test_cards(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_test_numbers_decide_the_outcome() {
        assert_eq!(
            outcome_of("4242 4242 4242 4242"),
            Some(CardOutcome::Succeeds)
        );
        assert_eq!(
            outcome_of("4000-0000-0000-0002"),
            Some(CardOutcome::Declined("card_declined"))
        );
        assert_eq!(
            outcome_of("4000000000009995"),
            Some(CardOutcome::Declined("insufficient_funds"))
        );
        assert_eq!(
            outcome_of("4000000000000069"),
            Some(CardOutcome::Declined("expired_card"))
        );
        assert_eq!(outcome_of("4111111111111111"), None);
        assert_eq!(outcome_of(""), None);
    }
}
