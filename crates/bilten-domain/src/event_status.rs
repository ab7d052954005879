//! Where an event stands, and who sees a ticket type.

use crate::state::{text_enum, StateMachine, Transition};

text_enum! {
    /// Where an event stands.
    pub enum EventStatus {
        /// Being prepared; only its organization sees it.
        Draft => "draft",
        /// Listed and on sale.
        Published => "published",
        /// Canceled: no new orders; its orders were refunded.
        Canceled => "canceled",
    }
}

impl StateMachine for EventStatus {
    const SUBJECT: &'static str = "an event";

    /// A draft is published and can go back to draft; either can be canceled, for good.
    fn can_transition_to(self, to: EventStatus) -> bool {
        use EventStatus::{Canceled, Draft, Published};
        matches!(
            (self, to),
            (Draft, Published) | (Published, Draft) | (Draft | Published, Canceled)
        )
    }
}

impl EventStatus {
    /// `draft → published`.
    pub fn publish() -> Transition<Self> {
        Transition::known([Self::Draft], Self::Published)
    }

    /// `published → draft`.
    pub fn unpublish() -> Transition<Self> {
        Transition::known([Self::Published], Self::Draft)
    }

    /// `draft | published → canceled`.
    pub fn cancel() -> Transition<Self, 2> {
        Transition::known([Self::Draft, Self::Published], Self::Canceled)
    }
}

text_enum! {
    /// Who sees a ticket type.
    pub enum Visibility {
        /// Listed on the event page.
        Public => "public",
        /// Only with a promo code that reveals it (and to the organization).
        Hidden => "hidden",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::{assert_edges, assert_legal, assert_names_round_trip};

    #[test]
    fn names_round_trip() {
        assert_names_round_trip::<EventStatus>();
        assert_names_round_trip::<Visibility>();
    }

    #[test]
    fn the_event_state_machine_allows_exactly_its_edges() {
        use EventStatus::{Canceled, Draft, Published};
        assert_edges(&[
            (Draft, Published),
            (Published, Draft),
            (Draft, Canceled),
            (Published, Canceled),
        ]);
        assert_legal(EventStatus::publish());
        assert_legal(EventStatus::unpublish());
        assert_legal(EventStatus::cancel());
    }
}
