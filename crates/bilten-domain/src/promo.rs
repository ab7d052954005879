//! Promo codes: the text a buyer types, and how a discount spreads over an order's lines.
//!
//! The discount is computed once for the order and then **allocated** to lines, rather than
//! computed per line, so that the order's discount is exactly what the promo promises (25 % of
//! the total, or exactly €10) and the per-line shares still add up to it to the cent. Per-line
//! amounts matter later: a refund of one line gives back what that line actually cost.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::money::{Currency, Money, MoneyError, Price};
use crate::validation::FieldError;

/// A promo code as typed: 3–40 characters of `A–Z 0–9 - _`, compared case-insensitively.
///
/// Stored upper-case so `summer25` and `SUMMER25` are one code and a unique index on the
/// column is enough to prevent duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PromoCode(String);

impl PromoCode {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 40;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(FieldError::new("required", "Enter a promo code."));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(FieldError::new(
                "invalid_characters",
                "Use only letters A–Z, digits, '-' and '_'.",
            ));
        }
        // ASCII only from here, so bytes are characters.
        if text.len() < Self::MIN_CHARS {
            return Err(FieldError::new(
                "too_short",
                format!("Use at least {} characters.", Self::MIN_CHARS),
            ));
        }
        if text.len() > Self::MAX_CHARS {
            return Err(FieldError::new(
                "too_long",
                format!("Use at most {} characters.", Self::MAX_CHARS),
            ));
        }
        Ok(Self(text.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For values read back from our own database, which only ever stores parsed codes.
    pub fn from_trusted(text: String) -> Self {
        Self(text)
    }
}

impl fmt::Display for PromoCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for PromoCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PromoCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PromoCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A percentage in basis points, `1..=10000` (2500 = 25 %, 10000 = free).
///
/// Basis points rather than whole percent so 12.5 % is expressible without floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BasisPoints(u16);

impl BasisPoints {
    pub const FULL: u16 = 10_000;

    pub fn new(value: u32) -> Result<Self, FieldError> {
        match u16::try_from(value) {
            Ok(value) if (1..=Self::FULL).contains(&value) => Ok(Self(value)),
            _ => Err(FieldError::new(
                "out_of_range",
                "A percentage discount must be between 0.01 % and 100 %.",
            )),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl Serialize for BasisPoints {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.0)
    }
}

impl<'de> Deserialize<'de> for BasisPoints {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = i64::deserialize(d)?;
        BasisPoints::new(u32::try_from(value).unwrap_or(0)).map_err(serde::de::Error::custom)
    }
}

/// What a promo code takes off an order.
///
/// JSON: `{"kind": "percent", "basis_points": 2500}` or
/// `{"kind": "fixed", "amount": {"amount": 1000, "currency": "EUR"}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "DiscountWire")]
pub enum Discount {
    /// A share of the eligible lines' subtotal, rounded half up to the minor unit.
    Percent {
        /// `1..=10000`: 2500 is 25 %, 10000 makes the lines free.
        #[cfg_attr(feature = "openapi", schema(value_type = u16, minimum = 1, maximum = 10000))]
        basis_points: BasisPoints,
    },
    /// An amount off the whole order (not per ticket), at most the eligible subtotal.
    Fixed { amount: Price },
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum DiscountWire {
    Percent { basis_points: BasisPoints },
    Fixed { amount: Price },
}

impl TryFrom<DiscountWire> for Discount {
    type Error = FieldError;
    fn try_from(wire: DiscountWire) -> Result<Self, Self::Error> {
        match wire {
            DiscountWire::Percent { basis_points } => Ok(Self::Percent { basis_points }),
            DiscountWire::Fixed { amount } => Discount::fixed(amount),
        }
    }
}

impl Discount {
    pub fn percent(basis_points: u32) -> Result<Self, FieldError> {
        Ok(Self::Percent {
            basis_points: BasisPoints::new(basis_points)?,
        })
    }

    /// A fixed amount off; zero is refused as a promo that does nothing.
    pub fn fixed(amount: Price) -> Result<Self, FieldError> {
        if amount.is_free() {
            return Err(FieldError::new(
                "out_of_range",
                "A fixed discount must be more than zero.",
            ));
        }
        Ok(Self::Fixed { amount })
    }
}

/// One order line's amount (unit price × quantity) and whether the promo applies to it
/// (a promo can be restricted to some ticket types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAmount {
    pub amount: Money,
    pub eligible: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DiscountedLine {
    pub subtotal: Money,
    pub discount: Money,
    pub total: Money,
}

/// The order after the discount. `discount` equals the sum of the lines' discounts exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscountedTotals {
    pub subtotal: Money,
    pub discount: Money,
    pub total: Money,
    /// In the same order as the input lines.
    pub lines: Vec<DiscountedLine>,
}

crate::state::text_enum! {
    /// How a stored discount's value reads: basis points, or minor units of the event's
    /// currency.
    pub enum DiscountKind {
        Percent => "percent",
        Fixed => "fixed",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DiscountError {
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// Line amounts are prices times quantities and can never be negative.
    #[error("line {index} has a negative amount")]
    NegativeLine { index: usize },
}

/// Applies `discount` to an order in `currency`.
///
/// The order's discount `D` is computed on the eligible subtotal `E` (percent: `E × bp /
/// 10000` rounded half up; fixed: `min(amount, E)`), then split over the eligible lines in
/// proportion to their amounts by the largest-remainder method: each line gets
/// `floor(D × aᵢ / E)` and the few minor units left go one each to the lines with the largest
/// remainders (ties to the earlier line). So the shares sum to `D` exactly, each share is
/// within one minor unit of the exact proportion, and no line's discount exceeds its amount.
pub fn apply(
    discount: &Discount,
    currency: Currency,
    lines: &[LineAmount],
) -> Result<DiscountedTotals, DiscountError> {
    for (index, line) in lines.iter().enumerate() {
        if line.amount.currency() != currency {
            return Err(MoneyError::CurrencyMismatch {
                left: currency,
                right: line.amount.currency(),
            }
            .into());
        }
        if line.amount.is_negative() {
            return Err(DiscountError::NegativeLine { index });
        }
    }
    let subtotal = Money::checked_sum(currency, lines.iter().map(|l| l.amount))?;
    let eligible = Money::checked_sum(
        currency,
        lines.iter().filter(|l| l.eligible).map(|l| l.amount),
    )?;
    let eligible_minor = i128::from(eligible.minor());

    let total_discount: i128 = match discount {
        Discount::Percent { basis_points } => {
            let full = i128::from(BasisPoints::FULL);
            (eligible_minor * i128::from(basis_points.get()) + full / 2) / full
        }
        Discount::Fixed { amount } => {
            if amount.currency() != currency {
                return Err(MoneyError::CurrencyMismatch {
                    left: currency,
                    right: amount.currency(),
                }
                .into());
            }
            i128::from(amount.minor()).min(eligible_minor)
        }
    };

    // Largest-remainder allocation over eligible lines.
    let mut shares = vec![0_i128; lines.len()];
    let mut remainders = Vec::new();
    if eligible_minor > 0 {
        for (index, line) in lines.iter().enumerate().filter(|(_, l)| l.eligible) {
            let weighted = total_discount * i128::from(line.amount.minor());
            shares[index] = weighted / eligible_minor;
            remainders.push((weighted % eligible_minor, index));
        }
    }
    let allocated: i128 = shares.iter().sum();
    let leftover = usize::try_from(total_discount - allocated).unwrap_or(0);
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, index) in remainders.iter().take(leftover) {
        shares[index] += 1;
    }

    // Every share is between 0 and its line's amount, so these conversions cannot fail.
    let to_money = |minor: i128| {
        i64::try_from(minor)
            .map(|m| Money::new(m, currency))
            .map_err(|_| MoneyError::Overflow)
    };
    let mut out_lines = Vec::with_capacity(lines.len());
    for (line, share) in lines.iter().zip(&shares) {
        let discount = to_money(*share)?;
        out_lines.push(DiscountedLine {
            subtotal: line.amount,
            discount,
            total: line.amount.checked_sub(discount)?,
        });
    }
    let discount = to_money(total_discount)?;
    Ok(DiscountedTotals {
        subtotal,
        discount,
        total: subtotal.checked_sub(discount)?,
        lines: out_lines,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    fn line(minor: i64) -> LineAmount {
        LineAmount {
            amount: eur(minor),
            eligible: true,
        }
    }

    fn fixed(minor: i64) -> Discount {
        Discount::fixed(Price::from_minor(minor, Currency::EUR).unwrap()).unwrap()
    }

    #[test]
    fn promo_codes_are_normalised() {
        assert_eq!(
            PromoCode::parse(" summer-25_x ").unwrap().as_str(),
            "SUMMER-25_X"
        );
        assert_eq!(PromoCode::parse("").unwrap_err().code, "required");
        assert_eq!(PromoCode::parse("ab").unwrap_err().code, "too_short");
        assert_eq!(
            PromoCode::parse(&"A".repeat(41)).unwrap_err().code,
            "too_long"
        );
        assert!(PromoCode::parse(&"A".repeat(40)).is_ok());
        for bad in ["with space", "ÄBC", "abc!", "a.b.c", "ＡＢＣ"] {
            assert_eq!(
                PromoCode::parse(bad).unwrap_err().code,
                "invalid_characters",
                "{bad}"
            );
        }
        assert_eq!(
            serde_json::from_str::<PromoCode>("\"vip\"")
                .unwrap()
                .as_str(),
            "VIP"
        );
    }

    #[test]
    fn discount_bounds_and_json() {
        assert!(Discount::percent(0).is_err());
        assert!(Discount::percent(10_001).is_err());
        assert!(Discount::percent(10_000).is_ok());
        assert!(Discount::fixed(Price::free(Currency::EUR)).is_err());
        let json = serde_json::to_value(Discount::percent(2500).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "percent", "basis_points": 2500})
        );
        let json = serde_json::to_value(fixed(1000)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "fixed", "amount": {"amount": 1000, "currency": "EUR"}})
        );
        assert_eq!(
            serde_json::from_value::<Discount>(json).unwrap(),
            fixed(1000)
        );
        let zero = serde_json::json!({"kind": "fixed", "amount": {"amount": 0, "currency": "EUR"}});
        assert!(serde_json::from_value::<Discount>(zero).is_err());
        let too_much = serde_json::json!({"kind": "percent", "basis_points": 20000});
        assert!(serde_json::from_value::<Discount>(too_much).is_err());
    }

    #[test]
    fn a_fixed_discount_is_split_by_largest_remainder() {
        // €10 over €10 / €10 / €10: 3.33 each and one cent left, to the first line.
        let totals = apply(
            &fixed(1000),
            Currency::EUR,
            &[line(1000), line(1000), line(1000)],
        )
        .unwrap();
        let shares: Vec<i64> = totals.lines.iter().map(|l| l.discount.minor()).collect();
        assert_eq!(shares, [334, 333, 333]);
        assert_eq!(totals.discount, eur(1000));
        assert_eq!(totals.total, eur(2000));
    }

    #[test]
    fn a_fixed_discount_never_exceeds_the_eligible_subtotal() {
        let lines = [
            line(500),
            LineAmount {
                amount: eur(2000),
                eligible: false,
            },
        ];
        let totals = apply(&fixed(1000), Currency::EUR, &lines).unwrap();
        assert_eq!(totals.discount, eur(500));
        assert_eq!(totals.lines[0].total, eur(0));
        assert_eq!(totals.lines[1].discount, eur(0));
        assert_eq!(totals.total, eur(2000));
    }

    #[test]
    fn percent_rounds_half_up_on_the_eligible_subtotal() {
        // 12.5 % of €0.99 is 12.375 cents → 12.
        let totals = apply(
            &Discount::percent(1250).unwrap(),
            Currency::EUR,
            &[line(99)],
        )
        .unwrap();
        assert_eq!(totals.discount, eur(12));
        // 50 % of 3 cents is 1.5 → 2.
        let totals = apply(&Discount::percent(5000).unwrap(), Currency::EUR, &[line(3)]).unwrap();
        assert_eq!(totals.discount, eur(2));
        let free = apply(
            &Discount::percent(10_000).unwrap(),
            Currency::EUR,
            &[line(1234), line(1)],
        )
        .unwrap();
        assert_eq!(free.total, eur(0));
    }

    #[test]
    fn nothing_to_discount_is_not_an_error() {
        let totals = apply(&fixed(1000), Currency::EUR, &[]).unwrap();
        assert_eq!(totals.total, eur(0));
        let free_lines = apply(&fixed(1000), Currency::EUR, &[line(0), line(0)]).unwrap();
        assert_eq!(free_lines.discount, eur(0));
    }

    #[test]
    fn mixed_currencies_and_negative_lines_are_refused() {
        let usd = LineAmount {
            amount: Money::new(100, Currency::USD),
            eligible: true,
        };
        assert!(matches!(
            apply(&fixed(100), Currency::EUR, &[usd]),
            Err(DiscountError::Money(MoneyError::CurrencyMismatch { .. }))
        ));
        let usd_fixed = Discount::fixed(Price::from_minor(100, Currency::USD).unwrap()).unwrap();
        assert!(apply(&usd_fixed, Currency::EUR, &[line(100)]).is_err());
        assert_eq!(
            apply(&fixed(100), Currency::EUR, &[line(100), line(-1)]),
            Err(DiscountError::NegativeLine { index: 1 })
        );
    }

    fn discount_strategy() -> impl Strategy<Value = Discount> {
        prop_oneof![
            (1_u32..=10_000).prop_map(|bp| Discount::percent(bp).unwrap()),
            (1_i64..=Price::MAX_MINOR).prop_map(fixed),
            (1_i64..=10_000).prop_map(fixed),
        ]
    }

    fn lines_strategy() -> impl Strategy<Value = Vec<LineAmount>> {
        proptest::collection::vec(
            (0_i64..=Price::MAX_MINOR * 1000, any::<bool>(), 0_u8..4).prop_map(
                |(big, eligible, scale)| {
                    // Mix tiny and huge lines so rounding and i128 paths both get exercised.
                    let minor = match scale {
                        0 => big % 100,
                        1 => big % 100_000,
                        _ => big,
                    };
                    LineAmount {
                        amount: eur(minor),
                        eligible,
                    }
                },
            ),
            0..12,
        )
    }

    proptest! {
        #[test]
        fn allocations_add_up_and_stay_in_bounds(discount in discount_strategy(), lines in lines_strategy()) {
            let totals = apply(&discount, Currency::EUR, &lines).unwrap();
            let eligible: i64 = lines.iter().filter(|l| l.eligible).map(|l| l.amount.minor()).sum();
            prop_assert!(totals.total.minor() >= 0);
            prop_assert!(totals.discount.minor() >= 0);
            prop_assert!(totals.discount.minor() <= eligible);
            prop_assert!(totals.discount.minor() <= totals.subtotal.minor());
            let line_discounts: i64 = totals.lines.iter().map(|l| l.discount.minor()).sum();
            let line_totals: i64 = totals.lines.iter().map(|l| l.total.minor()).sum();
            prop_assert_eq!(line_discounts, totals.discount.minor());
            prop_assert_eq!(line_totals, totals.total.minor());
            for (input, out) in lines.iter().zip(&totals.lines) {
                prop_assert!(out.discount.minor() >= 0);
                prop_assert!(out.total.minor() >= 0);
                prop_assert_eq!(out.subtotal, input.amount);
                if !input.eligible {
                    prop_assert_eq!(out.discount.minor(), 0);
                }
                if eligible > 0 && input.eligible {
                    // Within one minor unit of the exact proportional share.
                    let exact = i128::from(totals.discount.minor()) * i128::from(input.amount.minor());
                    let share = i128::from(out.discount.minor()) * i128::from(eligible);
                    prop_assert!((share - exact).abs() < i128::from(eligible));
                }
            }
        }

        #[test]
        fn promo_parsing_never_panics(text in "\\PC{0,60}") {
            if let Ok(code) = PromoCode::parse(&text) {
                prop_assert_eq!(PromoCode::parse(code.as_str()), Ok(code.clone()));
                prop_assert!(code.as_str().bytes().all(|b| !b.is_ascii_lowercase()));
            }
        }
    }
}
