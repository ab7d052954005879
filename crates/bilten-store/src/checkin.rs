//! Queries for check-in: lists, scanner devices, per (list, ticket) admission state and the
//! scan log.
//!
//! Admission is a conditional write that the database arbitrates ([`admit_entry`]): a plain
//! `INSERT … ON CONFLICT DO NOTHING` on the `(list_id, ticket_id)` key (or, on re-entry lists,
//! an upsert whose `WHERE inside = 0` only passes for someone outside), so of any number of
//! concurrent scans of one ticket exactly one is told `ok`. Nothing here reads and then writes.

use bilten_domain::{
    CheckinId, CheckinListId, CheckinReason, DeviceId, EventId, OrderStatus, ScanDirection,
    TicketId, TicketStatus, TicketTypeId, UserId,
};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{from_millis, to_millis, Exec, StoreResult};

use crate::decode::{corrupt, Columns};

fn opt_time(row: &AnyRow, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_millis))
}

// ---------------------------------------------------------------------------------------
// Lists

#[derive(Debug, Clone)]
pub struct NewList {
    pub id: CheckinListId,
    pub event_id: EventId,
    pub name: String,
    /// `None`: every ticket type of the event.
    pub ticket_type_ids: Option<Vec<TicketTypeId>>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    pub reentry_allowed: bool,
}

#[derive(Debug, Clone)]
pub struct ListRecord {
    pub id: CheckinListId,
    pub event_id: EventId,
    pub name: String,
    pub all_ticket_types: bool,
    /// Empty when `all_ticket_types`.
    pub ticket_type_ids: Vec<TicketTypeId>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    pub reentry_allowed: bool,
    pub created_at: DateTime<Utc>,
}

impl ListRecord {
    pub fn admits(&self, ticket_type: TicketTypeId) -> bool {
        self.all_ticket_types || self.ticket_type_ids.contains(&ticket_type)
    }
}

