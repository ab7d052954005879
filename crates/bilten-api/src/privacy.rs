//! Personal data (GDPR): the account's export (`GET /me/export`, Art. 15 and 20), deleting the
//! account (`DELETE /me`, Art. 17) and an organizer anonymizing an order on its buyer's
//! request (`POST /orders/{id}/anonymize`).

use bilten_domain::{
    OrderId, OrderStatus, OrganizationId, PlatformRole, TicketId, TicketStatus, TicketTypeId,
    UserId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use bilten_domain::OrgRole;

/// `GET /me/export`: everything Bilten holds about the signed-in person.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountExport {
    /// The version of this document's shape.
    pub format: u32,
    pub exported_at: DateTime<Utc>,
    pub account: ExportedAccount,
    /// The organizations the person is a member of.
    pub memberships: Vec<ExportedMembership>,
    /// Every order bought with the account (and, once its email is verified, as a guest with
    /// that email), with its tickets.
    pub orders: Vec<ExportedOrder>,
    /// Every login session, live or ended.
    pub sessions: Vec<ExportedSession>,
    /// Whether sign-in asks for a TOTP code (the secret itself is never exported).
    pub two_factor_enabled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportedAccount {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: PlatformRole,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub password_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportedMembership {
    pub organization_id: OrganizationId,
    pub organization_name: String,
    pub role: OrgRole,
}

/// An order as bought: buyer details, lines, money and tickets. Amounts are minor units.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportedOrder {
    pub id: OrderId,
    pub event_title: String,
    pub event_starts_at: DateTime<Utc>,
    pub status: OrderStatus,
    pub buyer_email: String,
    pub buyer_name: String,
    pub currency: String,
    pub total_minor: i64,
    pub discount_minor: i64,
    pub promo_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub items: Vec<ExportedOrderItem>,
    pub tickets: Vec<ExportedTicket>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportedOrderItem {
    pub ticket_type_id: TicketTypeId,
    pub ticket_type_name: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub total_minor: i64,
    /// Names given at checkout for this line's tickets.
    pub attendee_names: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportedTicket {
    pub id: TicketId,
    pub ticket_type_name: String,
    pub attendee_name: String,
    pub status: TicketStatus,
    pub issued_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportedSession {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// `DELETE /me`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    /// Required: the account's password, confirming the deletion.
    pub password: Option<String>,
}

/// `POST /orders/{id}/anonymize`: the order, now without personal data.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnonymizedOrder {
    pub order_id: OrderId,
    /// When it was anonymized (the first time, if it already was).
    pub anonymized_at: DateTime<Utc>,
}
