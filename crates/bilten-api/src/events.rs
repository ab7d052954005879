//! Events, their ticket types and quotas.

use bilten_domain::{Category, Discount, EventId, Money, OrganizationId, QuotaId, TicketTypeId};
pub use bilten_domain::{EventStatus, Visibility};
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

/// `GET /events/{id}`: the event and the ticket types the caller may see, with live
/// availability.
// `promo_code` has three states on the wire (absent, `null`, a code), hence the nested option.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventDetail {
    pub event: Event,
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