/// Inserts a list and its ticket types. Run in a transaction so a list never exists half.
pub async fn insert_list(
    tx: &mut sqlx::AnyConnection,
    list: &NewList,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&INSERT_LIST)
        .bind(list.id.to_db())
        .bind(list.event_id.to_db())
        .bind(&list.name)
        .bind(i64::from(list.ticket_type_ids.is_none()))
        .bind(list.not_before.map(to_millis))
        .bind(list.not_after.map(to_millis))
        .bind(i64::from(list.reentry_allowed))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
    for ticket_type in list.ticket_type_ids.iter().flatten() {
        sqlx::query(&INSERT_LIST_TICKET_TYPE)
            .bind(list.id.to_db())
            .bind(ticket_type.to_db())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The columns of a list plus its ticket type ids joined with commas (`string_agg` on
/// PostgreSQL, `group_concat` on SQLite), for the rows matching `filter`.
fn list_sql(dialect: crate::Dialect, filter: &str) -> String {
    let agg = match dialect {
        crate::Dialect::Postgres => "string_agg(x.ticket_type_id, ',')",
        crate::Dialect::Sqlite => "group_concat(x.ticket_type_id, ',')",
    };
    format!(
        "l.id, l.event_id, l.name, l.all_ticket_types, l.not_before, l.not_after, \
         l.reentry_allowed, l.created_at, \
         (SELECT COALESCE({agg}, '') FROM checkin_list_ticket_types x WHERE x.list_id = l.id) \
         AS type_ids FROM checkin_lists l WHERE {filter}"
    )
}

fn lists_of_event_sql(dialect: crate::Dialect) -> String {
    format!(
        "SELECT {} ORDER BY l.created_at, l.id",
        list_sql(dialect, "l.event_id = $1")
    )
}

fn find_list_sql(dialect: crate::Dialect) -> String {
    format!("SELECT {}", list_sql(dialect, "l.id = $1"))
}

/// What an entry does when the ticket has a state on the list already: with re-entry a
/// holder who is outside enters again; without, nothing (the entry is refused).
pub(crate) fn admit_on_conflict(reentry_allowed: bool) -> &'static str {
    if reentry_allowed {
        "ON CONFLICT (list_id, ticket_id) DO UPDATE
           SET inside = 1, entries = checkin_states.entries + 1, last_at = excluded.last_at
           WHERE checkin_states.inside = 0"
    } else {
        "ON CONFLICT (list_id, ticket_id) DO NOTHING"
    }
}

/// The entry of [`admit_entry`]: with re-entry a holder who is outside enters again.
fn admit_entry_sql(reentry_allowed: bool) -> String {
    let on_conflict = admit_on_conflict(reentry_allowed);
    format!(
        "INSERT INTO checkin_states
           (list_id, ticket_id, first_at, first_gate, first_device_id, inside, entries, last_at)
         VALUES ($1, $2, $3, $4, $5, 1, 1, $3) {on_conflict}"
    )
}

/// Every text built here (see `crate::sql`).
pub(crate) fn built(dialect: crate::Dialect) -> Vec<(String, String)> {
    vec![
        ("lists_of_event".to_owned(), lists_of_event_sql(dialect)),
        ("find_list".to_owned(), find_list_sql(dialect)),
        ("admit_entry(re-entry)".to_owned(), admit_entry_sql(true)),
        ("admit_entry(once)".to_owned(), admit_entry_sql(false)),
    ]
}

fn list_from_row(row: &AnyRow) -> StoreResult<ListRecord> {
    let type_ids: String = row.try_get("type_ids")?;
    let mut ticket_type_ids = type_ids
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| TicketTypeId::from_db(s).map_err(corrupt))
        .collect::<StoreResult<Vec<_>>>()?;
    ticket_type_ids.sort();
    Ok(ListRecord {
        id: row.parsed("id", CheckinListId::from_db)?,
        event_id: row.parsed("event_id", EventId::from_db)?,
        name: row.try_get("name")?,
        all_ticket_types: row.try_get::<i64, _>("all_ticket_types")? != 0,
        ticket_type_ids,
        not_before: opt_time(row, "not_before")?,
        not_after: opt_time(row, "not_after")?,
        reentry_allowed: row.try_get::<i64, _>("reentry_allowed")? != 0,
        created_at: row.time("created_at")?,
    })
}

pub async fn lists_of_event(store: &crate::Store, event: EventId) -> StoreResult<Vec<ListRecord>> {
    let sql = lists_of_event_sql(store.dialect());
    let rows = sqlx::query(&sql)
        .bind(event.to_db())
        .fetch_all(store.primary())
        .await?;
    rows.iter().map(list_from_row).collect()
}

pub async fn find_list(store: &crate::Store, id: CheckinListId) -> StoreResult<Option<ListRecord>> {
    let sql = find_list_sql(store.dialect());
    let row = sqlx::query(&sql)
        .bind(id.to_db())
        .fetch_optional(store.primary())
        .await?;
    row.as_ref().map(list_from_row).transpose()
}

// ---------------------------------------------------------------------------------------
// Devices

#[derive(Debug, Clone)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub event_id: EventId,
    pub name: String,
    /// Only while unused and unexpired.
    pub pairing_code: Option<String>,
    pub pairing_expires_at: DateTime<Utc>,
    pub gate: Option<String>,
    pub created_at: DateTime<Utc>,
    pub paired_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

const DEVICE_COLUMNS: &str = "id, event_id, name, pairing_code, pairing_expires_at, gate, \
     created_at, paired_at, revoked_at, last_seen_at";

