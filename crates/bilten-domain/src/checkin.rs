//! The check-in decision: given everything known about a scanned ticket, admit it or say why not.
//!
//! One pure function, [`decide`], so the online scanner service and the offline scanner app
//! (which mirrors it in JavaScript from these docs) reach the same answer from the same facts.
//! The online service still enforces single use in the database (a unique successful check-in
//! per list and ticket); `decide` only says what the answer should be given what was read.
//!
//! # Precedence
//!
//! When several things are wrong, the gate hears the first that applies:
//!
//! 0. `invalid` — the code did not verify (malformed, another event's key, bad signature) or
//!    names no ticket we know. Decided before any facts exist; every [`CodeRejection`]
//!    converts to it with `CheckinReason::from`.
//! 1. `revoked` — the ticket's code was replaced by a newer one (the holder should show that).
//! 2. `canceled` — the ticket was canceled, or its order is canceled, refunded or expired.
//! 3. `unpaid` — the order is still pending.
//! 4. `product` — this check-in list does not admit the ticket's type.
//! 5. `invalid_time` — `now` is outside the list's time window or the ticket's own validity
//!    window (both inclusive).
//! 6. `already_redeemed` — an entry scan for a ticket that already entered on this list,
//!    unless re-entry is allowed and its last successful scan was an exit.
//! 7. `ok`.
//!
//! Permanent, ticket-specific problems come first because they tell the staff what to do
//! (send the holder to the box office for the new ticket, or away); `already_redeemed` comes
//! last so it is only ever said about an otherwise good ticket — the one case people dispute
//! at the gate, where the first scan's time and gate are shown.
//!
//! Exit scans skip steps 5 and 6: people may leave at any time and leaving twice harms no one;
//! an exit is recorded only so that re-entry lists know who is inside.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::order::{OrderStatus, TicketStatus};
use crate::ticket_code::CodeRejection;
use crate::validation::FieldError;

/// The answer to one scan. The `snake_case` names are part of the API and the scanner app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckinReason {
    Ok,
    AlreadyRedeemed,
    Invalid,
    Revoked,
    Canceled,
    Unpaid,
    Product,
    InvalidTime,
}

impl CheckinReason {
    pub const ALL: [CheckinReason; 8] = [
        Self::Ok,
        Self::AlreadyRedeemed,
        Self::Invalid,
        Self::Revoked,
        Self::Canceled,
        Self::Unpaid,
        Self::Product,
        Self::InvalidTime,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::AlreadyRedeemed => "already_redeemed",
            Self::Invalid => "invalid",
            Self::Revoked => "revoked",
            Self::Canceled => "canceled",
            Self::Unpaid => "unpaid",
            Self::Product => "product",
            Self::InvalidTime => "invalid_time",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == text)
    }

    /// Whether the person may pass.
    pub fn is_ok(self) -> bool {
        self == Self::Ok
    }
}

impl fmt::Display for CheckinReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every way a code can fail verification is `invalid` at the gate (logs keep the detail).
impl From<CodeRejection> for CheckinReason {
    fn from(_: CodeRejection) -> Self {
        Self::Invalid
    }
}

/// Which way a person is going through the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScanDirection {
    Entry,
    Exit,
}

impl ScanDirection {
    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Entry => "entry",
            Self::Exit => "exit",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Entry, Self::Exit]
            .into_iter()
            .find(|direction| direction.as_str() == text)
    }
}

/// A span of time, each side optional and inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct TimeWindow {
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
}

impl TimeWindow {
    /// No limits at all.
    pub const OPEN: TimeWindow = TimeWindow {
        not_before: None,
        not_after: None,
    };

    /// A window from organizer input; the start must come before the end.
    pub fn new(
        not_before: Option<DateTime<Utc>>,
        not_after: Option<DateTime<Utc>>,
    ) -> Result<Self, FieldError> {
        if let (Some(start), Some(end)) = (not_before, not_after) {
            if start >= end {
                return Err(FieldError::new(
                    "invalid_window",
                    "The start must be before the end.",
                ));
            }
        }
        Ok(Self {
            not_before,
            not_after,
        })
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.not_before.is_none_or(|start| at >= start)
            && self.not_after.is_none_or(|end| at <= end)
    }
}

