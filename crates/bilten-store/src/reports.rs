//! Read-only queries behind the organizer views: an event's orders (filtered, searched,
//! paged), its order lines, its attendees (tickets), its sales per ticket type, its money
//! (gross, refunded) and its tickets sold over time.
//!
//! Paging is keyset (`created_at`/`issued_at`, then id), so a page is stable while new orders
//! arrive. Every query is scoped by event id; the caller has already checked that the event
//! belongs to the caller's organization.

use std::fmt::Write as _;

use bilten_domain::{EventId, OrderId, OrderStatus, TicketId, TicketStatus, TicketTypeId};
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::decode::Columns;
use crate::{from_millis, to_millis, Exec, StoreResult};

/// The stored form of an id typed into a search box (`ord_…`), or "" when the text is not
/// one (matching no row).
fn db_id<T: std::str::FromStr>(text: &str, to_db: fn(&T) -> String) -> String {
    text.trim()
        .parse::<T>()
        .map(|id| to_db(&id))
        .unwrap_or_default()
}

/// Which of an event's orders to list.
#[derive(Debug, Default, Clone)]
pub struct OrderFilter {
    /// As the API shows it: a pending order whose hold ran out counts as `expired`.
    pub status: Option<OrderStatus>,
    /// Part of the buyer's email or name, or a whole order id.
    pub q: Option<String>,
    /// Keyset cursor: orders strictly older than `(created_at, id)`.
    pub before: Option<(DateTime<Utc>, OrderId)>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct OrderSummary {
    pub id: OrderId,
    pub status: OrderStatus,
    pub expires_at: DateTime<Utc>,
    pub buyer_email: String,
    pub buyer_name: String,
    pub quantity: i64,
    pub total_minor: i64,
    pub discount_minor: i64,
    pub currency: String,
    pub promo_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An event's orders, newest first. `limit` 0 means all (the CSV export).
pub async fn orders_of_event<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    filter: &OrderFilter,
    now: DateTime<Utc>,
) -> StoreResult<Vec<OrderSummary>> {
    let sql = orders_of_event_sql(filter);
    let mut query = sqlx::query(&sql).bind(event.to_db());
    match filter.status {
        Some(OrderStatus::Pending | OrderStatus::Expired) => query = query.bind(to_millis(now)),
        Some(other) => query = query.bind(other.as_str()),
        None => {}
    }
    if let Some(q) = &filter.q {
        query = query
            .bind(crate::like_contains(q.trim()))
            .bind(db_id::<OrderId>(q, OrderId::to_db));
    }
    if let Some((at, id)) = &filter.before {
        query = query.bind(to_millis(*at)).bind(id.to_db());
    }
    if filter.limit > 0 {
        query = query.bind(filter.limit);
    }
    let rows = query.fetch_all(ex).await?;
    rows.iter()
        .map(|row| {
            Ok(OrderSummary {
                id: row.parsed("id", OrderId::from_db)?,
                status: row.text_enum("status")?,
                expires_at: row.time("expires_at")?,
                buyer_email: row.try_get("buyer_email")?,
                buyer_name: row.try_get("buyer_name")?,
                quantity: row.try_get("quantity")?,
                total_minor: row.try_get("total_minor")?,
                discount_minor: row.try_get("discount_minor")?,
                currency: row.try_get("currency")?,
                promo_code: row.try_get("promo_code")?,
                created_at: row.time("created_at")?,
            })
        })
        .collect()
}

/// One order line with its ticket type's name (for the orders CSV).
#[derive(Debug, Clone)]
pub struct LineSummary {
    pub order_id: OrderId,
    pub ticket_type_name: String,
    pub quantity: i64,
}

/// Every order line of an event, grouped by order.
pub async fn lines_of_event<'e>(
    ex: impl Exec<'e>,
    event: EventId,
) -> StoreResult<Vec<LineSummary>> {
    let rows = sqlx::query(&LINES_OF_EVENT)
        .bind(event.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(LineSummary {
                order_id: row.parsed("order_id", OrderId::from_db)?,
                ticket_type_name: row.try_get("name")?,
                quantity: row.try_get("quantity")?,
            })
        })
        .collect()
}

