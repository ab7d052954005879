//! Check-in's set-based statements: a whole batch of scans in a handful of statements
//! instead of five per scan (the scanner's rush path, `bilten_scanner::rush`).
//!
//! Each statement is the multi-row form of one in [`crate::checkin`] and keeps its rule: a
//! nonce is claimed by `ON CONFLICT (event_id, nonce) DO NOTHING`, an admission by the
//! `(list_id, ticket_id)` key (or, on re-entry lists, the upsert whose `WHERE inside = 0` only
//! passes for someone outside). `RETURNING` tells which rows the database let through, so the
//! database still decides who is first, across batches and processes.
//!
//! Placeholders are numbered on PostgreSQL and plain `?` on SQLite, every value bound once in
//! order: SQLite finds a named parameter (`$7`) by walking a list, which made a 700-parameter
//! statement cost O(n²) in the lookups alone.

use std::collections::HashSet;
use std::fmt::Write as _;

use bilten_domain::{CheckinId, CheckinListId, CheckinReason, DeviceId, TicketId};

use crate::checkin::{ScanClaim, ScannedTicket, TICKET_COLUMNS, TICKET_FROM};
use crate::decode::Columns as _;
use crate::{dialect_of_conn, to_millis, Conn, Dialect, StoreResult};

/// Writes placeholders for one statement: `$1, $2, …` on PostgreSQL, `?` on SQLite.
struct Placeholders {
    dialect: Dialect,
    next: usize,
}

impl Placeholders {
    fn new(dialect: Dialect) -> Self {
        Self { dialect, next: 1 }
    }

    /// `(p, p, …)` with `n` placeholders.
    fn group(&mut self, sql: &mut String, n: usize) {
        sql.push('(');
        self.list(sql, n);
        sql.push(')');
    }

    /// `p, p, …` with `n` placeholders.
    fn list(&mut self, sql: &mut String, n: usize) {
        for i in 0..n {
            if i > 0 {
                sql.push_str(", ");
            }
            match self.dialect {
                Dialect::Postgres => {
                    let _ = write!(sql, "${}", self.next);
                }
                Dialect::Sqlite => sql.push('?'),
            }
            self.next += 1;
        }
    }
}

fn claim_sql(dialect: Dialect, rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO checkins (id, event_id, list_id, nonce, device_id, user_id, gate, direction,
             offline, scanned_at, recorded_at, result) VALUES ",
    );
    let mut p = Placeholders::new(dialect);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        p.list(&mut sql, 11);
        sql.push_str(", 'pending')");
    }
    sql.push_str(" ON CONFLICT (event_id, nonce) DO NOTHING RETURNING id");
    sql
}

/// Claims every nonce of the batch ([`crate::checkin::claim_nonce`] for many). Returns the
/// scans whose claim was written: one missing was scanned before (its response is read with
/// [`crate::checkin::response_for_nonce`]) or twice in this batch.
pub async fn claim_nonces(
    tx: &mut Conn,
    claims: &[ScanClaim<'_>],
) -> StoreResult<HashSet<CheckinId>> {
    if claims.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = claim_sql(dialect_of_conn(tx), claims.len());
    let mut query = sqlx::query(&sql).persistent(false);
    for c in claims {
        query = query
            .bind(c.id.to_db())
            .bind(c.event_id.to_db())
            .bind(c.list_id.to_db())
            .bind(c.nonce)
            .bind(c.device_id.map(|d| d.to_db()))
            .bind(c.user_id.map(|u| u.to_db()))
            .bind(c.gate)
            .bind(c.direction.as_str())
            .bind(i64::from(c.offline))
            .bind(to_millis(c.scanned_at))
            .bind(to_millis(c.recorded_at));
    }
    let rows = query.fetch_all(&mut *tx).await?;
    rows.iter()
        .map(|row| row.parsed("id", CheckinId::from_db))
        .collect()
}

fn tickets_sql(dialect: Dialect, codes: usize) -> String {
    let mut sql = format!("SELECT {TICKET_COLUMNS} {TICKET_FROM} WHERE t.code IN (");
    Placeholders::new(dialect).list(&mut sql, codes);
    sql.push(')');
    sql
}

/// The tickets whose current code is one of `codes` (codes are unique across events; the
/// caller compares each ticket's event with its list's).
pub async fn tickets_by_codes(tx: &mut Conn, codes: &[&str]) -> StoreResult<Vec<ScannedTicket>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let sql = tickets_sql(dialect_of_conn(tx), codes.len());
    let mut query = sqlx::query(&sql).persistent(false);
    for code in codes {
        query = query.bind(*code);
    }
    let rows = query.fetch_all(&mut *tx).await?;
    rows.iter().map(crate::checkin::ticket_from_row).collect()
}

fn live_devices_sql(dialect: Dialect, devices: usize) -> String {
    let mut sql =
        String::from("SELECT id FROM checkin_devices WHERE revoked_at IS NULL AND id IN (");
    Placeholders::new(dialect).list(&mut sql, devices);
    sql.push(')');
    sql
}

/// Which of `devices` are still paired, read inside the batch's transaction: a device revoked
/// a moment ago scans no more, even if its token was recognised before the revocation.
pub async fn live_devices(tx: &mut Conn, devices: &[DeviceId]) -> StoreResult<HashSet<DeviceId>> {
    if devices.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = live_devices_sql(dialect_of_conn(tx), devices.len());
    let mut query = sqlx::query(&sql).persistent(false);
    for device in devices {
        query = query.bind(device.to_db());
    }
    let rows = query.fetch_all(&mut *tx).await?;
    rows.iter()
        .map(|row| row.parsed("id", DeviceId::from_db))
        .collect()
}

