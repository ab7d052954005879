//! Events, their ticket types and quotas.

use bilten_domain::{Category, EventId, OrganizationId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Being prepared; only its organization sees it.
    Draft,
    /// Listed and on sale.
    Published,
    /// Canceled: no new orders; its orders were refunded.
    Canceled,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Draft, Self::Published, Self::Canceled]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

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
