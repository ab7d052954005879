//! "Add to calendar": `GET /events/{id}/calendar.ics`, one iCalendar (RFC 5545) `VEVENT` for
//! the event, times in UTC, text escaped and lines folded at 75 octets as the RFC asks.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::api::ticketing::{Event, EventStatus};
use crate::session::Visit;
use crate::Frontend;

/// `GET /events/{id}/calendar.ics`: the event as a calendar file (a download).
pub async fn ics(State(app): State<Frontend>, visit: Visit, Path(id): Path<String>) -> Response {
    let outcome = async {
        let detail = app.api.event(&visit.forwarded, None, &id).await?;
        let body = calendar(&detail.event, &app.public_url, Utc::now());
        let disposition = format!("attachment; filename=\"{}.ics\"", detail.event.id);
        Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "text/calendar; charset=utf-8".to_owned(),
                ),
                (header::CONTENT_DISPOSITION, disposition),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            body,
        )
            .into_response())
    }
    .await;
    visit.respond(outcome)
}

/// The calendar file of `event`, linking to its page on `site` (no trailing slash).
pub fn calendar(event: &Event, site: &str, now: DateTime<Utc>) -> String {
    let host = site
        .split("://")
        .nth(1)
        .unwrap_or(site)
        .split(['/', ':'])
        .next()
        .unwrap_or("bilten");
    let location = [
        event.venue_name.as_deref(),
        event.venue_address.as_deref(),
        event.city.as_deref(),
        event.country.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter(|part| !part.trim().is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    let url = format!("{site}/events/{}", event.id);
    let mut description = event.description.clone();
    if let Some(online) = &event.online_url {
        description.push_str("\n\n");
        description.push_str(online);
    }
    description.push_str("\n\n");
    description.push_str(&url);
    let status = if event.status == EventStatus::Canceled {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Bilten//Bilten tickets//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@{}", event.id, host),
        format!("DTSTAMP:{}", utc(now)),
        format!("DTSTART:{}", utc(event.starts_at)),
        format!("DTEND:{}", utc(event.ends_at)),
        format!("SUMMARY:{}", escape(&event.title)),
        format!("DESCRIPTION:{}", escape(&description)),
    ];
    if !location.is_empty() {
        lines.push(format!("LOCATION:{}", escape(&location)));
    }
    lines.push(format!("URL:{url}"));
    lines.push(format!("STATUS:{status}"));
    lines.push("END:VEVENT".to_owned());
    lines.push("END:VCALENDAR".to_owned());
    lines.iter().map(|line| fold(line)).collect()
}

/// A UTC date-time in the RFC's basic format, `20301212T180000Z`.
fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma, newlines.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded (RFC 5545 3.1): at most 75 octets a line, never inside a
/// character, continuations starting with a space; each line ends with CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut width = 0;
    for c in line.chars() {
        let size = c.len_utf8();
        if width + size > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += size;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::calendar;
    use crate::api::ticketing::Event;

    fn event() -> Event {
        serde_json::from_value(serde_json::json!({
            "id": bilten_domain::EventId::new(),
            "organization_id": bilten_domain::OrganizationId::new(),
            "status": "published",
            "title": "Jazz; Blues, and \\ more — a very long title that will need folding ünd ümlauts",
            "description": "Line one.\nLine two, with a comma; and a semicolon.\n".repeat(4),
            "starts_at": "2030-12-12T18:00:00Z",
            "ends_at": "2030-12-12T22:00:00Z",
            "timezone": "Europe/Berlin",
            "venue_name": "Kino Meeting Point",
            "venue_address": "Obala Kulina bana 8",
            "city": "Sarajevo",
            "country": "BA",
            "latitude": null, "longitude": null,
            "online_url": null,
            "currency": "EUR",
            "category": "music",
            "image_url": null,
            "hold_minutes": 15,
            "buyer_cap": 10,
            "published_at": null,
            "moderation_locked": false
        }))
        .unwrap()
    }

    /// RFC 5545 3.1: unfolded content lines as `(name, value)`.
    fn content_lines(text: &str) -> Vec<(String, String)> {
        assert!(text.ends_with("\r\n"));
        let mut logical: Vec<String> = Vec::new();
        for line in text.strip_suffix("\r\n").unwrap().split("\r\n") {
            assert!(
                !line.contains('\n') && !line.contains('\r'),
                "bare newline: {line:?}"
            );
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
            if let Some(rest) = line.strip_prefix(' ') {
                logical
                    .last_mut()
                    .expect("a line to continue")
                    .push_str(rest);
            } else {
                logical.push(line.to_owned());
            }
        }
        logical
            .into_iter()
            .map(|line| {
                let (name, value) = line.split_once(':').expect("name:value");
                (name.to_owned(), value.to_owned())
            })
            .collect()
    }

    fn unescape(value: &str) -> String {
        let mut out = String::new();
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n' | 'N') => out.push('\n'),
                    Some(other @ ('\\' | ';' | ',')) => out.push(other),
                    other => panic!("bad escape {other:?}"),
                }
            } else {
                assert!(c != ';' && c != ',', "unescaped {c} in {value}");
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn the_calendar_file_is_one_valid_vevent_with_the_event_s_text_intact() {
        let event = event();
        let now = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let text = calendar(&event, "https://tickets.example.com", now);
        let lines = content_lines(&text);
        let names: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "BEGIN",
                "VERSION",
                "PRODID",
                "CALSCALE",
                "METHOD",
                "BEGIN",
                "UID",
                "DTSTAMP",
                "DTSTART",
                "DTEND",
                "SUMMARY",
                "DESCRIPTION",
                "LOCATION",
                "URL",
                "STATUS",
                "END",
                "END"
            ]
        );
        let get = |name: &str| {
            lines
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(lines[0].1, "VCALENDAR");
        assert_eq!(lines[5].1, "VEVENT");
        assert_eq!(get("VERSION"), "2.0");
        assert_eq!(get("UID"), format!("{}@tickets.example.com", event.id));
        assert_eq!(get("DTSTAMP"), "20300101T000000Z");
        assert_eq!(get("DTSTART"), "20301212T180000Z");
        assert_eq!(get("DTEND"), "20301212T220000Z");
        assert_eq!(unescape(&get("SUMMARY")), event.title);
        assert!(unescape(&get("DESCRIPTION")).starts_with(&event.description));
        assert_eq!(
            unescape(&get("LOCATION")),
            "Kino Meeting Point, Obala Kulina bana 8, Sarajevo, BA"
        );
        assert_eq!(
            get("URL"),
            format!("https://tickets.example.com/events/{}", event.id)
        );
        assert_eq!(get("STATUS"), "CONFIRMED");
        assert!(text.lines().count() > lines.len(), "long lines were folded");
    }
}
