//! Stripe object ids as distinct types, so a refund id can never be passed where a payment intent
//! is expected. Stripe documents ids as opaque strings with a type prefix (`cs_`, `pi_`, `re_`, …);
//! we keep them opaque.

macro_rules! stripe_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

stripe_id!(
    /// `evt_…`: the unit of webhook deduplication.
    EventId
);
stripe_id!(
    /// `cs_…`
    CheckoutSessionId
);
stripe_id!(
    /// `pi_…`: what a refund is made against.
    PaymentIntentId
);
stripe_id!(
    /// `ch_…`
    ChargeId
);
stripe_id!(
    /// `re_…`
    RefundId
);
