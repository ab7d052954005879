//! The purchase engine's queries: one transaction for a whole batch of buyers.
//!
//! The engine (in the backend) gathers concurrent purchases of one event and takes them
//! together. Its transaction:
//! 1. locks the event's counter rows in the one lock order of every inventory move — ticket
//!    types by id, then quotas by id ([`lock_inventory`]; `FOR NO KEY UPDATE` on PostgreSQL, SQLite's
//!    single connection already serialises writers);
//! 2. reads the batch's buyers' counters, locked ([`buyer_counts`]), and adds to them with one
//!    conditional upsert ([`add_buyer_counts`]);
//! 3. inserts every order, line, ticket and payment of the batch with one multi-row `INSERT`
//!    per table, orders first with `ON CONFLICT (idempotency_key) DO NOTHING` so a key taken
//!    by another process meanwhile refuses only that buyer;
//! 4. moves each counter once for the batch through [`crate::inventory::shift`], whose
//!    conditional update and the tables' `CHECK`s stay the last word against overselling.
//!
//! Statements are built with numbered parameters for any number of rows; every value is
//! bound, only the shape (how many `($n, …)` groups) is formatted in.

use std::collections::HashMap;
use std::fmt::Write as _;

use bilten_domain::{
    EventId, EventStatus, OrderId, OrderStatus, OrganizationId, PaymentId, PromoCodeId, QuotaId,
    TicketId, TicketTypeId, UserId, Visibility,
};
use chrono::{DateTime, Utc};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Row};

use crate::{to_millis, Dialect, StoreResult, Tx};

use crate::decode::{corrupt, Columns};

/// What the batch needs to know of its event, read in its transaction.
#[derive(Debug, Clone)]
pub struct EventTerms {
    pub id: EventId,
    pub organization_id: OrganizationId,
    pub status: EventStatus,
    pub currency: String,
    pub buyer_cap: i64,
    pub hold_minutes: i64,
    pub ends_at: DateTime<Utc>,
    /// What a ticket shows of its event.
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub timezone: String,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub online_url: Option<String>,
}

/// A ticket type's terms and counters, locked for the batch.
#[derive(Debug, Clone)]
pub struct LockedTicketType {
    pub id: TicketTypeId,
    pub name: String,
    pub price_minor: i64,
    pub capacity: i64,
    pub held: i64,
    pub sold: i64,
    pub sales_start: Option<DateTime<Utc>>,
    pub sales_end: Option<DateTime<Utc>>,
    pub min_per_order: i64,
    pub max_per_order: i64,
    pub visibility: Visibility,
}

/// A quota's counters, locked for the batch, with the ticket types it covers.
#[derive(Debug, Clone)]
pub struct LockedQuota {
    pub id: QuotaId,
    pub capacity: i64,
    pub held: i64,
    pub sold: i64,
    pub ticket_types: Vec<TicketTypeId>,
}

/// An event's inventory as the batch sees it, under its locks.
#[derive(Debug, Clone)]
pub struct LockedInventory {
    pub event: EventTerms,
    /// Sorted by id.
    pub ticket_types: Vec<LockedTicketType>,
    /// Sorted by id.
    pub quotas: Vec<LockedQuota>,
}

/// The counter rows' lock where the engine has row locks: `FOR NO KEY UPDATE`, the lock the
/// counters' own `UPDATE`s take. Not `FOR UPDATE`: that one also blocks the `FOR KEY SHARE`
/// lock every foreign-key check takes, so a batch selling from an inventory lease (which
/// holds its lease row and inserts order lines referencing the ticket type) would wait for
/// the locked batch while the locked batch waits for its lease row: a deadlock.
fn for_update(dialect: Dialect, of: &str) -> String {
    match dialect {
        Dialect::Postgres => format!(" FOR NO KEY UPDATE OF {of}"),
        Dialect::Sqlite => String::new(),
    }
}

/// How a batch reads its event's inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Lock the counters (ticket types, then quotas, each by id) and read the quotas: the
    /// batch decides from the counters.
    Locked,
    /// Read the ticket types' terms without locks and no quotas: the batch sells from its
    /// inventory leases, which already hold the places on every counter.
    Leased,
}

