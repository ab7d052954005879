//! Completing orders: the conditional status changes and inventory moves of a payment.
//!
//! An order is completed by exactly one transaction: the status change is the domain's
//! [`Transition`], conditional on its starting state (`WHERE status = $from AND released_at IS
//! NULL`), so the hold-expiry worker (which
//! needs the same row in the same state) and a second completion attempt lose cleanly.
//! Inventory moves use the same row order as a purchase (ticket types by id, then quotas by
//! id, then the buyer counter), so completions, purchases and releases cannot deadlock.

use bilten_domain::{EventId, OrderId, OrderStatus, Transition};
use chrono::{DateTime, Utc};

use crate::decode::bind_transition;
use crate::{to_millis, Exec, StoreResult};

/// [`OrderStatus::pay`], `pending → paid`, while the hold still counts (not released). True when this call won.
/// A hold whose time ran out but that the worker has not released yet still holds its
/// inventory, so completing it is correct: the release and the payment race on this row.
pub async fn mark_paid_from_hold<'e>(
    ex: impl Exec<'e>,
    id: OrderId,
    t: Transition<OrderStatus>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&MARK_PAID_FROM_HOLD)
        .bind(id.to_db())
        .bind(to_millis(now));
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// [`OrderStatus::pay_after_expiry`], `expired → paid`, for a payment that arrived after the hold was released; the caller must
/// take the inventory again in the same transaction. True when this call won.
pub async fn mark_paid_after_expiry<'e>(
    ex: impl Exec<'e>,
    id: OrderId,
    t: Transition<OrderStatus>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&MARK_PAID_AFTER_EXPIRY)
        .bind(id.to_db())
        .bind(to_millis(now));
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// [`OrderStatus::refund_unfilled`], `expired → refunded`: a late payment found the stock gone and was given back.
pub async fn mark_refunded_unfilled<'e>(
    ex: impl Exec<'e>,
    id: OrderId,
    t: Transition<OrderStatus>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&MARK_REFUNDED_UNFILLED)
        .bind(id.to_db())
        .bind(to_millis(now));
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a late-paid order against its buyer again (releasing the hold had subtracted it).
/// No cap here: the buyer was within the cap when ordering, and refusing now would refund a
/// payment for a limit they did not break.
pub async fn recount_buyer<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    buyer_key: &str,
    n: i64,
) -> StoreResult<()> {
    sqlx::query(&RECOUNT_BUYER)
        .bind(event.to_db())
        .bind(buyer_key)
        .bind(n)
        .execute(ex)
        .await?;
    Ok(())
}

crate::sql::statements! {
    MARK_PAID_FROM_HOLD = "UPDATE orders SET paid_at = $2, updated_at = $2, status = $3
        WHERE id = $1 AND status = $4 AND released_at IS NULL";
    MARK_PAID_AFTER_EXPIRY = "UPDATE orders SET paid_at = $2, updated_at = $2, status = $3
        WHERE id = $1 AND status = $4 AND released_at IS NOT NULL";
    MARK_REFUNDED_UNFILLED = "UPDATE orders SET updated_at = $2, status = $3
        WHERE id = $1 AND status = $4";
    RECOUNT_BUYER =
        "INSERT INTO buyer_event_counts (event_id, buyer_key, quantity) VALUES ($1, $2, $3)
        ON CONFLICT (event_id, buyer_key) DO UPDATE
        SET quantity = buyer_event_counts.quantity + excluded.quantity";
}
