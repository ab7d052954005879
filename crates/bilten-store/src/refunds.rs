//! Refunds: the money reserved on the order, the refund rows, the tickets they cancel, and
//! the inventory they give back.
//!
//! Every step is conditional so concurrent refunds of one order cannot give back more than was
//! paid (`reserve_amount`, backed by the `orders.refunded_minor` CHECK), cannot refund a
//! ticket twice (`refund_tickets_ticket_key`, and `tickets::cancel_tickets` skipping tickets
//! that are no longer valid) and cannot drive a counter below zero (`inventory::Movement::Unsell`).

use bilten_domain::{
    EventId, EventStatus, OrderId, OrderStatus, PaymentId, PaymentProvider, RefundId, RefundReason,
    RefundStatus, TicketId, Transition, UserId,
};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::decode::{bind_transition, corrupt, Columns};
use crate::{to_millis, Exec, StoreError, StoreResult};

/// Adds `amount` to what the order has had refunded, if the order is paid (or partially
/// refunded) and the total stays within what was paid. False otherwise; nothing changes.
pub async fn reserve_amount<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
    amount: i64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&RESERVE_AMOUNT)
        .bind(order.to_db())
        .bind(amount)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// After tickets were canceled: `some_left` ([`OrderStatus::refund_part`]) while any of the
/// order's tickets is still valid, otherwise `none_left` ([`OrderStatus::refund_all`]), each
/// only from its own starting states. Returns the order's new status.
pub async fn settle_order_status<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
    some_left: Transition<OrderStatus, 2>,
    none_left: Transition<OrderStatus, 2>,
    now: DateTime<Utc>,
) -> StoreResult<OrderStatus> {
    let query = sqlx::query(&SETTLE_ORDER_STATUS)
        .bind(order.to_db())
        .bind(to_millis(now));
    let query = bind_transition(bind_transition(query, &some_left), &none_left);
    query.fetch_one(ex).await?.text_enum("status")
}

/// Lowers a buyer's per-event count by `n`, never below zero.
pub async fn uncount_buyer<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    buyer_key: &str,
    n: i64,
) -> StoreResult<()> {
    sqlx::query(&UNCOUNT_BUYER)
        .bind(event.to_db())
        .bind(buyer_key)
        .bind(n)
        .execute(ex)
        .await?;
    Ok(())
}

pub struct NewRefund<'a> {
    pub id: RefundId,
    pub order_id: OrderId,
    pub payment_id: Option<PaymentId>,
    pub provider: Option<PaymentProvider>,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub reason: RefundReason,
    pub requested_by: Option<UserId>,
    pub now: DateTime<Utc>,
}

/// Records a refund as `pending`.
pub async fn insert<'e>(ex: impl Exec<'e>, r: &NewRefund<'_>) -> StoreResult<()> {
    sqlx::query(&INSERT)
        .bind(r.id.to_db())
        .bind(r.order_id.to_db())
        .bind(r.payment_id.map(|p| p.to_db()))
        .bind(r.provider.map(PaymentProvider::as_str))
        .bind(r.amount_minor)
        .bind(r.currency)
        .bind(r.reason.as_str())
        .bind(r.requested_by.map(|u| u.to_db()))
        .bind(to_millis(r.now))
        .execute(ex)
        .await?;
    Ok(())
}

