//! Inventory leases: blocks of a ticket type's places that one backend process sells from
//! without touching the shared counter rows (see migration 0013 for the model).
//!
//! Lock order. Every inventory move locks ticket types by id, then quotas by id. A lease row
//! is locked after the counters when a lease is granted or settled, and alone (no counter
//! at all) when a purchase batch draws from it. Purchase batches lock buyer counters and promo
//! codes only after their lease or their counters, so no cycle can form.
//!
//! Accounting. While a lease lives, the counters count all its places as `held`:
//! `granted = remaining + sold + (places handed to pending orders, now the orders' holds)`.
//! Settling moves `remaining` held → available and `sold` held → sold. Readers that show
//! numbers ([`crate::events`]) subtract the live leases, so a dashboard sees what buyers hold
//! and bought, and a listing sees leased places as still for sale.

use std::collections::BTreeMap;

use bilten_domain::{EventId, LeaseId, QuotaId, TicketTypeId};
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::decode::Columns;
use crate::inventory::{self, Counter, Movement};
use sqlx::{AnyConnection, AnyPool};

use crate::{to_millis, Dialect, StoreResult};

use crate::decode::corrupt;

/// A lease granted to this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub id: LeaseId,
    pub ticket_type_id: TicketTypeId,
    pub remaining: i64,
    pub expires_at: DateTime<Utc>,
}

/// Which leases to settle.
#[derive(Debug, Clone, Copy)]
pub enum Which<'a> {
    /// Of one event: the named ones (this process's own) and every expired one; with
    /// `everyone`, all of the event's leases, live or not (their holders then fall back to
    /// the counters on their next draw).
    Event {
        event: EventId,
        own: &'a [LeaseId],
        everyone: bool,
    },
    /// Every lease on these ticket types (before a refund, a capacity change or a new quota
    /// over them).
    TicketTypes(&'a [TicketTypeId]),
    /// Expired leases of any event, at most this many (the background sweep).
    Expired { limit: i64 },
}

/// What settling moved, per counter: `(released, sold)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settled {
    pub leases: usize,
    pub ticket_types: BTreeMap<TicketTypeId, (i64, i64)>,
    pub quotas: BTreeMap<QuotaId, (i64, i64)>,
}

impl Settled {
    /// Places given back to sale (not sold from the leases).
    pub fn released(&self) -> i64 {
        self.ticket_types.values().map(|(r, _)| r).sum()
    }
}

