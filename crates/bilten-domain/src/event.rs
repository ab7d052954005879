//! The describable parts of an event: title, time zone, slug, category, place, sales window.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::validation::FieldError;

macro_rules! string_serde {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = FieldError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

/// An event's title: trimmed, 1–200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventTitle(String);

impl EventTitle {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(FieldError::new("required", "Enter a title."));
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                "too_long",
                format!("Use at most {} characters.", Self::MAX_CHARS),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(FieldError::new(
                "invalid_characters",
                "The title contains control characters.",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn from_trusted(text: String) -> Self {
        Self(text)
    }
}

string_serde!(EventTitle);

/// An IANA time zone name such as `Europe/Sarajevo`, checked against the tz database that
/// `chrono-tz` compiles in. Events store their zone so local times (doors at 20:00) survive
/// daylight-saving changes; instants are stored in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZoneName(Tz);

impl TimeZoneName {
    /// Exact, case-sensitive names as in the tz database (`Europe/Sarajevo`, `UTC`), so that
    /// one zone has one spelling in the database.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(FieldError::new("required", "Choose a time zone."));
        }
        Tz::from_str(text).map(Self).map_err(|_| {
            FieldError::new(
                "invalid_time_zone",
                "Use an IANA time zone such as Europe/Sarajevo.",
            )
        })
    }

    pub fn as_str(&self) -> &'static str {
        self.0.name()
    }

    /// The zone, for converting instants to local times.
    pub fn tz(&self) -> Tz {
        self.0
    }
}

string_serde!(TimeZoneName);

/// A URL slug: 1–80 characters of `a–z 0–9` in hyphen-separated words.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    pub const MAX_CHARS: usize = 80;

    /// Parses a slug a person typed; upper case is lowered, anything else must already be
    /// in slug form (no leading, trailing or doubled hyphens).
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let text = input.trim().to_ascii_lowercase();
        if text.is_empty() {
            return Err(FieldError::new("required", "Enter a slug."));
        }
        if text.len() > Self::MAX_CHARS {
            return Err(FieldError::new(
                "too_long",
                format!("Use at most {} characters.", Self::MAX_CHARS),
            ));
        }
        let well_formed = text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-')
            && !text.contains("--");
        if !well_formed {
            return Err(FieldError::new(
                "invalid_slug",
                "Use lowercase letters, digits and single hyphens between words.",
            ));
        }
        Ok(Self(text))
    }

    /// A slug made from a title: letters with diacritics folded to ASCII (`Čevapi Fešta` →
    /// `cevapi-festa`), everything else becomes a hyphen. Never fails; a title with nothing
    /// usable becomes `event`. Uniqueness is the caller's business (append a suffix).
    pub fn from_title(title: &str) -> Self {
        let mut out = String::new();
        let mut pending_hyphen = false;
        for ch in title.chars().flat_map(char::to_lowercase) {
            let folded = fold(ch);
            if folded.is_empty() {
                pending_hyphen = true;
                continue;
            }
            if out.len() + usize::from(pending_hyphen) + folded.len() > Self::MAX_CHARS {
                break;
            }
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.push_str(folded);
        }
        if out.is_empty() {
            out.push_str("event");
        }
        Self(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_serde!(Slug);

/// ASCII for a lowercase character, or "" for a separator.
fn fold(ch: char) -> &'static str {
    const ASCII: [&str; 36] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f", "g", "h",
        "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
    ];
    if ch.is_ascii_digit() {
        return ASCII[(ch as u8 - b'0') as usize];
    }
    if ch.is_ascii_lowercase() {
        return ASCII[(ch as u8 - b'a') as usize + 10];
    }
    match ch {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' | 'ľ' | 'ĺ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ŕ' | 'ř' => "r",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ť' | 'ţ' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'þ' => "th",
        _ => "",
    }
}

