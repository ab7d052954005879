//! The languages Bilten speaks: English, German and Spanish.
//!
//! - [`Locale`] is one of them; [`Locale::negotiate`] picks one from an `Accept-Language`
//!   header (q-values honoured), [`Locale::parse`] reads a stored or chosen one.
//! - [`t`] looks a message up in the locale's [Fluent](https://projectfluent.org) catalog.
//!   The catalogs are the `.ftl` files under `locales/<code>/`, compiled into the binary with
//!   `include_str!`, so a deployment cannot lose one. A message missing in a catalog (the
//!   completeness test makes that a failing build, see `catalog_check`) falls back to English,
//!   then to its key.
//! - [`format`] writes dates, times, numbers and money the way the locale's readers expect,
//!   from the Unicode CLDR data that ICU4X compiles in (no hand-made patterns).
//!
//! Adding a language: a variant here (with its code, name and text direction), a folder of
//! `.ftl` files with every key, and its entry in [`catalog`]. The completeness test names
//! whatever is missing.

mod catalog;
#[cfg(test)]
mod catalog_check;
pub mod format;

use std::borrow::Cow;
use std::fmt;

pub use catalog::{has_message, t};

/// A language Bilten is translated into. On the wire and in the database it is its code
/// (`"en"`, `"de"`, `"es"`): `orders.locale`, `event_translations.locale`, the API's
/// `locale` fields.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// English, the default and the fallback for any message a catalog lacks.
    #[default]
    En,
    De,
    Es,
}

/// The direction text runs in: `dir="ltr"` or `dir="rtl"` on `<html>`. Every language we
/// ship is left-to-right; the stylesheet uses logical properties only, so adding Arabic or
/// Hebrew needs a catalog and its variant here, not new CSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ltr,
    Rtl,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ltr => "ltr",
            Self::Rtl => "rtl",
        }
    }
}

impl Locale {
    /// Every locale, in the order the language switcher lists them.
    pub const ALL: [Locale; 3] = [Locale::En, Locale::De, Locale::Es];

    /// The BCP 47 tag we use for it: `lang` attributes, cookies, the `orders.locale` column.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Es => "es",
        }
    }

    /// The language's name in itself, for the language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::De => "Deutsch",
            Self::Es => "Español",
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            Self::En | Self::De | Self::Es => Direction::Ltr,
        }
    }

    /// A language tag (`de`, `de-AT`, `ES`, `en_GB`) as one of ours, by its primary language
    /// subtag; `None` for a language we do not ship.
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Self::ALL
            .into_iter()
            .find(|locale| locale.code().eq_ignore_ascii_case(primary))
    }

    /// The best of our locales for an `Accept-Language` header (RFC 9110 §12.5.4): the
    /// supported language with the highest q-value, the earlier one on a tie; `q=0` refuses a
    /// language. `None` when the header names none of ours (the caller falls back to
    /// English), also for `*` alone.
    pub fn negotiate(accept_language: &str) -> Option<Self> {
        let mut best: Option<(Locale, u16)> = None;
        for range in accept_language.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let quality = parts
                .find_map(|param| {
                    let (name, value) = param.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("q")
                        .then(|| parse_quality(value.trim()))
                })
                .unwrap_or(Some(1000));
            let (Some(locale), Some(quality)) = (Self::parse(tag), quality) else {
                continue;
            };
            if quality == 0 {
                continue;
            }
            if best.is_none_or(|(_, q)| quality > q) {
                best = Some((locale, quality));
            }
        }
        best.map(|(locale, _)| locale)
    }

    /// The first of a request's `Accept-Language` headers that names one of ours.
    pub fn negotiate_all<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        headers.into_iter().find_map(Self::negotiate)
    }

    /// A message of this locale's catalog without arguments: `locale.t("nav-events")`.
    pub fn t(self, key: &str) -> String {
        t(self, key, &[])
    }
}

/// Stored as its code, read back through the store's typed columns (a code outside the enum
/// is a corrupt row, never English made up).
impl bilten_domain::TextEnum for Locale {
    const ALL: &'static [Self] = &Locale::ALL;