/// Links a canceled ticket to its refund. A ticket already refunded is refused by
/// `refund_tickets_ticket_key` (`StoreError::Unique`).
pub async fn add_ticket<'e>(
    ex: impl Exec<'e>,
    refund: RefundId,
    ticket: TicketId,
) -> StoreResult<()> {
    sqlx::query(&ADD_TICKET)
        .bind(refund.to_db())
        .bind(ticket.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// [`RefundStatus::succeed`] (`pending → succeeded`) with the provider's refund id. False
/// when it was not pending (a concurrent retry settled it first).
pub async fn mark_succeeded<'e>(
    ex: impl Exec<'e>,
    id: RefundId,
    t: Transition<RefundStatus>,
    provider_reference: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&MARK_SUCCEEDED)
        .bind(id.to_db())
        .bind(provider_reference)
        .bind(to_millis(now));
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// Notes why the provider refused or could not be reached; the refund stays `pending` so it
/// is retried with the same idempotency key.
pub async fn note_failure<'e>(
    ex: impl Exec<'e>,
    id: RefundId,
    code: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&NOTE_FAILURE)
        .bind(id.to_db())
        .bind(code)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct RefundRecord {
    pub id: RefundId,
    pub order_id: OrderId,
    pub payment_id: Option<PaymentId>,
    pub provider: Option<PaymentProvider>,
    pub provider_reference: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: RefundReason,
    pub status: RefundStatus,
    pub failure_code: Option<String>,
    pub ticket_ids: Vec<TicketId>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, order_id, payment_id, provider, provider_reference, amount_minor, \
     currency, reason, status, failure_code, created_at";

fn decode(row: &AnyRow) -> StoreResult<RefundRecord> {
    Ok(RefundRecord {
        id: row.parsed("id", RefundId::from_db)?,
        order_id: row.parsed("order_id", OrderId::from_db)?,
        payment_id: row.opt_parsed("payment_id", PaymentId::from_db)?,
        provider: row.opt_parsed("provider", |p| {
            PaymentProvider::parse(p).ok_or("unknown provider")
        })?,
        provider_reference: row.try_get("provider_reference")?,
        amount_minor: row.try_get("amount_minor")?,
        currency: row.try_get("currency")?,
        reason: row.text_enum("reason")?,
        status: row.text_enum("status")?,
        failure_code: row.try_get("failure_code")?,
        ticket_ids: Vec::new(),
        created_at: row.time("created_at")?,
    })
}

async fn with_tickets(
    ex: &mut sqlx::AnyConnection,
    mut refund: RefundRecord,
) -> StoreResult<RefundRecord> {
    let rows = sqlx::query(&WITH_TICKETS)
        .bind(refund.id.to_db())
        .fetch_all(&mut *ex)
        .await?;
    refund.ticket_ids = rows
        .iter()
        .map(|r| r.parsed("ticket_id", TicketId::from_db))
        .collect::<StoreResult<_>>()?;
    Ok(refund)
}

pub async fn find(ex: &mut sqlx::AnyConnection, id: RefundId) -> StoreResult<Option<RefundRecord>> {
    let row = sqlx::query(&FIND)
        .bind(id.to_db())
        .fetch_optional(&mut *ex)
        .await?;
    match row.as_ref().map(decode).transpose()? {
        Some(refund) => Ok(Some(with_tickets(ex, refund).await?)),
        None => Ok(None),
    }
}

/// Every refund of an order, oldest first, with their tickets.
pub async fn list_for_order(
    ex: &mut sqlx::AnyConnection,
    order: OrderId,
) -> StoreResult<Vec<RefundRecord>> {
    let rows = sqlx::query(&LIST_FOR_ORDER)
        .bind(order.to_db())
        .fetch_all(&mut *ex)
        .await?;
    let mut refunds = Vec::with_capacity(rows.len());
    for row in &rows {
        refunds.push(with_tickets(ex, decode(row)?).await?);
    }
    Ok(refunds)
}

/// Refunds still waiting for the provider, created before `before`, oldest first.
pub async fn pending_before<'e>(
    ex: impl Exec<'e>,
    before: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<RefundId>> {
    let rows = sqlx::query(&PENDING_BEFORE)
        .bind(to_millis(before))
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|r| r.parsed("id", RefundId::from_db))
        .collect()
}

/// Sets the provider's id of the captured payment (Stripe: the `PaymentIntent`).
pub async fn set_payment_reference<'e>(
    ex: impl Exec<'e>,
    payment: PaymentId,
    reference: &str,
) -> StoreResult<()> {
    sqlx::query(&SET_PAYMENT_REFERENCE)
        .bind(payment.to_db())
        .bind(reference)
        .execute(ex)
        .await?;
    Ok(())
}

/// The provider's id of the captured payment, if known.
pub async fn payment_reference<'e>(
    ex: impl Exec<'e>,
    payment: PaymentId,
) -> StoreResult<Option<String>> {
    let reference: Option<Option<String>> = sqlx::query_scalar(&PAYMENT_REFERENCE)
        .bind(payment.to_db())
        .fetch_optional(ex)
        .await?;
    Ok(reference.flatten())
}

/// Brings a live hold's end forward to `now` (its provider session expired, so nobody can pay
/// it any more); the caller then releases it as `expired`. No effect on other orders.
pub async fn end_hold_now<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&END_HOLD_NOW)
        .bind(order.to_db())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

/// What has been refunded on an order so far (minor units).
pub async fn refunded_minor<'e>(ex: impl Exec<'e>, order: OrderId) -> StoreResult<i64> {
    let refunded: Option<i64> = sqlx::query_scalar(&REFUNDED_MINOR)
        .bind(order.to_db())
        .fetch_optional(ex)
        .await?;
    refunded.ok_or(StoreError::NotFound)
}

/// The payment whose captured money the provider knows as `reference`.
pub async fn payment_by_reference<'e>(
    ex: impl Exec<'e>,
    provider: PaymentProvider,
    reference: &str,
) -> StoreResult<Option<PaymentId>> {
    let id: Option<String> = sqlx::query_scalar(&PAYMENT_BY_REFERENCE)
        .bind(provider.as_str())
        .bind(reference)
        .fetch_optional(ex)
        .await?;
    id.map(|id| PaymentId::from_db(&id).map_err(corrupt))
        .transpose()
}

/// Sum of the refunds recorded against a payment (any status but `failed`).
pub async fn recorded_for_payment<'e>(ex: impl Exec<'e>, payment: PaymentId) -> StoreResult<i64> {
    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back so both engines return an integer.
    let sum: i64 = sqlx::query_scalar(&RECORDED_FOR_PAYMENT)
        .bind(payment.to_db())
        .fetch_one(ex)
        .await?;
    Ok(sum)
}