/// Reads the event and its ticket types (and, [`Read::Locked`], locks its counters and reads
/// its quotas). `None` when the event does not exist.
pub async fn lock_inventory(
    tx: &mut Tx,
    event: EventId,
    read: Read,
) -> StoreResult<Option<LockedInventory>> {
    let dialect = match read {
        Read::Locked => Some(crate::dialect_of_conn(tx)),
        Read::Leased => None,
    };
    let Some(row) = sqlx::query(&LOCK_INVENTORY)
        .bind(event.to_db())
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let terms = EventTerms {
        id: event,
        organization_id: row.parsed("organization_id", OrganizationId::from_db)?,
        status: row.text_enum("status")?,
        currency: row.try_get("currency")?,
        buyer_cap: row.try_get("buyer_cap")?,
        hold_minutes: row.try_get("hold_minutes")?,
        ends_at: row.time("ends_at")?,
        title: row.try_get("title")?,
        starts_at: row.time("starts_at")?,
        timezone: row.try_get("timezone")?,
        venue_name: row.try_get("venue_name")?,
        venue_address: row.try_get("venue_address")?,
        city: row.try_get("city")?,
        country: row.try_get("country")?,
        online_url: row.try_get("online_url")?,
    };
    let types = sqlx::query(&ticket_types_sql(dialect))
        .bind(event.to_db())
        .fetch_all(&mut **tx)
        .await?;
    let ticket_types = types
        .iter()
        .map(locked_ticket_type)
        .collect::<StoreResult<Vec<_>>>()?;
    let Some(dialect) = dialect else {
        return Ok(Some(LockedInventory {
            event: terms,
            ticket_types,
            quotas: Vec::new(),
        }));
    };
    let rows = sqlx::query(&quotas_sql(dialect))
        .bind(event.to_db())
        .fetch_all(&mut **tx)
        .await?;
    let mut quotas: Vec<LockedQuota> = Vec::new();
    for row in &rows {
        let id = row.parsed("id", QuotaId::from_db)?;
        if quotas.last().is_none_or(|q| q.id != id) {
            quotas.push(LockedQuota {
                id,
                capacity: row.try_get("capacity")?,
                held: row.try_get("held")?,
                sold: row.try_get("sold")?,
                ticket_types: Vec::new(),
            });
        }
        if let Some(member) = row.try_get::<Option<String>, _>("ticket_type_id")? {
            let member = TicketTypeId::from_db(&member).map_err(corrupt)?;
            if let Some(quota) = quotas.last_mut() {
                quota.ticket_types.push(member);
            }
        }
    }
    Ok(Some(LockedInventory {
        event: terms,
        ticket_types,
        quotas,
    }))
}

/// The event's ticket types, locked when `dialect` is given (the locked path).
fn ticket_types_sql(dialect: Option<Dialect>) -> String {
    format!(
        "SELECT t.id, t.name, t.price_minor, t.capacity, t.held, t.sold, t.sales_start,
                t.sales_end, t.min_per_order, t.max_per_order, t.visibility
         FROM ticket_types t WHERE t.event_id = $1 ORDER BY t.id{}",
        dialect.map_or_else(String::new, |d| for_update(d, "t"))
    )
}

/// The event's quotas with their member types, locked.
fn quotas_sql(dialect: Dialect) -> String {
    format!(
        "SELECT q.id, q.capacity, q.held, q.sold, qt.ticket_type_id
         FROM quotas q LEFT JOIN quota_ticket_types qt ON qt.quota_id = q.id
         WHERE q.event_id = $1 ORDER BY q.id, qt.ticket_type_id{}",
        for_update(dialect, "q")
    )
}

