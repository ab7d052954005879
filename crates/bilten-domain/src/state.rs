//! What the domain's states and kinds share: the text they are stored and sent as, and the one
//! way a state changes.
//!
//! A stateful record (an order, a ticket, a payment, a refund, an event) changes state only by
//! a [`Transition`], and a `Transition` exists only if its machine allows every edge in it: it
//! is made by [`StateMachine::transition_to`] (from a state read at run time) or by one of the
//! machine's named moves (`OrderStatus::pay()`, …), whose legality a unit test checks. The
//! store's conditional updates take the `Transition` and write `WHERE status IN (from…)` and
//! `SET status = to` from it, so the database applies exactly the change the machine allowed,
//! and a record that moved meanwhile is left alone (the update touches no row).

use std::fmt;

/// An enum kept as its `snake_case` name in the database and on the wire.
pub trait TextEnum: Copy + Eq + fmt::Debug + fmt::Display + Sized + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];

    /// The stored (and wire) spelling.
    fn as_str(self) -> &'static str;

    /// The value spelled `text`, if it is one.
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == text)
    }
}

/// A state whose changes follow rules.
pub trait StateMachine: TextEnum {
    /// What changes state, for messages: "an order", "a payment".
    const SUBJECT: &'static str;

    /// Whether moving to `to` is legal (the machine's edges).
    fn can_transition_to(self, to: Self) -> bool;

    /// The change to `to`, if the machine allows it.
    fn transition_to(self, to: Self) -> Result<Transition<Self>, IllegalTransition<Self>> {
        Transition::new([self], to)
    }
}

/// A legal change to `to` from any of `N` states (one, usually). A store update that takes a
/// `Transition` writes `to` only where the row is still in one of `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition<S, const N: usize = 1> {
    from: [S; N],
    to: S,
}

impl<S: StateMachine, const N: usize> Transition<S, N> {
    /// The change from each of `from` to `to`, if every one of those edges is legal.
    pub fn new(from: [S; N], to: S) -> Result<Self, IllegalTransition<S>> {
        match from.iter().copied().find(|f| !f.can_transition_to(to)) {
            Some(illegal) => Err(IllegalTransition { from: illegal, to }),
            None => Ok(Self { from, to }),
        }
    }

    /// A named move of the machine. Only the machine's own module calls this, for edges its
    /// tests prove legal (`named_moves_are_legal`).
    pub(crate) fn known(from: [S; N], to: S) -> Self {
        debug_assert!(from.iter().all(|f| f.can_transition_to(to)));
        Self { from, to }
    }

    /// The states the change may start from.
    pub fn from(&self) -> [S; N] {
        self.from
    }

    /// The state it ends in.
    pub fn to(&self) -> S {
        self.to
    }
}

/// A change the machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition<S> {
    pub from: S,
    pub to: S,
}

impl<S: StateMachine> fmt::Display for IllegalTransition<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cannot go from {} to {}",
            S::SUBJECT,
            self.from,
            self.to
        )
    }
}

impl<S: StateMachine> std::error::Error for IllegalTransition<S> {}

/// Declares a `snake_case` text enum: the enum (with serde and, for the contract, an OpenAPI
/// schema), [`TextEnum`] and `Display`.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $crate::state::TextEnum for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $text, )+
                }
            }
        }

        impl $name {
            /// The stored (and wire) spelling.
            pub fn as_str(self) -> &'static str {
                $crate::state::TextEnum::as_str(self)
            }

            /// The value spelled `text`, if it is one.
            pub fn parse(text: &str) -> Option<Self> {
                <Self as $crate::state::TextEnum>::parse(text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use text_enum;

/// Test helpers every machine's tests share.
#[cfg(test)]
pub(crate) mod testing {
    use super::{StateMachine, TextEnum, Transition};

    /// Names round-trip through text and serde; nothing else parses.
    pub fn assert_names_round_trip<S: TextEnum + serde::Serialize>() {
        for &value in S::ALL {
            assert_eq!(S::parse(value.as_str()), Some(value));
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(json, format!("\"{}\"", value.as_str()));
        }
        assert_eq!(S::parse(""), None);
        assert_eq!(S::parse("not a state"), None);
    }

    /// Exactly the `allowed` edges are legal: every other pair, the illegal transitions, is
    /// refused by `transition_to` and by `Transition::new`, naming both ends.
    pub fn assert_edges<S: StateMachine>(allowed: &[(S, S)]) {
        for &from in S::ALL {
            for &to in S::ALL {
                let legal = allowed.contains(&(from, to));
                assert_eq!(from.can_transition_to(to), legal, "{from} -> {to}");
                match from.transition_to(to) {
                    Ok(t) => {
                        assert!(legal, "{from} -> {to} was allowed");
                        assert_eq!((t.from(), t.to()), ([from], to));
                    }
                    Err(e) => {
                        assert!(!legal, "{from} -> {to} was refused");
                        assert_eq!((e.from, e.to), (from, to));
                        assert_eq!(
                            e.to_string(),
                            format!("{} cannot go from {from} to {to}", S::SUBJECT)
                        );
                    }
                }
                // A change from several states is refused if any one edge is illegal.
                if let Some(&legal_from) = S::ALL.iter().find(|f| f.can_transition_to(to)) {
                    let both = Transition::new([legal_from, from], to);
                    assert_eq!(both.is_ok(), legal, "{legal_from}|{from} -> {to}");
                }
            }
        }
    }

    /// A named move is one of the machine's edges.
    pub fn assert_legal<S: StateMachine, const N: usize>(t: Transition<S, N>) {
        for from in t.from() {
            assert!(from.can_transition_to(t.to()), "{from} -> {}", t.to());
        }
    }
}
