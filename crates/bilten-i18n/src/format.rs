//! Dates, times, numbers and money as a locale's readers write them, from Unicode CLDR data
//! through ICU4X (`icu_datetime`, `icu_decimal`, with their compiled-in data).
//!
//! Times are shown in the **event's** zone (a concert in Lisbon starts at 21:00 Lisbon time
//! wherever the reader is): the caller passes the zone, chrono-tz turns the instant into that
//! zone's wall-clock time, ICU4X writes it. The zone's abbreviation (`CET`) comes from the
//! time-zone database, which has one name for all languages.
//!
//! English is written with British English (`en-GB`) conventions: a 24-hour clock and the
//! day before the month, which is what the site showed before it spoke other languages and
//! what a European ticket reader expects; the words stay the catalog's.
//!
//! Formatters are built once per locale (they hold references to the compiled data) and
//! shared.

use std::sync::LazyLock;

use bilten_domain::Money;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use icu_calendar::Gregorian;
use icu_datetime::fieldsets;
use icu_datetime::input::{Date, DateTime as IcuDateTime, Time};
use icu_datetime::options::TimePrecision;
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_decimal::input::Decimal;
use icu_decimal::options::DecimalFormatterOptions;
use icu_decimal::DecimalFormatter;
use icu_locale_core::{locale, Locale as IcuLocale};

use crate::Locale;

/// The CLDR locale whose conventions `locale` is written in.
fn cldr(locale: Locale) -> IcuLocale {
    match locale {
        Locale::En => locale!("en-GB"),
        Locale::De => locale!("de"),
        Locale::Es => locale!("es"),
    }
}

struct Formatters {
    /// `Sat, 12 Dec 2026, 19:00`
    date_time: FixedCalendarDateTimeFormatter<Gregorian, fieldsets::YMDET>,
    /// `Saturday 12 December 2026, 19:00`
    long_date_time: FixedCalendarDateTimeFormatter<Gregorian, fieldsets::YMDET>,
    /// `Sat, 12 Dec 2026`
    date: FixedCalendarDateTimeFormatter<Gregorian, fieldsets::YMDE>,
    /// `19:00`
    time: FixedCalendarDateTimeFormatter<Gregorian, fieldsets::T>,
    /// `12 Dec 2026`
    day_month_year: FixedCalendarDateTimeFormatter<Gregorian, fieldsets::YMD>,
    /// `12 Dec`
    day_month: FixedCalendarDateTimeFormatter<Gregorian, fieldsets::MD>,
    decimal: DecimalFormatter,
}

impl Formatters {
    fn new(locale: Locale) -> Result<Self, String> {
        let error = |e: &dyn std::fmt::Display| format!("{locale}: {e}");
        Ok(Self {
            date_time: FixedCalendarDateTimeFormatter::try_new(
                cldr(locale).into(),
                fieldsets::YMDET::medium().with_time_precision(TimePrecision::Minute),
            )
            .map_err(|e| error(&e))?,
            long_date_time: FixedCalendarDateTimeFormatter::try_new(
                cldr(locale).into(),
                fieldsets::YMDET::long().with_time_precision(TimePrecision::Minute),
            )
            .map_err(|e| error(&e))?,
            date: FixedCalendarDateTimeFormatter::try_new(
                cldr(locale).into(),
                fieldsets::YMDE::medium(),
            )
            .map_err(|e| error(&e))?,
            time: FixedCalendarDateTimeFormatter::try_new(
                cldr(locale).into(),
                fieldsets::T::medium().with_time_precision(TimePrecision::Minute),
            )
            .map_err(|e| error(&e))?,
            day_month_year: FixedCalendarDateTimeFormatter::try_new(
                cldr(locale).into(),
                fieldsets::YMD::medium(),
            )
            .map_err(|e| error(&e))?,
            day_month: FixedCalendarDateTimeFormatter::try_new(
                cldr(locale).into(),
                fieldsets::MD::medium(),
            )
            .map_err(|e| error(&e))?,
            decimal: DecimalFormatter::try_new(
                cldr(locale).into(),
                DecimalFormatterOptions::default(),
            )
            .map_err(|e| error(&e))?,
        })
    }
}

/// One set per locale. Building one cannot fail with the compiled data (every locale we ship
/// is in it); if it ever did, the text falls back to ISO 8601 and plain digits rather than
/// failing a page or a mail.
static FORMATTERS: LazyLock<[Option<Formatters>; 3]> =
    LazyLock::new(|| Locale::ALL.map(|locale| built(Formatters::new(locale))));

