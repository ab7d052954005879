//! Paying for an order: who takes the money and where one attempt to pay stands.

use crate::state::{text_enum, StateMachine, Transition};

text_enum! {
    /// Where a payment stands.
    pub enum PaymentStatus {
        /// Started at the provider; the buyer has not paid yet.
        Pending => "pending",
        Succeeded => "succeeded",
        /// Declined or abandoned; `failure_code` says why when known.
        Failed => "failed",
        /// Closed without money moving (its order was paid another way or ended).
        Canceled => "canceled",
        /// The money went back.
        Refunded => "refunded",
    }
}

impl StateMachine for PaymentStatus {
    const SUBJECT: &'static str = "a payment";

    /// An open attempt ends once. A canceled attempt can still succeed (the buyer paid on the
    /// provider's page just as the hold ended: the money is real and is recorded, then given
    /// back or used) and be refunded; succeeded money can go back. `failed` and `refunded`
    /// are final.
    fn can_transition_to(self, to: PaymentStatus) -> bool {
        use PaymentStatus::{Canceled, Failed, Pending, Refunded, Succeeded};
        match self {
            Pending => matches!(to, Succeeded | Failed | Canceled | Refunded),
            Canceled => matches!(to, Succeeded | Refunded),
            Succeeded => to == Refunded,
            Failed | Refunded => false,
        }
    }
}

impl PaymentStatus {
    /// `pending | canceled → succeeded`: the provider took the money.
    pub fn succeed() -> Transition<Self, 2> {
        Transition::known([Self::Pending, Self::Canceled], Self::Succeeded)
    }

    /// `pending → failed`: declined or abandoned at the provider.
    pub fn fail() -> Transition<Self> {
        Transition::known([Self::Pending], Self::Failed)
    }

    /// `pending → canceled`: closed without money moving.
    pub fn cancel() -> Transition<Self> {
        Transition::known([Self::Pending], Self::Canceled)
    }

    /// `pending | succeeded | canceled → refunded`: the money went back.
    pub fn refund() -> Transition<Self, 3> {
        Transition::known(
            [Self::Pending, Self::Succeeded, Self::Canceled],
            Self::Refunded,
        )
    }
}

text_enum! {
    /// Who takes the money.
    pub enum PaymentProvider {
        /// The built-in test provider (test cards, a hosted test page); no real money.
        Test => "test",
        Stripe => "stripe",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::{assert_edges, assert_legal, assert_names_round_trip};

    #[test]
    fn names_round_trip() {
        assert_names_round_trip::<PaymentStatus>();
        assert_names_round_trip::<PaymentProvider>();
    }

    #[test]
    fn the_payment_state_machine_allows_exactly_its_edges() {
        use PaymentStatus::{Canceled, Failed, Pending, Refunded, Succeeded};
        assert_edges(&[
            (Pending, Succeeded),
            (Pending, Failed),
            (Pending, Canceled),
            (Pending, Refunded),
            (Canceled, Succeeded),
            (Canceled, Refunded),
            (Succeeded, Refunded),
        ]);
    }

    #[test]
    fn named_moves_are_legal() {
        assert_legal(PaymentStatus::succeed());
        assert_legal(PaymentStatus::fail());
        assert_legal(PaymentStatus::cancel());
        assert_legal(PaymentStatus::refund());
    }
}