/// Adds `amount` to the order's refunded total whatever its status, capped by the CHECK
/// (money given back outside Bilten). False if it would pass the total.
pub async fn record_external_amount<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
    amount: i64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&RECORD_EXTERNAL_AMOUNT)
        .bind(order.to_db())
        .bind(amount)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// [`EventStatus::cancel`] (`draft|published → canceled`). False if the event was already
/// canceled.
pub async fn cancel_event<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    t: Transition<EventStatus, 2>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&CANCEL_EVENT)
        .bind(event.to_db())
        .bind(to_millis(now));
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

fn orders_of_event_sql(statuses: &[OrderStatus]) -> String {
    // The statuses' names are our own constants, never user input.
    let list = statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT id FROM orders WHERE event_id = $1 AND status IN ({list}) ORDER BY created_at, id"
    )
}

/// Every text built here (see `crate::sql`).
pub(crate) fn built(_: crate::Dialect) -> Vec<(String, String)> {
    vec![
        (
            "orders_of_event(1)".to_owned(),
            orders_of_event_sql(&[OrderStatus::Paid]),
        ),
        (
            "orders_of_event(2)".to_owned(),
            orders_of_event_sql(&bilten_domain::order::ADMITTING),
        ),
    ]
}

/// The ids of an event's orders in one of `statuses`, oldest first.
pub async fn orders_of_event<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    statuses: &[OrderStatus],
) -> StoreResult<Vec<OrderId>> {
    let rows = sqlx::query(&orders_of_event_sql(statuses))
        .bind(event.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|r| r.parsed("id", OrderId::from_db))
        .collect()
}

crate::sql::statements! {
    RESERVE_AMOUNT = "UPDATE orders SET refunded_minor = refunded_minor + $2, updated_at = $3
        WHERE id = $1 AND status IN ('paid', 'partially_refunded')
        AND refunded_minor + $2 <= total_minor";
    SETTLE_ORDER_STATUS = "UPDATE orders SET updated_at = $2,
        status = CASE WHEN EXISTS (SELECT 1 FROM tickets t
            WHERE t.order_id = orders.id AND t.status = 'valid') THEN $3 ELSE $6 END
        WHERE id = $1 AND CASE WHEN EXISTS (SELECT 1 FROM tickets t
            WHERE t.order_id = orders.id AND t.status = 'valid')
            THEN status IN ($4, $5) ELSE status IN ($7, $8) END
        RETURNING status";
    UNCOUNT_BUYER =
        "UPDATE buyer_event_counts SET quantity = CASE WHEN quantity >= $3 THEN quantity - $3 ELSE 0 END
        WHERE event_id = $1 AND buyer_key = $2";
    INSERT =
        "INSERT INTO refunds (id, order_id, payment_id, provider, amount_minor, currency, reason,
        status, requested_by, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $9)";
    ADD_TICKET = "INSERT INTO refund_tickets (refund_id, ticket_id) VALUES ($1, $2)";
    MARK_SUCCEEDED =
        "UPDATE refunds SET provider_reference = $2, failure_code = NULL, updated_at = $3,
        status = $4
        WHERE id = $1 AND status = $5";
    NOTE_FAILURE =
        "UPDATE refunds SET failure_code = $2, updated_at = $3 WHERE id = $1 AND status = 'pending'";
    WITH_TICKETS = "SELECT ticket_id FROM refund_tickets WHERE refund_id = $1 ORDER BY ticket_id";
    FIND = format!("SELECT {COLUMNS} FROM refunds WHERE id = $1");
    LIST_FOR_ORDER =
        format!("SELECT {COLUMNS} FROM refunds WHERE order_id = $1 ORDER BY created_at, id");
    PENDING_BEFORE = "SELECT id FROM refunds WHERE status = 'pending' AND created_at < $1
        ORDER BY created_at, id LIMIT $2";
    SET_PAYMENT_REFERENCE = "UPDATE payments SET provider_payment_reference = $2 WHERE id = $1";
    PAYMENT_REFERENCE = "SELECT provider_payment_reference FROM payments WHERE id = $1";
    END_HOLD_NOW = "UPDATE orders SET expires_at = $2
        WHERE id = $1 AND status = 'pending' AND released_at IS NULL AND expires_at > $2";
    REFUNDED_MINOR = "SELECT refunded_minor FROM orders WHERE id = $1";
    PAYMENT_BY_REFERENCE =
        "SELECT id FROM payments WHERE provider = $1 AND provider_payment_reference = $2";
    RECORDED_FOR_PAYMENT = "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM refunds
        WHERE payment_id = $1 AND status <> 'failed'";
    RECORD_EXTERNAL_AMOUNT =
        "UPDATE orders SET refunded_minor = refunded_minor + $2, updated_at = $3
        WHERE id = $1 AND refunded_minor + $2 <= total_minor";
    CANCEL_EVENT = "UPDATE events SET updated_at = $2, status = $3
        WHERE id = $1 AND status IN ($4, $5)";
}
