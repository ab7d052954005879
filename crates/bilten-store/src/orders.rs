//! Queries on `orders`, `order_lines` and the per-buyer counters.
//!
//! The inventory counters an order moves live in [`crate::inventory`]. Callers take rows in one
//! fixed order (ticket types by id, then quotas by id, then the buyer counter) so concurrent
//! purchases and releases cannot deadlock.

use bilten_domain::{
    EventId, OrderId, OrderStatus, PromoCodeId, QuotaId, TicketTypeId, Transition, UserId,
};
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::decode::{bind_transition, corrupt, Columns};
use crate::{to_millis, Exec, StoreResult};

/// `(quota, ticket type)` pairs for the given ticket types, sorted by quota.
pub async fn quota_memberships<'e>(
    ex: impl Exec<'e>,
    event: EventId,
) -> StoreResult<Vec<(QuotaId, TicketTypeId)>> {
    let rows = sqlx::query(&QUOTA_MEMBERSHIPS)
        .bind(event.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.parsed("quota_id", QuotaId::from_db)?,
                row.parsed("ticket_type_id", TicketTypeId::from_db)?,
            ))
        })
        .collect()
}

/// Adds `n` to a buyer's tickets for an event unless that passes `cap`. False: over the cap.
/// One conditional upsert, so concurrent orders of one buyer serialise on the counter row.
pub async fn take_buyer_count<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    buyer_key: &str,
    n: i64,
    cap: i64,
) -> StoreResult<bool> {
    if n > cap {
        return Ok(false);
    }
    let done = sqlx::query(&TAKE_BUYER_COUNT)
        .bind(event.to_db())
        .bind(buyer_key)
        .bind(n)
        .bind(cap)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn release_buyer_count<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    buyer_key: &str,
    n: i64,
) -> StoreResult<()> {
    sqlx::query(&RELEASE_BUYER_COUNT)
        .bind(event.to_db())
        .bind(buyer_key)
        .bind(n)
        .execute(ex)
        .await?;
    Ok(())
}

pub struct NewOrder<'a> {
    pub id: OrderId,
    pub event_id: EventId,
    pub buyer_user_id: Option<UserId>,
    pub buyer_key: &'a str,
    pub buyer_email: &'a str,
    pub buyer_name: &'a str,
    pub status: OrderStatus,
    pub expires_at: DateTime<Utc>,
    pub total_minor: i64,
    pub currency: &'a str,
    pub quantity: i64,
    /// The promo code whose use this order took (given back when its hold ends).
    pub promo_code_id: Option<PromoCodeId>,
    pub discount_minor: i64,
    pub idempotency_key: &'a str,
    pub request_hash: &'a str,
    pub now: DateTime<Utc>,
}

/// Inserts an order; a reused idempotency key is `StoreError::Unique`
/// (`orders_idempotency_key`).
pub async fn insert_order<'e>(ex: impl Exec<'e>, o: &NewOrder<'_>) -> StoreResult<()> {
    sqlx::query(&INSERT_ORDER)
        .bind(o.id.to_db())
        .bind(o.event_id.to_db())
        .bind(o.buyer_user_id.map(|u| u.to_db()))
        .bind(o.buyer_key)
        .bind(o.buyer_email)
        .bind(o.buyer_name)
        .bind(o.status.as_str())
        .bind(to_millis(o.expires_at))
        .bind(o.total_minor)
        .bind(o.currency)
        .bind(o.quantity)
        .bind(o.idempotency_key)
        .bind(o.request_hash)
        .bind(to_millis(o.now))
        .bind(o.promo_code_id.map(|p| p.to_db()))
        .bind(o.discount_minor)
        .execute(ex)
        .await?;
    Ok(())
}

/// An order line; `total_minor` is stored as `quantity × unit price − discount` (what the line
/// actually costs, so a refund of the line gives back that).
pub async fn insert_line<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
    ticket_type: TicketTypeId,
    quantity: i64,
    unit_price_minor: i64,
    discount_minor: i64,
    attendee_names: &[String],
) -> StoreResult<()> {
    let names = serde_json::to_string(attendee_names).map_err(corrupt)?;
    sqlx::query(&INSERT_LINE)
        .bind(order.to_db())
        .bind(ticket_type.to_db())
        .bind(quantity)
        .bind(unit_price_minor)
        .bind(discount_minor)
        .bind(quantity * unit_price_minor - discount_minor)
        .bind(names)
        .execute(ex)
        .await?;
    Ok(())
}