/// Grants a lease of `places` on `ticket_type` (and on each of `quotas`, the quotas covering
/// it) to `holder`, moving them into `held`. The caller holds the counters' locks (the
/// purchase engine's locked batch); false when a counter has fewer than `places` left, and the
/// caller must then roll back (some counters may have moved).
#[expect(clippy::too_many_arguments, reason = "one row's columns")]
pub async fn grant(
    conn: &mut AnyConnection,
    event: EventId,
    ticket_type: TicketTypeId,
    quotas: &[QuotaId],
    holder: &str,
    places: i64,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<Option<Granted>> {
    if !inventory::shift(
        &mut *conn,
        Counter::TicketType(ticket_type),
        Movement::Hold,
        places,
    )
    .await?
    {
        return Ok(None);
    }
    for quota in quotas {
        if !inventory::shift(&mut *conn, Counter::Quota(*quota), Movement::Hold, places).await? {
            return Ok(None);
        }
    }
    let id = LeaseId::new();
    let quota_ids = quotas
        .iter()
        .map(QuotaId::to_db)
        .collect::<Vec<_>>()
        .join(" ");
    sqlx::query(&GRANT)
        .bind(id.to_db())
        .bind(event.to_db())
        .bind(ticket_type.to_db())
        .bind(quota_ids)
        .bind(holder)
        .bind(places)
        .bind(to_millis(expires_at))
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
    Ok(Some(Granted {
        id,
        ticket_type_id: ticket_type,
        remaining: places,
        expires_at,
    }))
}

/// Takes `take` places from a live lease, `sold` of them for completed orders (the rest go
/// to pending orders' holds). False when the lease is gone (settled by another process),
/// expired, or has fewer than `take` left: the caller rolls back and uses the counters.
pub async fn draw(
    conn: &mut AnyConnection,
    lease: LeaseId,
    take: i64,
    sold: i64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&DRAW)
        .bind(lease.to_db())
        .bind(take)
        .bind(sold)
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives back part of a draw in the same transaction (buyers of the batch refused after it).
pub async fn give_back(
    conn: &mut AnyConnection,
    lease: LeaseId,
    places: i64,
    sold: i64,
) -> StoreResult<()> {
    sqlx::query(&GIVE_BACK)
        .bind(lease.to_db())
        .bind(places)
        .bind(sold)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether the caller already holds the counters' locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counters {
    /// Locked by the caller (SQLite's single writer needs no row locks either).
    AlreadyLocked,
    /// Lock them first, ticket types by id (row locks on PostgreSQL).
    Lock,
}

/// Settles the chosen leases: deletes them and moves their places back on the counters
/// (`remaining` held → available, `sold` held → sold). Locks the counters first, in the
/// order of every inventory move, unless the caller already holds them. Safe against a concurrent draw: the delete waits for the draw's transaction and
/// settles what it left.
pub async fn settle(
    conn: &mut AnyConnection,
    which: Which<'_>,
    now: DateTime<Utc>,
    counters: Counters,
) -> StoreResult<Settled> {
    let leases = find(conn, which, now).await?;
    let mut settled = Settled::default();
    if leases.is_empty() {
        return Ok(settled);
    }
    if counters == Counters::Lock && crate::dialect_of_conn(conn) == Dialect::Postgres {
        let mut types: Vec<&TicketTypeId> = leases.iter().map(|(_, t, _)| t).collect();
        types.sort();
        types.dedup();
        for t in types {
            // NO KEY: the counters' own lock, which lets foreign-key checks through (see
            // crate::purchase::lock_inventory).
            sqlx::query(&LOCK_TICKET_TYPE)
                .bind(t.to_db())
                .fetch_optional(&mut *conn)
                .await?;
        }
    }
    for (id, ticket_type, quotas) in &leases {
        let Some(row) = sqlx::query(&SETTLE_DELETE)
            .bind(id.to_db())
            .fetch_optional(&mut *conn)
            .await?
        else {
            continue; // settled by someone else meanwhile
        };
        let (remaining, sold): (i64, i64) = (row.try_get("remaining")?, row.try_get("sold")?);
        settled.leases += 1;
        let entry = settled.ticket_types.entry(*ticket_type).or_default();
        entry.0 += remaining;
        entry.1 += sold;
        for quota in quotas {
            let entry = settled.quotas.entry(*quota).or_default();
            entry.0 += remaining;
            entry.1 += sold;
        }
    }
    let counters = settled
        .ticket_types
        .iter()
        .map(|(t, n)| (Counter::TicketType(*t), *n))
        .chain(settled.quotas.iter().map(|(q, n)| (Counter::Quota(*q), *n)));
    for (counter, (released, sold)) in counters {
        // A quota deleted since the grant has no row to move: nothing to give back there.
        if released > 0 {
            inventory::shift(&mut *conn, counter, Movement::Release, released).await?;
        }
        if sold > 0 {
            inventory::shift(&mut *conn, counter, Movement::SellHeld, sold).await?;
        }
    }
    Ok(settled)
}

/// The leases of an event [`find`] takes: the expired ones and `own` given ids, or all.
fn of_event_sql(own: usize, everyone: bool) -> String {
    let own_list = (0..own)
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let condition = if everyone {
        "1 = 1".to_owned()
    } else if own == 0 {
        "expires_at <= $2".to_owned()
    } else {
        format!("(expires_at <= $2 OR id IN ({own_list}))")
    };
    format!(
        "SELECT id, ticket_type_id, quota_ids FROM inventory_leases
         WHERE event_id = $1 AND {condition} ORDER BY ticket_type_id, id"
    )
}

/// The leases of `types` ticket types.
fn of_ticket_types_sql(types: usize) -> String {
    let list = (1..=types)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT id, ticket_type_id, quota_ids FROM inventory_leases
         WHERE ticket_type_id IN ({list}) ORDER BY ticket_type_id, id"
    )
}

/// Every text built here (see `crate::sql`).
pub(crate) fn built(_: crate::Dialect) -> Vec<(String, String)> {
    vec![
        ("of_event(everyone)".to_owned(), of_event_sql(0, true)),
        ("of_event(expired)".to_owned(), of_event_sql(0, false)),
        (
            "of_event(expired, own 2)".to_owned(),
            of_event_sql(2, false),
        ),
        ("of_ticket_types(1)".to_owned(), of_ticket_types_sql(1)),
        ("of_ticket_types(3)".to_owned(), of_ticket_types_sql(3)),
    ]
}

type Found = (LeaseId, TicketTypeId, Vec<QuotaId>);