    fn as_str(self) -> &'static str {
        self.code()
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A q-value (`0`, `0.8`, `1.000`) in thousandths; `None` when malformed (the range is then
/// ignored, as RFC 9110 allows).
fn parse_quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// A value for a message's `{ $variable }`.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    Text(Cow<'a, str>),
    /// A count: selects the plural form (`{ $count -> [one] … *[other] … }`) and is written
    /// with the locale's digits and grouping.
    Number(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Self::Text(Cow::Borrowed(value))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Self::Text(Cow::Borrowed(value))
    }
}

impl From<String> for Arg<'_> {
    fn from(value: String) -> Self {
        Self::Text(Cow::Owned(value))
    }
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Self::Number(value)
    }
}

impl From<i32> for Arg<'_> {
    fn from(value: i32) -> Self {
        Self::Number(i64::from(value))
    }
}

impl From<u32> for Arg<'_> {
    fn from(value: u32) -> Self {
        Self::Number(i64::from(value))
    }
}

impl From<usize> for Arg<'_> {
    fn from(value: usize) -> Self {
        Self::Number(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_read_by_their_primary_language() {
        assert_eq!(Locale::parse("de"), Some(Locale::De));
        assert_eq!(Locale::parse("de-AT"), Some(Locale::De));
        assert_eq!(Locale::parse("ES_mx"), Some(Locale::Es));
        assert_eq!(Locale::parse(" en-GB "), Some(Locale::En));
        assert_eq!(Locale::parse("fr"), None);
        assert_eq!(Locale::parse(""), None);
        for locale in Locale::ALL {
            assert_eq!(Locale::parse(locale.code()), Some(locale));
        }
    }

    #[test]
    fn accept_language_picks_the_supported_language_with_the_highest_q() {
        assert_eq!(Locale::negotiate("de"), Some(Locale::De));
        assert_eq!(
            Locale::negotiate("fr-CH, fr;q=0.9, es;q=0.8, de;q=0.7, *;q=0.5"),
            Some(Locale::Es)
        );
        assert_eq!(Locale::negotiate("en;q=0.3, de-DE;q=0.9"), Some(Locale::De));
        // A tie goes to the earlier one; an explicit q=1 equals none.
        assert_eq!(Locale::negotiate("es, de;q=1.0"), Some(Locale::Es));
        // q=0 means "not this one".
        assert_eq!(Locale::negotiate("de;q=0, es;q=0.1"), Some(Locale::Es));
        assert_eq!(Locale::negotiate("de;q=0"), None);
        // Nothing of ours, a wildcard alone, malformed q-values.
        assert_eq!(Locale::negotiate("fr, it"), None);
        assert_eq!(Locale::negotiate("*"), None);
        assert_eq!(Locale::negotiate(""), None);
        assert_eq!(Locale::negotiate("de;q=2, es;q=0.5"), Some(Locale::Es));
        assert_eq!(Locale::negotiate("de;q=abc"), None);
    }

    #[test]
    fn a_locale_is_its_code_on_the_wire_and_in_the_database() {
        use bilten_domain::TextEnum as _;
        for locale in Locale::ALL {
            let json = serde_json::to_string(&locale).unwrap();
            assert_eq!(json, format!("\"{}\"", locale.code()));
            assert_eq!(serde_json::from_str::<Locale>(&json).unwrap(), locale);
            assert_eq!(
                <Locale as bilten_domain::TextEnum>::parse(locale.code()),
                Some(locale)
            );
            assert_eq!(locale.as_str(), locale.code());
        }
        assert!(serde_json::from_str::<Locale>("\"fr\"").is_err());
        // Stored codes are exact: `DE` is not a stored code (a request's tag goes through
        // `Locale::parse`).
        assert_eq!(<Locale as bilten_domain::TextEnum>::parse("DE"), None);
    }

    #[test]
    fn quality_values_are_read_in_thousandths() {
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1.000"), Some(1000));
        assert_eq!(parse_quality("0.8"), Some(800));
        assert_eq!(parse_quality("0.125"), Some(125));
        assert_eq!(parse_quality("0"), Some(0));
        assert_eq!(parse_quality("0.1234"), None);
        assert_eq!(parse_quality("1.5"), None);
        assert_eq!(parse_quality("-1"), None);
    }
}