/// The order an idempotency key created, with the hash of the request that created it.
pub async fn find_by_idempotency_key<'e>(
    ex: impl Exec<'e>,
    key: &str,
) -> StoreResult<Option<(OrderId, String)>> {
    let row = sqlx::query(&FIND_BY_IDEMPOTENCY_KEY)
        .bind(key)
        .fetch_optional(ex)
        .await?;
    row.map(|row| {
        Ok((
            row.parsed("id", OrderId::from_db)?,
            row.try_get("request_hash")?,
        ))
    })
    .transpose()
}

#[derive(Debug, Clone)]
pub struct OrderLineRecord {
    pub ticket_type_id: TicketTypeId,
    pub ticket_type_name: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    /// This line's share of the order's promo discount.
    pub discount_minor: i64,
    /// After the discount.
    pub total_minor: i64,
    /// Names given at checkout for this line's tickets, in issue order (may be fewer than
    /// `quantity`; those missing or empty carry the buyer's name).
    pub attendee_names: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub id: OrderId,
    pub event_id: EventId,
    pub organization_id: bilten_domain::OrganizationId,
    pub buyer_user_id: Option<UserId>,
    pub buyer_key: String,
    pub buyer_email: String,
    pub buyer_name: String,
    pub status: OrderStatus,
    pub expires_at: DateTime<Utc>,
    pub total_minor: i64,
    pub currency: String,
    pub quantity: i64,
    pub promo_code_id: Option<PromoCodeId>,
    /// The promo code's text, when the order used one.
    pub promo_code: Option<String>,
    /// Total discount; `total_minor` is after it.
    pub discount_minor: i64,
    pub released_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The language the order was placed in (`en`, `de`, `es`).
    pub locale: String,
    pub lines: Vec<OrderLineRecord>,
}

impl OrderRecord {
    /// Tickets per ticket type, in ticket type id order (the inventory lock order).
    pub fn quantities_per_type(&self) -> std::collections::BTreeMap<TicketTypeId, i64> {
        let mut per_type = std::collections::BTreeMap::new();
        for line in &self.lines {
            *per_type.entry(line.ticket_type_id).or_default() += line.quantity;
        }
        per_type
    }
}

/// An order with its lines (one row per line, folded here).
pub async fn find_order<'e>(ex: impl Exec<'e>, id: OrderId) -> StoreResult<Option<OrderRecord>> {
    let rows = sqlx::query(&FIND_ORDER)
        .bind(id.to_db())
        .fetch_all(ex)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let buyer: Option<String> = first.try_get("buyer_user_id")?;
    let mut order = OrderRecord {
        id: first.parsed("id", OrderId::from_db)?,
        event_id: first.parsed("event_id", EventId::from_db)?,
        organization_id: bilten_domain::OrganizationId::from_db(
            &first.try_get::<String, _>("organization_id")?,
        )
        .map_err(corrupt)?,
        buyer_user_id: buyer
            .map(|b| UserId::from_db(&b))
            .transpose()
            .map_err(corrupt)?,
        buyer_key: first.try_get("buyer_key")?,
        buyer_email: first.try_get("buyer_email")?,
        buyer_name: first.try_get("buyer_name")?,
        status: first.text_enum("status")?,
        expires_at: first.time("expires_at")?,
        total_minor: first.try_get("total_minor")?,
        currency: first.try_get("currency")?,
        quantity: first.try_get("quantity")?,
        promo_code_id: first.opt_parsed("promo_code_id", PromoCodeId::from_db)?,
        promo_code: first.try_get("promo_code")?,
        discount_minor: first.try_get("discount_minor")?,
        released_at: first.opt_time("released_at")?,
        created_at: first.time("created_at")?,
        locale: first.try_get("locale")?,
        lines: Vec::with_capacity(rows.len()),
    };
    for row in &rows {
        order.lines.push(OrderLineRecord {
            ticket_type_id: row.parsed("ticket_type_id", TicketTypeId::from_db)?,
            ticket_type_name: row.try_get("ticket_type_name")?,
            quantity: row.try_get("line_quantity")?,
            unit_price_minor: row.try_get("unit_price_minor")?,
            discount_minor: row.try_get("line_discount")?,
            total_minor: row.try_get("line_total")?,
            attendee_names: serde_json::from_str(&row.try_get::<String, _>("attendee_names")?)
                .map_err(corrupt)?,
        });
    }
    Ok(Some(order))
}

