//! Queries of the benchmark (`bilten bench`): a scratch PostgreSQL database for one run, the
//! server's own statistics about it, and the ledger checks that prove a run sold nothing twice.
//!
//! The statistics queries read PostgreSQL's `pg_stat_*` views and are PostgreSQL only; the
//! ledger checks are plain SQL on both engines. Nothing here is on a request path.

use bilten_domain::{CheckinListId, TicketTypeId};
use sqlx::Row;

use crate::{Exec, StoreError, StoreResult};

/// A name safe to splice into `CREATE DATABASE` (identifiers cannot be bound).
fn checked_name(name: &str) -> StoreResult<&str> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(name)
    } else {
        Err(StoreError::Config(format!(
            "{name:?} is not a plain database name (a-z, 0-9, _)"
        )))
    }
}

/// `CREATE DATABASE name` on the server `ex` is connected to.
pub async fn create_database<'e>(ex: impl Exec<'e>, name: &str) -> StoreResult<()> {
    let sql = format!("CREATE DATABASE {}", checked_name(name)?);
    ex.execute(sql.as_str()).await?;
    Ok(())
}

/// Drops `name`, disconnecting whoever is still connected to it.
pub async fn drop_database<'e>(ex: impl Exec<'e>, name: &str) -> StoreResult<()> {
    let sql = format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        checked_name(name)?
    );
    ex.execute(sql.as_str()).await?;
    Ok(())
}

/// A PostgreSQL server process (`pg_stat_activity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerProcess {
    pub pid: u32,
    /// `client backend`, `autovacuum worker`, `walwriter`, …
    pub backend_type: String,
    /// `active`, `idle`, `idle in transaction`, … (client backends only).
    pub state: Option<String>,
    /// What it waits for right now, if anything: `Lock`/`transactionid`, `IO`/`WALSync`, …
    pub wait_event_type: Option<String>,
    pub wait_event: Option<String>,
}

fn processes(rows: &[sqlx::any::AnyRow]) -> StoreResult<Vec<ServerProcess>> {
    rows.iter()
        .map(|row| {
            Ok(ServerProcess {
                pid: u32::try_from(row.try_get::<i32, _>("pid")?).unwrap_or_default(),
                backend_type: row.try_get("backend_type")?,
                state: row.try_get("state")?,
                wait_event_type: row.try_get("wait_event_type")?,
                wait_event: row.try_get("wait_event")?,
            })
        })
        .collect()
}

const ACTIVITY_COLUMNS: &str = "pid, CAST(backend_type AS TEXT) AS backend_type, \
     CAST(state AS TEXT) AS state, CAST(wait_event_type AS TEXT) AS wait_event_type, \
     CAST(wait_event AS TEXT) AS wait_event";

/// The processes serving `database` (client backends, autovacuum workers), with what each
/// is doing at this instant.
pub async fn database_processes<'e>(
    ex: impl Exec<'e>,
    database: &str,
) -> StoreResult<Vec<ServerProcess>> {
    let rows = sqlx::query(&DATABASE_PROCESSES)
        .bind(database)
        .fetch_all(ex)
        .await?;
    processes(&rows)
}

/// The server's shared processes (WAL writer, checkpointer, background writer, autovacuum
/// launcher, …): they work for every database of the server at once.
pub async fn shared_processes<'e>(ex: impl Exec<'e>) -> StoreResult<Vec<ServerProcess>> {
    let rows = sqlx::query(&SHARED_PROCESSES).fetch_all(ex).await?;
    processes(&rows)
}

/// The pid of the server process behind `ex`'s connection.
pub async fn own_pid<'e>(ex: impl Exec<'e>) -> StoreResult<u32> {
    let row = sqlx::query(&OWN_PID).fetch_one(ex).await?;
    Ok(u32::try_from(row.try_get::<i32, _>("pid")?).unwrap_or_default())
}

/// Transactions of one database since the statistics were reset (`pg_stat_database`).
/// PostgreSQL publishes a backend's counts when it goes idle, at most once a second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransactionCounts {
    pub commits: i64,
    pub rollbacks: i64,
}

pub async fn transaction_counts<'e>(
    ex: impl Exec<'e>,
    database: &str,
) -> StoreResult<TransactionCounts> {
    let row = sqlx::query(&TRANSACTION_COUNTS)
        .bind(database)
        .fetch_one(ex)
        .await?;
    Ok(TransactionCounts {
        commits: row.try_get("xact_commit")?,
        rollbacks: row.try_get("xact_rollback")?,
    })
}

/// Row updates of the inventory counter tables (`ticket_types`, `quotas`) in the database
/// `ex` is connected to (`pg_stat_user_tables.n_tup_upd`).
pub async fn counter_row_updates<'e>(ex: impl Exec<'e>) -> StoreResult<i64> {
    let row = sqlx::query(&COUNTER_ROW_UPDATES).fetch_one(ex).await?;
    Ok(row.try_get("updates")?)
}