/// Every text built here (see `crate::sql`): one row and three of each batch statement.
pub(crate) fn built(dialect: Dialect) -> Vec<(String, String)> {
    let mut built = vec![
        (
            "ticket_types(locked)".to_owned(),
            ticket_types_sql(Some(dialect)),
        ),
        ("ticket_types(leased)".to_owned(), ticket_types_sql(None)),
        ("quotas".to_owned(), quotas_sql(dialect)),
    ];
    for n in [1, 3] {
        built.extend([
            (format!("orders_by_keys({n})"), orders_by_keys_sql(n)),
            (format!("buyer_counts({n})"), buyer_counts_sql(dialect, n)),
            (format!("add_buyer_counts({n})"), add_buyer_counts_sql(n)),
            (format!("insert_orders({n})"), insert_orders_sql(n)),
            (format!("insert_lines({n})"), insert_lines_sql(n)),
            (format!("insert_tickets({n})"), insert_tickets_sql(n)),
            (
                format!("insert_succeeded_payments({n})"),
                insert_succeeded_payments_sql(n),
            ),
        ]);
    }
    built
}

fn locked_ticket_type(row: &sqlx::any::AnyRow) -> StoreResult<LockedTicketType> {
    Ok(LockedTicketType {
        id: row.parsed("id", TicketTypeId::from_db)?,
        name: row.try_get("name")?,
        price_minor: row.try_get("price_minor")?,
        capacity: row.try_get("capacity")?,
        held: row.try_get("held")?,
        sold: row.try_get("sold")?,
        sales_start: row.opt_time("sales_start")?,
        sales_end: row.opt_time("sales_end")?,
        min_per_order: row.try_get("min_per_order")?,
        max_per_order: row.try_get("max_per_order")?,
        visibility: row.text_enum("visibility")?,
    })
}

/// `($a, $b, …), (…)`: `rows` groups of `columns` numbered parameters starting at `first`.
fn value_groups(rows: usize, columns: usize, first: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "${}", first + r * columns + c);
        }
        sql.push(')');
    }
    sql
}

/// `$first, $first+1, …` for an `IN (…)` list.
fn list(n: usize, first: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn orders_by_keys_sql(keys: usize) -> String {
    format!(
        "SELECT idempotency_key, id, request_hash FROM orders WHERE idempotency_key IN ({})",
        list(keys, 1)
    )
}

/// Orders that already carry one of `keys`: `key → (order, request hash)`, for replays.
pub async fn orders_by_keys(
    tx: &mut Tx,
    keys: &[&str],
) -> StoreResult<HashMap<String, (OrderId, String)>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = orders_by_keys_sql(keys.len());
    let mut query = sqlx::query(&sql).persistent(false);
    for key in keys {
        query = query.bind(*key);
    }
    let rows = query.fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<String, _>("idempotency_key")?,
                (
                    row.parsed("id", OrderId::from_db)?,
                    row.try_get::<String, _>("request_hash")?,
                ),
            ))
        })
        .collect()
}

fn buyer_counts_sql(dialect: Dialect, buyer_keys: usize) -> String {
    format!(
        "SELECT b.buyer_key, b.quantity FROM buyer_event_counts b
         WHERE b.event_id = $1 AND b.buyer_key IN ({}){}",
        list(buyer_keys, 2),
        for_update(dialect, "b")
    )
}

/// What the given buyers already hold of the event (pending and paid), locking their counter
/// rows; buyers without a row hold nothing yet.
pub async fn buyer_counts(
    tx: &mut Tx,
    event: EventId,
    buyer_keys: &[&str],
) -> StoreResult<HashMap<String, i64>> {
    if buyer_keys.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = buyer_counts_sql(crate::dialect_of_conn(tx), buyer_keys.len());
    let mut query = sqlx::query(&sql).persistent(false).bind(event.to_db());
    for key in buyer_keys {
        query = query.bind(*key);
    }
    let rows = query.fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|row| Ok((row.try_get("buyer_key")?, row.try_get("quantity")?)))
        .collect()
}

fn add_buyer_counts_sql(adds: usize) -> String {
    let mut sql =
        String::from("INSERT INTO buyer_event_counts (event_id, buyer_key, quantity) VALUES ");
    for i in 0..adds {
        if i > 0 {
            sql.push_str(", ");
        }
        let _ = write!(sql, "($1, ${}, ${})", 3 + 2 * i, 4 + 2 * i);
    }
    sql.push_str(
        " ON CONFLICT (event_id, buyer_key) DO UPDATE
           SET quantity = buyer_event_counts.quantity + excluded.quantity
           WHERE buyer_event_counts.quantity + excluded.quantity <= $2
         RETURNING buyer_key",
    );
    sql
}

