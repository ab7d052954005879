//! An event's fields from a request: every bad field named in one answer, the same shape
//! for create (missing: required) and patch (missing: unchanged).

use bilten_domain::{
    Category, Coordinates, Country, Currency, EventTitle, FieldError, FieldErrors, TimeZoneName,
};
use bilten_store::events::EventFields;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Event fields as sent; all optional so one response can name every bad field, and so the
/// same shape serves create (missing = required error) and patch (missing = unchanged).
#[derive(Deserialize, Serialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    title: Option<String>,
    description: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    timezone: Option<String>,
    venue_name: Option<String>,
    venue_address: Option<String>,
    city: Option<String>,
    country: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    online_url: Option<String>,
    pub(crate) currency: Option<String>,
    category: Option<String>,
    image_url: Option<String>,
    hold_minutes: Option<i64>,
    buyer_cap: Option<i64>,
}

pub(crate) fn required<'a>(value: Option<&'a str>, message: &str) -> Result<&'a str, FieldError> {
    match value.map(str::trim) {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(FieldError::new("required", message)),
    }
}

pub(crate) fn parse_time(value: Option<&str>) -> Result<DateTime<Utc>, FieldError> {
    let text = required(
        value,
        "Give a time (RFC 3339, e.g. 2027-05-01T20:00:00+02:00).",
    )?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| FieldError::new("invalid_time", "Use RFC 3339, e.g. 2027-05-01T20:00:00Z."))
}

pub(crate) fn parse_optional_time(
    value: Option<&str>,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    match value {
        None => Ok(None),
        Some(text) => parse_time(Some(text)).map(Some),
    }
}

pub(crate) fn short_text(value: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(FieldError::new(
            "invalid",
            format!("Use at most {max} characters, no control characters."),
        ));
    }
    Ok(Some(text.to_owned()))
}

pub(crate) fn http_url(value: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(text) = short_text(value, 2000)? else {
        return Ok(None);
    };
    if (text.starts_with("https://") || text.starts_with("http://"))
        && !text.contains(char::is_whitespace)
        && text.len() > "https://".len()
    {
        Ok(Some(text))
    } else {
        Err(FieldError::new("invalid_url", "Use an http(s) URL."))
    }
}

pub(crate) fn bounded(
    value: Option<i64>,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, FieldError> {
    let value = value.unwrap_or(default);
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            "out_of_range",
            format!("Use a number from {min} to {max}."),
        ))
    }
}

/// Where an event happens, parsed.
pub(crate) struct Place {
    venue_name: Option<String>,
    venue_address: Option<String>,
    city: Option<String>,
    country: Option<String>,
    coordinates: Option<Coordinates>,
    online_url: Option<String>,
}

/// A place to go: a venue (name, city, country; address and coordinates optional) or an
/// online URL. Errors go into `e`.
pub(crate) fn parse_place(input: &EventInput, e: &mut FieldErrors) -> Option<Place> {
    let venue_name = e.check("venue_name", short_text(input.venue_name.as_deref(), 200));
    let venue_address = e.check(
        "venue_address",
        short_text(input.venue_address.as_deref(), 500),
    );
    let city = e.check("city", short_text(input.city.as_deref(), 120));
    let country = e.check(
        "country",
        input.country.as_deref().map(Country::parse).transpose(),
    );
    let coordinates = match (input.latitude, input.longitude) {
        (Some(lat), Some(lon)) => e.check("latitude", Coordinates::new(lat, lon).map(Some)),
        (None, None) => Some(None),
        _ => {
            e.add(
                "longitude",
                FieldError::new("incomplete", "Give both latitude and longitude."),
            );
            None
        }
    };
    let online_url = e.check("online_url", http_url(input.online_url.as_deref()));
    let place = Place {
        venue_name: venue_name?,
        venue_address: venue_address?,
        city: city?,
        country: country?.map(|c| c.as_str().to_owned()),
        coordinates: coordinates?,
        online_url: online_url?,
    };
    let has_venue = place.venue_name.is_some() && place.city.is_some() && place.country.is_some();
    if !has_venue && place.online_url.is_none() {
        e.add(
            "venue_name",
            FieldError::new(
                "venue_or_online_required",
                "Give a venue (name, city, country) or an online URL.",
            ),
        );
        return None;
    }
    Some(place)
}

