//! Money as integer minor units of an ISO 4217 currency.
//!
//! Floats cannot represent 0.10 exactly and drift under addition, so every amount is an `i64`
//! count of the currency's minor unit (cents for EUR, yen for JPY, fils for BHD). The number of
//! minor units per major unit comes from the built-in table below, which is ISO 4217's "minor
//! unit" column; a payment adapter whose provider deviates from ISO for a currency converts at
//! its own edge.
//!
//! On the wire (and in JSON generally) an amount is `{"amount": 1250, "currency": "EUR"}`:
//! `amount` is in **minor units**, so that is €12.50. Clients format it with the currency's
//! exponent; they never send or receive decimal strings for money.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::validation::FieldError;

/// One row of the currency table.
struct CurrencyInfo {
    code: &'static str,
    /// Minor units per major unit as a power of ten (ISO 4217 "minor unit").
    exponent: u8,
    /// The English-locale (CLDR `en`) symbol, only where it is unambiguous enough to show
    /// before the number; other currencies are shown with their code.
    symbol: Option<&'static str>,
}

const fn info(code: &'static str, exponent: u8, symbol: Option<&'static str>) -> CurrencyInfo {
    CurrencyInfo {
        code,
        exponent,
        symbol,
    }
}

/// Currencies we accept, sorted by code. Withdrawn currencies are left out on purpose: HRK
/// (Croatia, euro since 2023) and BGN (Bulgaria, euro since 2026). Funds and units of account
/// (CLF, UYW, XDR, precious metals) are not prices.
static CURRENCIES: [CurrencyInfo; 81] = [
    info("AED", 2, None),
    info("ALL", 2, None),
    info("AMD", 2, None),
    info("ARS", 2, None),
    info("AUD", 2, Some("A$")),
    info("AZN", 2, None),
    info("BAM", 2, None),
    info("BDT", 2, None),
    info("BHD", 3, None),
    info("BIF", 0, None),
    info("BRL", 2, Some("R$")),
    info("CAD", 2, Some("CA$")),
    info("CHF", 2, None),
    info("CLP", 0, None),
    info("CNY", 2, Some("CN¥")),
    info("COP", 2, None),
    info("CZK", 2, None),
    info("DJF", 0, None),
    info("DKK", 2, None),
    info("DZD", 2, None),
    info("EGP", 2, None),
    info("EUR", 2, Some("€")),
    info("GBP", 2, Some("£")),
    info("GEL", 2, None),
    info("GHS", 2, None),
    info("GNF", 0, None),
    info("HKD", 2, Some("HK$")),
    info("HUF", 2, None),
    info("IDR", 2, None),
    info("ILS", 2, Some("₪")),
    info("INR", 2, Some("₹")),
    info("IQD", 3, None),
    info("ISK", 0, None),
    info("JOD", 3, None),
    info("JPY", 0, Some("¥")),
    info("KES", 2, None),
    info("KMF", 0, None),
    info("KRW", 0, Some("₩")),
    info("KWD", 3, None),
    info("KZT", 2, None),
    info("LBP", 2, None),
    info("LKR", 2, None),
    info("LYD", 3, None),
    info("MAD", 2, None),
    info("MDL", 2, None),
    info("MKD", 2, None),
    info("MXN", 2, Some("MX$")),
    info("MYR", 2, None),
    info("NGN", 2, None),
    info("NOK", 2, None),
    info("NZD", 2, Some("NZ$")),
    info("OMR", 3, None),
    info("PEN", 2, None),
    info("PHP", 2, Some("₱")),
    info("PKR", 2, None),
    info("PLN", 2, None),
    info("PYG", 0, None),
    info("QAR", 2, None),
    info("RON", 2, None),
    info("RSD", 2, None),
    info("RWF", 0, None),
    info("SAR", 2, None),
    info("SEK", 2, None),
    info("SGD", 2, None),
    info("THB", 2, None),
    info("TND", 3, None),
    info("TRY", 2, None),
    info("TWD", 2, Some("NT$")),
    info("TZS", 2, None),
    info("UAH", 2, None),
    info("UGX", 0, None),
    info("USD", 2, Some("$")),
    info("UYU", 2, None),
    info("UZS", 2, None),
    info("VND", 0, Some("₫")),
    info("VUV", 0, None),
    info("XAF", 0, None),
    info("XOF", 0, None),
    info("XPF", 0, None),
    info("YER", 2, None),
    info("ZAR", 2, None),
];