/// Adds `n` to each buyer's counter unless that passes `cap` (one conditional upsert for the
/// batch; each key at most once). Returns the keys whose counter moved: a key missing from it
/// was refused, because another process's purchase for the same buyer committed between
/// [`buyer_counts`] and this (its row did not exist to be locked).
pub async fn add_buyer_counts(
    tx: &mut Tx,
    event: EventId,
    adds: &[(&str, i64)],
    cap: i64,
) -> StoreResult<Vec<String>> {
    if adds.is_empty() {
        return Ok(Vec::new());
    }
    let sql = add_buyer_counts_sql(adds.len());
    let mut query = sqlx::query(&sql)
        .persistent(false)
        .bind(event.to_db())
        .bind(cap);
    for (key, n) in adds {
        query = query.bind(*key).bind(*n);
    }
    let rows = query.fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<String, _>("buyer_key")?))
        .collect()
}

/// An order of the batch, with its lines.
pub struct BatchOrder<'a> {
    pub id: OrderId,
    pub buyer_user_id: Option<UserId>,
    pub buyer_key: &'a str,
    pub buyer_email: &'a str,
    pub buyer_name: &'a str,
    /// `pending` (a hold, paid later) or `paid` (completed in the batch): an order's first
    /// state, not a transition.
    pub status: OrderStatus,
    pub expires_at: DateTime<Utc>,
    pub total_minor: i64,
    pub quantity: i64,
    pub promo_code_id: Option<PromoCodeId>,
    pub discount_minor: i64,
    pub idempotency_key: &'a str,
    pub request_hash: &'a str,
    /// The language the order was placed in (`en`, `de`, `es`; migration 0019).
    pub locale: &'a str,
}

fn insert_orders_sql(orders: usize) -> String {
    // $1 event, $2 currency, $3 now; then 15 per order.
    const COLUMNS: usize = 15;
    let mut sql = String::from(
        "INSERT INTO orders (event_id, currency, created_at, updated_at, id, buyer_user_id,
             buyer_key, buyer_email, buyer_name, status, expires_at, total_minor, quantity,
             promo_code_id, discount_minor, idempotency_key, request_hash, paid_at, locale) VALUES ",
    );
    for i in 0..orders {
        if i > 0 {
            sql.push_str(", ");
        }
        let base = 4 + i * COLUMNS;
        sql.push_str("($1, $2, $3, $3");
        for c in 0..COLUMNS {
            let _ = write!(sql, ", ${}", base + c);
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id");
    sql
}

/// Inserts the batch's orders; an order whose idempotency key another process stored
/// meanwhile is skipped. Returns the ids inserted.
pub async fn insert_orders(
    tx: &mut Tx,
    event: EventId,
    currency: &str,
    orders: &[BatchOrder<'_>],
    now: DateTime<Utc>,
) -> StoreResult<Vec<OrderId>> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let sql = insert_orders_sql(orders.len());
    let mut query = sqlx::query(&sql)
        .persistent(false)
        .bind(event.to_db())
        .bind(currency)
        .bind(to_millis(now));
    for o in orders {
        query = query
            .bind(o.id.to_db())
            .bind(o.buyer_user_id.map(|u| u.to_db()))
            .bind(o.buyer_key)
            .bind(o.buyer_email)
            .bind(o.buyer_name)
            .bind(o.status.as_str())
            .bind(to_millis(o.expires_at))
            .bind(o.total_minor)
            .bind(o.quantity)
            .bind(o.promo_code_id.map(|p| p.to_db()))
            .bind(o.discount_minor)
            .bind(o.idempotency_key)
            .bind(o.request_hash)
            .bind((o.status == OrderStatus::Paid).then(|| to_millis(now)))
            .bind(o.locale);
    }
    let rows = query.fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|row| row.parsed("id", OrderId::from_db))
        .collect()
}

/// An order line of the batch.
pub struct BatchLine<'a> {
    pub order_id: OrderId,
    pub ticket_type_id: TicketTypeId,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub discount_minor: i64,
    /// The JSON array of attendee names (see migration 0008).
    pub attendee_names: &'a str,
}