/// What kind of event this is, for browsing and filters. A fixed list so filters and
/// translations stay manageable; `other` catches the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Music,
    Sports,
    Theatre,
    Conference,
    Festival,
    Comedy,
    Family,
    Workshop,
    Other,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Self::Music,
        Self::Sports,
        Self::Theatre,
        Self::Conference,
        Self::Festival,
        Self::Comedy,
        Self::Family,
        Self::Workshop,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Music => "music",
            Self::Sports => "sports",
            Self::Theatre => "theatre",
            Self::Conference => "conference",
            Self::Festival => "festival",
            Self::Comedy => "comedy",
            Self::Family => "family",
            Self::Workshop => "workshop",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == text)
            .ok_or_else(|| {
                FieldError::new("invalid_category", "Choose one of the listed categories.")
            })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Officially assigned ISO 3166-1 alpha-2 codes, plus `XK` (Kosovo, user-assigned but used by
/// the EU, banks and payment providers), sorted for binary search.
static COUNTRY_CODES: [&str; 250] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

/// A country as an ISO 3166-1 alpha-2 code (`BA`, `DE`), stored upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country(&'static str);

impl Country {
    /// Accepts either case (`ba` → `BA`); refuses codes that are not assigned, so a typo
    /// like `UK` (the code is `GB`) is caught at the form.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let text = input.trim();
        if text.len() != 2 || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(FieldError::new(
                "invalid_country",
                "Use a two-letter ISO 3166 country code such as BA.",
            ));
        }
        let upper = text.to_ascii_uppercase();
        COUNTRY_CODES
            .binary_search(&upper.as_str())
            .map(|index| Self(COUNTRY_CODES[index]))
            .map_err(|_| {
                FieldError::new("unknown_country", format!("{upper} is not a country code."))
            })
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

string_serde!(Country);

/// Whether sales are open at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SalesPhase {
    NotOpen,
    Open,
    Closed,
}

/// When a ticket type is on sale: from `starts_at` (inclusive) until `ends_at` (exclusive).
/// Either side may be open; when both are set the start must come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "SalesWindowWire")]
pub struct SalesWindow {
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct SalesWindowWire {
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
}

impl TryFrom<SalesWindowWire> for SalesWindow {
    type Error = FieldError;
    fn try_from(wire: SalesWindowWire) -> Result<Self, Self::Error> {
        SalesWindow::new(wire.starts_at, wire.ends_at)
    }
}

impl SalesWindow {
    pub const ALWAYS: SalesWindow = SalesWindow {
        starts_at: None,
        ends_at: None,
    };

    pub fn new(
        starts_at: Option<DateTime<Utc>>,
        ends_at: Option<DateTime<Utc>>,
    ) -> Result<Self, FieldError> {
        if let (Some(start), Some(end)) = (starts_at, ends_at) {
            if start >= end {
                return Err(FieldError::new(
                    "invalid_window",
                    "Sales must start before they end.",
                ));
            }
        }
        Ok(Self { starts_at, ends_at })
    }

    pub fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.starts_at
    }

    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.ends_at
    }

    /// Maps to the API's `sales_not_open` / `sales_closed` errors.
    pub fn phase(&self, now: DateTime<Utc>) -> SalesPhase {
        if self.starts_at.is_some_and(|start| now < start) {
            SalesPhase::NotOpen
        } else if self.ends_at.is_some_and(|end| now >= end) {
            SalesPhase::Closed
        } else {
            SalesPhase::Open
        }
    }
}

/// A venue's position in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CoordinatesWire")]
pub struct Coordinates {
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
struct CoordinatesWire {
    lat: f64,
    lon: f64,
}

impl TryFrom<CoordinatesWire> for Coordinates {
    type Error = FieldError;
    fn try_from(wire: CoordinatesWire) -> Result<Self, Self::Error> {
        Coordinates::new(wire.lat, wire.lon)
    }
}

impl Coordinates {
    /// Latitude in `-90..=90`, longitude in `-180..=180`; NaN and infinities are refused.
    pub fn new(lat: f64, lon: f64) -> Result<Self, FieldError> {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(FieldError::new(
                "invalid_latitude",
                "Latitude must be between -90 and 90.",
            ));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(FieldError::new(
                "invalid_longitude",
                "Longitude must be between -180 and 180.",
            ));
        }
        Ok(Self { lat, lon })
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(
            EventTitle::parse("  Jazz Night ").unwrap().as_str(),
            "Jazz Night"
        );
        assert_eq!(EventTitle::parse(" ").unwrap_err().code, "required");
        assert!(EventTitle::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            EventTitle::parse(&"é".repeat(201)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            EventTitle::parse("a\nb").unwrap_err().code,
            "invalid_characters"
        );
    }

    #[test]
    fn time_zones_come_from_the_tz_database() {
        let zone = TimeZoneName::parse("Europe/Sarajevo").unwrap();
        assert_eq!(zone.as_str(), "Europe/Sarajevo");
        assert_eq!(zone.tz(), chrono_tz::Europe::Sarajevo);
        assert!(TimeZoneName::parse("UTC").is_ok());
        assert!(TimeZoneName::parse("America/Argentina/Buenos_Aires").is_ok());
        for bad in [
            "",
            "Europe/Atlantis",
            "CEST+1",
            "europe/sarajevo",
            "../etc/passwd",
        ] {
            assert!(TimeZoneName::parse(bad).is_err(), "{bad}");
        }
        let json = serde_json::to_string(&zone).unwrap();
        assert_eq!(json, "\"Europe/Sarajevo\"");
        assert_eq!(serde_json::from_str::<TimeZoneName>(&json).unwrap(), zone);
    }