/// Parses and checks a complete event description.
pub(crate) fn parse_event(input: &EventInput) -> Result<EventFields, FieldErrors> {
    let mut e = FieldErrors::new();
    let title = e.check(
        "title",
        required(input.title.as_deref(), "Give the event a title.").and_then(EventTitle::parse),
    );
    let description = e.check(
        "description",
        match input.description.as_deref() {
            Some(d) if d.chars().count() > 20_000 => {
                Err(FieldError::new("too_long", "Use at most 20000 characters."))
            }
            d => Ok(d.unwrap_or_default().trim().to_owned()),
        },
    );
    let starts_at = e.check("starts_at", parse_time(input.starts_at.as_deref()));
    let ends_at = e.check("ends_at", parse_time(input.ends_at.as_deref()));
    if let (Some(start), Some(end)) = (starts_at, ends_at) {
        if end <= start {
            e.add(
                "ends_at",
                FieldError::new("before_start", "The event must end after it starts."),
            );
        }
    }
    let timezone = e.check(
        "timezone",
        required(input.timezone.as_deref(), "Give an IANA time zone.")
            .and_then(TimeZoneName::parse),
    );
    let place = parse_place(input, &mut e);
    let currency = e.check(
        "currency",
        required(input.currency.as_deref(), "Give a currency such as EUR.")
            .and_then(Currency::parse),
    );
    let category = e.check(
        "category",
        required(input.category.as_deref(), "Choose a category.").and_then(Category::parse),
    );
    let image_url = e.check("image_url", http_url(input.image_url.as_deref()));
    let hold_minutes = e.check("hold_minutes", bounded(input.hold_minutes, 15, 1, 1440));
    let buyer_cap = e.check("buyer_cap", bounded(input.buyer_cap, 10, 1, 1000));
    let fields = (|| {
        let place = place?;
        Some(EventFields {
            title: title?.as_str().to_owned(),
            description: description?,
            starts_at: starts_at?,
            ends_at: ends_at?,
            timezone: timezone?.as_str().to_owned(),
            venue_name: place.venue_name,
            venue_address: place.venue_address,
            city: place.city,
            country: place.country,
            latitude: place.coordinates.map(|c| c.lat()),
            longitude: place.coordinates.map(|c| c.lon()),
            online_url: place.online_url,
            currency: currency?.code().to_owned(),
            category: category?.as_str().to_owned(),
            image_url: image_url?,
            hold_minutes: hold_minutes?,
            buyer_cap: buyer_cap?,
        })
    })();
    match fields {
        Some(fields) if e.is_empty() => Ok(fields),
        _ => Err(e),
    }
}

/// The current values as input, so a patch is merged and then validated as a whole.
pub(crate) fn input_from(f: &EventFields) -> EventInput {
    EventInput {
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        starts_at: Some(f.starts_at.to_rfc3339()),
        ends_at: Some(f.ends_at.to_rfc3339()),
        timezone: Some(f.timezone.clone()),
        venue_name: f.venue_name.clone(),
        venue_address: f.venue_address.clone(),
        city: f.city.clone(),
        country: f.country.clone(),
        latitude: f.latitude,
        longitude: f.longitude,
        online_url: f.online_url.clone(),
        currency: Some(f.currency.clone()),
        category: Some(f.category.clone()),
        image_url: f.image_url.clone(),
        hold_minutes: Some(f.hold_minutes),
        buyer_cap: Some(f.buyer_cap),
    }
}

pub(crate) fn merge(current: EventInput, patch: EventInput) -> EventInput {
    EventInput {
        title: patch.title.or(current.title),
        description: patch.description.or(current.description),
        starts_at: patch.starts_at.or(current.starts_at),
        ends_at: patch.ends_at.or(current.ends_at),
        timezone: patch.timezone.or(current.timezone),
        venue_name: patch.venue_name.or(current.venue_name),
        venue_address: patch.venue_address.or(current.venue_address),
        city: patch.city.or(current.city),
        country: patch.country.or(current.country),
        latitude: patch.latitude.or(current.latitude),
        longitude: patch.longitude.or(current.longitude),
        online_url: patch.online_url.or(current.online_url),
        currency: patch.currency.or(current.currency),
        category: patch.category.or(current.category),
        image_url: patch.image_url.or(current.image_url),
        hold_minutes: patch.hold_minutes.or(current.hold_minutes),
        buyer_cap: patch.buyer_cap.or(current.buyer_cap),
    }
}
