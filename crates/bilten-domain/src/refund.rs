//! Money going back: why, and where one refund stands.

use crate::state::{text_enum, StateMachine, Transition};

text_enum! {
    /// Why money went back.
    pub enum RefundReason {
        /// An organizer asked (`POST /orders/{id}/refund`).
        Requested => "requested",
        /// The event was canceled.
        EventCanceled => "event_canceled",
        /// Made at the provider directly and learned from its webhook.
        External => "external",
    }
}

text_enum! {
    /// Where a refund stands.
    pub enum RefundStatus {
        /// Taken (tickets canceled); the provider has not confirmed the payout yet. Retried
        /// until it does.
        Pending => "pending",
        Succeeded => "succeeded",
        Failed => "failed",
    }
}

impl StateMachine for RefundStatus {
    const SUBJECT: &'static str = "a refund";

    /// A pending refund ends once, either way.
    fn can_transition_to(self, to: RefundStatus) -> bool {
        self == Self::Pending && to != Self::Pending
    }
}

impl RefundStatus {
    /// `pending → succeeded`: the provider confirmed the payout.
    pub fn succeed() -> Transition<Self> {
        Transition::known([Self::Pending], Self::Succeeded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::{assert_edges, assert_legal, assert_names_round_trip};

    #[test]
    fn names_round_trip() {
        assert_names_round_trip::<RefundStatus>();
        assert_names_round_trip::<RefundReason>();
    }

    #[test]
    fn the_refund_state_machine_allows_exactly_its_edges() {
        use RefundStatus::{Failed, Pending, Succeeded};
        assert_edges(&[(Pending, Succeeded), (Pending, Failed)]);
        assert_legal(RefundStatus::succeed());
    }
}