/// Tickets sold and money taken per ticket type: `(ticket type, tickets, revenue minor,
/// discount minor)` over paid and partially refunded orders.
pub async fn paid_per_ticket_type<'e>(
    ex: impl Exec<'e>,
    event: EventId,
) -> StoreResult<Vec<(TicketTypeId, i64, i64, i64)>> {
    let rows = sqlx::query(&PAID_PER_TICKET_TYPE)
        .bind(event.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.parsed("ticket_type_id", TicketTypeId::from_db)?,
                row.try_get("tickets")?,
                row.try_get("revenue")?,
                row.try_get("discount")?,
            ))
        })
        .collect()
}

/// An event's money over every order that was ever paid (paid, partially refunded or fully
/// refunded; a late payment refunded because its stock was gone was never a sale).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SalesMoney {
    /// What buyers paid (order totals, after discounts).
    pub gross_minor: i64,
    /// What has been given back or is being given back (`orders.refunded_minor`).
    pub refunded_minor: i64,
    /// Orders paid and not (fully) refunded: what an event cancellation would refund.
    pub paid_orders: i64,
}

pub async fn sales_money<'e>(ex: impl Exec<'e>, event: EventId) -> StoreResult<SalesMoney> {
    let row = sqlx::query(&SALES_MONEY)
        .bind(event.to_db())
        .fetch_one(ex)
        .await?;
    Ok(SalesMoney {
        gross_minor: row.try_get("gross")?,
        refunded_minor: row.try_get("refunded")?,
        paid_orders: row.try_get("paid_orders")?,
    })
}

/// Length of the time buckets of [`tickets_sold_over_time`]: every time zone's offset is a
/// whole number of quarter hours, so each bucket falls inside one local day anywhere.
pub const SALES_BUCKET_MINUTES: i64 = 15;

/// Tickets sold (valid now, so refunded ones no longer count, exactly as the ticket types'
/// `sold`) by the quarter hour their order was paid in: `(bucket start, tickets)`, oldest
/// first, over every order of the event. The caller folds buckets into days of the event's
/// time zone; the database does the counting, so no page of orders is ever the limit.
pub async fn tickets_sold_over_time<'e>(
    ex: impl Exec<'e>,
    event: EventId,
) -> StoreResult<Vec<(DateTime<Utc>, i64)>> {
    let bucket_ms = SALES_BUCKET_MINUTES * 60_000;
    // The bucket length is written into the text (a constant, not input) so PostgreSQL sees
    // the same expression in SELECT and GROUP BY.
    let sql = tickets_sold_over_time_sql();
    let rows = sqlx::query(&sql).bind(event.to_db()).fetch_all(ex).await?;
    rows.iter()
        .map(|row| {
            let bucket: i64 = row.try_get("bucket")?;
            Ok((from_millis(bucket * bucket_ms), row.try_get("tickets")?))
        })
        .collect()
}

