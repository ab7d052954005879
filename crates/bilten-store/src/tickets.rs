//! Queries on `tickets`, `event_keys` and `ticket_revocations`.
//!
//! A ticket's status only ever leaves `valid` by a [`Transition`] of the domain's machine,
//! applied as a conditional update (`… WHERE status = $from`), and the same transaction writes the old code into
//! `ticket_revocations`. So a code is revoked exactly once however many refunds, event
//! cancellations or name changes race on it, and the revocation list scanners sync is never
//! missing a code that stopped being valid.

use bilten_domain::{
    EventId, KeyStatus, OrderId, OrderStatus, OrganizationId, RevocationReason, TicketId,
    TicketStatus, TicketTypeId, Transition, UserId,
};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use crate::decode::{bind_transition, corrupt, Columns};
use crate::{to_millis, Exec, StoreResult, Tx};

// ---------------------------------------------------------------------------------------
// Event keys

#[derive(Debug, Clone)]
pub struct EventKeyRecord {
    pub event_id: EventId,
    pub key_version: i64,
    /// Eight hex digits (`KeyId::to_hex`).
    pub key_id: String,
    /// Standard base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
    pub status: KeyStatus,
    pub created_at: DateTime<Utc>,
}

/// Publishes an event's public key for `key_version`. False when that version (or that key
/// id) is already there: concurrent first sales, or two rotations racing, insert once.
pub async fn insert_key<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    key_version: i64,
    key_id: &str,
    public_key: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&INSERT_KEY)
        .bind(event.to_db())
        .bind(key_version)
        .bind(key_id)
        .bind(public_key)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The newest active key version of an event (the one new codes are signed with).
pub async fn signing_version<'e>(ex: impl Exec<'e>, event: EventId) -> StoreResult<Option<i64>> {
    let row = sqlx::query(&SIGNING_VERSION)
        .bind(event.to_db())
        .fetch_one(ex)
        .await?;
    Ok(row.try_get::<Option<i64>, _>(0)?)
}

/// The highest key version an event has ever had (active or retired).
pub async fn newest_version<'e>(ex: impl Exec<'e>, event: EventId) -> StoreResult<i64> {
    let row = sqlx::query(&NEWEST_VERSION)
        .bind(event.to_db())
        .fetch_one(ex)
        .await?;
    Ok(row.try_get::<Option<i64>, _>(0)?.unwrap_or(0))
}

