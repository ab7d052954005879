//! Events, their ticket types and quotas.

use bilten_domain::{Category, Discount, EventId, Money, OrganizationId, QuotaId, TicketTypeId};
pub use bilten_domain::{EventStatus, Visibility};
pub use bilten_i18n::Locale;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub id: EventId,
    pub organization_id: OrganizationId,
    pub status: EventStatus,
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// IANA time zone of the venue, e.g. `Europe/Berlin`.
    pub timezone: String,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    /// ISO 4217: the currency of every price of the event.
    pub currency: String,
    pub category: Category,
    pub image_url: Option<String>,
    /// How long an order holds its tickets.
    pub hold_minutes: i64,
    /// Most tickets one buyer may hold or own for the event.
    pub buyer_cap: i64,
    pub published_at: Option<DateTime<Utc>>,
    /// True while a platform admin's unpublish keeps the event off sale.
    pub moderation_locked: bool,
    /// The title and description in other languages, by locale (`en`, `de`, `es`); a
    /// language without one shows `title` and `description`. Set with
    /// `PUT /events/{id}/translations/{locale}`.
    #[serde(default)]
    pub translations: Vec<EventTranslation>,
}

impl Event {
    /// The event's text in `locale`, if the organizer gave one.
    pub fn translation(&self, locale: Locale) -> Option<&EventTranslation> {
        self.translations.iter().find(|t| t.locale == locale)
    }

    /// The title to show a reader of `locale`: its translation, else the event's own.
    pub fn title_in(&self, locale: Locale) -> &str {
        self.translation(locale).map_or(&self.title, |t| &t.title)
    }

    /// The description to show a reader of `locale`: its translation's when it has one,
    /// else the event's own.
    pub fn description_in(&self, locale: Locale) -> &str {
        self.translation(locale)
            .map(|t| t.description.as_str())
            .filter(|d| !d.is_empty())
            .unwrap_or(&self.description)
    }

    /// The event as a reader of `locale` sees it: `title` and `description` are
    /// [`Event::title_in`] and [`Event::description_in`] (`translations` stay as they are).
    #[must_use]
    pub fn localized(mut self, locale: Locale) -> Self {
        let title = self.title_in(locale).to_owned();
        let description = self.description_in(locale).to_owned();
        self.title = title;
        self.description = description;
        self
    }
}

/// An event's title and description in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventTranslation {
    pub locale: Locale,
    pub title: String,
    /// May be empty: the event's own description is shown then.
    pub description: String,
}

/// `PUT /events/{id}/translations/{locale}`: the event's title (required, 1–200 characters)
/// and description (at most 20000 characters; empty or left out: none) in that language,
/// replacing what it had in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Sommerjazz", "description": "Ein Abend voller Musik"}))]
pub struct EventTranslationRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `{"event": …}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventResponse {
    pub event: Event,
}

/// A list of events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventList {
    pub items: Vec<Event>,
}

/// Whether a ticket type can be bought now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SalesPhase {
    /// In its sales window with tickets left.
    OnSale,
    /// Its sales window has not opened.
    NotOpen,
    /// Its sales window has closed.
    Closed,
    /// In its sales window, nothing left (its own capacity or one of its quotas).
    SoldOut,
}

impl SalesPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnSale => "on_sale",
            Self::NotOpen => "not_open",
            Self::Closed => "closed",
            Self::SoldOut => "sold_out",
        }
    }
}

/// A kind of ticket of an event, with live availability. The counters and `visibility` are
/// shown to members of the organization only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketType {
    pub id: TicketTypeId,
    pub name: String,
    pub description: String,
    pub price: Money,
    /// What a buyer could take now: its own room, shrunk to what its quotas have left.
    pub available: i64,
    pub sales_start: Option<DateTime<Utc>>,
    pub sales_end: Option<DateTime<Utc>>,
    pub sales_phase: SalesPhase,
    pub min_per_order: i64,
    pub max_per_order: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sold: Option<i64>,
    /// Live holds (a lapsed hold is not held).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
}

/// `{"ticket_type": …}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketTypeResponse {
    pub ticket_type: TicketType,
}

/// `GET /events/{id}/ticket-types`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketTypeList {
    pub items: Vec<TicketType>,
}

/// A shared limit over some ticket types of an event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Quota {
    pub id: QuotaId,
    pub name: String,
    pub capacity: i64,
    pub sold: i64,
    pub held: i64,
    pub available: i64,
    pub ticket_type_ids: Vec<TicketTypeId>,
}

/// `{"quota": …}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuotaResponse {
    pub quota: Quota,
}

/// `GET /events/{id}/quotas`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuotaList {
    pub items: Vec<Quota>,
}

/// A promo code as a buyer sees it on the event page (`GET /events/{id}?promo_code=…`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PromoPreview {
    pub code: String,
    pub discount: Option<Discount>,
    /// The types it applies to; empty: all of the event's.
    pub ticket_type_ids: Vec<TicketTypeId>,
}

/// The organization behind an event, as the public sees it (its page: `GET /organizers/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Organizer {
    pub id: OrganizationId,
    pub name: String,
}

