//! The life of an order and of the tickets it issues.
//!
//! The state machines here say which changes are legal; the storage layer applies a change
//! with a conditional update (`… WHERE status = $from`) so two workers racing (the hold-expiry
//! worker and a late payment webhook, say) cannot both win.

use crate::state::{text_enum, StateMachine, TextEnum, Transition};

text_enum! {
    /// Where an order stands.
    ///
    /// ```text
    ///              ┌──────────► canceled ◄─────────────┐
    ///              │                                   │
    ///  pending ────┼──────────► paid ──────┬──► partially_refunded ──┐
    ///              │             ▲  │      │           │ ▲ (again)   │
    ///              ▼             │  │      │           └─┘           │
    ///           expired ─────────┘  └──────┴──► refunded ◄───────────┘
    ///              │                               ▲
    ///              └───────────────────────────────┘
    /// ```
    ///
    /// `expired → paid` and `expired → refunded` exist because a payment can succeed after its
    /// hold ran out: if the stock is still there the order is completed (tickets issued), and if
    /// not the money goes back at once. Either way the order never ends "paid without tickets".
    /// Free orders go `pending → paid` without a provider; "paid" means "completed".
    pub enum OrderStatus {
        /// Created; inventory is held until `expires_at`; awaiting payment.
        Pending => "pending",
        /// Paid (or free and confirmed); tickets are issued.
        Paid => "paid",
        /// The hold ran out before payment; inventory is released.
        Expired => "expired",
        /// Canceled by the buyer (while pending) or by the organizer; nothing was charged or the
        /// charge was voided. Tickets, if any, are canceled.
        Canceled => "canceled",
        /// Every line refunded; tickets canceled and inventory released.
        Refunded => "refunded",
        /// Some lines refunded; the rest stay valid.
        PartiallyRefunded => "partially_refunded",
    }
}

impl StateMachine for OrderStatus {
    const SUBJECT: &'static str = "an order";

    /// Staying put is not a transition, except that a partially refunded order can be
    /// partially refunded again.
    fn can_transition_to(self, to: OrderStatus) -> bool {
        use OrderStatus::{Canceled, Expired, Paid, PartiallyRefunded, Pending, Refunded};
        match self {
            Pending => matches!(to, Paid | Expired | Canceled),
            Expired => matches!(to, Paid | Refunded),
            Paid => matches!(to, Refunded | PartiallyRefunded | Canceled),
            PartiallyRefunded => matches!(to, PartiallyRefunded | Refunded | Canceled),
            Canceled | Refunded => false,
        }
    }
}

/// The order states whose (remaining) tickets admit and count as sold.
pub const ADMITTING: [OrderStatus; 2] = [OrderStatus::Paid, OrderStatus::PartiallyRefunded];

impl OrderStatus {
    /// Whether the order's lines count against capacity. A pending order counts only while
    /// its hold is live; the caller (a SQL filter on `expires_at`) decides that part.
    pub fn holds_inventory(self) -> bool {
        matches!(self, Self::Pending | Self::Paid | Self::PartiallyRefunded)
    }

    /// Whether the order's (remaining) tickets may be admitted.
    pub fn admits(self) -> bool {
        ADMITTING.contains(&self)
    }

    /// The status as shown: a pending order whose hold ran out (`hold_ran_out`) reads as
    /// `expired` even before the expiry worker has marked it.
    #[must_use]
    pub fn shown(self, hold_ran_out: bool) -> Self {
        if self == Self::Pending && hold_ran_out {
            Self::Expired
        } else {
            self
        }
    }

    /// No further change is possible.
    pub fn is_final(self) -> bool {
        Self::ALL.iter().all(|&to| !self.can_transition_to(to))
    }

    /// `pending → paid`: a live hold is paid (or a free order confirmed).
    pub fn pay() -> Transition<Self> {
        Transition::known([Self::Pending], Self::Paid)
    }

    /// `expired → paid`: a payment that arrived after the hold ran out, stock permitting.
    pub fn pay_after_expiry() -> Transition<Self> {
        Transition::known([Self::Expired], Self::Paid)
    }

    /// `expired → refunded`: a late payment found the stock gone and went back.
    pub fn refund_unfilled() -> Transition<Self> {
        Transition::known([Self::Expired], Self::Refunded)
    }

    /// `pending → expired`: the hold ran out.
    pub fn expire() -> Transition<Self> {
        Transition::known([Self::Pending], Self::Expired)
    }

    /// `pending → canceled`: the buyer (or the event's cancellation) ended an unpaid hold.
    pub fn cancel_pending() -> Transition<Self> {
        Transition::known([Self::Pending], Self::Canceled)
    }

    /// `paid | partially_refunded → refunded`: the last admitting tickets went back.
    pub fn refund_all() -> Transition<Self, 2> {
        Transition::known(ADMITTING, Self::Refunded)
    }

    /// `paid | partially_refunded → partially_refunded`: some tickets went back, some admit.
    pub fn refund_part() -> Transition<Self, 2> {
        Transition::known(ADMITTING, Self::PartiallyRefunded)
    }
}

text_enum! {
    /// Where one ticket (one admission) stands, independently of its order.
    ///
    /// - `valid`: admissible, subject to the order being paid and the check-in list's rules.
    /// - `revoked`: this ticket's **code** was replaced; the holder has a newer ticket (new id,
    ///   new code) after a change such as an attendee-name edit. Scanners say "revoked" so the
    ///   gate staff ask for the current ticket.
    /// - `canceled`: the admission itself is gone — refunded, its order canceled, or the event
    ///   canceled. Scanners say "canceled".
    ///
    /// Both non-valid states are published in the revocation list scanners sync; the distinction
    /// only changes what the gate is told. Both are final.
    pub enum TicketStatus {
        Valid => "valid",
        Revoked => "revoked",
        Canceled => "canceled",
    }
}