/// Every key of an event, oldest version first.
pub async fn list_keys<'e>(ex: impl Exec<'e>, event: EventId) -> StoreResult<Vec<EventKeyRecord>> {
    let rows = sqlx::query(&LIST_KEYS)
        .bind(event.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(EventKeyRecord {
                event_id: row.parsed("event_id", EventId::from_db)?,
                key_version: row.try_get("key_version")?,
                key_id: row.try_get("key_id")?,
                public_key: row.try_get("public_key")?,
                status: row.text_enum("status")?,
                created_at: row.time("created_at")?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Tickets

pub struct NewTicket<'a> {
    pub id: TicketId,
    pub order_id: OrderId,
    pub event_id: EventId,
    pub ticket_type_id: TicketTypeId,
    pub attendee_name: &'a str,
    pub code: &'a str,
    pub key_version: i64,
    pub now: DateTime<Utc>,
}

/// Inserts a `valid` ticket.
pub async fn insert<'e>(ex: impl Exec<'e>, t: &NewTicket<'_>) -> StoreResult<()> {
    sqlx::query(&INSERT)
        .bind(t.id.to_db())
        .bind(t.order_id.to_db())
        .bind(t.event_id.to_db())
        .bind(t.ticket_type_id.to_db())
        .bind(t.attendee_name)
        .bind(t.code)
        .bind(t.key_version)
        .bind(to_millis(t.now))
        .execute(ex)
        .await?;
    Ok(())
}

/// A ticket with what is needed to show it (event, type, order, buyer).
#[derive(Debug, Clone)]
pub struct TicketRecord {
    pub id: TicketId,
    pub order_id: OrderId,
    pub event_id: EventId,
    pub organization_id: OrganizationId,
    pub ticket_type_id: TicketTypeId,
    pub ticket_type_name: String,
    pub attendee_name: String,
    pub code: String,
    pub key_version: i64,
    pub status: TicketStatus,
    pub issued_at: DateTime<Utc>,
    pub order_status: OrderStatus,
    pub buyer_user_id: Option<UserId>,
    pub buyer_email: String,
    pub buyer_name: String,
    pub event_title: String,
    pub event_starts_at: DateTime<Utc>,
    pub event_ends_at: DateTime<Utc>,
    pub event_timezone: String,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub online_url: Option<String>,
}

const TICKET_SELECT: &str = "SELECT t.id, t.order_id, t.event_id, e.organization_id,
        t.ticket_type_id, tt.name AS ticket_type_name, t.attendee_name, t.code, t.key_version,
        t.status, t.issued_at, o.status AS order_status, o.buyer_user_id, o.buyer_email,
        o.buyer_name, e.title, e.starts_at, e.ends_at, e.timezone, e.venue_name,
        e.venue_address, e.city, e.country, e.online_url
    FROM tickets t
    JOIN orders o ON o.id = t.order_id
    JOIN events e ON e.id = t.event_id
    JOIN ticket_types tt ON tt.id = t.ticket_type_id";

fn decode(row: &AnyRow) -> StoreResult<TicketRecord> {
    let buyer: Option<String> = row.try_get("buyer_user_id")?;
    Ok(TicketRecord {
        id: row.parsed("id", TicketId::from_db)?,
        order_id: row.parsed("order_id", OrderId::from_db)?,
        event_id: row.parsed("event_id", EventId::from_db)?,
        organization_id: row.parsed("organization_id", OrganizationId::from_db)?,
        ticket_type_id: row.parsed("ticket_type_id", TicketTypeId::from_db)?,
        ticket_type_name: row.try_get("ticket_type_name")?,
        attendee_name: row.try_get("attendee_name")?,
        code: row.try_get("code")?,
        key_version: row.try_get("key_version")?,
        status: row.text_enum("status")?,
        issued_at: row.time("issued_at")?,
        order_status: row.text_enum("order_status")?,
        buyer_user_id: buyer
            .map(|b| UserId::from_db(&b))
            .transpose()
            .map_err(corrupt)?,
        buyer_email: row.try_get("buyer_email")?,
        buyer_name: row.try_get("buyer_name")?,
        event_title: row.try_get("title")?,
        event_starts_at: row.time("starts_at")?,
        event_ends_at: row.time("ends_at")?,
        event_timezone: row.try_get("timezone")?,
        venue_name: row.try_get("venue_name")?,
        venue_address: row.try_get("venue_address")?,
        city: row.try_get("city")?,
        country: row.try_get("country")?,
        online_url: row.try_get("online_url")?,
    })
}

pub async fn find<'e>(ex: impl Exec<'e>, id: TicketId) -> StoreResult<Option<TicketRecord>> {
    let row = sqlx::query(&FIND)
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// The ticket whose current code is `code` (what a scanner reads). A code that was replaced
/// is not found here; look it up in [`find_revocation`].
pub async fn find_by_code<'e>(ex: impl Exec<'e>, code: &str) -> StoreResult<Option<TicketRecord>> {
    let row = sqlx::query(&FIND_BY_CODE)
        .bind(code)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// An order's tickets, in issue order.
pub async fn list_for_order<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
) -> StoreResult<Vec<TicketRecord>> {
    let rows = sqlx::query(&LIST_FOR_ORDER)
        .bind(order.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode).collect()
}

/// The tickets of orders a user bought with their account, newest first, after the cursor
/// `(issued_at, id)` of the last one already seen.
pub async fn list_for_user<'e>(
    ex: impl Exec<'e>,
    user: UserId,
    after: Option<(DateTime<Utc>, TicketId)>,
    limit: i64,
) -> StoreResult<Vec<TicketRecord>> {
    let (at, id) = match after {
        Some((at, id)) => (Some(to_millis(at)), Some(id.to_db())),
        None => (None, None),
    };
    let rows = sqlx::query(&LIST_FOR_USER)
        .bind(user.to_db())
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode).collect()
}

