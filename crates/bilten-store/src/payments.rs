//! Queries on `payments`: one row per attempt to pay an order with a provider. (Checkout's
//! `Idempotency-Key` answers are kept by [`crate::idempotency`] like every other operation's;
//! the older `checkout_requests` table stays for a release that still writes it during a
//! rolling update.)
//!
//! Status changes take the domain's [`Transition`] and are conditional on its starting states
//! (`… WHERE status IN (from…)`), so a provider callback that arrives twice, or a hosted page
//! submitted twice, changes a payment once. An order has at
//! most one open (`pending`) attempt (`payments_one_open_per_order`): checkout *claims* it
//! with [`claim`] before the provider is called, so however many checkouts of one order run
//! at once, the provider is asked for one checkout.

use bilten_domain::{OrderId, PaymentId, PaymentProvider, PaymentStatus, Transition};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::decode::{bind_transition, Columns};
use crate::{to_millis, Exec, StoreResult};

#[derive(Debug, Clone)]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub provider: PaymentProvider,
    pub provider_reference: Option<String>,
    pub status: PaymentStatus,
    pub amount_minor: i64,
    pub currency: String,
    pub failure_code: Option<String>,
    /// Where the buyer pays (the provider's hosted page), once the provider has answered.
    pub redirect_url: Option<String>,
    pub succeeded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, order_id, provider, provider_reference, status, amount_minor, currency, \
     failure_code, redirect_url, succeeded_at, created_at";

fn decode(row: &AnyRow) -> StoreResult<PaymentRecord> {
    Ok(PaymentRecord {
        id: row.parsed("id", PaymentId::from_db)?,
        order_id: row.parsed("order_id", OrderId::from_db)?,
        provider: row.text_enum("provider")?,
        provider_reference: row.try_get("provider_reference")?,
        status: row.text_enum("status")?,
        amount_minor: row.try_get("amount_minor")?,
        currency: row.try_get("currency")?,
        failure_code: row.try_get("failure_code")?,
        redirect_url: row.try_get("redirect_url")?,
        succeeded_at: row.opt_time("succeeded_at")?,
        created_at: row.time("created_at")?,
    })
}

pub struct NewPayment<'a> {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub provider: PaymentProvider,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub now: DateTime<Utc>,
}

/// Locks a payable order's row for the claim's transaction: pending, its hold not released
/// and not run out. False, with nothing locked, otherwise. Every writer of an order takes its
/// row first, so a completion that is paying the order right now makes the claim wait and
/// then refuse.
pub async fn lock_payable_order<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&LOCK_PAYABLE_ORDER)
        .bind(order.to_db())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Claims the order's payment attempt: records `p` as `pending`, unless the order already has
/// an open attempt (then false, nothing written). Run it after [`lock_payable_order`], in the
/// same transaction.
pub async fn claim<'e>(ex: impl Exec<'e>, p: &NewPayment<'_>) -> StoreResult<bool> {
    let done = sqlx::query(&CLAIM)
        .bind(p.id.to_db())
        .bind(p.order_id.to_db())
        .bind(p.provider.as_str())
        .bind(p.amount_minor)
        .bind(p.currency)
        .bind(to_millis(p.now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores what the provider answered for a claimed attempt: its id for the checkout and the
/// page the buyer pays on. Only while the attempt is open; false otherwise.
pub async fn set_started<'e>(
    ex: impl Exec<'e>,
    id: PaymentId,
    reference: &str,
    redirect_url: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&SET_STARTED)
        .bind(id.to_db())
        .bind(reference)
        .bind(redirect_url)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The order's open attempt, if any.
pub async fn open_attempt<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
) -> StoreResult<Option<PaymentRecord>> {
    let row = sqlx::query(&OPEN_ATTEMPT)
        .bind(order.to_db())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// Open attempts created before `before`, oldest first; `unstarted_only`: only those the
/// provider never answered for (no reference: the process died between claim and answer).
pub async fn open_before<'e>(
    ex: impl Exec<'e>,
    before: DateTime<Utc>,
    unstarted_only: bool,
    limit: i64,
) -> StoreResult<Vec<PaymentRecord>> {
    let rows = sqlx::query(&OPEN_BEFORE)
        .bind(to_millis(before))
        .bind(i64::from(unstarted_only))
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode).collect()
}

/// Ends an attempt without money taken, with a reason code: [`PaymentStatus::fail`] (it could
/// not be made: declined, the provider refused to start it) or [`PaymentStatus::cancel`]
/// (nobody paid it in its lifetime). False when it was not pending any more.
pub async fn close<'e>(
    ex: impl Exec<'e>,
    id: PaymentId,
    t: Transition<PaymentStatus>,
    code: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&CLOSE)
        .bind(id.to_db())
        .bind(code)
        .bind(to_millis(now));
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a payment's creation time (tests use it to age an attempt without waiting).
pub async fn set_created_at<'e>(
    ex: impl Exec<'e>,
    id: PaymentId,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&SET_CREATED_AT)
        .bind(id.to_db())
        .bind(to_millis(at))
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn find<'e>(ex: impl Exec<'e>, id: PaymentId) -> StoreResult<Option<PaymentRecord>> {
    let row = sqlx::query(&FIND)
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// A payment by the provider's reference (what a webhook names).
pub async fn find_by_reference<'e>(
    ex: impl Exec<'e>,
    provider: PaymentProvider,
    reference: &str,
) -> StoreResult<Option<PaymentRecord>> {
    let row = sqlx::query(&FIND_BY_REFERENCE)
        .bind(provider.as_str())
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
    let rows = sqlx::query(&LIST_FOR_ORDER)
        .bind(order.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode).collect()
}

