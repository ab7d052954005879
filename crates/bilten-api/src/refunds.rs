//! Refunds and event cancellation: `POST /orders/{id}/refund`, `POST /events/{id}/cancel`.

use bilten_domain::{EventId, Money, OrderId, RefundId, TicketId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::events::EventStatus;
use crate::orders::Order;
pub use bilten_domain::{PaymentProvider, RefundReason, RefundStatus};

/// `POST /orders/{id}/refund`: `{}` refunds everything left; `lines` or `ticket_ids` (not
/// both) refund part of it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lines": [{"ticket_type_id": "tty_0190f5d2a3b47c8e9d0a1b2c3d4e5f61", "quantity": 1}]}))]
pub struct RefundRequest {
    /// So many tickets of these types (the oldest valid ones).
    pub lines: Option<Vec<RefundLineRequest>>,
    /// Exactly these tickets (`tkt_…`).
    pub ticket_ids: Option<Vec<String>>,
}

/// One line of [`RefundRequest`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundLineRequest {
    /// Required: a ticket type of the order.
    pub ticket_type_id: Option<String>,
    /// Required: at least 1.
    pub quantity: Option<i64>,
}

/// Money given back for some tickets of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Refund {
    pub id: RefundId,
    pub order_id: OrderId,
    pub amount: Money,
    pub reason: RefundReason,
    pub status: RefundStatus,
    /// `test` or `stripe`; `null` for a free order (nothing to pay out).
    pub provider: Option<PaymentProvider>,
    pub failure_code: Option<String>,
    /// The tickets it canceled.
    pub ticket_ids: Vec<TicketId>,
    pub created_at: DateTime<Utc>,
}

/// `201` of `POST /orders/{id}/refund`: the refund and the order after it (with `refunded`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RefundResponse {
    pub refund: Refund,
    pub order: Order,
}

/// The event as its cancellation shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CanceledEvent {
    pub id: EventId,
    pub status: EventStatus,
}

/// `200` of `POST /events/{id}/cancel`. Calling it again finishes what an earlier call left
/// (and reports only what this call did).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventCancellation {
    pub event: CanceledEvent,
    /// False when the event was canceled before this call.
    pub canceled_now: bool,
    /// Pending orders whose holds were ended.
    pub orders_canceled: u64,
    /// Paid orders refunded in full.
    pub orders_refunded: u64,
    /// Of those, refunds the provider has not confirmed yet (the retry worker finishes them).
    pub refunds_pending: u64,
}
