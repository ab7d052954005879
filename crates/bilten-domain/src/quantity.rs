//! Counts of tickets: how many a buyer asks for, how many a ticket type or quota can hold.
//!
//! Both are `u32` inside but stored as `i64` in the database; the bounds below keep every
//! product with a [`Price`](crate::money::Price) and every sum of capacities far from overflow.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::validation::FieldError;

/// How many tickets of one type a single order line asks for: `1..=1000`.
///
/// Zero-quantity lines are refused rather than ignored so a client bug is visible; 1000 is a
/// sanity ceiling far above any per-order maximum an organizer sets (that narrower limit is
/// checked separately with [`Quantity::check_order_limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quantity(u32);

impl Quantity {
    pub const MIN: u32 = 1;
    pub const MAX: u32 = 1000;

    pub fn new(value: u32) -> Result<Self, FieldError> {
        if value < Self::MIN {
            return Err(FieldError::new("too_small", "Choose at least one ticket."));
        }
        if value > Self::MAX {
            return Err(FieldError::new(
                "too_large",
                format!("At most {} tickets per line.", Self::MAX),
            ));
        }
        Ok(Self(value))
    }

    /// For JSON numbers, which arrive as `i64` and may be negative.
    pub fn from_i64(value: i64) -> Result<Self, FieldError> {
        match u32::try_from(value) {
            Ok(value) => Self::new(value),
            Err(_) if value < 0 => Self::new(0),
            Err(_) => Self::new(u32::MAX),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// Checks a ticket type's own per-order bounds (`min_per_order..=max_per_order`).
    pub fn check_order_limits(
        self,
        min_per_order: u32,
        max_per_order: u32,
    ) -> Result<(), FieldError> {
        if self.0 < min_per_order {
            return Err(FieldError::new(
                "below_minimum",
                format!("Order at least {min_per_order} of this ticket."),
            ));
        }
        if self.0 > max_per_order {
            return Err(FieldError::new(
                "limit_exceeded",
                format!("Order at most {max_per_order} of this ticket."),
            ));
        }
        Ok(())
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Quantity::from_i64(i64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// How many tickets a ticket type or quota can sell in total: `0..=10_000_000`.
///
/// Zero is allowed (a type prepared but not yet on sale, or closed by the organizer); ten
/// million is well above the largest venues and keeps capacity × price inside `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Capacity(u32);

impl Capacity {
    pub const MAX: u32 = 10_000_000;

    pub fn new(value: u32) -> Result<Self, FieldError> {
        if value > Self::MAX {
            return Err(FieldError::new(
                "too_large",
                format!("The capacity can be at most {}.", Self::MAX),
            ));
        }
        Ok(Self(value))
    }

    pub fn from_i64(value: i64) -> Result<Self, FieldError> {
        if value < 0 {
            return Err(FieldError::new(
                "negative",
                "The capacity cannot be negative.",
            ));
        }
        Self::new(u32::try_from(value).unwrap_or(u32::MAX))
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// Tickets still available when `taken` are sold or held. Never negative: if `taken`
    /// exceeds the capacity (the organizer lowered it below sales) nothing is left.
    ///
    /// Display only — the sale itself is decided by the database in the same transaction that
    /// takes the tickets, never by comparing with this number.
    pub fn remaining(self, taken: u64) -> u32 {
        u64::from(self.0).saturating_sub(taken) as u32
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Capacity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}

impl<'de> Deserialize<'de> for Capacity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Capacity::from_i64(i64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn quantity_bounds() {
        assert_eq!(Quantity::new(0).unwrap_err().code, "too_small");
        assert_eq!(Quantity::new(1).unwrap().get(), 1);
        assert_eq!(Quantity::new(1000).unwrap().get(), 1000);
        assert_eq!(Quantity::new(1001).unwrap_err().code, "too_large");
        assert_eq!(Quantity::from_i64(-5).unwrap_err().code, "too_small");
        assert_eq!(Quantity::from_i64(i64::MAX).unwrap_err().code, "too_large");
    }

    #[test]
    fn per_order_limits_have_their_own_codes() {
        let two = Quantity::new(2).unwrap();
        assert!(two.check_order_limits(1, 10).is_ok());
        assert_eq!(
            two.check_order_limits(3, 10).unwrap_err().code,
            "below_minimum"
        );
        assert_eq!(
            two.check_order_limits(1, 1).unwrap_err().code,
            "limit_exceeded"
        );
    }

    #[test]
    fn capacity_bounds_and_remaining() {
        assert_eq!(Capacity::new(0).unwrap().get(), 0);
        assert_eq!(Capacity::new(10_000_001).unwrap_err().code, "too_large");
        assert_eq!(Capacity::from_i64(-1).unwrap_err().code, "negative");
        let capacity = Capacity::new(50).unwrap();
        assert_eq!(capacity.remaining(20), 30);
        assert_eq!(capacity.remaining(70), 0);
    }

    #[test]
    fn json_numbers_are_validated() {
        assert_eq!(serde_json::from_str::<Quantity>("3").unwrap().get(), 3);
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert!(serde_json::from_str::<Quantity>("-1").is_err());
        assert!(serde_json::from_str::<Quantity>("1.5").is_err());
        assert_eq!(
            serde_json::to_string(&Capacity::new(500).unwrap()).unwrap(),
            "500"
        );
        assert!(serde_json::from_str::<Capacity>("-1").is_err());
    }

    proptest! {
        #[test]
        fn quantity_accepts_exactly_its_range(value: i64) {
            prop_assert_eq!(Quantity::from_i64(value).is_ok(), (1..=1000).contains(&value));
        }

        #[test]
        fn capacity_accepts_exactly_its_range(value: i64) {
            prop_assert_eq!(Capacity::from_i64(value).is_ok(), (0..=10_000_000).contains(&value));
        }
    }
}