/// One ticket type's counters next to the rows they summarize.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InventoryAudit {
    pub capacity: i64,
    /// The counters.
    pub sold: i64,
    pub held: i64,
    /// The rows: valid tickets, tickets in paid orders, tickets in live (pending, unreleased)
    /// holds.
    pub valid_tickets: i64,
    pub paid_quantity: i64,
    pub pending_quantity: i64,
    pub paid_orders: i64,
}

impl InventoryAudit {
    /// Tickets beyond capacity, by whichever of the rows or counters says more.
    pub fn oversold(&self) -> i64 {
        [
            self.valid_tickets,
            self.paid_quantity + self.pending_quantity,
            self.sold + self.held,
        ]
        .into_iter()
        .max()
        .unwrap_or_default()
        .saturating_sub(self.capacity)
        .max(0)
    }

    /// Whether the counters equal the rows.
    pub fn counters_match_rows(&self) -> bool {
        self.sold == self.paid_quantity
            && self.held == self.pending_quantity
            && self.valid_tickets == self.paid_quantity
    }
}

fn inventory_audit_sql() -> String {
    format!(
        "SELECT t.capacity, t.sold + {} AS sold, t.held - {} AS held,
             (SELECT COUNT(*) FROM tickets k
               WHERE k.ticket_type_id = t.id AND k.status = 'valid') AS valid_tickets,
             (SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM order_lines l
               JOIN orders o ON o.id = l.order_id
               WHERE l.ticket_type_id = t.id AND o.status = 'paid') AS paid_quantity,
             (SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM order_lines l
               JOIN orders o ON o.id = l.order_id
               WHERE l.ticket_type_id = t.id AND o.status = 'pending'
                 AND o.released_at IS NULL) AS pending_quantity,
             (SELECT COUNT(DISTINCT l.order_id) FROM order_lines l
               JOIN orders o ON o.id = l.order_id
               WHERE l.ticket_type_id = t.id AND o.status = 'paid') AS paid_orders
         FROM ticket_types t WHERE t.id = $1",
        crate::leases::sold_by_leases_of_type("t.id"),
        crate::leases::held_by_leases_of_type("t.id"),
    )
}

pub async fn inventory_audit<'e>(
    ex: impl Exec<'e>,
    ticket_type: TicketTypeId,
) -> StoreResult<InventoryAudit> {
    // Counters as buyers see them: live inventory leases out of `held`, their sales in `sold`.
    let sql = inventory_audit_sql();
    let row = sqlx::query(&sql)
        .bind(ticket_type.to_db())
        .fetch_one(ex)
        .await?;
    Ok(InventoryAudit {
        capacity: row.try_get("capacity")?,
        sold: row.try_get("sold")?,
        held: row.try_get("held")?,
        valid_tickets: row.try_get("valid_tickets")?,
        paid_quantity: row.try_get("paid_quantity")?,
        pending_quantity: row.try_get("pending_quantity")?,
        paid_orders: row.try_get("paid_orders")?,
    })
}

/// Tickets admitted on a check-in list (one state row per ticket, by its primary key) and
/// the scans answered "ok" on it.
pub async fn admissions<'e>(ex: impl Exec<'e>, list: CheckinListId) -> StoreResult<(i64, i64)> {
    let row = sqlx::query(&ADMISSIONS)
        .bind(list.to_db())
        .fetch_one(ex)
        .await?;
    Ok((row.try_get("admitted")?, row.try_get("ok_scans")?))
}

/// Every text built here (see `crate::sql`).
pub(crate) fn built(_: crate::Dialect) -> Vec<(String, String)> {
    vec![("inventory_audit".to_owned(), inventory_audit_sql())]
}

crate::sql::statements! {
    DATABASE_PROCESSES [Postgres] =
        format!("SELECT {ACTIVITY_COLUMNS} FROM pg_stat_activity WHERE datname = $1");
    SHARED_PROCESSES [Postgres] = format!("SELECT {ACTIVITY_COLUMNS} FROM pg_stat_activity
        WHERE datname IS NULL AND backend_type <> 'client backend'");
    OWN_PID [Postgres] = "SELECT pg_backend_pid() AS pid";
    TRANSACTION_COUNTS [Postgres] =
        "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = $1";
    COUNTER_ROW_UPDATES [Postgres] =
        "SELECT CAST(COALESCE(SUM(n_tup_upd), 0) AS BIGINT) AS updates FROM pg_stat_user_tables
        WHERE relname IN ('ticket_types', 'quotas')";
    ADMISSIONS = "SELECT (SELECT COUNT(*) FROM checkin_states WHERE list_id = $1) AS admitted,
        (SELECT COUNT(*) FROM checkins WHERE list_id = $1 AND result = 'ok') AS ok_scans";
}