/// How many tickets an order has, by status `(valid, all)` (for invariant checks).
pub async fn count_for_order<'e>(ex: impl Exec<'e>, order: OrderId) -> StoreResult<(i64, i64)> {
    let row = sqlx::query(&COUNT_FOR_ORDER)
        .bind(order.to_db())
        .fetch_one(ex)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

// ---------------------------------------------------------------------------------------
// Revocation

/// Ends one valid ticket by `t` and writes its code into `ticket_revocations`, in the
/// caller's transaction. False when the ticket was not in `t`'s starting state (someone else
/// ended it first).
async fn end_ticket(
    tx: &mut Tx,
    id: TicketId,
    t: Transition<TicketStatus>,
    reason: RevocationReason,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&END_TICKET)
        .bind(id.to_db())
        .bind(to_millis(now));
    let ended = bind_transition(query, &t).fetch_optional(&mut **tx).await?;
    let Some(row) = ended else {
        return Ok(false);
    };
    let event_id: String = row.try_get("event_id")?;
    let code: String = row.try_get("code")?;
    sqlx::query(&END_TICKET_REVOKE)
        .bind(Uuid::now_v7().hyphenated().to_string())
        .bind(event_id)
        .bind(id.to_db())
        .bind(code)
        .bind(reason.as_str())
        .bind(to_millis(now))
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Revokes a valid ticket by `revoke` ([`TicketStatus::revoke`]) because `replacement`
/// takes its place (a re-issue), and inserts the replacement, in the caller's transaction.
/// False (nothing written) when the old ticket was not valid any more.
pub async fn reissue(
    tx: &mut Tx,
    old: TicketId,
    revoke: Transition<TicketStatus>,
    replacement: &NewTicket<'_>,
) -> StoreResult<bool> {
    if !end_ticket(tx, old, revoke, RevocationReason::Reissued, replacement.now).await? {
        return Ok(false);
    }
    insert(&mut **tx, replacement).await?;
    Ok(true)
}

/// Cancels the given tickets (those still valid) by `cancel` ([`TicketStatus::cancel`]) and
/// revokes their codes, in the caller's transaction. Returns the ids this call canceled; tickets already canceled or revoked are
/// skipped, so a retried refund cancels nothing twice. Refunds and event cancellation build
/// on this.
pub async fn cancel_tickets(
    tx: &mut Tx,
    ids: &[TicketId],
    cancel: Transition<TicketStatus>,
    reason: RevocationReason,
    now: DateTime<Utc>,
) -> StoreResult<Vec<TicketId>> {
    let mut sorted = ids.to_vec();
    // One lock order for everyone who cancels several tickets.
    sorted.sort();
    sorted.dedup();
    let mut canceled = Vec::with_capacity(sorted.len());
    for id in sorted {
        if end_ticket(tx, id, cancel, reason, now).await? {
            canceled.push(id);
        }
    }
    Ok(canceled)
}

/// Cancels every valid ticket of an order (see [`cancel_tickets`]).
pub async fn cancel_for_order(
    tx: &mut Tx,
    order: OrderId,
    cancel: Transition<TicketStatus>,
    reason: RevocationReason,
    now: DateTime<Utc>,
) -> StoreResult<Vec<TicketId>> {
    let rows = sqlx::query(&CANCEL_FOR_ORDER)
        .bind(order.to_db())
        .fetch_all(&mut **tx)
        .await?;
    let ids = rows
        .iter()
        .map(|row| row.parsed("id", TicketId::from_db))
        .collect::<StoreResult<Vec<_>>>()?;
    cancel_tickets(tx, &ids, cancel, reason, now).await
}

#[derive(Debug, Clone)]
pub struct RevocationRecord {
    pub id: String,
    pub ticket_id: TicketId,
    pub code: String,
    pub reason: RevocationReason,
    pub revoked_at: DateTime<Utc>,
}

fn decode_revocation(row: &AnyRow) -> StoreResult<RevocationRecord> {
    Ok(RevocationRecord {
        id: row.try_get("id")?,
        ticket_id: row.parsed("ticket_id", TicketId::from_db)?,
        code: row.try_get("code")?,
        reason: row.text_enum("reason")?,
        revoked_at: row.time("revoked_at")?,
    })
}

/// An event's revocations after the cursor `(revoked_at, id)`, oldest first.
pub async fn revocations_since<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    after: Option<(i64, &str)>,
    limit: i64,
) -> StoreResult<Vec<RevocationRecord>> {
    let (at, id) = match after {
        Some((at, id)) => (Some(at), Some(id.to_owned())),
        None => (None, None),
    };
    let rows = sqlx::query(&REVOCATIONS_SINCE)
        .bind(event.to_db())
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode_revocation).collect()
}