/// One entry to record (see [`crate::checkin::admit_entry`]).
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub list: CheckinListId,
    pub ticket: TicketId,
    pub gate: Option<&'a str>,
    pub device: Option<DeviceId>,
    pub at: chrono::DateTime<chrono::Utc>,
}

fn admit_sql(dialect: Dialect, rows: usize, reentry_allowed: bool) -> String {
    let mut sql = String::from(
        "INSERT INTO checkin_states
           (list_id, ticket_id, first_at, first_gate, first_device_id, last_at, inside, entries)
         VALUES ",
    );
    let mut p = Placeholders::new(dialect);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        p.list(&mut sql, 6);
        sql.push_str(", 1, 1)");
    }
    sql.push(' ');
    sql.push_str(crate::checkin::admit_on_conflict(reentry_allowed));
    sql.push_str(" RETURNING list_id, ticket_id");
    sql
}

/// Records the entries (each `(list, ticket)` at most once per call; every list of one
/// call with the same re-entry rule). Returns those the database admitted: one missing was
/// already inside.
pub async fn admit_entries(
    tx: &mut Conn,
    entries: &[Entry<'_>],
    reentry_allowed: bool,
) -> StoreResult<HashSet<(CheckinListId, TicketId)>> {
    if entries.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = admit_sql(dialect_of_conn(tx), entries.len(), reentry_allowed);
    let mut query = sqlx::query(&sql).persistent(false);
    for e in entries {
        let at = to_millis(e.at);
        query = query
            .bind(e.list.to_db())
            .bind(e.ticket.to_db())
            .bind(at)
            .bind(e.gate)
            .bind(e.device.map(|d| d.to_db()))
            .bind(at);
    }
    let rows = query.fetch_all(&mut *tx).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.parsed("list_id", CheckinListId::from_db)?,
                row.parsed("ticket_id", TicketId::from_db)?,
            ))
        })
        .collect()
}

/// A claimed scan's answer (see [`crate::checkin::finish_scan`]).
#[derive(Debug, Clone)]
pub struct Finished<'a> {
    pub id: CheckinId,
    pub result: CheckinReason,
    pub ticket: Option<TicketId>,
    pub detail: Option<&'a str>,
    pub conflict: bool,
    pub response: &'a str,
}

fn finish_sql(dialect: Dialect, rows: usize) -> String {
    // A VALUES list's columns are `column1, column2, …` on both engines; the cast gives the
    // number its type where PostgreSQL would otherwise take an untyped parameter for text.
    let mut sql = String::from(
        "UPDATE checkins SET result = v.column2, ticket_id = v.column3, detail = v.column4,
             conflict = CAST(v.column5 AS BIGINT), response = v.column6
         FROM (VALUES ",
    );
    let mut p = Placeholders::new(dialect);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        p.group(&mut sql, 6);
    }
    sql.push_str(") AS v WHERE checkins.id = v.column1");
    sql
}

/// Completes the claimed scans with their answers, in one statement.
pub async fn finish_scans(tx: &mut Conn, scans: &[Finished<'_>]) -> StoreResult<()> {
    if scans.is_empty() {
        return Ok(());
    }
    let sql = finish_sql(dialect_of_conn(tx), scans.len());
    let mut query = sqlx::query(&sql).persistent(false);
    for s in scans {
        query = query
            .bind(s.id.to_db())
            .bind(s.result.as_str())
            .bind(s.ticket.map(|t| t.to_db()))
            .bind(s.detail)
            .bind(i64::from(s.conflict))
            .bind(s.response);
    }
    query.execute(&mut *tx).await?;
    Ok(())
}

/// Every text built here, for one and for three rows (see `crate::sql`).
pub(crate) fn built(dialect: Dialect) -> Vec<(String, String)> {
    let mut built = Vec::new();
    for rows in [1, 3] {
        built.push((format!("claim_nonces({rows})"), claim_sql(dialect, rows)));
        built.push((
            format!("tickets_by_codes({rows})"),
            tickets_sql(dialect, rows),
        ));
        built.push((
            format!("live_devices({rows})"),
            live_devices_sql(dialect, rows),
        ));
        built.push((
            format!("admit_entries({rows}, once)"),
            admit_sql(dialect, rows, false),
        ));
        built.push((
            format!("admit_entries({rows}, re-entry)"),
            admit_sql(dialect, rows, true),
        ));
        built.push((format!("finish_scans({rows})"), finish_sql(dialect, rows)));
    }
    built
}

#[cfg(test)]
mod tests {
    use super::{finish_sql, Placeholders};
    use crate::Dialect;

    #[test]
    fn placeholders_are_numbered_on_postgres_and_plain_on_sqlite() {
        let mut pg = String::new();
        let mut p = Placeholders::new(Dialect::Postgres);
        p.group(&mut pg, 2);
        p.group(&mut pg, 2);
        assert_eq!(pg, "($1, $2)($3, $4)");
        let mut lite = String::new();
        Placeholders::new(Dialect::Sqlite).group(&mut lite, 3);
        assert_eq!(lite, "(?, ?, ?)");
        assert!(finish_sql(Dialect::Postgres, 2).contains("($1, $2, $3, $4, $5, $6), ($7, "));
    }
}