fn built(formatters: Result<Formatters, String>) -> Option<Formatters> {
    formatters
        .inspect_err(|cause| tracing::error!(%cause, "ICU4X formatters unavailable"))
        .ok()
}

fn formatters(locale: Locale) -> Option<&'static Formatters> {
    let index = Locale::ALL.iter().position(|l| *l == locale)?;
    FORMATTERS[index].as_ref()
}

/// The wall-clock time of `at` in `tz`, as ICU4X's input.
fn wall_clock(at: DateTime<Utc>, tz: Tz) -> Option<IcuDateTime<Gregorian>> {
    let local = at.with_timezone(&tz);
    let date = Date::try_new_gregorian(local.year(), u8::try_from(local.month()).ok()?, {
        u8::try_from(local.day()).ok()?
    })
    .ok()?;
    let time = Time::try_new(
        u8::try_from(local.hour()).ok()?,
        u8::try_from(local.minute()).ok()?,
        0,
        0,
    )
    .ok()?;
    Some(IcuDateTime { date, time })
}

fn write_local(
    at: DateTime<Utc>,
    tz: Tz,
    locale: Locale,
    pattern: &str,
    write: impl FnOnce(&Formatters, &IcuDateTime<Gregorian>) -> String,
) -> String {
    match (formatters(locale), wall_clock(at, tz)) {
        (Some(formatters), Some(input)) => write(formatters, &input),
        _ => at.with_timezone(&tz).format(pattern).to_string(),
    }
}

/// `Sat, 12 Dec 2026, 19:00` / `Sa., 12.12.2026, 19:00` / `sáb, 12 dic 2026, 19:00`.
pub fn date_time(locale: Locale, at: DateTime<Utc>, tz: Tz) -> String {
    write_local(at, tz, locale, "%Y-%m-%d %H:%M", |f, input| {
        f.date_time.format(input).to_string()
    })
}

/// `Saturday 12 December 2026, 19:00`, for mails and printed tickets.
pub fn long_date_time(locale: Locale, at: DateTime<Utc>, tz: Tz) -> String {
    write_local(at, tz, locale, "%Y-%m-%d %H:%M", |f, input| {
        f.long_date_time.format(input).to_string()
    })
}

/// `Sat, 12 Dec 2026`.
pub fn date(locale: Locale, at: DateTime<Utc>, tz: Tz) -> String {
    write_local(at, tz, locale, "%Y-%m-%d", |f, input| {
        f.date.format(input).to_string()
    })
}

/// `19:00`.
pub fn time(locale: Locale, at: DateTime<Utc>, tz: Tz) -> String {
    write_local(at, tz, locale, "%H:%M", |f, input| {
        f.time.format(input).to_string()
    })
}

/// A calendar day (a day of sales, not a moment): `Sat, 12 Dec 2026`.
pub fn day(locale: Locale, day: NaiveDate) -> String {
    write_day(locale, day, |f, d| f.date.format(d).to_string())
}

/// `12 Dec 2026`.
pub fn day_month_year(locale: Locale, day: NaiveDate) -> String {
    write_day(locale, day, |f, d| f.day_month_year.format(d).to_string())
}

/// `12 Dec` / `12. Dez.` / `12 dic`.
pub fn day_month(locale: Locale, day: NaiveDate) -> String {
    write_day(locale, day, |f, d| f.day_month.format(d).to_string())
}

fn write_day(
    locale: Locale,
    day: NaiveDate,
    write: impl FnOnce(&Formatters, &Date<Gregorian>) -> String,
) -> String {
    let date = u8::try_from(day.month())
        .ok()
        .zip(u8::try_from(day.day()).ok())
        .and_then(|(month, d)| Date::try_new_gregorian(day.year(), month, d).ok());
    match (formatters(locale), date) {
        (Some(formatters), Some(date)) => write(formatters, &date),
        _ => day.format("%Y-%m-%d").to_string(),
    }
}

/// The zone's abbreviation at `at` (`CET`, `CEST`, `EST`), from the time-zone database.
pub fn zone_abbreviation(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Z").to_string()
}

/// Whether two instants fall on the same day in `tz` (a range then shows the date once).
pub fn same_day(a: DateTime<Utc>, b: DateTime<Utc>, tz: Tz) -> bool {
    a.with_timezone(&tz).date_naive() == b.with_timezone(&tz).date_naive()
}

/// An integer with the locale's grouping: `1,234` / `1.234` / `1234` (Spanish groups from
/// five digits on).
pub fn number(locale: Locale, n: i64) -> String {
    match formatters(locale) {
        Some(f) => f.decimal.format(&Decimal::from(n)).to_string(),
        None => n.to_string(),
    }
}