/// `GET /organizers/{id}`: an organization's public page, its published events that have not
/// ended, soonest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganizerPage {
    pub organizer: Organizer,
    pub events: Vec<Event>,
}

/// `GET /events/{id}`: the event, who organizes it, and the ticket types the caller may see,
/// with live availability.
// `promo_code` has three states on the wire (absent, `null`, a code), hence the nested option.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventDetail {
    pub event: Event,
    pub organizer: Organizer,
    pub ticket_types: Vec<TicketType>,
    /// Only when `promo_code` was asked for: the code, or `null` when it is not usable.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[schema(value_type = Option<PromoPreview>)]
    pub promo_code: Option<Option<PromoPreview>>,
}

/// A field that is there (even as `null`) is `Some`, so `promo_code: null` (asked, not
/// usable) stays apart from no `promo_code` (not asked).
#[expect(
    clippy::option_option,
    reason = "three states on the wire: absent, null, a value"
)]
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

// ---------------------------------------------------------------------------------------
// Organizer requests. The backend reads these with its own parsers (`EventInput`,
// `TicketTypeInput`, `QuotaInput` in docs/openapi.json); a field left out (`None`) is not
// sent: required on create, unchanged on PATCH. `requests_match_the_document` below holds the
// names against the OpenAPI document.

/// `POST /organizations/{id}/events` and `PATCH /events/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
    /// IANA name, e.g. `Europe/Berlin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_url: Option<String>,
    /// ISO 4217.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_cap: Option<i64>,
}

/// `POST /events/{id}/ticket-types` and `PATCH /ticket-types/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketTypeRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Minor units of the event's currency; 0 is free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_start: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_per_order: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_order: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
}

/// `POST /events/{id}/quotas`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_type_ids: Option<Vec<TicketTypeId>>,
}

/// `PATCH /events/{id}/quotas/{quota}`: a quota's new name or capacity (its ticket types stay).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaPatchRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
}

#[cfg(test)]
mod request_tests {
    use super::{EventRequest, QuotaPatchRequest, QuotaRequest, TicketTypeRequest, Visibility};
    use crate::promo::PromoCodeRequest;

    /// The property names of schema `name` in docs/openapi.json.
    fn documented(name: &str) -> Vec<String> {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/openapi.json")).unwrap();
        let properties = doc["components"]["schemas"][name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} is in the document"));
        properties.keys().cloned().collect()
    }

    fn sent(value: &impl serde::Serialize) -> Vec<String> {
        serde_json::to_value(value)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn requests_match_the_document() {
        let event = EventRequest {
            title: Some(String::new()),
            description: Some(String::new()),
            starts_at: Some(String::new()),
            ends_at: Some(String::new()),
            timezone: Some(String::new()),
            venue_name: Some(String::new()),
            venue_address: Some(String::new()),
            city: Some(String::new()),
            country: Some(String::new()),
            latitude: Some(0.0),
            longitude: Some(0.0),
            online_url: Some(String::new()),
            currency: Some(String::new()),
            category: Some(String::new()),
            image_url: Some(String::new()),
            hold_minutes: Some(1),
            buyer_cap: Some(1),
        };
        let mut names = sent(&event);
        names.sort();
        let mut documented_names = documented("EventInput");
        documented_names.sort();
        assert_eq!(names, documented_names);
        let ticket_type = TicketTypeRequest {
            name: Some(String::new()),
            description: Some(String::new()),
            price: Some(0),
            capacity: Some(1),
            sales_start: Some(String::new()),
            sales_end: Some(String::new()),
            min_per_order: Some(1),
            max_per_order: Some(1),
            visibility: Some(Visibility::Hidden),
        };
        let mut names = sent(&ticket_type);
        names.sort();
        let mut documented_names = documented("TicketTypeInput");
        documented_names.sort();
        assert_eq!(names, documented_names);
        let quota = QuotaRequest {
            name: Some(String::new()),
            capacity: Some(1),
            ticket_type_ids: Some(vec![]),
        };
        let mut names = sent(&quota);
        names.sort();
        let mut documented_names = documented("QuotaInput");
        documented_names.sort();
        assert_eq!(names, documented_names);
        let quota_patch = QuotaPatchRequest {
            name: Some(String::new()),
            capacity: Some(1),
        };
        let mut names = sent(&quota_patch);
        names.sort();
        let mut documented_names = documented("QuotaPatchInput");
        documented_names.sort();
        assert_eq!(names, documented_names);
        let promo = PromoCodeRequest {
            code: Some(String::new()),
            discount: Some(bilten_domain::Discount::percent(100).unwrap()),
            max_uses: Some(None),
            valid_from: Some(None),
            valid_until: Some(None),
            ticket_type_ids: Some(vec![]),
            reveals_hidden: Some(true),
            active: Some(true),
        };
        let mut names = sent(&promo);
        names.sort();
        let mut documented_names = documented("PromoInput");
        documented_names.sort();
        assert_eq!(names, documented_names);
        // Left out is not sent (PATCH keeps it); `Some(None)` is sent as null (clears it).
        assert_eq!(
            serde_json::to_value(PromoCodeRequest {
                max_uses: Some(None),
                ..PromoCodeRequest::default()
            })
            .unwrap(),
            serde_json::json!({ "max_uses": null })
        );
    }
}
