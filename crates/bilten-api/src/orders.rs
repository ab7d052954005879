//! Orders, one-step purchases, checkout and payments: `POST /orders`, `GET|DELETE
//! /orders/{id}`, `POST /purchases`, `POST /orders/{id}/checkout`.
//!
//! These are also the answers of the hot purchase path (the purchase engine serializes them
//! straight to the response, no intermediate JSON map), so they hold plain owned values and
//! `Copy` enums: building one costs what the old untyped views cost, and no more.

use bilten_domain::{EventId, Money, OrderId, PaymentId, TicketTypeId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use bilten_domain::{OrderStatus, PaymentProvider, PaymentStatus};

use crate::tickets::Ticket;
use crate::wire::wire_enum;

/// `POST /orders` and `POST /purchases`. Every field is optional on the wire so that a missing
/// one is a field error (`required`) with its path, not a refused body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"event_id": "evt_0190f5d2a3b47c8e9d0a1b2c3d4e5f60",
    "items": [{"ticket_type_id": "tty_0190f5d2a3b47c8e9d0a1b2c3d4e5f61", "quantity": 2}],
    "buyer": {"email": "ada@example.com", "name": "Ada Lovelace"}}))]
pub struct CreateOrderRequest {
    /// Required: the event (`evt_…`).
    pub event_id: Option<String>,
    /// Required: 1–50 lines, each ticket type once.
    pub items: Option<Vec<OrderItemRequest>>,
    /// A promo code of the event (case-insensitive).
    pub promo_code: Option<String>,
    /// Required for guests; a logged-in buyer defaults to their account's email and name.
    pub buyer: Option<BuyerRequest>,
    /// The language the order is placed in (`en`, `de` or `es`; default `en`): its mails and
    /// printed tickets are written in it.
    pub locale: Option<String>,
}

/// `POST /purchases`: the body of `POST /orders` plus how to pay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"event_id": "evt_0190f5d2a3b47c8e9d0a1b2c3d4e5f60",
    "items": [{"ticket_type_id": "tty_0190f5d2a3b47c8e9d0a1b2c3d4e5f61", "quantity": 1}],
    "buyer": {"email": "ada@example.com", "name": "Ada Lovelace"}, "test_card": "4242424242424242"}))]
pub struct PurchaseRequest {
    pub event_id: Option<String>,
    pub items: Option<Vec<OrderItemRequest>>,
    pub promo_code: Option<String>,
    pub buyer: Option<BuyerRequest>,
    /// One of the `test` provider's card numbers (docs/API.md); needed when the order costs
    /// money.
    pub test_card: Option<String>,
    /// As in `POST /orders`.
    pub locale: Option<String>,
}

impl PurchaseRequest {
    /// The order part, and the card.
    pub fn split(self) -> (CreateOrderRequest, Option<String>) {
        (
            CreateOrderRequest {
                event_id: self.event_id,
                items: self.items,
                promo_code: self.promo_code,
                buyer: self.buyer,
                locale: self.locale,
            },
            self.test_card,
        )
    }
}

/// One line of [`CreateOrderRequest`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderItemRequest {
    /// Required: the ticket type (`tty_…`).
    pub ticket_type_id: Option<String>,
    /// Required: 1 or more, within the type's per-order limits.
    pub quantity: Option<i64>,
    /// Names for this item's tickets, at most `quantity`; the rest carry the buyer's name.
    pub attendees: Option<Vec<String>>,
}

/// The buyer of [`CreateOrderRequest`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyerRequest {
    pub email: Option<String>,
    pub name: Option<String>,
}

/// Who bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Buyer {
    pub email: String,
    pub name: String,
}

/// One line of an order: a ticket type, how many, and the money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderLine {
    pub ticket_type_id: TicketTypeId,
    /// The ticket type's name when ordered.
    pub name: String,
    pub quantity: i64,
    pub unit_price: Money,
    /// This line's share of the promo code's discount.
    pub discount: Money,
    /// `quantity × unit_price − discount`.
    pub total: Money,
}

