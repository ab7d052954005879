//! Tickets, their signing keys and revocations: `GET|PATCH /tickets/{id}`, `GET /me/tickets`,
//! `GET /events/{id}/ticket-keys`, `POST /events/{id}/ticket-keys/rotate`,
//! `GET /events/{id}/revoked`.

use bilten_domain::{EventId, OrderId, TicketId, TicketTypeId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use bilten_domain::{KeyStatus, RevocationReason, TicketStatus};

/// The event as a ticket shows it (enough to print it without another request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketEvent {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// IANA time zone of the venue.
    pub timezone: String,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub online_url: Option<String>,
}

/// One admission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ticket {
    pub id: TicketId,
    pub order_id: OrderId,
    pub event_id: EventId,
    pub ticket_type_id: TicketTypeId,
    /// The ticket type's name.
    pub ticket_type: String,
    pub attendee_name: String,
    pub status: TicketStatus,
    /// The signed code in the QR (verifiable offline with the event's public keys).
    pub code: String,
    /// Which of the event's keys signed `code`.
    pub key_version: i64,
    pub issued_at: DateTime<Utc>,
    pub event: TicketEvent,
    /// The QR code as SVG (same access rules as the ticket).
    pub qr_svg_url: String,
    /// The ticket as a one-page PDF.
    pub pdf_url: String,
}

/// `{"ticket": …}` (`GET /tickets/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketResponse {
    pub ticket: Ticket,
}

/// `PATCH /tickets/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"attendee_name": "Grace Hopper"}))]
pub struct RenameTicketRequest {
    /// Required: the new holder's name.
    pub attendee_name: Option<String>,
}

/// `200` of `PATCH /tickets/{id}`: the new ticket; the old one is now `revoked`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReissuedTicket {
    pub ticket: Ticket,
    /// The ticket it replaces.
    pub replaces: TicketId,
}

/// One of an event's Ed25519 public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketKey {
    pub version: i64,
    /// The key's id inside codes (hex).
    pub key_id: String,
    /// The 32-byte public key, base64.
    pub public_key: String,
    pub status: KeyStatus,
    pub created_at: DateTime<Utc>,
}

/// `GET /events/{id}/ticket-keys`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketKeys {
    pub event_id: EventId,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The version that signs new codes; `null` before the first ticket was issued.
    pub signing_version: Option<i64>,
    pub keys: Vec<TicketKey>,
}

/// `201` of `POST /events/{id}/ticket-keys/rotate`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotatedKeys {
    pub signing_version: i64,
    pub keys: Vec<TicketKey>,
}

/// One revoked code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RevokedCode {
    pub code: String,
    pub ticket_id: TicketId,
    pub reason: RevocationReason,
    pub revoked_at: DateTime<Utc>,
}

/// `GET /events/{id}/revoked`: oldest first. Ask again with `since=next_cursor`; the cursor
/// stays the same when nothing is new.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevokedCodes {
    pub items: Vec<RevokedCode>,
    pub next_cursor: Option<String>,
    /// Whether a full page came back (ask again at once).
    pub has_more: bool,
}
