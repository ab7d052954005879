//! Times, prices and places as people read them.
//!
//! Event times are shown in the **event's** time zone (a concert in Lisbon starts at 21:00
//! Lisbon time wherever the visitor's laptop is), with the zone's abbreviation so nobody has to
//! guess. Machine-readable forms (`<time datetime>`, JSON-LD) carry the offset.

use bilten_domain::money::Money;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The event's zone; an unknown name (the backend validates it, so only a newer zone database
/// could cause this) falls back to UTC rather than failing the page.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// `Sat 12 Dec 2026, 19:00`
pub fn local_datetime(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%a %-d %b %Y, %H:%M")
        .to_string()
}

/// `19:00 CET`
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%H:%M %Z").to_string()
}

/// `2026-12-12T19:00:00+01:00`, for `<time datetime>` and structured data.
pub fn iso_local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).to_rfc3339()
}

/// `Sat 12 Dec 2026, 19:00–23:00 CET`, or both dates when the event spans midnight.
pub fn time_range(starts: DateTime<Utc>, ends: DateTime<Utc>, tz: Tz) -> String {
    let start = starts.with_timezone(&tz);
    let end = ends.with_timezone(&tz);
    let zone = end.format("%Z");
    if start.date_naive() == end.date_naive() {
        format!(
            "{}–{} {zone}",
            start.format("%a %-d %b %Y, %H:%M"),
            end.format("%H:%M")
        )
    } else {
        format!(
            "{} – {} {zone}",
            start.format("%a %-d %b %Y, %H:%M"),
            end.format("%a %-d %b %Y, %H:%M")
        )
    }
}

/// `€12.50`, or `Free` for nothing.
pub fn price(money: Money) -> String {
    if money.is_zero() {
        "Free".to_owned()
    } else {
        money.format_display()
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

/// `music` → `Music`.
pub fn category_label(category: &str) -> String {
    let mut chars = category.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
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
            time_range(starts, ends, zone("Europe/Berlin")),
            "Sat 12 Dec 2026, 19:00–23:00 CET"
        );
        assert_eq!(
            time_range(starts, ends, zone("America/New_York")),
            "Sat 12 Dec 2026, 13:00–17:00 EST"
        );
        let late = Utc.with_ymd_and_hms(2026, 12, 13, 1, 30, 0).unwrap();
        assert_eq!(
            time_range(starts, late, zone("Europe/Berlin")),
            "Sat 12 Dec 2026, 19:00 – Sun 13 Dec 2026, 02:30 CET"
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
        assert_eq!(price(Money::new(1250, eur)), "€12.50");
        assert_eq!(price(Money::new(0, eur)), "Free");
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