fn device_from_row(row: &AnyRow) -> StoreResult<DeviceRecord> {
    Ok(DeviceRecord {
        id: row.parsed("id", DeviceId::from_db)?,
        event_id: row.parsed("event_id", EventId::from_db)?,
        name: row.try_get("name")?,
        pairing_code: row.try_get("pairing_code")?,
        pairing_expires_at: row.time("pairing_expires_at")?,
        gate: row.try_get("gate")?,
        created_at: row.time("created_at")?,
        paired_at: opt_time(row, "paired_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
        last_seen_at: opt_time(row, "last_seen_at")?,
    })
}

#[expect(clippy::too_many_arguments, reason = "one row's columns")]
pub async fn insert_device<'e>(
    ex: impl Exec<'e>,
    id: DeviceId,
    event: EventId,
    name: &str,
    pairing_code: &str,
    pairing_expires_at: DateTime<Utc>,
    created_by: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&INSERT_DEVICE)
        .bind(id.to_db())
        .bind(event.to_db())
        .bind(name)
        .bind(pairing_code)
        .bind(to_millis(pairing_expires_at))
        .bind(created_by.to_db())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn devices_of_event<'e>(
    ex: impl Exec<'e>,
    event: EventId,
) -> StoreResult<Vec<DeviceRecord>> {
    let rows = sqlx::query(&DEVICES_OF_EVENT)
        .bind(event.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter().map(device_from_row).collect()
}

pub async fn find_device<'e>(ex: impl Exec<'e>, id: DeviceId) -> StoreResult<Option<DeviceRecord>> {
    let row = sqlx::query(&FIND_DEVICE)
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(device_from_row).transpose()
}

/// Revokes a device: its token stops working at once and an unused pairing code dies.
pub async fn revoke_device<'e>(
    ex: impl Exec<'e>,
    id: DeviceId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&REVOKE_DEVICE)
        .bind(id.to_db())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

/// Exchanges a live pairing code for a device token, once: the conditional update clears the
/// code, so of two concurrent pairings with one code only one gets a row back.
pub async fn pair_device<'e>(
    ex: impl Exec<'e>,
    pairing_code: &str,
    token_hash: &str,
    gate: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<Option<DeviceRecord>> {
    let row = sqlx::query(&PAIR_DEVICE)
        .bind(pairing_code)
        .bind(token_hash)
        .bind(gate)
        .bind(to_millis(now))
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(device_from_row).transpose()
}

/// The live (paired, not revoked) device holding a token.
pub async fn device_by_token<'e>(
    ex: impl Exec<'e>,
    token_hash: &str,
) -> StoreResult<Option<DeviceRecord>> {
    let row = sqlx::query(&DEVICE_BY_TOKEN)
        .bind(token_hash)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(device_from_row).transpose()
}

/// Remembers when a device was last heard from (at most once a minute per device).
pub async fn touch_device<'e>(
    ex: impl Exec<'e>,
    id: DeviceId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&TOUCH_DEVICE)
        .bind(id.to_db())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Tickets as the scanner sees them

/// What a scan needs to know about a ticket.
#[derive(Debug, Clone)]
pub struct ScannedTicket {
    pub id: TicketId,
    pub event_id: EventId,
    pub ticket_type_id: TicketTypeId,
    pub ticket_type_name: String,
    pub holder_name: String,
    pub status: TicketStatus,
    pub order_id: String,
    pub order_status: OrderStatus,
    pub code: String,
    pub updated_at: DateTime<Utc>,
}

pub(crate) const TICKET_COLUMNS: &str =
    "t.id, t.event_id, t.ticket_type_id, tt.name AS type_name, \
     t.attendee_name, t.status, t.order_id, o.status AS order_status, t.code, t.updated_at";
pub(crate) const TICKET_FROM: &str = "FROM tickets t JOIN orders o ON o.id = t.order_id \
     JOIN ticket_types tt ON tt.id = t.ticket_type_id";

pub(crate) fn ticket_from_row(row: &AnyRow) -> StoreResult<ScannedTicket> {
    Ok(ScannedTicket {
        id: row.parsed("id", TicketId::from_db)?,
        event_id: row.parsed("event_id", EventId::from_db)?,
        ticket_type_id: row.parsed("ticket_type_id", TicketTypeId::from_db)?,
        ticket_type_name: row.try_get("type_name")?,
        holder_name: row.try_get("attendee_name")?,
        status: row.text_enum("status")?,
        order_id: row.try_get("order_id")?,
        order_status: row.text_enum("order_status")?,
        code: row.try_get("code")?,
        updated_at: row.time("updated_at")?,
    })
}