    #[test]
    fn slugs_parse_strictly_and_are_made_from_titles() {
        assert_eq!(
            Slug::parse("Jazz-Night-2026").unwrap().as_str(),
            "jazz-night-2026"
        );
        for bad in ["-a", "a-", "a--b", "a b", "ä", "a_b"] {
            assert_eq!(Slug::parse(bad).unwrap_err().code, "invalid_slug", "{bad}");
        }
        assert_eq!(Slug::parse("").unwrap_err().code, "required");
        assert_eq!(Slug::parse(&"a".repeat(81)).unwrap_err().code, "too_long");
        assert_eq!(
            Slug::from_title("Čevapi Fešta — Đurđevdan 2026!").as_str(),
            "cevapi-festa-durdevdan-2026"
        );
        assert_eq!(
            Slug::from_title("  Straße & Café ").as_str(),
            "strasse-cafe"
        );
        assert_eq!(Slug::from_title("!!!").as_str(), "event");
        assert_eq!(Slug::from_title("音乐节").as_str(), "event");
        let long = Slug::from_title(&"word ".repeat(40));
        assert!(long.as_str().len() <= Slug::MAX_CHARS);
        assert_eq!(Slug::parse(long.as_str()).unwrap(), long);
    }

    #[test]
    fn categories_are_a_fixed_list() {
        for category in Category::ALL {
            assert_eq!(Category::parse(category.as_str()), Ok(category));
            assert_eq!(
                serde_json::to_string(&category).unwrap(),
                format!("\"{category}\"")
            );
        }
        assert_eq!(
            Category::parse("opera").unwrap_err().code,
            "invalid_category"
        );
        assert!(serde_json::from_str::<Category>("\"Music\"").is_err());
    }

    #[test]
    fn countries_are_assigned_alpha2_codes() {
        for pair in COUNTRY_CODES.windows(2) {
            assert!(pair[0] < pair[1], "{} before {}", pair[0], pair[1]);
        }
        assert_eq!(Country::parse("ba").unwrap().as_str(), "BA");
        assert!(Country::parse("XK").is_ok());
        assert_eq!(Country::parse("UK").unwrap_err().code, "unknown_country");
        assert_eq!(Country::parse("B").unwrap_err().code, "invalid_country");
        assert_eq!(Country::parse("B1").unwrap_err().code, "invalid_country");
        assert_eq!(
            serde_json::to_string(&Country::parse("de").unwrap()).unwrap(),
            "\"DE\""
        );
    }

    #[test]
    fn sales_windows_have_phases() {
        let now = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let window = SalesWindow::new(Some(now), Some(now + Duration::days(1))).unwrap();
        assert_eq!(
            window.phase(now - Duration::seconds(1)),
            SalesPhase::NotOpen
        );
        assert_eq!(window.phase(now), SalesPhase::Open);
        assert_eq!(window.phase(now + Duration::days(1)), SalesPhase::Closed);
        assert_eq!(SalesWindow::ALWAYS.phase(now), SalesPhase::Open);
        assert_eq!(
            SalesWindow::new(Some(now), Some(now)).unwrap_err().code,
            "invalid_window"
        );
        let backwards = serde_json::json!({"starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"});
        assert!(serde_json::from_value::<SalesWindow>(backwards).is_err());
        let json = serde_json::to_value(window).unwrap();
        assert_eq!(serde_json::from_value::<SalesWindow>(json).unwrap(), window);
    }

    #[test]
    fn coordinates_are_bounded() {
        let sarajevo = Coordinates::new(43.8563, 18.4131).unwrap();
        assert!((sarajevo.lat() - 43.8563).abs() < f64::EPSILON);
        assert!(Coordinates::new(90.0, -180.0).is_ok());
        assert_eq!(
            Coordinates::new(90.1, 0.0).unwrap_err().code,
            "invalid_latitude"
        );
        assert_eq!(
            Coordinates::new(0.0, 180.5).unwrap_err().code,
            "invalid_longitude"
        );
        assert_eq!(
            Coordinates::new(f64::NAN, 0.0).unwrap_err().code,
            "invalid_latitude"
        );
        assert_eq!(
            Coordinates::new(0.0, f64::INFINITY).unwrap_err().code,
            "invalid_longitude"
        );
        assert!(serde_json::from_str::<Coordinates>(r#"{"lat": 91, "lon": 0}"#).is_err());
        let json = serde_json::to_string(&sarajevo).unwrap();
        assert_eq!(json, r#"{"lat":43.8563,"lon":18.4131}"#);
    }
}