fn insert_lines_sql(lines: usize) -> String {
    format!(
        "INSERT INTO order_lines (order_id, ticket_type_id, quantity, unit_price_minor,
             discount_minor, total_minor, attendee_names) VALUES {}",
        value_groups(lines, 7, 1)
    )
}

pub async fn insert_lines(tx: &mut Tx, lines: &[BatchLine<'_>]) -> StoreResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let sql = insert_lines_sql(lines.len());
    let mut query = sqlx::query(&sql).persistent(false);
    for l in lines {
        query = query
            .bind(l.order_id.to_db())
            .bind(l.ticket_type_id.to_db())
            .bind(l.quantity)
            .bind(l.unit_price_minor)
            .bind(l.discount_minor)
            .bind(l.quantity * l.unit_price_minor - l.discount_minor)
            .bind(l.attendee_names);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// A ticket issued in the batch.
pub struct BatchTicket<'a> {
    pub id: TicketId,
    pub order_id: OrderId,
    pub ticket_type_id: TicketTypeId,
    pub attendee_name: &'a str,
    pub code: &'a str,
}

fn insert_tickets_sql(tickets: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO tickets (event_id, key_version, issued_at, updated_at, status, id, order_id,
             ticket_type_id, attendee_name, code) VALUES ",
    );
    for i in 0..tickets {
        if i > 0 {
            sql.push_str(", ");
        }
        let base = 4 + i * 5;
        let _ = write!(
            sql,
            "($1, $2, $3, $3, 'valid', ${}, ${}, ${}, ${}, ${})",
            base,
            base + 1,
            base + 2,
            base + 3,
            base + 4
        );
    }
    sql
}

pub async fn insert_tickets(
    tx: &mut Tx,
    event: EventId,
    key_version: i64,
    tickets: &[BatchTicket<'_>],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if tickets.is_empty() {
        return Ok(());
    }
    let sql = insert_tickets_sql(tickets.len());
    let mut query = sqlx::query(&sql)
        .persistent(false)
        .bind(event.to_db())
        .bind(key_version)
        .bind(to_millis(now));
    for t in tickets {
        query = query
            .bind(t.id.to_db())
            .bind(t.order_id.to_db())
            .bind(t.ticket_type_id.to_db())
            .bind(t.attendee_name)
            .bind(t.code);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// A payment that succeeded at once (a test card), recorded with its order.
pub struct BatchPayment {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub amount_minor: i64,
}

fn insert_succeeded_payments_sql(payments: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO payments (provider, currency, created_at, updated_at, succeeded_at, status,
             id, provider_reference, order_id, amount_minor) VALUES ",
    );
    for i in 0..payments {
        if i > 0 {
            sql.push_str(", ");
        }
        let base = 4 + i * 3;
        // The test provider's reference is the payment's own id.
        let _ = write!(
            sql,
            "($1, $2, $3, $3, $3, 'succeeded', ${base}, ${base}, ${}, ${})",
            base + 1,
            base + 2
        );
    }
    sql
}

pub async fn insert_succeeded_payments(
    tx: &mut Tx,
    provider: &str,
    currency: &str,
    payments: &[BatchPayment],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if payments.is_empty() {
        return Ok(());
    }
    let sql = insert_succeeded_payments_sql(payments.len());
    let mut query: Query<'_, Any, AnyArguments<'_>> = sqlx::query(&sql)
        .persistent(false)
        .bind(provider)
        .bind(currency)
        .bind(to_millis(now));
    for p in payments {
        query = query
            .bind(p.id.to_db())
            .bind(p.order_id.to_db())
            .bind(p.amount_minor);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

crate::sql::statements! {
    LOCK_INVENTORY =
        "SELECT organization_id, status, currency, buyer_cap, hold_minutes, ends_at, title,
        starts_at, timezone, venue_name, venue_address, city, country, online_url
        FROM events WHERE id = $1";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_groups_number_every_parameter_once() {
        assert_eq!(value_groups(2, 3, 1), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(list(3, 2), "$2, $3, $4");
    }
}