/// A ticket with its state on one list: select `STATE_COLUMNS` and join `STATE_JOIN` (the
/// list is `$2`) after `TICKET_COLUMNS … TICKET_FROM`.
const STATE_COLUMNS: &str = "s.first_at, s.first_gate, s.inside";
const STATE_JOIN: &str = "LEFT JOIN checkin_states s ON s.ticket_id = t.id AND s.list_id = $2";

fn sync_ticket_from_row(row: &AnyRow) -> StoreResult<SyncTicket> {
    let state = match row.try_get::<Option<i64>, _>("first_at")? {
        Some(first_at) => Some(StateRecord {
            first_at: from_millis(first_at),
            first_gate: row.try_get("first_gate")?,
            inside: row.try_get::<Option<i64>, _>("inside")?.unwrap_or(0) != 0,
        }),
        None => None,
    };
    Ok(SyncTicket {
        ticket: ticket_from_row(row)?,
        state,
    })
}

/// The ticket whose current code is `code`, in `event`.
pub async fn ticket_by_code<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    code: &str,
) -> StoreResult<Option<ScannedTicket>> {
    let row = sqlx::query(&TICKET_BY_CODE)
        .bind(code)
        .bind(event.to_db())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(ticket_from_row).transpose()
}

pub async fn ticket_by_id<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    id: TicketId,
) -> StoreResult<Option<ScannedTicket>> {
    let row = sqlx::query(&TICKET_BY_ID)
        .bind(id.to_db())
        .bind(event.to_db())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(ticket_from_row).transpose()
}

/// The ticket an old (revoked) code belonged to.
pub async fn ticket_of_revoked_code<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    code: &str,
) -> StoreResult<Option<ScannedTicket>> {
    let row = sqlx::query(&TICKET_OF_REVOKED_CODE)
        .bind(code)
        .bind(event.to_db())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(ticket_from_row).transpose()
}

/// `(key_id hex, standard base64 public key)` of the event's active signing keys.
pub async fn active_public_keys<'e>(
    ex: impl Exec<'e>,
    event: EventId,
) -> StoreResult<Vec<(String, String)>> {
    let rows = sqlx::query(&ACTIVE_PUBLIC_KEYS)
        .bind(event.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("key_id")?, row.try_get("public_key")?)))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Admission state

#[derive(Debug, Clone)]
pub struct StateRecord {
    pub first_at: DateTime<Utc>,
    pub first_gate: Option<String>,
    pub inside: bool,
}

/// Records an entry if the ticket may enter: on a list without re-entry only the very first
/// entry succeeds; with re-entry, an entry succeeds while the holder is outside. True: this
/// call admitted the ticket.
pub async fn admit_entry<'e>(
    ex: impl Exec<'e>,
    list: CheckinListId,
    ticket: TicketId,
    reentry_allowed: bool,
    gate: Option<&str>,
    device: Option<DeviceId>,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&admit_entry_sql(reentry_allowed))
        .bind(list.to_db())
        .bind(ticket.to_db())
        .bind(to_millis(at))
        .bind(gate)
        .bind(device.map(|d| d.to_db()))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the holder as outside (exit scans only matter on re-entry lists).