/// Looks a code up at compile time, so `Currency::EUR` cannot point at the wrong row.
const fn index_of(code: &str) -> u8 {
    let wanted = code.as_bytes();
    let mut i = 0;
    while i < CURRENCIES.len() {
        let have = CURRENCIES[i].code.as_bytes();
        if have[0] == wanted[0] && have[1] == wanted[1] && have[2] == wanted[2] {
            return i as u8;
        }
        i += 1;
    }
    panic!("currency missing from the table");
}

/// An ISO 4217 currency from the built-in table: an uppercase three-letter code with a known
/// number of decimals. Cheap to copy (an index into the table).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(u8);

impl Currency {
    pub const EUR: Currency = Currency(index_of("EUR"));
    pub const USD: Currency = Currency(index_of("USD"));
    pub const GBP: Currency = Currency(index_of("GBP"));
    pub const CHF: Currency = Currency(index_of("CHF"));
    pub const JPY: Currency = Currency(index_of("JPY"));
    pub const BAM: Currency = Currency(index_of("BAM"));
    pub const BHD: Currency = Currency(index_of("BHD"));

    /// Parses a currency code. Lower case is accepted (Stripe sends `"eur"`) and normalised
    /// to upper case; codes not in the table are refused rather than guessed at, because
    /// the exponent decides what an amount means.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let text = input.trim();
        if text.len() != 3 || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(FieldError::new(
                "invalid_currency",
                "Use a three-letter ISO 4217 currency code such as EUR.",
            ));
        }
        let upper = text.to_ascii_uppercase();
        CURRENCIES
            .binary_search_by(|row| row.code.cmp(upper.as_str()))
            .map(|index| Currency(index as u8))
            .map_err(|_| {
                FieldError::new(
                    "unsupported_currency",
                    format!("The currency {upper} is not supported."),
                )
            })
    }

    fn info(self) -> &'static CurrencyInfo {
        &CURRENCIES[usize::from(self.0)]
    }

    /// The uppercase ISO 4217 code, e.g. `"EUR"`.
    pub fn code(self) -> &'static str {
        self.info().code
    }

    /// Decimal places of the minor unit: 2 for EUR, 0 for JPY, 3 for BHD.
    pub fn exponent(self) -> u8 {
        self.info().exponent
    }

    /// Minor units in one major unit (`10^exponent`).
    pub fn minor_per_major(self) -> i64 {
        10_i64.pow(u32::from(self.exponent()))
    }

    /// The display symbol where one is unambiguous in English (`€`, `£`, `CA$`).
    pub fn symbol(self) -> Option<&'static str> {
        self.info().symbol
    }

    /// Every supported currency, sorted by code (for pickers and documentation).
    pub fn all() -> impl Iterator<Item = Currency> {
        (0..CURRENCIES.len()).map(|index| Currency(index as u8))
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why money arithmetic refused to give an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Adding euros to dollars is a bug upstream, never a conversion.
    #[error("cannot combine {left} with {right}")]
    CurrencyMismatch { left: Currency, right: Currency },
    /// The result does not fit in an `i64` of minor units.
    #[error("amount out of range")]
    Overflow,
}

impl MoneyError {
    /// A stable `snake_case` code for API errors.
    pub fn code(self) -> &'static str {
        match self {
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::Overflow => "amount_too_large",
        }
    }
}