#[derive(Debug, Default, Clone)]
pub struct AttendeeFilter {
    /// Part of the holder's name or the buyer's email, or a whole ticket or order id.
    pub q: Option<String>,
    /// Keyset cursor: tickets strictly after `(issued_at, id)`.
    pub after: Option<(DateTime<Utc>, TicketId)>,
    /// 0 means all (the CSV export).
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct Attendee {
    pub ticket_id: TicketId,
    pub holder_name: String,
    pub ticket_type_id: TicketTypeId,
    pub ticket_type_name: String,
    pub order_id: OrderId,
    pub buyer_email: String,
    pub status: TicketStatus,
    pub issued_at: DateTime<Utc>,
}

/// An event's tickets with holder, type and order, oldest first.
pub async fn attendees_of_event<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    filter: &AttendeeFilter,
) -> StoreResult<Vec<Attendee>> {
    let sql = attendees_of_event_sql(filter);
    let mut query = sqlx::query(&sql).bind(event.to_db());
    if let Some(q) = &filter.q {
        query = query
            .bind(crate::like_contains(q.trim()))
            .bind(db_id::<TicketId>(q, TicketId::to_db))
            .bind(db_id::<OrderId>(q, OrderId::to_db));
    }
    if let Some((at, id)) = &filter.after {
        query = query.bind(to_millis(*at)).bind(id.to_db());
    }
    if filter.limit > 0 {
        query = query.bind(filter.limit);
    }
    let rows = query.fetch_all(ex).await?;
    rows.iter()
        .map(|row| {
            Ok(Attendee {
                ticket_id: row.parsed("id", TicketId::from_db)?,
                holder_name: row.try_get("attendee_name")?,
                ticket_type_id: row.parsed("ticket_type_id", TicketTypeId::from_db)?,
                ticket_type_name: row.try_get("ticket_type_name")?,
                order_id: row.parsed("order_id", OrderId::from_db)?,
                buyer_email: row.try_get("buyer_email")?,
                status: row.text_enum("status")?,
                issued_at: row.time("issued_at")?,
            })
        })
        .collect()
}

/// The text of [`orders_of_event`] for what `filter` has: its placeholders are numbered in
/// the order the values are bound there.
fn orders_of_event_sql(filter: &OrderFilter) -> String {
    let mut sql = String::from(
        "SELECT o.id, o.status, o.expires_at, o.buyer_email, o.buyer_name, o.quantity,
                o.total_minor, o.discount_minor, o.currency, p.code AS promo_code, o.created_at
         FROM orders o LEFT JOIN promo_codes p ON p.id = o.promo_code_id
         WHERE o.event_id = $1",
    );
    let mut n = 1;
    let mut next = || {
        n += 1;
        n
    };
    let status_clause = match filter.status {
        Some(OrderStatus::Pending) => Some(format!(
            " AND o.status = 'pending' AND o.expires_at > ${}",
            next()
        )),
        Some(OrderStatus::Expired) => Some(format!(
            " AND (o.status = 'expired' OR (o.status = 'pending' AND o.expires_at <= ${}))",
            next()
        )),
        Some(_) => Some(format!(" AND o.status = ${}", next())),
        None => None,
    };
    if let Some(clause) = &status_clause {
        sql.push_str(clause);
    }
    if filter.q.is_some() {
        let (a, b) = (next(), next());
        let _ = write!(sql,
            " AND (LOWER(o.buyer_email) LIKE ${a} ESCAPE '\\' OR LOWER(o.buyer_name) LIKE ${a} ESCAPE '\\' OR o.id = ${b})"
        );
    }
    if filter.before.is_some() {
        let (a, b) = (next(), next());
        let _ = write!(
            sql,
            " AND (o.created_at < ${a} OR (o.created_at = ${a} AND o.id < ${b}))"
        );
    }
    sql.push_str(" ORDER BY o.created_at DESC, o.id DESC");
    if filter.limit > 0 {
        let _ = write!(sql, " LIMIT ${}", next());
    }
    sql
}

/// The text of [`attendees_of_event`] for what `filter` has.
fn attendees_of_event_sql(filter: &AttendeeFilter) -> String {
    let mut sql = String::from(
        "SELECT k.id, k.attendee_name, k.ticket_type_id, t.name AS ticket_type_name, k.order_id,
                o.buyer_email, k.status, k.issued_at
         FROM tickets k
         JOIN orders o ON o.id = k.order_id
         JOIN ticket_types t ON t.id = k.ticket_type_id
         WHERE k.event_id = $1",
    );
    let mut n = 1;
    if filter.q.is_some() {
        let _ = write!(sql,
            " AND (LOWER(k.attendee_name) LIKE ${a} ESCAPE '\\' OR LOWER(o.buyer_email) LIKE ${a} ESCAPE '\\' OR k.id = ${b} OR k.order_id = ${c})",
            a = n + 1,
            b = n + 2,
            c = n + 3
        );
        n += 3;
    }
    if filter.after.is_some() {
        let _ = write!(
            sql,
            " AND (k.issued_at > ${a} OR (k.issued_at = ${a} AND k.id > ${b}))",
            a = n + 1,
            b = n + 2
        );
        n += 2;
    }
    sql.push_str(" ORDER BY k.issued_at, k.id");
    if filter.limit > 0 {
        let _ = write!(sql, " LIMIT ${}", n + 1);
    }
    sql
}