/// [`PaymentStatus::succeed`], `pending → succeeded`, or `canceled → succeeded`: an attempt we closed as unpaid (its
/// lifetime passed, its session expired) that the provider nevertheless reports paid, e.g. by
/// a webhook delayed past our clock; the provider's word on money wins, so the order is
/// completed (or the money refunded) instead of kept without tickets. False when the payment
/// was already decided otherwise. A second success for the same order is refused by
/// `payments_one_success_per_order` (`StoreError::Unique`).
pub async fn mark_succeeded<'e>(
    ex: impl Exec<'e>,
    id: PaymentId,
    t: Transition<PaymentStatus, 2>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&MARK_SUCCEEDED)
        .bind(id.to_db())
        .bind(to_millis(now));
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// Records a declined attempt. `end`: [`PaymentStatus::fail`] when the decline is final (an
/// API checkout with a test card); `None` keeps it `pending` so the buyer can try another card
/// on the hosted page, as on Stripe's. False when the payment was not pending.
pub async fn record_decline<'e>(
    ex: impl Exec<'e>,
    id: PaymentId,
    code: &str,
    end: Option<Transition<PaymentStatus>>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&RECORD_DECLINE)
        .bind(id.to_db())
        .bind(code)
        .bind(to_millis(now));
    let query = match &end {
        Some(t) => bind_transition(query, t),
        // No change: the row keeps its state and must still be pending.
        None => query
            .bind(PaymentStatus::Pending.as_str())
            .bind(PaymentStatus::Pending.as_str()),
    };
    let done = query.execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// [`PaymentStatus::refund`] (`succeeded|pending|canceled → refunded`) after the provider gave
/// the money back. False when it was already refunded (or never taken).
pub async fn mark_refunded<'e>(
    ex: impl Exec<'e>,
    id: PaymentId,
    t: Transition<PaymentStatus, 3>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&MARK_REFUNDED)
        .bind(id.to_db())
        .bind(to_millis(now));
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// [`PaymentStatus::cancel`] for the open attempts of an order that no longer needs paying.
pub async fn cancel_pending_for_order<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
    t: Transition<PaymentStatus>,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let query = sqlx::query(&CANCEL_PENDING_FOR_ORDER)
        .bind(order.to_db())
        .bind(to_millis(now));
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected())
}

crate::sql::statements! {
    LOCK_PAYABLE_ORDER = "UPDATE orders SET updated_at = updated_at
        WHERE id = $1 AND status = 'pending' AND released_at IS NULL AND expires_at > $2";
    CLAIM = "INSERT INTO payments (id, order_id, provider, status, amount_minor, currency,
        created_at, updated_at)
        VALUES ($1, $2, $3, 'pending', $4, $5, $6, $6)
        ON CONFLICT (order_id) WHERE status = 'pending' DO NOTHING";
    SET_STARTED = "UPDATE payments SET provider_reference = $2, redirect_url = $3, updated_at = $4
        WHERE id = $1 AND status = 'pending'";
    OPEN_ATTEMPT =
        format!("SELECT {COLUMNS} FROM payments WHERE order_id = $1 AND status = 'pending'");
    OPEN_BEFORE = format!("SELECT {COLUMNS} FROM payments
        WHERE status = 'pending' AND created_at < $1
        AND ($2 = 0 OR provider_reference IS NULL)
        ORDER BY created_at, id LIMIT $3");
    CLOSE = "UPDATE payments SET failure_code = $2, updated_at = $3, status = $4
        WHERE id = $1 AND status = $5";
    SET_CREATED_AT = "UPDATE payments SET created_at = $2 WHERE id = $1";
    FIND = format!("SELECT {COLUMNS} FROM payments WHERE id = $1");
    FIND_BY_REFERENCE =
        format!("SELECT {COLUMNS} FROM payments WHERE provider = $1 AND provider_reference = $2");
    LIST_FOR_ORDER =
        format!("SELECT {COLUMNS} FROM payments WHERE order_id = $1 ORDER BY created_at, id");
    MARK_SUCCEEDED =
        "UPDATE payments SET succeeded_at = $2, failure_code = NULL, updated_at = $2, status = $3
        WHERE id = $1 AND status IN ($4, $5)";
    RECORD_DECLINE = "UPDATE payments SET failure_code = $2, updated_at = $3, status = $4
        WHERE id = $1 AND status = $5";
    MARK_REFUNDED = "UPDATE payments SET updated_at = $2, status = $3
        WHERE id = $1 AND status IN ($4, $5, $6)";
    CANCEL_PENDING_FOR_ORDER = "UPDATE payments SET updated_at = $2, status = $3
        WHERE order_id = $1 AND status = $4";
}