/// An amount of money: signed minor units of one currency.
///
/// Signed because differences (refund deltas, balances) are money too; prices, which can never
/// be negative, are [`Price`]. Serialised as `{"amount": <minor units>, "currency": "EUR"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "MoneyWire", from = "MoneyWire")]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// The JSON shape of money. `amount` is in minor units.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyWire {
    amount: i64,
    currency: Currency,
}

impl From<Money> for MoneyWire {
    fn from(money: Money) -> Self {
        Self {
            amount: money.minor,
            currency: money.currency,
        }
    }
}

impl From<MoneyWire> for Money {
    fn from(wire: MoneyWire) -> Self {
        Money::new(wire.amount, wire.currency)
    }
}

/// Longest decimal text `parse_decimal` looks at; anything longer cannot fit an `i64` anyway.
const MAX_DECIMAL_LEN: usize = 32;

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub const fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    /// The amount in minor units (cents for EUR).
    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// The amount times a quantity, e.g. a line total from a unit price.
    pub fn checked_mul(self, quantity: u32) -> Result<Money, MoneyError> {
        let minor = self
            .minor
            .checked_mul(i64::from(quantity))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// Adds up amounts that must all be in `currency`; the empty sum is zero.
    pub fn checked_sum(
        currency: Currency,
        amounts: impl IntoIterator<Item = Money>,
    ) -> Result<Money, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Money::zero(currency), Money::checked_add)
    }

    /// Parses a plain decimal such as `"12.50"`, `"12.5"`, `"12"` or `"-3.00"` in `currency`.
    ///
    /// Deliberately strict: no thousands separators, no exponent, no comma decimal mark, and
    /// no more decimals than the currency has (`"12.505"` EUR is an error, not a rounding),
    /// so a typo never silently becomes a different price.
    pub fn parse_decimal(input: &str, currency: Currency) -> Result<Money, FieldError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(FieldError::new("required", "Enter an amount."));
        }
        let invalid = || FieldError::new("invalid_amount", "Enter an amount such as 12.50.");
        if text.len() > MAX_DECIMAL_LEN {
            return Err(invalid());
        }
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (unsigned, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
            return Err(invalid());
        }
        let fraction = fraction.unwrap_or("");
        let exponent = usize::from(currency.exponent());
        if fraction.len() > exponent {
            return Err(FieldError::new(
                "too_precise",
                format!("{currency} amounts have at most {exponent} decimal places."),
            ));
        }
        let too_large = || FieldError::new("too_large", "The amount is too large.");
        let padded = fraction
            .bytes()
            .chain(std::iter::repeat_n(b'0', exponent - fraction.len()));
        let mut minor: i64 = 0;
        for digit in whole.bytes().chain(padded) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(digit - b'0')))
                .ok_or_else(too_large)?;
        }
        Ok(Money::new(if negative { -minor } else { minor }, currency))
    }

    /// The amount as a plain decimal with exactly the currency's decimals: `"12.50"`,
    /// `"1200"` for JPY, `"-0.05"`. The inverse of [`Money::parse_decimal`].
    pub fn to_decimal_string(self) -> String {
        self.decimal(false)
    }

    /// A human rendering for pages and emails: the symbol before the number where the
    /// currency has a well-known one (`€1,234.50`, `¥1,200`, `-£3.00`), otherwise the code
    /// (`CHF 12.50`). English-style grouping; a localised renderer can replace it later.
    pub fn format_display(self) -> String {
        let number = self.decimal(true);
        let (sign, digits) = match number.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", number.as_str()),
        };
        match self.currency.symbol() {
            Some(symbol) => format!("{sign}{symbol}{digits}"),
            None => format!("{sign}{} {digits}", self.currency.code()),
        }
    }

    fn decimal(self, group_thousands: bool) -> String {
        let exponent = u32::from(self.currency.exponent());
        let scale = 10_u64.pow(exponent);
        let abs = self.minor.unsigned_abs();
        let mut whole = (abs / scale).to_string();
        if group_thousands {
            whole = group(&whole);
        }
        let sign = if self.minor < 0 { "-" } else { "" };
        if exponent == 0 {
            format!("{sign}{whole}")
        } else {
            let width = exponent as usize;
            format!("{sign}{whole}.{:0width$}", abs % scale)
        }
    }
}

