//! The life of an order and of the tickets it issues.
//!
//! The state machines here say which changes are legal; the storage layer applies a change
//! with a conditional update (`… WHERE status = $from`) so two workers racing (the hold-expiry
//! worker and a late payment webhook, say) cannot both win.

use std::fmt;

use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created; inventory is held until `expires_at`; awaiting payment.
    Pending,
    /// Paid (or free and confirmed); tickets are issued.
    Paid,
    /// The hold ran out before payment; inventory is released.
    Expired,
    /// Canceled by the buyer (while pending) or by the organizer; nothing was charged or the
    /// charge was voided. Tickets, if any, are canceled.
    Canceled,
    /// Every line refunded; tickets canceled and inventory released.
    Refunded,
    /// Some lines refunded; the rest stay valid.
    PartiallyRefunded,
}

/// A status change the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot go from {from} to {to}")]
pub struct IllegalTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        Self::Pending,
        Self::Paid,
        Self::Expired,
        Self::Canceled,
        Self::Refunded,
        Self::PartiallyRefunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Expired => "expired",
            Self::Canceled => "canceled",
            Self::Refunded => "refunded",
            Self::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Whether moving to `to` is legal. Staying put is not a transition, except that a
    /// partially refunded order can be partially refunded again.
    pub fn can_transition_to(self, to: OrderStatus) -> bool {
        use OrderStatus::{Canceled, Expired, Paid, PartiallyRefunded, Pending, Refunded};
        match self {
            Pending => matches!(to, Paid | Expired | Canceled),
            Expired => matches!(to, Paid | Refunded),
            Paid => matches!(to, Refunded | PartiallyRefunded | Canceled),
            PartiallyRefunded => matches!(to, PartiallyRefunded | Refunded | Canceled),
            Canceled | Refunded => false,
        }
    }

    /// `to` if the change is legal, otherwise a typed error naming both ends.
    pub fn transition_to(self, to: OrderStatus) -> Result<OrderStatus, IllegalTransition> {
        if self.can_transition_to(to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }

    /// Whether the order's lines count against capacity. A pending order counts only while
    /// its hold is live; the caller (a SQL filter on `expires_at`) decides that part.
    pub fn holds_inventory(self) -> bool {
        matches!(self, Self::Pending | Self::Paid | Self::PartiallyRefunded)
    }

    /// Whether the order's (remaining) tickets may be admitted.
    pub fn admits(self) -> bool {
        matches!(self, Self::Paid | Self::PartiallyRefunded)
    }

    /// No further change is possible.
    pub fn is_final(self) -> bool {
        Self::ALL.into_iter().all(|to| !self.can_transition_to(to))
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Valid,
    Revoked,
    Canceled,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Revoked => "revoked",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "valid" => Some(Self::Valid),
            "revoked" => Some(Self::Revoked),
            "canceled" => Some(Self::Canceled),
            _ => None,
        }
    }

    /// Only a valid ticket can change, and only to one of the two final states.
    pub fn can_transition_to(self, to: TicketStatus) -> bool {
        self == Self::Valid && to != Self::Valid
    }
}

impl fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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

    #[test]
    fn statuses_have_snake_case_names_that_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert_eq!(OrderStatus::parse("PAID"), None);
        for status in [
            TicketStatus::Valid,
            TicketStatus::Revoked,
            TicketStatus::Canceled,
        ] {
            assert_eq!(TicketStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
    }

    #[test]
    fn the_order_state_machine_allows_exactly_the_documented_edges() {
        use OrderStatus::{Canceled, Expired, Paid, PartiallyRefunded, Pending, Refunded};
        let allowed = [
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
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let legal = allowed.contains(&(from, to));
                assert_eq!(from.can_transition_to(to), legal, "{from} -> {to}");
                let result = from.transition_to(to);
                if legal {
                    assert_eq!(result, Ok(to));
                } else {
                    assert_eq!(result, Err(IllegalTransition { from, to }));
                }
            }
        }
        assert!(Canceled.is_final() && Refunded.is_final());
        assert!(!Expired.is_final() && !Pending.is_final());
        assert_eq!(
            Paid.transition_to(Pending).unwrap_err().to_string(),
            "an order cannot go from paid to pending"
        );
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
    fn tickets_only_leave_the_valid_state() {
        assert!(TicketStatus::Valid.can_transition_to(TicketStatus::Revoked));
        assert!(TicketStatus::Valid.can_transition_to(TicketStatus::Canceled));
        assert!(!TicketStatus::Revoked.can_transition_to(TicketStatus::Valid));
        assert!(!TicketStatus::Canceled.can_transition_to(TicketStatus::Revoked));
        assert!(!TicketStatus::Valid.can_transition_to(TicketStatus::Valid));
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