pub async fn record_exit<'e>(
    ex: impl Exec<'e>,
    list: CheckinListId,
    ticket: TicketId,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&RECORD_EXIT)
        .bind(list.to_db())
        .bind(ticket.to_db())
        .bind(to_millis(at))
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn state_of<'e>(
    ex: impl Exec<'e>,
    list: CheckinListId,
    ticket: TicketId,
) -> StoreResult<Option<StateRecord>> {
    let row = sqlx::query(&STATE_OF)
        .bind(list.to_db())
        .bind(ticket.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(|row| {
        Ok(StateRecord {
            first_at: row.time("first_at")?,
            first_gate: row.try_get("first_gate")?,
            inside: row.try_get::<i64, _>("inside")? != 0,
        })
    })
    .transpose()
}

// ---------------------------------------------------------------------------------------
// Scan log

/// The start of a scan's log row; claimed before the scan is decided so a nonce is used once.
#[derive(Debug, Clone)]
pub struct ScanClaim<'a> {
    pub id: CheckinId,
    pub event_id: EventId,
    pub list_id: CheckinListId,
    pub nonce: &'a str,
    pub device_id: Option<DeviceId>,
    pub user_id: Option<UserId>,
    pub gate: Option<&'a str>,
    pub direction: ScanDirection,
    pub offline: bool,
    pub scanned_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

/// Claims `nonce` for a new scan. False: the nonce was used before (read its response with
/// [`response_for_nonce`]). On PostgreSQL a concurrent claim of the same nonce waits here
/// until the first commits.
pub async fn claim_nonce<'e>(ex: impl Exec<'e>, claim: &ScanClaim<'_>) -> StoreResult<bool> {
    let done = sqlx::query(&CLAIM_NONCE)
        .bind(claim.id.to_db())
        .bind(claim.event_id.to_db())
        .bind(claim.list_id.to_db())
        .bind(claim.nonce)
        .bind(claim.device_id.map(|d| d.to_db()))
        .bind(claim.user_id.map(|u| u.to_db()))
        .bind(claim.gate)
        .bind(claim.direction.as_str())
        .bind(i64::from(claim.offline))
        .bind(to_millis(claim.scanned_at))
        .bind(to_millis(claim.recorded_at))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The JSON answer first given for a nonce (None while that scan is still in flight).
pub async fn response_for_nonce<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    nonce: &str,
) -> StoreResult<Option<String>> {
    let row = sqlx::query(&RESPONSE_FOR_NONCE)
        .bind(event.to_db())
        .bind(nonce)
        .fetch_optional(ex)
        .await?;
    Ok(row
        .map(|row| row.try_get::<Option<String>, _>("response"))
        .transpose()?
        .flatten())
}

/// Completes a claimed scan with its answer.
pub async fn finish_scan<'e>(
    ex: impl Exec<'e>,
    id: CheckinId,
    result: CheckinReason,
    ticket: Option<TicketId>,
    detail: Option<&str>,
    conflict: bool,
    response: &str,
) -> StoreResult<()> {
    sqlx::query(&FINISH_SCAN)
        .bind(id.to_db())
        .bind(result.as_str())
        .bind(ticket.map(|t| t.to_db()))
        .bind(detail)
        .bind(i64::from(conflict))
        .bind(response)
        .execute(ex)
        .await?;
    Ok(())
}

/// One line of the organizer's check-in log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub id: CheckinId,
    pub list_id: CheckinListId,
    pub list_name: String,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    pub user_id: Option<String>,
    pub gate: Option<String>,
    pub ticket_id: Option<String>,
    pub holder_name: Option<String>,
    pub direction: ScanDirection,
    pub result: CheckinReason,
    pub detail: Option<String>,
    pub offline: bool,
    pub conflict: bool,
    pub scanned_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