/// Ends the hold of a pending order by `t` ([`OrderStatus::expire`] or
/// [`OrderStatus::cancel_pending`]) and sets `released_at`, only if the order is still in `t`'s
/// starting state and unreleased (and, for `expired`, only if its hold has run out). True when this call won; only the winner gives the inventory back,
/// in the same transaction, so a hold is released exactly once however many workers race.
pub async fn end_hold<'e>(
    ex: impl Exec<'e>,
    id: OrderId,
    t: Transition<OrderStatus>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&END_HOLD)
        .bind(id.to_db())
        .bind(to_millis(now))
        .bind(i64::from(t.to() == OrderStatus::Expired));
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// Pending orders whose hold ran out and that still count against inventory, oldest first.
/// `event`: only that event's orders.
pub async fn lapsed_holds<'e>(
    ex: impl Exec<'e>,
    now: DateTime<Utc>,
    event: Option<EventId>,
    limit: i64,
) -> StoreResult<Vec<OrderId>> {
    let rows = sqlx::query(&LAPSED_HOLDS)
        .bind(to_millis(now))
        .bind(event.map(|e| e.to_db()))
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| row.parsed("id", OrderId::from_db))
        .collect()
}

fn ticket_type_ledger_sql() -> String {
    format!(
        "SELECT t.held - {} AS held, t.sold + {} AS sold,
                CAST(COALESCE((SELECT SUM(l.quantity) FROM order_lines l
                    JOIN orders o ON o.id = l.order_id
                    WHERE l.ticket_type_id = t.id AND o.status = 'pending'
                      AND o.released_at IS NULL), 0) AS BIGINT) AS held_rows,
                CAST(COALESCE((SELECT SUM(l.quantity) FROM order_lines l
                    JOIN orders o ON o.id = l.order_id
                    WHERE l.ticket_type_id = t.id
                      AND o.status IN ('paid', 'partially_refunded')), 0) AS BIGINT) AS sold_rows
         FROM ticket_types t WHERE t.id = $1",
        crate::leases::held_by_leases_of_type("t.id"),
        crate::leases::sold_by_leases_of_type("t.id"),
    )
}

/// Sums for the invariant check: `(held, sold)` counters of a ticket type, and the tickets
/// in live (unreleased pending) and paid orders of it. The counters are read as buyers see
/// them: places of live inventory leases are taken out of `held`, and what the leases sold
/// is added to `sold` (see [`crate::leases`]).
pub async fn ticket_type_ledger<'e>(
    ex: impl Exec<'e>,
    id: TicketTypeId,
) -> StoreResult<(i64, i64, i64, i64)> {
    let sql = ticket_type_ledger_sql();
    let row = sqlx::query(&sql).bind(id.to_db()).fetch_one(ex).await?;
    Ok((
        row.try_get("held")?,
        row.try_get("sold")?,
        row.try_get("held_rows")?,
        row.try_get("sold_rows")?,
    ))
}

/// Moves a hold's end (tests use it to make a hold lapse without waiting).
pub async fn set_expires_at<'e>(
    ex: impl Exec<'e>,
    id: OrderId,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&SET_EXPIRES_AT)
        .bind(id.to_db())
        .bind(to_millis(at))
        .execute(ex)
        .await?;
    Ok(())
}

fn quota_ledger_sql() -> String {
    format!(
        "SELECT q.held - {} AS held, q.sold + {} AS sold,
                CAST(COALESCE((SELECT SUM(l.quantity) FROM order_lines l
                    JOIN orders o ON o.id = l.order_id
                    JOIN quota_ticket_types m ON m.ticket_type_id = l.ticket_type_id
                    WHERE m.quota_id = q.id AND o.status = 'pending'
                      AND o.released_at IS NULL), 0) AS BIGINT) AS held_rows,
                CAST(COALESCE((SELECT SUM(l.quantity) FROM order_lines l
                    JOIN orders o ON o.id = l.order_id
                    JOIN quota_ticket_types m ON m.ticket_type_id = l.ticket_type_id
                    WHERE m.quota_id = q.id
                      AND o.status IN ('paid', 'partially_refunded')), 0) AS BIGINT) AS sold_rows
         FROM quotas q WHERE q.id = $1",
        crate::leases::held_by_leases_of_quota("q.id"),
        crate::leases::sold_by_leases_of_quota("q.id"),
    )
}