/// The revocation of a code, if it was revoked (scanners answer `revoked` for it).
pub async fn find_revocation<'e>(
    ex: impl Exec<'e>,
    code: &str,
) -> StoreResult<Option<RevocationRecord>> {
    let row = sqlx::query(&FIND_REVOCATION)
        .bind(code)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode_revocation).transpose()
}

crate::sql::statements! {
    INSERT_KEY =
        "INSERT INTO event_keys (event_id, key_version, key_id, public_key, status, created_at)
        VALUES ($1, $2, $3, $4, 'active', $5)
        ON CONFLICT DO NOTHING";
    SIGNING_VERSION =
        "SELECT MAX(key_version) FROM event_keys WHERE event_id = $1 AND status = 'active'";
    NEWEST_VERSION = "SELECT MAX(key_version) FROM event_keys WHERE event_id = $1";
    LIST_KEYS =
        "SELECT event_id, key_version, key_id, public_key, status, created_at FROM event_keys
        WHERE event_id = $1 ORDER BY key_version";
    INSERT = "INSERT INTO tickets (id, order_id, event_id, ticket_type_id, attendee_name, code,
        key_version, status, issued_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'valid', $8, $8)";
    FIND = format!("{TICKET_SELECT} WHERE t.id = $1");
    FIND_BY_CODE = format!("{TICKET_SELECT} WHERE t.code = $1");
    LIST_FOR_ORDER = format!("{TICKET_SELECT} WHERE t.order_id = $1 ORDER BY t.issued_at, t.id");
    LIST_FOR_USER = format!("{TICKET_SELECT} WHERE o.buyer_user_id = $1
        AND ($2 IS NULL OR t.issued_at < $2 OR (t.issued_at = $2 AND t.id < $3))
        ORDER BY t.issued_at DESC, t.id DESC LIMIT $4");
    COUNT_FOR_ORDER =
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'valid' THEN 1 ELSE 0 END), 0) AS BIGINT),
        COUNT(*)
        FROM tickets WHERE order_id = $1";
    END_TICKET = "UPDATE tickets SET updated_at = $2, status = $3 WHERE id = $1 AND status = $4
        RETURNING event_id, code";
    END_TICKET_REVOKE =
        "INSERT INTO ticket_revocations (id, event_id, ticket_id, code, reason, revoked_at)
        VALUES ($1, $2, $3, $4, $5, $6)";
    CANCEL_FOR_ORDER = "SELECT id FROM tickets WHERE order_id = $1 AND status = 'valid'";
    REVOCATIONS_SINCE = "SELECT id, ticket_id, code, reason, revoked_at FROM ticket_revocations
        WHERE event_id = $1
        AND ($2 IS NULL OR revoked_at > $2 OR (revoked_at = $2 AND id > $3))
        ORDER BY revoked_at, id LIMIT $4";
    FIND_REVOCATION =
        "SELECT id, ticket_id, code, reason, revoked_at FROM ticket_revocations WHERE code = $1";
}