/// The newest scans of an event, newest first, before the keyset `(recorded_at, id)`.
pub async fn log_of_event<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    before: Option<(DateTime<Utc>, CheckinId)>,
    conflicts_only: bool,
    limit: i64,
) -> StoreResult<Vec<LogEntry>> {
    let (before_at, before_id) = before.map_or((i64::MAX, String::new()), |(at, id)| {
        (to_millis(at), id.to_db())
    });
    let rows = sqlx::query(&LOG_OF_EVENT)
        .bind(event.to_db())
        .bind(before_at)
        .bind(before_id)
        .bind(i64::from(conflicts_only))
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(LogEntry {
                id: row.parsed("id", CheckinId::from_db)?,
                list_id: row.parsed("list_id", CheckinListId::from_db)?,
                list_name: row.try_get("list_name")?,
                device_id: row.try_get("device_id")?,
                device_name: row.try_get("device_name")?,
                user_id: row.try_get("user_id")?,
                gate: row.try_get("gate")?,
                ticket_id: row.try_get("ticket_id")?,
                holder_name: row.try_get("attendee_name")?,
                direction: row.parsed("direction", |t| {
                    ScanDirection::parse(t).ok_or("not a scan direction")
                })?,
                result: row.parsed("result", |t| {
                    CheckinReason::parse(t).ok_or("not a scan result")
                })?,
                detail: row.try_get("detail")?,
                offline: row.try_get::<i64, _>("offline")? != 0,
                conflict: row.try_get::<i64, _>("conflict")? != 0,
                scanned_at: row.time("scanned_at")?,
                recorded_at: row.time("recorded_at")?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Statistics, sync and search

/// Counts for one ticket type on one list.
#[derive(Debug, Clone)]
pub struct StatsRow {
    pub list_id: CheckinListId,
    pub ticket_type_id: TicketTypeId,
    pub ticket_type_name: String,
    /// Valid tickets of paid orders.
    pub expected: i64,
    pub checked_in: i64,
    pub inside: i64,
}

/// Which orders count as "expected at the gate".
const ADMISSIBLE: &str = "t.status = 'valid' AND o.status IN ('paid', 'partially_refunded')";

pub async fn stats_of_event<'e>(ex: impl Exec<'e>, event: EventId) -> StoreResult<Vec<StatsRow>> {
    let rows = sqlx::query(&STATS_OF_EVENT)
        .bind(event.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(StatsRow {
                list_id: row.parsed("list_id", CheckinListId::from_db)?,
                ticket_type_id: row.parsed("type_id", TicketTypeId::from_db)?,
                ticket_type_name: row.try_get("type_name")?,
                expected: row.try_get("expected")?,
                checked_in: row.try_get("checked_in")?,
                inside: row.try_get("inside")?,
            })
        })
        .collect()
}

/// Scans per list recorded since `since` (all results).
pub async fn scans_since<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    since: DateTime<Utc>,
) -> StoreResult<Vec<(CheckinListId, i64)>> {
    let rows = sqlx::query(&SCANS_SINCE)
        .bind(event.to_db())
        .bind(to_millis(since))
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.parsed("list_id", CheckinListId::from_db)?,
                row.try_get("n")?,
            ))
        })
        .collect()
}

/// `(checked in, expected)` on one list.
pub async fn list_counts<'e>(ex: impl Exec<'e>, list: &ListRecord) -> StoreResult<(i64, i64, i64)> {
    let row = sqlx::query(&LIST_COUNTS)
        .bind(list.id.to_db())
        .bind(list.event_id.to_db())
        .bind(i64::from(list.all_ticket_types))
        .fetch_one(ex)
        .await?;
    Ok((
        row.try_get("checked_in")?,
        row.try_get("inside")?,
        row.try_get("expected")?,
    ))
}

/// A ticket for the offline sync, with its state on the list.
#[derive(Debug, Clone)]
pub struct SyncTicket {
    pub ticket: ScannedTicket,
    pub state: Option<StateRecord>,
}

/// Tickets of the event changed (or checked in on `list`) at or after `since`.
pub async fn tickets_for_sync<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    list: CheckinListId,
    since: DateTime<Utc>,
) -> StoreResult<Vec<SyncTicket>> {
    let rows = sqlx::query(&TICKETS_FOR_SYNC)
        .bind(event.to_db())
        .bind(list.to_db())
        .bind(to_millis(since))
        .fetch_all(ex)
        .await?;
    rows.iter().map(sync_ticket_from_row).collect()
}

/// Codes revoked at or after `since`.
pub async fn revoked_codes_since<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    since: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    let rows = sqlx::query(&REVOKED_CODES_SINCE)
        .bind(event.to_db())
        .bind(to_millis(since))
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<String, _>("code")?))
        .collect()
}