/// A share given in basis points as a percentage's number, without the sign (the message
/// places it: `15 %` in German, `15%` in English): `1250` → `12.5` / `12,5`.
pub fn percent(locale: Locale, basis_points: i64) -> String {
    let mut decimal = Decimal::from(basis_points);
    decimal.multiply_pow10(-2);
    decimal.trim_end();
    match formatters(locale) {
        Some(f) => f.decimal.format(&decimal).to_string(),
        None => decimal.to_string(),
    }
}

/// An amount in its currency: `€12.50` / `12,50 €` / `12,50 €`; `CHF 12.50` / `12,50 CHF`.
///
/// The number is ICU4X's (separators, grouping, the currency's decimals); the symbol and
/// its place follow CLDR's standard currency pattern of the locale (`¤#,##0.00` in English,
/// `#,##0.00 ¤` in German and Spanish), joined with a no-break space where the pattern has
/// one. The symbol is the one CLDR gives all three languages for the currency (`€`, `£`,
/// `$` for USD…), else the ISO code.
pub fn money(locale: Locale, amount: Money) -> String {
    let currency = amount.currency();
    let mut decimal = Decimal::from(amount.minor());
    decimal.multiply_pow10(-i16::from(currency.exponent()));
    let digits = match formatters(locale) {
        Some(f) => f.decimal.format(&decimal).to_string(),
        None => decimal.to_string(),
    };
    let (sign, digits) = match digits.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => ("-", rest.to_owned()),
        None => ("", digits),
    };
    let symbol = currency.symbol();
    match (locale, symbol) {
        (Locale::En, Some(symbol)) => format!("{sign}{symbol}{digits}"),
        (Locale::En, None) => format!("{sign}{}\u{a0}{digits}", currency.code()),
        (Locale::De | Locale::Es, symbol) => {
            format!("{sign}{digits}\u{a0}{}", symbol.unwrap_or(currency.code()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bilten_domain::money::Currency;
    use chrono::TimeZone;

    fn berlin() -> Tz {
        "Europe/Berlin".parse().unwrap()
    }

    #[test]
    fn dates_and_times_follow_the_locale_in_the_events_zone() {
        let at = Utc.with_ymd_and_hms(2026, 12, 12, 18, 0, 0).unwrap();
        assert_eq!(
            date_time(Locale::En, at, berlin()),
            "Sat, 12 Dec 2026, 19:00"
        );
        assert_eq!(
            date_time(Locale::De, at, berlin()),
            "Sa., 12.12.2026, 19:00"
        );
        assert_eq!(
            date_time(Locale::Es, at, berlin()),
            "sáb, 12 dic 2026, 19:00"
        );
        let new_york: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            date_time(Locale::En, at, new_york),
            "Sat, 12 Dec 2026, 13:00"
        );
        assert_eq!(time(Locale::De, at, berlin()), "19:00");
        assert_eq!(zone_abbreviation(at, berlin()), "CET");
        assert_eq!(
            long_date_time(Locale::De, at, berlin()),
            "Samstag, 12. Dezember 2026 um 19:00"
        );
        assert_eq!(date(Locale::Es, at, berlin()), "sáb, 12 dic 2026");
        let d = NaiveDate::from_ymd_opt(2030, 1, 10).unwrap();
        assert_eq!(day_month(Locale::En, d), "10 Jan");
        assert_eq!(day_month(Locale::De, d), "10. Jan.");
        assert_eq!(day_month_year(Locale::En, d), "10 Jan 2030");
        assert_eq!(day(Locale::En, d), "Thu, 10 Jan 2030");
    }

    #[test]
    fn numbers_and_money_follow_the_locale() {
        assert_eq!(number(Locale::En, 1_234_567), "1,234,567");
        assert_eq!(number(Locale::De, 1_234_567), "1.234.567");
        assert_eq!(number(Locale::Es, 1234), "1234");
        assert_eq!(number(Locale::Es, 12_345), "12.345");
        assert_eq!(percent(Locale::En, 1250), "12.5");
        assert_eq!(percent(Locale::De, 1250), "12,5");
        assert_eq!(percent(Locale::De, 1500), "15");
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(money(Locale::En, Money::new(1250, eur)), "€12.50");
        assert_eq!(money(Locale::De, Money::new(1250, eur)), "12,50\u{a0}€");
        assert_eq!(
            money(Locale::Es, Money::new(123_456, eur)),
            "1234,56\u{a0}€"
        );
        assert_eq!(money(Locale::De, Money::new(-300, eur)), "-3,00\u{a0}€");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(money(Locale::De, Money::new(1200, jpy)), "1.200\u{a0}¥");
    }
}