/// Sums for the quota invariant check: `(held, sold, held_rows, sold_rows)`, the counters
/// read as buyers see them (like [`ticket_type_ledger`]).
pub async fn quota_ledger<'e>(ex: impl Exec<'e>, id: QuotaId) -> StoreResult<(i64, i64, i64, i64)> {
    let sql = quota_ledger_sql();
    let row = sqlx::query(&sql).bind(id.to_db()).fetch_one(ex).await?;
    Ok((
        row.try_get("held")?,
        row.try_get("sold")?,
        row.try_get("held_rows")?,
        row.try_get("sold_rows")?,
    ))
}

/// Gives the guest orders (no account) bought with `email` to `user`, whose account has just
/// proved it receives that email. One conditional update: only orders still without an owner
/// move, so an order bought by another account is never taken. Returns how many moved.
pub async fn claim_guest_orders<'e>(
    ex: impl Exec<'e>,
    user: UserId,
    email: &bilten_domain::Email,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let done = sqlx::query(&CLAIM_GUEST_ORDERS)
        .bind(user.to_db())
        .bind(email.as_str())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// Every text built here (see `crate::sql`).
pub(crate) fn built(_: crate::Dialect) -> Vec<(String, String)> {
    vec![
        ("ticket_type_ledger".to_owned(), ticket_type_ledger_sql()),
        ("quota_ledger".to_owned(), quota_ledger_sql()),
    ]
}

crate::sql::statements! {
    QUOTA_MEMBERSHIPS = "SELECT qt.quota_id, qt.ticket_type_id FROM quota_ticket_types qt
        JOIN quotas q ON q.id = qt.quota_id WHERE q.event_id = $1
        ORDER BY qt.quota_id, qt.ticket_type_id";
    TAKE_BUYER_COUNT =
        "INSERT INTO buyer_event_counts (event_id, buyer_key, quantity) VALUES ($1, $2, $3)
        ON CONFLICT (event_id, buyer_key) DO UPDATE
        SET quantity = buyer_event_counts.quantity + excluded.quantity
        WHERE buyer_event_counts.quantity + excluded.quantity <= $4";
    RELEASE_BUYER_COUNT = "UPDATE buyer_event_counts SET quantity = quantity - $3
        WHERE event_id = $1 AND buyer_key = $2";
    INSERT_ORDER =
        "INSERT INTO orders (id, event_id, buyer_user_id, buyer_key, buyer_email, buyer_name,
        status, expires_at, total_minor, currency, quantity, idempotency_key, request_hash,
        created_at, updated_at, promo_code_id, discount_minor)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16)";
    INSERT_LINE = "INSERT INTO order_lines (order_id, ticket_type_id, quantity, unit_price_minor,
        discount_minor, total_minor, attendee_names)
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    FIND_BY_IDEMPOTENCY_KEY = "SELECT id, request_hash FROM orders WHERE idempotency_key = $1";
    FIND_ORDER = "SELECT o.id, o.event_id, e.organization_id, o.buyer_user_id, o.buyer_key,
        o.buyer_email, o.buyer_name, o.status, o.expires_at, o.total_minor, o.currency,
        o.quantity, o.released_at, o.created_at, o.promo_code_id, o.discount_minor,
        o.locale, p.code AS promo_code,
        l.ticket_type_id, t.name AS ticket_type_name, l.quantity AS line_quantity,
        l.unit_price_minor, l.discount_minor AS line_discount, l.total_minor AS line_total,
        l.attendee_names
        FROM orders o
        JOIN events e ON e.id = o.event_id
        LEFT JOIN promo_codes p ON p.id = o.promo_code_id
        JOIN order_lines l ON l.order_id = o.id
        JOIN ticket_types t ON t.id = l.ticket_type_id
        WHERE o.id = $1 ORDER BY l.ticket_type_id";
    END_HOLD = "UPDATE orders SET released_at = $2, updated_at = $2, status = $4
        WHERE id = $1 AND status = $5 AND released_at IS NULL
        AND ($3 = 0 OR expires_at <= $2)";
    LAPSED_HOLDS = "SELECT o.id FROM orders o
        WHERE o.status = 'pending' AND o.released_at IS NULL AND o.expires_at <= $1
        AND ($2 IS NULL OR o.event_id = $2)
        ORDER BY o.expires_at LIMIT $3";
    SET_EXPIRES_AT = "UPDATE orders SET expires_at = $2 WHERE id = $1";
    CLAIM_GUEST_ORDERS = "UPDATE orders SET buyer_user_id = $1, updated_at = $3
        WHERE buyer_email = $2 AND buyer_user_id IS NULL";
}
