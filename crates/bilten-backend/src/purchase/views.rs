//! What `POST /purchases` answers: typed views, serialized without intermediate JSON maps.
//!
//! The shapes are those of `GET /orders/{id}` (`order`, `tickets`) and of a checkout
//! (`payment`), so a client reads a one-request purchase exactly like the two-step one.

use bilten_domain::{EventId, Money, OrderId, PaymentId, TicketId, TicketTypeId};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct PurchaseView {
    pub order: OrderView,
    pub access_key: String,
    pub payment: Option<PaymentView>,
    pub tickets: Vec<TicketView>,
}

/// `POST /orders`: the held order and the key that reaches it.
#[derive(Debug, Serialize)]
pub struct HeldView {
    pub order: OrderView,
    pub access_key: String,
}

#[derive(Debug, Serialize)]
pub struct BuyerView {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct LineView {
    pub ticket_type_id: TicketTypeId,
    pub name: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub discount: Money,
    pub total: Money,
}

#[derive(Debug, Serialize)]
pub struct OrderView {
    pub id: OrderId,
    pub event_id: EventId,
    pub status: &'static str,
    pub expires_at: DateTime<Utc>,
    pub buyer: BuyerView,
    pub lines: Vec<LineView>,
    pub quantity: i64,
    pub promo_code: Option<String>,
    pub subtotal: Money,
    pub discount: Money,
    pub total: Money,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct PaymentView {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub provider: &'static str,
    pub status: &'static str,
    pub amount: Money,
    pub failure_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub succeeded_at: Option<DateTime<Utc>>,
}

/// The event as a ticket shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TicketEventView {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub online_url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TicketView {
    pub id: TicketId,
    pub order_id: OrderId,
    pub event_id: EventId,
    pub ticket_type_id: TicketTypeId,
    pub ticket_type: String,
    pub attendee_name: String,
    pub status: &'static str,
    pub code: String,
    pub key_version: i64,
    pub issued_at: DateTime<Utc>,
    pub event: TicketEventView,
    pub qr_svg_url: String,
    pub pdf_url: String,
}