impl StateMachine for TicketStatus {
    const SUBJECT: &'static str = "a ticket";

    /// Only a valid ticket can change, and only to one of the two final states.
    fn can_transition_to(self, to: TicketStatus) -> bool {
        self == Self::Valid && to != Self::Valid
    }
}

impl TicketStatus {
    /// `valid → revoked`: the code was replaced by a reissued ticket.
    pub fn revoke() -> Transition<Self> {
        Transition::known([Self::Valid], Self::Revoked)
    }

    /// `valid → canceled`: the admission is gone (refund, canceled order or event).
    pub fn cancel() -> Transition<Self> {
        Transition::known([Self::Valid], Self::Canceled)
    }
}

text_enum! {
    /// Why a code stopped admitting (the `ticket_revocations.reason` values).
    pub enum RevocationReason {
        /// Replaced by a new ticket (an attendee-name change).
        Reissued => "reissued",
        Refunded => "refunded",
        OrderCanceled => "order_canceled",
        EventCanceled => "event_canceled",
    }
}

text_enum! {
    /// Whether a signing key still signs new codes.
    pub enum KeyStatus {
        /// Signs new codes (the highest active version does).
        Active => "active",
        /// Signs nothing new; still verifies the codes it signed.
        Retired => "retired",
    }
}

/// The default number of tickets one buyer may hold for one event, across all their orders.
pub const DEFAULT_BUYER_CAP: u32 = 10;

/// A buyer asked for more than their per-event cap allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("at most {cap} tickets per buyer; {already} already held, {requested} requested")]
pub struct BuyerCapExceeded {
    pub cap: u32,
    pub already: u32,
    pub requested: u32,
}

impl BuyerCapExceeded {
    /// How many more the buyer could still get (for the error message).
    pub fn remaining(&self) -> u32 {
        self.cap.saturating_sub(self.already)
    }
}

/// The per-buyer cap rule: tickets the buyer already holds for the event (paid, partially
/// refunded and live pending orders) plus those requested must not exceed `cap`.
///
/// The arithmetic only. To hold across replicas the count must be taken inside the
/// purchase transaction under a per-(event, buyer) lock or conditional update, exactly like
/// inventory; calling this on a count read earlier is the classic check-then-write race.
pub fn check_buyer_cap(cap: u32, already: u32, requested: u32) -> Result<(), BuyerCapExceeded> {
    match already.checked_add(requested) {
        Some(total) if total <= cap => Ok(()),
        _ => Err(BuyerCapExceeded {
            cap,
            already,
            requested,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::{assert_edges, assert_legal, assert_names_round_trip};

    #[test]
    fn statuses_have_snake_case_names_that_round_trip() {
        assert_names_round_trip::<OrderStatus>();
        assert_names_round_trip::<TicketStatus>();
        assert_names_round_trip::<RevocationReason>();
        assert_names_round_trip::<KeyStatus>();
        assert_eq!(OrderStatus::parse("PAID"), None);
        assert_eq!(
            OrderStatus::PartiallyRefunded.as_str(),
            "partially_refunded"
        );
    }

    #[test]
    fn the_order_state_machine_allows_exactly_the_documented_edges() {
        use OrderStatus::{Canceled, Expired, Paid, PartiallyRefunded, Pending, Refunded};
        assert_edges(&[
            (Pending, Paid),
            (Pending, Expired),
            (Pending, Canceled),
            (Expired, Paid),
            (Expired, Refunded),
            (Paid, Refunded),
            (Paid, PartiallyRefunded),
            (Paid, Canceled),
            (PartiallyRefunded, PartiallyRefunded),
            (PartiallyRefunded, Refunded),
            (PartiallyRefunded, Canceled),
        ]);
        assert!(Canceled.is_final() && Refunded.is_final());
        assert!(!Expired.is_final() && !Pending.is_final());
        assert_eq!(
            Paid.transition_to(Pending).unwrap_err().to_string(),
            "an order cannot go from paid to pending"
        );
    }

    #[test]
    fn the_ticket_state_machine_only_leaves_valid() {
        use TicketStatus::{Canceled, Revoked, Valid};
        assert_edges(&[(Valid, Revoked), (Valid, Canceled)]);
    }

    #[test]
    fn named_moves_are_legal() {
        assert_legal(OrderStatus::pay());
        assert_legal(OrderStatus::pay_after_expiry());
        assert_legal(OrderStatus::refund_unfilled());
        assert_legal(OrderStatus::expire());
        assert_legal(OrderStatus::cancel_pending());
        assert_legal(OrderStatus::refund_all());
        assert_legal(OrderStatus::refund_part());
        assert_legal(TicketStatus::revoke());
        assert_legal(TicketStatus::cancel());
    }

    #[test]
    fn inventory_and_admission_follow_the_status() {
        assert!(OrderStatus::Pending.holds_inventory());
        assert!(!OrderStatus::Expired.holds_inventory());
        assert!(!OrderStatus::Refunded.holds_inventory());
        assert!(OrderStatus::PartiallyRefunded.admits());
        assert!(!OrderStatus::Pending.admits());
    }

    #[test]
    fn the_buyer_cap_counts_what_is_already_held() {
        assert!(check_buyer_cap(10, 0, 10).is_ok());
        assert!(check_buyer_cap(10, 6, 4).is_ok());
        let err = check_buyer_cap(10, 6, 5).unwrap_err();
        assert_eq!(err.remaining(), 4);
        assert!(check_buyer_cap(10, 12, 1).unwrap_err().remaining() == 0);
        assert!(check_buyer_cap(u32::MAX, u32::MAX, 1).is_err());
        assert!(check_buyer_cap(0, 0, 0).is_ok());
    }
}