/// Inserts a comma every three digits from the right.
fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `12.50 EUR`: unambiguous, locale-free, and parseable back (logs, CSV exports, emails' plain
/// text). For people, prefer [`Money::format_display`].
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// A price: money that is never negative and never absurdly large.
///
/// The upper bound ([`Price::MAX_MINOR`], 10^12 minor units — ten billion euros) keeps a line
/// total (at most 1000 tickets) and an order total far from `i64` overflow, so the arithmetic
/// on prices only fails on genuinely broken input. Zero is a valid price: free tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "MoneyWire", try_from = "MoneyWire")]
pub struct Price(Money);

impl Price {
    pub const MAX_MINOR: i64 = 1_000_000_000_000;

    pub fn new(money: Money) -> Result<Self, FieldError> {
        if money.is_negative() {
            return Err(FieldError::new(
                "negative_price",
                "A price cannot be negative.",
            ));
        }
        if money.minor > Self::MAX_MINOR {
            return Err(FieldError::new("too_large", "The price is too large."));
        }
        Ok(Self(money))
    }

    pub fn from_minor(minor: i64, currency: Currency) -> Result<Self, FieldError> {
        Self::new(Money::new(minor, currency))
    }

    pub const fn free(currency: Currency) -> Self {
        Self(Money::zero(currency))
    }

    pub fn parse_decimal(input: &str, currency: Currency) -> Result<Self, FieldError> {
        Self::new(Money::parse_decimal(input, currency)?)
    }

    pub fn money(self) -> Money {
        self.0
    }

    pub fn minor(self) -> i64 {
        self.0.minor
    }

    pub fn currency(self) -> Currency {
        self.0.currency
    }

    pub fn is_free(self) -> bool {
        self.0.is_zero()
    }

    /// Unit price times quantity. The result is plain [`Money`] because a line total may
    /// legitimately exceed [`Price::MAX_MINOR`].
    pub fn checked_mul(self, quantity: u32) -> Result<Money, MoneyError> {
        self.0.checked_mul(quantity)
    }

    /// For values read back from our own database, which only ever stores checked prices.
    pub fn from_trusted(money: Money) -> Self {
        Self(money)
    }
}

impl From<Price> for Money {
    fn from(price: Price) -> Self {
        price.0
    }
}

impl From<Price> for MoneyWire {
    fn from(price: Price) -> Self {
        price.0.into()
    }
}

impl TryFrom<MoneyWire> for Price {
    type Error = FieldError;
    fn try_from(wire: MoneyWire) -> Result<Self, Self::Error> {
        Price::new(Money::from(wire))
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    #[test]
    fn the_table_is_sorted_unique_and_well_formed() {
        for pair in CURRENCIES.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} before {}",
                pair[0].code,
                pair[1].code
            );
        }
        for row in &CURRENCIES {
            assert_eq!(row.code.len(), 3);
            assert!(row.code.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(row.exponent <= 3);
        }
        assert_eq!(Currency::all().count(), CURRENCIES.len());
    }

    #[test]
    fn currencies_parse_case_insensitively_and_know_their_exponent() {
        assert_eq!(Currency::parse("eur").unwrap(), Currency::EUR);
        assert_eq!(Currency::parse(" EUR ").unwrap().code(), "EUR");
        assert_eq!(Currency::JPY.exponent(), 0);
        assert_eq!(Currency::BHD.exponent(), 3);
        assert_eq!(Currency::parse("KWD").unwrap().minor_per_major(), 1000);
        assert_eq!(Currency::parse("BAM").unwrap(), Currency::BAM);
        assert_eq!(Currency::parse("EU").unwrap_err().code, "invalid_currency");
        assert_eq!(Currency::parse("E1R").unwrap_err().code, "invalid_currency");
        assert_eq!(Currency::parse("ÉUR").unwrap_err().code, "invalid_currency");
        // Withdrawn currencies and made-up codes are not guessed at.
        assert_eq!(
            Currency::parse("HRK").unwrap_err().code,
            "unsupported_currency"
        );
        assert_eq!(
            Currency::parse("XYZ").unwrap_err().code,
            "unsupported_currency"
        );
    }

    #[test]
    fn arithmetic_refuses_mixed_currencies_and_overflow() {
        let usd = Money::new(100, Currency::USD);
        assert_eq!(
            eur(100).checked_add(usd),
            Err(MoneyError::CurrencyMismatch {
                left: Currency::EUR,
                right: Currency::USD
            })
        );
        assert!(eur(100).checked_sub(usd).is_err());
        assert_eq!(eur(i64::MAX).checked_add(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MIN).checked_sub(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(
            eur(i64::MAX / 2 + 1).checked_mul(2),
            Err(MoneyError::Overflow)
        );
        assert_eq!(eur(1250).checked_mul(3), Ok(eur(3750)));
        assert_eq!(
            Money::checked_sum(Currency::EUR, [eur(1), eur(2)]),
            Ok(eur(3))
        );
        assert_eq!(Money::checked_sum(Currency::EUR, []), Ok(eur(0)));
        assert!(Money::checked_sum(Currency::EUR, [usd]).is_err());
    }

    #[test]
    fn decimals_parse_strictly() {
        let parse = |t: &str| Money::parse_decimal(t, Currency::EUR);
        assert_eq!(parse("12.50"), Ok(eur(1250)));
        assert_eq!(parse("12.5"), Ok(eur(1250)));
        assert_eq!(parse("12"), Ok(eur(1200)));
        assert_eq!(parse(" 0.01 "), Ok(eur(1)));
        assert_eq!(parse("-3.00"), Ok(eur(-300)));
        assert_eq!(
            Money::parse_decimal("1200", Currency::JPY),
            Ok(Money::new(1200, Currency::JPY))
        );
        assert_eq!(
            Money::parse_decimal("1.234", Currency::BHD)
                .unwrap()
                .minor(),
            1234
        );
        assert_eq!(parse("12.505").unwrap_err().code, "too_precise");
        assert_eq!(
            Money::parse_decimal("12.0", Currency::JPY)
                .unwrap_err()
                .code,
            "too_precise"
        );
        assert_eq!(parse("").unwrap_err().code, "required");
        for bad in [
            "12,50", "1,000.00", ".5", "12.", "+1", "1e3", "--1", "- 1", "€12", "NaN", "１２",
        ] {
            assert_eq!(parse(bad).unwrap_err().code, "invalid_amount", "{bad}");
        }
        assert_eq!(parse("99999999999999999999").unwrap_err().code, "too_large");
        assert_eq!(parse(&"9".repeat(40)).unwrap_err().code, "invalid_amount");
    }

    #[test]
    fn money_displays_with_code_and_with_symbol() {
        assert_eq!(eur(1250).to_string(), "12.50 EUR");
        assert_eq!(eur(-5).to_string(), "-0.05 EUR");
        assert_eq!(Money::new(1200, Currency::JPY).to_string(), "1200 JPY");
        assert_eq!(Money::new(1234, Currency::BHD).to_string(), "1.234 BHD");
        assert_eq!(eur(1250).format_display(), "€12.50");
        assert_eq!(eur(123_456_789).format_display(), "€1,234,567.89");
        assert_eq!(Money::new(-300, Currency::GBP).format_display(), "-£3.00");
        assert_eq!(Money::new(1200, Currency::JPY).format_display(), "¥1,200");
        assert_eq!(
            Money::new(1250, Currency::CHF).format_display(),
            "CHF 12.50"
        );
        assert_eq!(
            Money::new(100_000, Currency::BAM).format_display(),
            "BAM 1,000.00"
        );
        assert_eq!(eur(i64::MIN).to_string(), "-92233720368547758.08 EUR");
    }

    #[test]
    fn money_serialises_as_minor_units_with_a_code() {
        let json = serde_json::to_value(eur(1250)).unwrap();
        assert_eq!(json, serde_json::json!({"amount": 1250, "currency": "EUR"}));
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, eur(1250));
        assert!(serde_json::from_str::<Money>(r#"{"amount": 1, "currency": "XYZ"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount": 1.5, "currency": "EUR"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount": "1", "currency": "EUR"}"#).is_err());
    }

    #[test]
    fn prices_are_never_negative_or_absurd() {
        assert_eq!(
            Price::from_minor(-1, Currency::EUR).unwrap_err().code,
            "negative_price"
        );
        assert_eq!(
            Price::parse_decimal("-0.01", Currency::EUR)
                .unwrap_err()
                .code,
            "negative_price"
        );
        assert_eq!(
            Price::from_minor(Price::MAX_MINOR + 1, Currency::EUR)
                .unwrap_err()
                .code,
            "too_large"
        );
        assert!(Price::from_minor(0, Currency::EUR).unwrap().is_free());
        assert!(serde_json::from_str::<Price>(r#"{"amount": -1, "currency": "EUR"}"#).is_err());
        let price: Price = serde_json::from_str(r#"{"amount": 2500, "currency": "usd"}"#).unwrap();
        assert_eq!(price.minor(), 2500);
        assert_eq!(price.currency(), Currency::USD);
        // The largest price times the largest line quantity still fits.
        assert!(Price::from_minor(Price::MAX_MINOR, Currency::EUR)
            .unwrap()
            .checked_mul(1000)
            .is_ok());
    }

    fn any_currency() -> impl Strategy<Value = Currency> {
        (0..CURRENCIES.len()).prop_map(|i| Currency(i as u8))
    }

    proptest! {
        #[test]
        fn addition_is_exact_or_reports_overflow(a: i64, b: i64, currency in any_currency()) {
            let sum = Money::new(a, currency).checked_add(Money::new(b, currency));
            let expected = a.checked_add(b).map(|m| Money::new(m, currency)).ok_or(MoneyError::Overflow);
            prop_assert_eq!(sum, expected);
        }

        #[test]
        fn subtraction_undoes_addition(a in -(1_i64 << 60)..(1 << 60), b in -(1_i64 << 60)..(1 << 60)) {
            let total = eur(a).checked_add(eur(b)).unwrap();
            prop_assert_eq!(total.checked_sub(eur(b)), Ok(eur(a)));
        }

        #[test]
        fn multiplication_matches_repeated_addition(a in -1_000_000_i64..1_000_000, q in 0_u32..200) {
            let product = eur(a).checked_mul(q).unwrap();
            let repeated = Money::checked_sum(Currency::EUR, std::iter::repeat_n(eur(a), q as usize));
            prop_assert_eq!(Ok(product), repeated);
        }

        #[test]
        fn multiplication_reports_overflow(a: i64, q: u32) {
            let product = eur(a).checked_mul(q);
            let expected = a.checked_mul(i64::from(q)).map(eur).ok_or(MoneyError::Overflow);
            prop_assert_eq!(product, expected);
        }

        #[test]
        fn decimal_text_round_trips(minor in (i64::MIN + 1)..=i64::MAX, currency in any_currency()) {
            let money = Money::new(minor, currency);
            let text = money.to_decimal_string();
            prop_assert_eq!(Money::parse_decimal(&text, currency), Ok(money));
            let display = money.to_string();
            prop_assert!(display.ends_with(currency.code()));
        }

        #[test]
        fn json_round_trips(minor: i64, currency in any_currency()) {
            let money = Money::new(minor, currency);
            let json = serde_json::to_string(&money).unwrap();
            prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
        }

        #[test]
        fn parse_decimal_never_panics(text in "\\PC{0,40}") {
            let _ = Money::parse_decimal(&text, Currency::EUR);
            let _ = Currency::parse(&text);
        }
    }
}