/// An order. A pending order whose hold has run out reads as `expired` even before the
/// hold-expiry worker has marked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Order {
    pub id: OrderId,
    pub event_id: EventId,
    pub status: OrderStatus,
    /// Until when a pending order holds its tickets.
    pub expires_at: DateTime<Utc>,
    pub buyer: Buyer,
    pub lines: Vec<OrderLine>,
    /// Tickets in the order.
    pub quantity: i64,
    /// The promo code applied, as the buyer typed it (upper case).
    pub promo_code: Option<String>,
    /// Before the discount.
    pub subtotal: Money,
    pub discount: Money,
    /// What the buyer pays: `subtotal − discount`.
    pub total: Money,
    pub created_at: DateTime<Utc>,
    /// Money given back so far; only in the answer of `POST /orders/{id}/refund`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded: Option<Money>,
}

/// `201` of `POST /orders`: the held order and the key that reaches it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HeldOrder {
    pub order: Order,
    /// `ok_…`: send as `X-Order-Key` to read, pay or cancel this order without an account.
    pub access_key: String,
}

/// `GET /orders/{id}`: the order and its tickets (none until paid).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderDetail {
    pub order: Order,
    pub tickets: Vec<Ticket>,
}

/// `{"order": …}` (`DELETE /orders/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderResponse {
    pub order: Order,
}

/// `201` of `POST /purchases`: the completed order, its payment (none when free) and tickets,
/// shaped like `GET /orders/{id}` plus a checkout, so a client reads both paths alike.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Purchase {
    pub order: Order,
    pub access_key: String,
    pub payment: Option<Payment>,
    pub tickets: Vec<Ticket>,
}

/// A payment attempt of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Payment {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub provider: PaymentProvider,
    pub status: PaymentStatus,
    pub amount: Money,
    /// The provider's decline code (`card_declined`, `insufficient_funds`, …) once failed.
    pub failure_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub succeeded_at: Option<DateTime<Utc>>,
}

/// `POST /orders/{id}/checkout`. The body is optional: absent or `{}` starts the provider's
/// hosted checkout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    /// Test provider only: charge this test card at once (`4242424242424242` succeeds; see
    /// docs/API.md for the declining ones).
    pub test_card: Option<String>,
}

/// `200` of a checkout that completed at once (a free order, or a test card): like
/// [`Purchase`] without the key the caller already has.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompletedCheckout {
    pub order: Order,
    pub payment: Option<Payment>,
    pub tickets: Vec<Ticket>,
}

/// `201` of a checkout that started at the provider: send the buyer to `redirect_url`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StartedCheckout {
    pub redirect_url: String,
    pub payment: Payment,
}

wire_enum! {
    /// What a provider's webhook did (also recorded with the event, for support).
    pub enum WebhookOutcome {
        /// The order was completed: tickets issued.
        OrderCompleted => "order_completed",
        /// The order had been completed already (by the buyer's return, say).
        AlreadyCompleted => "already_completed",
        /// The payment succeeded after all but went back (sold out meanwhile, or paid twice).
        PaymentRefunded => "payment_refunded",
        /// The order could not be completed and there was nothing to refund.
        NotCompleted => "not_completed",
        /// The session is not paid (delayed payment methods; not expected).
        NotPaid => "not_paid",
        /// The checkout expired and the order's hold was released.
        HoldReleased => "hold_released",
        /// The checkout expired; the hold had ended already.
        NothingToRelease => "nothing_to_release",
        /// A refund made at the provider's dashboard was recorded.
        ExternalRefundRecorded => "external_refund_recorded",
        /// A refund the provider reports was ours, already recorded.
        AlreadyRecorded => "already_recorded",
        /// A session this platform did not create.
        UnknownSession => "unknown_session",
        /// A charge of no payment of ours.
        UnknownCharge => "unknown_charge",
        /// This event was handled before (the provider delivered it again).
        Duplicate => "duplicate",
        /// An event type Bilten does not use.
        Ignored => "ignored",
    }
}

/// `200` of `POST /webhooks/stripe`: 2xx stops the provider's retries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookReceived {
    pub received: bool,
    /// The provider's event id.
    pub event_id: String,
    pub outcome: WebhookOutcome,
}