/// Everything [`decide`] needs to know about one scan of a genuine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckinFacts {
    pub ticket_status: TicketStatus,
    pub order_status: OrderStatus,
    /// Whether the scanned list admits the ticket's type.
    pub list_admits_type: bool,
    pub list_window: TimeWindow,
    /// The window signed into the ticket code ([`crate::ticket_code::TicketClaims::window`]).
    pub ticket_window: TimeWindow,
    pub now: DateTime<Utc>,
    pub direction: ScanDirection,
    /// The ticket has at least one successful entry on this list.
    pub already_checked_in: bool,
    pub reentry_allowed: bool,
    /// The direction of the ticket's last successful scan on this list, if any.
    pub last_direction: Option<ScanDirection>,
}

/// Decides one scan by the precedence in the module docs.
pub fn decide(facts: &CheckinFacts) -> CheckinReason {
    if facts.ticket_status == TicketStatus::Revoked {
        return CheckinReason::Revoked;
    }
    if facts.ticket_status == TicketStatus::Canceled
        || matches!(
            facts.order_status,
            OrderStatus::Canceled | OrderStatus::Refunded | OrderStatus::Expired
        )
    {
        return CheckinReason::Canceled;
    }
    if facts.order_status == OrderStatus::Pending {
        return CheckinReason::Unpaid;
    }
    if !facts.list_admits_type {
        return CheckinReason::Product;
    }
    if facts.direction == ScanDirection::Exit {
        return CheckinReason::Ok;
    }
    if !facts.list_window.contains(facts.now) || !facts.ticket_window.contains(facts.now) {
        return CheckinReason::InvalidTime;
    }
    if facts.already_checked_in {
        let left_since = facts.last_direction == Some(ScanDirection::Exit);
        if !(facts.reentry_allowed && left_since) {
            return CheckinReason::AlreadyRedeemed;
        }
    }
    CheckinReason::Ok
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    fn good() -> CheckinFacts {
        CheckinFacts {
            ticket_status: TicketStatus::Valid,
            order_status: OrderStatus::Paid,
            list_admits_type: true,
            list_window: TimeWindow::OPEN,
            ticket_window: TimeWindow::OPEN,
            now: now(),
            direction: ScanDirection::Entry,
            already_checked_in: false,
            reentry_allowed: false,
            last_direction: None,
        }
    }

    #[test]
    fn reasons_serialise_in_snake_case() {
        for reason in CheckinReason::ALL {
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{}\"", reason.as_str()));
            assert_eq!(CheckinReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(CheckinReason::InvalidTime.as_str(), "invalid_time");
        assert_eq!(
            CheckinReason::from(CodeRejection::BadSignature),
            CheckinReason::Invalid
        );
    }

    #[test]
    fn a_good_ticket_is_admitted_once() {
        assert_eq!(decide(&good()), CheckinReason::Ok);
        let again = CheckinFacts {
            already_checked_in: true,
            last_direction: Some(ScanDirection::Entry),
            ..good()
        };
        assert_eq!(decide(&again), CheckinReason::AlreadyRedeemed);
        let partially_refunded = CheckinFacts {
            order_status: OrderStatus::PartiallyRefunded,
            ..good()
        };
        assert_eq!(decide(&partially_refunded), CheckinReason::Ok);
    }

    #[test]
    fn each_problem_has_its_reason() {
        let cases = [
            (
                CheckinFacts {
                    ticket_status: TicketStatus::Revoked,
                    ..good()
                },
                CheckinReason::Revoked,
            ),
            (
                CheckinFacts {
                    ticket_status: TicketStatus::Canceled,
                    ..good()
                },
                CheckinReason::Canceled,
            ),
            (
                CheckinFacts {
                    order_status: OrderStatus::Refunded,
                    ..good()
                },
                CheckinReason::Canceled,
            ),
            (
                CheckinFacts {
                    order_status: OrderStatus::Canceled,
                    ..good()
                },
                CheckinReason::Canceled,
            ),
            (
                CheckinFacts {
                    order_status: OrderStatus::Expired,
                    ..good()
                },
                CheckinReason::Canceled,
            ),
            (
                CheckinFacts {
                    order_status: OrderStatus::Pending,
                    ..good()
                },
                CheckinReason::Unpaid,
            ),
            (
                CheckinFacts {
                    list_admits_type: false,
                    ..good()
                },
                CheckinReason::Product,
            ),
            (
                CheckinFacts {
                    list_window: TimeWindow {
                        not_before: Some(now() + Duration::minutes(1)),
                        not_after: None,
                    },
                    ..good()
                },
                CheckinReason::InvalidTime,
            ),
            (
                CheckinFacts {
                    ticket_window: TimeWindow {
                        not_before: None,
                        not_after: Some(now() - Duration::seconds(1)),
                    },
                    ..good()
                },
                CheckinReason::InvalidTime,
            ),
        ];
        for (facts, expected) in cases {
            assert_eq!(decide(&facts), expected, "{facts:?}");
        }
    }

    #[test]
    fn the_most_permanent_problem_wins() {
        let everything_wrong = CheckinFacts {
            ticket_status: TicketStatus::Revoked,
            order_status: OrderStatus::Pending,
            list_admits_type: false,
            list_window: TimeWindow {
                not_before: None,
                not_after: Some(now() - Duration::hours(1)),
            },
            already_checked_in: true,
            ..good()
        };
        assert_eq!(decide(&everything_wrong), CheckinReason::Revoked);
        let f = CheckinFacts {
            ticket_status: TicketStatus::Valid,
            ..everything_wrong
        };
        assert_eq!(decide(&f), CheckinReason::Unpaid);
        let f = CheckinFacts {
            order_status: OrderStatus::Paid,
            ..f
        };
        assert_eq!(decide(&f), CheckinReason::Product);
        let f = CheckinFacts {
            list_admits_type: true,
            ..f
        };
        assert_eq!(decide(&f), CheckinReason::InvalidTime);
        let f = CheckinFacts {
            list_window: TimeWindow::OPEN,
            ..f
        };
        assert_eq!(decide(&f), CheckinReason::AlreadyRedeemed);
    }

    #[test]
    fn windows_are_inclusive_at_both_ends() {
        let window = TimeWindow {
            not_before: Some(now()),
            not_after: Some(now()),
        };
        assert!(window.contains(now()));
        assert!(!window.contains(now() + Duration::seconds(1)));
        assert!(!window.contains(now() - Duration::seconds(1)));
        assert!(TimeWindow::OPEN.contains(now()));
        assert_eq!(
            TimeWindow::new(Some(now()), Some(now())).unwrap_err().code,
            "invalid_window"
        );
        assert!(TimeWindow::new(Some(now()), None).is_ok());
    }

    #[test]
    fn reentry_needs_an_exit_scan_in_between() {
        let inside = CheckinFacts {
            already_checked_in: true,
            reentry_allowed: true,
            last_direction: Some(ScanDirection::Entry),
            ..good()
        };
        assert_eq!(decide(&inside), CheckinReason::AlreadyRedeemed);
        let left = CheckinFacts {
            last_direction: Some(ScanDirection::Exit),
            ..inside
        };
        assert_eq!(decide(&left), CheckinReason::Ok);
        let no_reentry = CheckinFacts {
            reentry_allowed: false,
            ..left
        };
        assert_eq!(decide(&no_reentry), CheckinReason::AlreadyRedeemed);
    }

    #[test]
    fn exits_are_always_allowed_for_a_ticket_valid_on_the_list() {
        let exit = CheckinFacts {
            direction: ScanDirection::Exit,
            already_checked_in: true,
            last_direction: Some(ScanDirection::Exit),
            list_window: TimeWindow {
                not_before: None,
                not_after: Some(now() - Duration::hours(1)),
            },
            ..good()
        };
        assert_eq!(decide(&exit), CheckinReason::Ok);
        let canceled = CheckinFacts {
            ticket_status: TicketStatus::Canceled,
            ..exit
        };
        assert_eq!(decide(&canceled), CheckinReason::Canceled);
    }
}
