//! Promo codes of an event.

use bilten_domain::{Discount, EventId, PromoCodeId, TicketTypeId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A promo code as its organization sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PromoCode {
    pub id: PromoCodeId,
    pub event_id: EventId,
    /// Upper case; matched case-insensitively.
    pub code: String,
    pub discount: Option<Discount>,
    /// Uses allowed (one per order); `null`: no limit.
    pub max_uses: Option<i64>,
    pub uses: i64,
    /// `max_uses - uses`, never below 0; `null` without a limit.
    pub remaining: Option<i64>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// The types it applies to; empty: all of the event's.
    pub ticket_type_ids: Vec<TicketTypeId>,
    /// Hidden types it applies to become visible and purchasable with it.
    pub reveals_hidden: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// `{"promo_code": …}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PromoCodeResponse {
    pub promo_code: PromoCode,
}

/// `GET /events/{id}/promo-codes`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PromoCodeList {
    pub items: Vec<PromoCode>,
}

/// `POST /events/{id}/promo-codes` and `PATCH /promo-codes/{id}` (the backend's
/// `PromoInput`). On PATCH only `active`, `max_uses`, the window and `reveals_hidden` may
/// be sent. For the three nullable fields `None` is not sent (kept) and `Some(None)` is sent
/// as `null` (cleared).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromoCodeRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<Discount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<Option<i64>>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Option<String>>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_type_ids: Option<Vec<TicketTypeId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reveals_hidden: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}
