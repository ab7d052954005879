//! Typed, prefixed identifiers.
//!
//! Ids are `UUIDv7` (time-ordered, so B-tree inserts stay local and cursors sort by creation).
//! On the wire they carry a short prefix (`usr_…`) so a user id pasted where an event id is
//! expected fails to parse instead of silently matching nothing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// The id text did not have the expected prefix or was not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind} id")]
pub struct IdParseError {
    pub kind: &'static str,
}

/// Declares an id newtype with its wire prefix.
#[macro_export]
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(::uuid::Uuid);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(::uuid::Uuid::now_v7())
            }

            pub fn from_uuid(uuid: ::uuid::Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> ::uuid::Uuid {
                self.0
            }

            /// Parses the database form (a plain hyphenated UUID).
            pub fn from_db(text: &str) -> Result<Self, $crate::id::IdParseError> {
                ::uuid::Uuid::parse_str(text)
                    .map(Self)
                    .map_err(|_| $crate::id::IdParseError { kind: $kind })
            }

            /// The database form: a plain hyphenated UUID, sortable as text.
            pub fn to_db(&self) -> String {
                self.0.hyphenated().to_string()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::id::write_prefixed(f, $prefix, &self.0)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::id::IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::id::parse_prefixed(s, $prefix)
                    .map(Self)
                    .ok_or($crate::id::IdParseError { kind: $kind })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

#[doc(hidden)]
pub fn write_prefixed(f: &mut fmt::Formatter<'_>, prefix: &str, uuid: &Uuid) -> fmt::Result {
    write!(f, "{prefix}_{}", uuid.simple())
}

#[doc(hidden)]
pub fn parse_prefixed(text: &str, prefix: &str) -> Option<Uuid> {
    let rest = text.strip_prefix(prefix)?.strip_prefix('_')?;
    // Only the 32-hex simple form: one spelling per id keeps URLs and caches canonical.
    if rest.len() != 32 || !rest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Uuid::from_str(rest).ok()
}

typed_id!(
    /// A user account.
    UserId, "usr", "user"
);
typed_id!(
    /// A login session: the family of refresh tokens that rotate from one login.
    SessionId, "ses", "session"
);
typed_id!(
    /// An organization: the owner of events, with members in roles.
    OrganizationId, "org", "organization"
);
typed_id!(
    /// An event (a date with a venue or an online URL) of one organization.
    EventId, "evt", "event"
);
typed_id!(
    /// A kind of ticket sold for an event, with its own price and capacity.
    TicketTypeId, "tty", "ticket type"
);
typed_id!(
    /// A shared limit over several ticket types of one event.
    QuotaId, "quo", "quota"
);
typed_id!(
    /// A buyer's order: lines, hold, payment state.
    OrderId, "ord", "order"
);
typed_id!(
    /// One admission. Its id is carried inside the signed ticket code.
    TicketId, "tkt", "ticket"
);
typed_id!(
    /// A promo code definition of an event.
    PromoCodeId, "prm", "promo code"
);
typed_id!(
    /// A check-in list ("Main gate", "VIP lounge") with the ticket types it admits.
    CheckinListId, "cll", "check-in list"
);
typed_id!(
    /// A paired scanner device, scoped to one event.
    DeviceId, "dev", "device"
);
typed_id!(
    /// A full or partial refund of an order.
    RefundId, "ref", "refund"
);
typed_id!(
    /// A payment attempt of an order with a provider.
    PaymentId, "pay", "payment"
);
typed_id!(
    /// One scan on a check-in list, successful or not.
    CheckinId, "chk", "check-in"
);
typed_id!(
    /// A block of a ticket type's places that one backend process sells from.
    LeaseId, "lse", "inventory lease"
);
typed_id!(
    /// An invitation to join an organization, sent to an email address.
    InvitationId, "inv", "invitation"
);
typed_id!(
    /// A passkey (WebAuthn credential) registered to an account.
    PasskeyId, "psk", "passkey"
);

/// Opaque cursor for keyset pagination: the id of the last item seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

impl Serialize for Cursor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_prefixed_form() {
        let id = UserId::new();
        let text = id.to_string();
        assert!(text.starts_with("usr_"));
        assert_eq!(text.len(), 36);
        assert_eq!(text.parse::<UserId>(), Ok(id));
        assert_eq!(UserId::from_db(&id.to_db()), Ok(id));
    }

    #[test]
    fn an_id_with_another_prefix_does_not_parse() {
        let id = UserId::new();
        let as_session = id.to_string().replacen("usr", "ses", 1);
        assert!(as_session.parse::<UserId>().is_err());
        assert!(as_session.parse::<SessionId>().is_ok());
    }

    #[test]
    fn every_ticketing_id_has_its_own_three_letter_prefix() {
        let prefixes = [
            UserId::PREFIX,
            SessionId::PREFIX,
            OrganizationId::PREFIX,
            EventId::PREFIX,
            TicketTypeId::PREFIX,
            QuotaId::PREFIX,
            OrderId::PREFIX,
            TicketId::PREFIX,
            PromoCodeId::PREFIX,
            CheckinListId::PREFIX,
            DeviceId::PREFIX,
            RefundId::PREFIX,
            PaymentId::PREFIX,
            CheckinId::PREFIX,
            LeaseId::PREFIX,
            InvitationId::PREFIX,
            PasskeyId::PREFIX,
        ];
        let unique: std::collections::HashSet<_> = prefixes.iter().collect();
        assert_eq!(unique.len(), prefixes.len());
        assert!(prefixes.iter().all(|p| p.len() == 3));
        let event = EventId::new();
        assert_eq!(event.to_string().parse::<EventId>(), Ok(event));
        assert!(event.to_string().parse::<TicketId>().is_err());
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "usr",
            "usr_",
            "usr_xyz",
            "usr_0123",
            "usr-0190a0b0c0d0e0f00000000000000000",
        ] {
            assert!(bad.parse::<UserId>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn ids_serialize_as_prefixed_strings() {
        let id = UserId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        let back: UserId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
    }
}