async fn find(
    conn: &mut AnyConnection,
    which: Which<'_>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Found>> {
    let now = to_millis(now);
    let rows = match which {
        Which::Event {
            event,
            own,
            everyone,
        } => {
            let sql = of_event_sql(own.len(), everyone);
            let mut query = sqlx::query(&sql).bind(event.to_db()).bind(now);
            for id in own {
                query = query.bind(id.to_db());
            }
            query.fetch_all(&mut *conn).await?
        }
        Which::TicketTypes(types) => {
            if types.is_empty() {
                return Ok(Vec::new());
            }
            let sql = of_ticket_types_sql(types.len());
            let mut query = sqlx::query(&sql);
            for t in types {
                query = query.bind(t.to_db());
            }
            query.fetch_all(&mut *conn).await?
        }
        Which::Expired { limit } => {
            sqlx::query(&FIND)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    rows.iter()
        .map(|row| {
            let id = row.parsed("id", LeaseId::from_db)?;
            let ticket_type = row.parsed("ticket_type_id", TicketTypeId::from_db)?;
            let quotas = row
                .try_get::<String, _>("quota_ids")?
                .split_whitespace()
                .map(|q| QuotaId::from_db(q).map_err(corrupt))
                .collect::<StoreResult<Vec<_>>>()?;
            Ok((id, ticket_type, quotas))
        })
        .collect()
}

/// Whether any lease has expired by `now`: one indexed read outside a transaction, so the
/// background sweep opens no transaction (and takes no lock) while nothing is due, which is
/// nearly always.
pub async fn any_expired(pool: &AnyPool, now: DateTime<Utc>) -> StoreResult<bool> {
    let due = sqlx::query(&ANY_EXPIRED)
        .bind(to_millis(now))
        .fetch_optional(pool)
        .await?;
    Ok(due.is_some())
}

/// What the live leases of an event still count as held, per ticket type:
/// `(remaining, sold)`. Used to tell "sold out" from "leased to another process".
pub async fn outstanding(
    conn: &mut AnyConnection,
    event: EventId,
) -> StoreResult<BTreeMap<TicketTypeId, (i64, i64)>> {
    let rows = sqlx::query(&OUTSTANDING)
        .bind(event.to_db())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.parsed("ticket_type_id", TicketTypeId::from_db)?,
                (row.try_get("remaining")?, row.try_get("sold")?),
            ))
        })
        .collect()
}

/// SQL: what live leases hold of the ticket type whose id is `column` (to subtract from its
/// `held`, which counts them), for readers that show what buyers hold.
pub fn held_by_leases_of_type(column: &str) -> String {
    format!(
        "CAST(COALESCE((SELECT SUM(x.remaining + x.sold) FROM inventory_leases x \
         WHERE x.ticket_type_id = {column}), 0) AS BIGINT)"
    )
}

/// SQL: what live leases sold of the ticket type whose id is `column` and the counters still
/// count as held (to add to its `sold`).
pub fn sold_by_leases_of_type(column: &str) -> String {
    format!(
        "CAST(COALESCE((SELECT SUM(x.sold) FROM inventory_leases x \
         WHERE x.ticket_type_id = {column}), 0) AS BIGINT)"
    )
}

/// SQL: [`held_by_leases_of_type`] for the quota whose id is `column`.
pub fn held_by_leases_of_quota(column: &str) -> String {
    format!(
        "CAST(COALESCE((SELECT SUM(x.remaining + x.sold) FROM inventory_leases x \
         WHERE (' ' || x.quota_ids || ' ') LIKE ('% ' || {column} || ' %')), 0) AS BIGINT)"
    )
}

/// SQL: [`sold_by_leases_of_type`] for the quota whose id is `column`.
pub fn sold_by_leases_of_quota(column: &str) -> String {
    format!(
        "CAST(COALESCE((SELECT SUM(x.sold) FROM inventory_leases x \
         WHERE (' ' || x.quota_ids || ' ') LIKE ('% ' || {column} || ' %')), 0) AS BIGINT)"
    )
}

crate::sql::statements! {
    GRANT = "INSERT INTO inventory_leases (id, event_id, ticket_type_id, quota_ids, holder, granted,
        remaining, sold, expires_at, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $6, 0, $7, $8)";
    DRAW = "UPDATE inventory_leases SET remaining = remaining - $2, sold = sold + $3
        WHERE id = $1 AND remaining >= $2 AND expires_at > $4";
    GIVE_BACK =
        "UPDATE inventory_leases SET remaining = remaining + $2, sold = sold - $3 WHERE id = $1";
    LOCK_TICKET_TYPE [Postgres] = "SELECT id FROM ticket_types WHERE id = $1 FOR NO KEY UPDATE";
    SETTLE_DELETE = "DELETE FROM inventory_leases WHERE id = $1 RETURNING remaining, sold";
    FIND = "SELECT id, ticket_type_id, quota_ids FROM inventory_leases
        WHERE expires_at <= $1 ORDER BY ticket_type_id, id LIMIT $2";
    ANY_EXPIRED = "SELECT 1 FROM inventory_leases WHERE expires_at <= $1 LIMIT 1";
    OUTSTANDING = "SELECT ticket_type_id, CAST(SUM(remaining) AS BIGINT) AS remaining,
        CAST(SUM(sold) AS BIGINT) AS sold
        FROM inventory_leases WHERE event_id = $1 GROUP BY ticket_type_id";
}