fn tickets_sold_over_time_sql() -> String {
    let bucket_ms = SALES_BUCKET_MINUTES * 60_000;
    format!(
        "SELECT o.paid_at / {bucket_ms} AS bucket, COUNT(*) AS tickets
         FROM tickets k JOIN orders o ON o.id = k.order_id
         WHERE k.event_id = $1 AND k.status = 'valid' AND o.paid_at IS NOT NULL
         GROUP BY o.paid_at / {bucket_ms}
         ORDER BY bucket"
    )
}
/// Every text built here (see `crate::sql`): each combination of the filters.
pub(crate) fn built(_: crate::Dialect) -> Vec<(String, String)> {
    let mut built = vec![(
        "tickets_sold_over_time".to_owned(),
        tickets_sold_over_time_sql(),
    )];
    let at = DateTime::<Utc>::UNIX_EPOCH;
    for status in [
        None,
        Some(OrderStatus::Pending),
        Some(OrderStatus::Expired),
        Some(OrderStatus::Paid),
    ] {
        for q in [None, Some("x".to_owned())] {
            for before in [None, Some((at, OrderId::new()))] {
                for limit in [0, 50] {
                    let filter = OrderFilter {
                        status,
                        q: q.clone(),
                        before,
                        limit,
                    };
                    built.push((
                        format!(
                            "orders_of_event(status {status:?}, q {}, before {}, limit {limit})",
                            filter.q.is_some(),
                            filter.before.is_some()
                        ),
                        orders_of_event_sql(&filter),
                    ));
                }
            }
        }
    }
    for q in [None, Some("x".to_owned())] {
        for after in [None, Some((at, TicketId::new()))] {
            for limit in [0, 50] {
                let filter = AttendeeFilter {
                    q: q.clone(),
                    after,
                    limit,
                };
                built.push((
                    format!(
                        "attendees_of_event(q {}, after {}, limit {limit})",
                        filter.q.is_some(),
                        filter.after.is_some()
                    ),
                    attendees_of_event_sql(&filter),
                ));
            }
        }
    }
    built
}

crate::sql::statements! {
    LINES_OF_EVENT = "SELECT l.order_id, t.name, l.quantity FROM order_lines l
        JOIN orders o ON o.id = l.order_id
        JOIN ticket_types t ON t.id = l.ticket_type_id
        WHERE o.event_id = $1 ORDER BY l.order_id, t.position, t.name";
    PAID_PER_TICKET_TYPE = "SELECT l.ticket_type_id,
        CAST(SUM(l.quantity) AS BIGINT) AS tickets,
        CAST(SUM(l.total_minor) AS BIGINT) AS revenue,
        CAST(SUM(l.discount_minor) AS BIGINT) AS discount
        FROM order_lines l JOIN orders o ON o.id = l.order_id
        WHERE o.event_id = $1 AND o.status IN ('paid', 'partially_refunded')
        GROUP BY l.ticket_type_id";
    SALES_MONEY = "SELECT CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) AS gross,
        CAST(COALESCE(SUM(refunded_minor), 0) AS BIGINT) AS refunded,
        CAST(COALESCE(SUM(CASE WHEN status IN ('paid', 'partially_refunded')
        THEN 1 ELSE 0 END), 0) AS BIGINT) AS paid_orders
        FROM orders
        WHERE event_id = $1 AND paid_at IS NOT NULL
        AND status IN ('paid', 'partially_refunded', 'refunded')";
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_patterns_escape_like_wildcards() {
        assert_eq!(crate::like_contains("Ann"), "%ann%");
        assert_eq!(crate::like_contains("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
