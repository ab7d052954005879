//! What an organization sees of an event's sales: `GET /events/{id}/orders`,
//! `…/sales-summary` and `…/attendees` (the CSV exports have no JSON shape).

use bilten_domain::{Currency, EventId, Money, OrderId, TicketId, TicketTypeId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::orders::{Buyer, OrderStatus};
use crate::tickets::TicketStatus;

/// A row of the orders list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderRow {
    pub id: OrderId,
    /// A lapsed pending order reads as `expired`.
    pub status: OrderStatus,
    pub buyer: Buyer,
    pub quantity: i64,
    pub promo_code: Option<String>,
    pub discount: Money,
    pub total: Money,
    pub created_at: DateTime<Utc>,
}

/// Sales of one ticket type.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketTypeSales {
    pub ticket_type_id: TicketTypeId,
    pub name: String,
    pub price: Money,
    pub capacity: i64,
    pub sold: i64,
    /// Live holds only.
    pub held: i64,
    pub available: i64,
    /// What paid orders paid for it, after discounts.
    pub revenue: Money,
    pub discount: Money,
}

/// The event's totals.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SalesTotals {
    pub capacity: i64,
    pub sold: i64,
    pub held: i64,
    pub revenue: Money,
    pub discount: Money,
    /// What buyers paid, refunded orders included.
    pub gross: Money,
    /// What has been (or is being) given back.
    pub refunds: Money,
    /// Gross less refunds: what the event keeps.
    pub net: Money,
    /// Orders paid and not fully refunded (what canceling the event would refund).
    pub paid_orders: i64,
}

/// Tickets sold on one day (in the event's time zone), over all orders.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DaySales {
    pub date: NaiveDate,
    pub tickets: i64,
}

/// `GET /events/{id}/sales-summary`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SalesSummary {
    pub event_id: EventId,
    pub currency: Currency,
    pub ticket_types: Vec<TicketTypeSales>,
    pub totals: SalesTotals,
    /// Oldest first.
    pub per_day: Vec<DaySales>,
}

/// A ticket type by id and name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketTypeRef {
    pub id: TicketTypeId,
    pub name: String,
}

/// A row of the attendee list: one ticket.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Attendee {
    pub ticket_id: TicketId,
    pub holder_name: String,
    pub ticket_type: TicketTypeRef,
    pub order_id: OrderId,
    pub buyer_email: String,
    pub status: TicketStatus,
    pub issued_at: DateTime<Utc>,
}