/// Tickets of an event whose holder or buyer name, buyer email or order id contains `q`
/// (case-insensitive), at most `limit`.
pub async fn search_tickets<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    list: CheckinListId,
    q: &str,
    limit: i64,
) -> StoreResult<Vec<SyncTicket>> {
    let pattern = crate::like_contains(q);
    let rows = sqlx::query(&SEARCH_TICKETS)
        .bind(event.to_db())
        .bind(list.to_db())
        .bind(pattern)
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(sync_ticket_from_row).collect()
}

crate::sql::statements! {
    INSERT_LIST = "INSERT INTO checkin_lists
        (id, event_id, name, all_ticket_types, not_before, not_after, reentry_allowed, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    INSERT_LIST_TICKET_TYPE = "INSERT INTO checkin_list_ticket_types (list_id, ticket_type_id) VALUES ($1, $2)
        ON CONFLICT DO NOTHING";
    INSERT_DEVICE = "INSERT INTO checkin_devices
        (id, event_id, name, pairing_code, pairing_expires_at, created_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    DEVICES_OF_EVENT =
        format!("SELECT {DEVICE_COLUMNS} FROM checkin_devices WHERE event_id = $1 ORDER BY created_at, id");
    FIND_DEVICE = format!("SELECT {DEVICE_COLUMNS} FROM checkin_devices WHERE id = $1");
    REVOKE_DEVICE =
        "UPDATE checkin_devices SET revoked_at = COALESCE(revoked_at, $2), pairing_code = NULL
        WHERE id = $1";
    PAIR_DEVICE = format!("UPDATE checkin_devices
        SET pairing_code = NULL, token_hash = $2, gate = $3, paired_at = $4, last_seen_at = $4
        WHERE pairing_code = $1 AND revoked_at IS NULL AND pairing_expires_at > $4
        RETURNING {DEVICE_COLUMNS}");
    DEVICE_BY_TOKEN =
        format!("SELECT {DEVICE_COLUMNS} FROM checkin_devices WHERE token_hash = $1 AND revoked_at IS NULL");
    TOUCH_DEVICE = "UPDATE checkin_devices SET last_seen_at = $2
        WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2 - 60000)";
    TICKET_BY_CODE =
        format!("SELECT {TICKET_COLUMNS} {TICKET_FROM} WHERE t.code = $1 AND t.event_id = $2");
    TICKET_BY_ID =
        format!("SELECT {TICKET_COLUMNS} {TICKET_FROM} WHERE t.id = $1 AND t.event_id = $2");
    TICKET_OF_REVOKED_CODE = format!("SELECT {TICKET_COLUMNS} {TICKET_FROM}
        JOIN ticket_revocations r ON r.ticket_id = t.id
        WHERE r.code = $1 AND r.event_id = $2");
    ACTIVE_PUBLIC_KEYS =
        "SELECT key_id, public_key FROM event_keys WHERE event_id = $1 AND status = 'active'
        ORDER BY key_version";
    RECORD_EXIT =
        "UPDATE checkin_states SET inside = 0, last_at = $3 WHERE list_id = $1 AND ticket_id = $2";
    STATE_OF = "SELECT first_at, first_gate, inside FROM checkin_states
        WHERE list_id = $1 AND ticket_id = $2";
    CLAIM_NONCE =
        "INSERT INTO checkins (id, event_id, list_id, nonce, device_id, user_id, gate, direction,
        result, offline, scanned_at, recorded_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11)
        ON CONFLICT (event_id, nonce) DO NOTHING";
    RESPONSE_FOR_NONCE = "SELECT response FROM checkins WHERE event_id = $1 AND nonce = $2";
    FINISH_SCAN =
        "UPDATE checkins SET result = $2, ticket_id = $3, detail = $4, conflict = $5, response = $6
        WHERE id = $1";
    LOG_OF_EVENT = "SELECT c.id, c.list_id, l.name AS list_name, c.device_id, d.name AS device_name,
        c.user_id, c.gate, c.ticket_id, t.attendee_name, c.direction, c.result, c.detail,
        c.offline, c.conflict, c.scanned_at, c.recorded_at
        FROM checkins c
        JOIN checkin_lists l ON l.id = c.list_id
        LEFT JOIN checkin_devices d ON d.id = c.device_id
        LEFT JOIN tickets t ON t.id = c.ticket_id
        WHERE c.event_id = $1 AND c.result <> 'pending'
        AND (c.recorded_at < $2 OR (c.recorded_at = $2 AND ($3 = '' OR c.id < $3)))
        AND ($4 = 0 OR c.conflict = 1)
        ORDER BY c.recorded_at DESC, c.id DESC
        LIMIT $5";
    STATS_OF_EVENT = format!("SELECT l.id AS list_id, tt.id AS type_id, tt.name AS type_name,
        (SELECT COUNT(*) FROM tickets t JOIN orders o ON o.id = t.order_id
        WHERE t.ticket_type_id = tt.id AND {ADMISSIBLE}) AS expected,
        (SELECT COUNT(*) FROM checkin_states s JOIN tickets t ON t.id = s.ticket_id
        WHERE s.list_id = l.id AND t.ticket_type_id = tt.id) AS checked_in,
        (SELECT COUNT(*) FROM checkin_states s JOIN tickets t ON t.id = s.ticket_id
        WHERE s.list_id = l.id AND t.ticket_type_id = tt.id AND s.inside = 1) AS inside
        FROM checkin_lists l JOIN ticket_types tt ON tt.event_id = l.event_id
        WHERE l.event_id = $1
        AND (l.all_ticket_types = 1 OR EXISTS (SELECT 1 FROM checkin_list_ticket_types x
        WHERE x.list_id = l.id AND x.ticket_type_id = tt.id))
        ORDER BY l.created_at, l.id, tt.id");
    SCANS_SINCE = "SELECT list_id, COUNT(*) AS n FROM checkins
        WHERE event_id = $1 AND recorded_at >= $2 AND result <> 'pending'
        GROUP BY list_id";
    LIST_COUNTS = format!("SELECT
        (SELECT COUNT(*) FROM checkin_states s WHERE s.list_id = $1) AS checked_in,
        (SELECT COUNT(*) FROM checkin_states s WHERE s.list_id = $1 AND s.inside = 1) AS inside,
        (SELECT COUNT(*) FROM tickets t JOIN orders o ON o.id = t.order_id
        WHERE t.event_id = $2 AND {ADMISSIBLE}
        AND ($3 = 1 OR EXISTS (SELECT 1 FROM checkin_list_ticket_types x
        WHERE x.list_id = $1 AND x.ticket_type_id = t.ticket_type_id))) AS expected");
    TICKETS_FOR_SYNC = format!("SELECT {TICKET_COLUMNS}, {STATE_COLUMNS} {TICKET_FROM} {STATE_JOIN}
        WHERE t.event_id = $1
        AND (t.updated_at >= $3 OR o.updated_at >= $3 OR s.last_at >= $3)
        ORDER BY t.id");
    REVOKED_CODES_SINCE =
        "SELECT code FROM ticket_revocations WHERE event_id = $1 AND revoked_at >= $2
        ORDER BY revoked_at, id";
    SEARCH_TICKETS = format!("SELECT {TICKET_COLUMNS}, {STATE_COLUMNS} {TICKET_FROM} {STATE_JOIN}
        WHERE t.event_id = $1
        AND (LOWER(t.attendee_name) LIKE $3 ESCAPE '\\' OR LOWER(o.buyer_name) LIKE $3 ESCAPE '\\'
        OR LOWER(o.buyer_email) LIKE $3 ESCAPE '\\' OR LOWER(o.id) LIKE $3 ESCAPE '\\')
        ORDER BY t.attendee_name, t.id
        LIMIT $4");
}
