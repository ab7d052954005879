//! Times, prices and places as people read them, in the visitor's language: the CLDR
//! formatting of `bilten_i18n::format` (ICU4X), the words from the catalog.
//!
//! Event times are shown in the **event's** time zone (a concert in Lisbon starts at 21:00
//! Lisbon time wherever the visitor's laptop is), with the zone's abbreviation so nobody has to
//! guess. Machine-readable forms (`<time datetime>`, JSON-LD) carry the offset.

use bilten_domain::money::Money;
use bilten_i18n::format as i18n;
use bilten_i18n::{t, Locale};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The event's zone; an unknown name (the backend validates it, so only a newer zone database
/// could cause this) falls back to UTC rather than failing the page.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// `Sat, 12 Dec 2026, 19:00` / `Sa., 12.12.2026, 19:00`.
pub fn local_datetime(l: Locale, at: DateTime<Utc>, tz: Tz) -> String {
    i18n::date_time(l, at, tz)
}

/// `Sat, 12 Dec 2026, 19:00 CET`: a moment with its zone, for a line of its own.
pub fn local_datetime_zone(l: Locale, at: DateTime<Utc>, tz: Tz) -> String {
    t(
        l,
        "date-time-zone",
        &[
            ("date_time", i18n::date_time(l, at, tz).into()),
            ("zone", i18n::zone_abbreviation(at, tz).into()),
        ],
    )
}

/// `19:00 CET`
pub fn local_time(l: Locale, at: DateTime<Utc>, tz: Tz) -> String {
    t(
        l,
        "date-time-zone",
        &[
            ("date_time", i18n::time(l, at, tz).into()),
            ("zone", i18n::zone_abbreviation(at, tz).into()),
        ],
    )
}

/// `2026-12-12T19:00:00+01:00`, for `<time datetime>` and structured data.
pub fn iso_local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).to_rfc3339()
}

/// `Sat, 12 Dec 2026, 19:00–23:00 CET`, or both dates when the event spans midnight.
pub fn time_range(l: Locale, starts: DateTime<Utc>, ends: DateTime<Utc>, tz: Tz) -> String {
    let zone = i18n::zone_abbreviation(ends, tz);
    let start = i18n::date_time(l, starts, tz);
    if i18n::same_day(starts, ends, tz) {
        t(
            l,
            "time-range-same-day",
            &[
                ("start", start.into()),
                ("end", i18n::time(l, ends, tz).into()),
                ("zone", zone.into()),
            ],
        )
    } else {
        t(
            l,
            "time-range",
            &[
                ("start", start.into()),
                ("end", i18n::date_time(l, ends, tz).into()),
                ("zone", zone.into()),
            ],
        )
    }
}

/// `€12.50` / `12,50 €`.
pub fn money(l: Locale, money: Money) -> String {
    i18n::money(l, money)
}

/// Like [`money`], or `Free` for nothing.
pub fn price(l: Locale, money: Money) -> String {
    if money.is_zero() {
        l.t("price-free")
    } else {
        i18n::money(l, money)
    }
}

/// An OpenStreetMap link for a place: the exact point when the organizer gave coordinates,
/// otherwise a search for the address.
pub fn map_url(coordinates: Option<(f64, f64)>, address_parts: &[Option<&str>]) -> Option<String> {
    if let Some((lat, lon)) = coordinates {
        return Some(format!(
            "https://www.openstreetmap.org/?mlat={lat:.6}&mlon={lon:.6}#map=17/{lat:.6}/{lon:.6}"
        ));
    }
    let query: Vec<&str> = address_parts
        .iter()
        .flatten()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .collect();
    if query.is_empty() {
        return None;
    }
    let encoded = serde_urlencoded::to_string([("query", query.join(", "))]).ok()?;
    Some(format!("https://www.openstreetmap.org/search?{encoded}"))
}

/// `music` → `Music` / `Musik` / `Música`; a category this build does not know shows as
/// the API sent it.
pub fn category_label(l: Locale, category: &str) -> String {
    match category {
        "music" => l.t("category-music"),
        "sports" => l.t("category-sports"),
        "theatre" => l.t("category-theatre"),
        "conference" => l.t("category-conference"),
        "festival" => l.t("category-festival"),
        "comedy" => l.t("category-comedy"),
        "family" => l.t("category-family"),
        "workshop" => l.t("category-workshop"),
        "other" => l.t("category-other"),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bilten_domain::money::Currency;
    use chrono::TimeZone;

    #[test]
    fn times_are_shown_in_the_events_zone_with_its_abbreviation() {
        let starts = Utc.with_ymd_and_hms(2026, 12, 12, 18, 0, 0).unwrap();
        let ends = Utc.with_ymd_and_hms(2026, 12, 12, 22, 0, 0).unwrap();
        assert_eq!(
            time_range(Locale::En, starts, ends, zone("Europe/Berlin")),
            "Sat, 12 Dec 2026, 19:00–23:00 CET"
        );
        assert_eq!(
            time_range(Locale::En, starts, ends, zone("America/New_York")),
            "Sat, 12 Dec 2026, 13:00–17:00 EST"
        );
        assert_eq!(
            time_range(Locale::De, starts, ends, zone("Europe/Berlin")),
            "Sa., 12.12.2026, 19:00–23:00 CET"
        );
        let late = Utc.with_ymd_and_hms(2026, 12, 13, 1, 30, 0).unwrap();
        assert_eq!(
            time_range(Locale::En, starts, late, zone("Europe/Berlin")),
            "Sat, 12 Dec 2026, 19:00 – Sun, 13 Dec 2026, 02:30 CET"
        );
        assert_eq!(
            time_range(Locale::Es, starts, late, zone("Europe/Berlin")),
            "sáb, 12 dic 2026, 19:00 – dom, 13 dic 2026, 02:30 CET"
        );
        assert_eq!(
            iso_local(starts, zone("Europe/Berlin")),
            "2026-12-12T19:00:00+01:00"
        );
        assert_eq!(zone("Not/AZone"), Tz::UTC);
    }

    #[test]
    fn prices_read_as_money_and_zero_reads_free() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(price(Locale::En, Money::new(1250, eur)), "€12.50");
        assert_eq!(price(Locale::En, Money::new(0, eur)), "Free");
        assert_eq!(price(Locale::De, Money::new(1250, eur)), "12,50\u{a0}€");
        assert_eq!(price(Locale::Es, Money::new(0, eur)), "Gratis");
    }

    #[test]
    fn map_links_point_at_coordinates_or_search_the_address() {
        assert_eq!(
            map_url(Some((52.52, 13.405)), &[]).unwrap(),
            "https://www.openstreetmap.org/?mlat=52.520000&mlon=13.405000#map=17/52.520000/13.405000"
        );
        assert_eq!(
            map_url(None, &[Some("Tempodrom"), None, Some("Berlin"), Some("DE")]).unwrap(),
            "https://www.openstreetmap.org/search?query=Tempodrom%2C+Berlin%2C+DE"
        );
        assert_eq!(map_url(None, &[None, Some(" ")]), None);
    }
}
