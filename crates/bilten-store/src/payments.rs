//! Queries on `payments`: one row per attempt to pay an order with a provider.
//!
//! Status changes are conditional (`… WHERE status = 'pending'`), so a provider callback that
//! arrives twice, or a hosted page submitted twice, changes a payment once.

use bilten_domain::{OrderId, PaymentId};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{from_millis, to_millis, Exec, StoreError, StoreResult};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

#[derive(Debug, Clone)]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub provider: String,
    pub provider_reference: Option<String>,
    /// `pending`, `succeeded`, `failed`, `canceled` or `refunded`.
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub failure_code: Option<String>,
    pub succeeded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, order_id, provider, provider_reference, status, amount_minor, currency, \
     failure_code, succeeded_at, created_at";

fn decode(row: &AnyRow) -> StoreResult<PaymentRecord> {
    Ok(PaymentRecord {
        id: PaymentId::from_db(&row.try_get::<String, _>("id")?).map_err(corrupt)?,
        order_id: OrderId::from_db(&row.try_get::<String, _>("order_id")?).map_err(corrupt)?,
        provider: row.try_get("provider")?,
        provider_reference: row.try_get("provider_reference")?,
        status: row.try_get("status")?,
        amount_minor: row.try_get("amount_minor")?,
        currency: row.try_get("currency")?,
        failure_code: row.try_get("failure_code")?,
        succeeded_at: row
            .try_get::<Option<i64>, _>("succeeded_at")?
            .map(from_millis),
        created_at: from_millis(row.try_get("created_at")?),
    })
}

pub struct NewPayment<'a> {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub provider: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub now: DateTime<Utc>,
}

/// Records a payment attempt as `pending`.
pub async fn insert<'e>(ex: impl Exec<'e>, p: &NewPayment<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO payments (id, order_id, provider, status, amount_minor, currency,
                               created_at, updated_at)
         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $6)",
    )
    .bind(p.id.to_db())
    .bind(p.order_id.to_db())
    .bind(p.provider)
    .bind(p.amount_minor)
    .bind(p.currency)
    .bind(to_millis(p.now))
    .execute(ex)
    .await?;
    Ok(())
}

/// Stores the provider's id for a payment once checkout has started there.
pub async fn set_reference<'e>(
    ex: impl Exec<'e>,
    id: PaymentId,
    reference: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("UPDATE payments SET provider_reference = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_db())
        .bind(reference)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn find<'e>(ex: impl Exec<'e>, id: PaymentId) -> StoreResult<Option<PaymentRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE id = $1"))
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// A payment by the provider's reference (what a webhook names).
pub async fn find_by_reference<'e>(
    ex: impl Exec<'e>,
    provider: &str,
    reference: &str,
) -> StoreResult<Option<PaymentRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payments WHERE provider = $1 AND provider_reference = $2"
    ))
    .bind(provider)
    .bind(reference)
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(decode).transpose()
}

/// Every payment of an order, oldest first.
pub async fn list_for_order<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
) -> StoreResult<Vec<PaymentRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payments WHERE order_id = $1 ORDER BY created_at, id"
    ))
    .bind(order.to_db())
    .fetch_all(ex)
    .await?;
    rows.iter().map(decode).collect()
}

/// `pending → succeeded`. False when the payment was not pending (already decided). A second
/// success for the same order is refused by `payments_one_success_per_order`
/// (`StoreError::Unique`).
pub async fn mark_succeeded<'e>(
    ex: impl Exec<'e>,
    id: PaymentId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE payments SET status = 'succeeded', succeeded_at = $2, failure_code = NULL,
                             updated_at = $2
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id.to_db())
    .bind(to_millis(now))
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a declined attempt. `final_`: the payment ends `failed` (an API checkout with a
/// test card); otherwise it stays `pending` so the buyer can try another card on the hosted
/// page, as on Stripe's. False when the payment was not pending.
pub async fn record_decline<'e>(
    ex: impl Exec<'e>,
    id: PaymentId,
    code: &str,
    final_: bool,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE payments SET failure_code = $2, updated_at = $3,
                             status = CASE WHEN $4 = 1 THEN 'failed' ELSE status END
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id.to_db())
    .bind(code)
    .bind(to_millis(now))
    .bind(i64::from(final_))
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `succeeded|pending → refunded` after the provider gave the money back. False when it was
/// already refunded (or never taken).
pub async fn mark_refunded<'e>(
    ex: impl Exec<'e>,
    id: PaymentId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE payments SET status = 'refunded', updated_at = $2
         WHERE id = $1 AND status IN ('pending', 'succeeded')",
    )
    .bind(id.to_db())
    .bind(to_millis(now))
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `pending → canceled` for open attempts of an order that no longer needs paying.
pub async fn cancel_pending_for_order<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE payments SET status = 'canceled', updated_at = $2
         WHERE order_id = $1 AND status = 'pending'",
    )
    .bind(order.to_db())
    .bind(to_millis(now))
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}
