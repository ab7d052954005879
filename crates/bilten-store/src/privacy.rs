//! Personal data: what an account's export reads, and erasure — anonymizing orders (kept for
//! accounting) and deleting an account down to a tombstone row.
//!
//! What counts as personal data of an order: the buyer's name and email, the buyer key (it
//! holds the email of a guest), the request digest (made from them), the attendee names of
//! its lines and tickets, the holder names in recorded scan answers, the checkout answers
//! kept for retries, and the mails sent about the order. Anonymizing replaces or clears those
//! and nothing else: totals, lines, payments, refunds, tickets and check-ins stay, so every
//! report of money and attendance adds up to the same numbers before and after.

use bilten_domain::{OrderId, OrganizationId, RefundId, UserId};
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::decode::Columns;
use crate::{to_millis, Conn, Exec, StoreError, StoreResult};

/// What replaces a name.
pub const ANONYMIZED_NAME: &str = "Anonymized";

/// The email an anonymized order carries (`.invalid` never resolves, RFC 2606).
pub fn anonymized_email(order: OrderId) -> String {
    format!("anonymized+{}@invalid", order.to_db())
}

/// The email a deleted account's row carries, so its address is free again.
pub fn deleted_email(user: UserId) -> String {
    format!("deleted+{}@invalid", user.to_db())
}

/// Why an order was anonymized (the row's `anonymized_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnonymizeReason {
    /// The buyer deleted their account.
    AccountDeleted,
    /// The organizer acted on the attendee's request.
    OrganizerRequest,
    /// The retention period after the event ran out.
    Retention,
}

impl AnonymizeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountDeleted => "account_deleted",
            Self::OrganizerRequest => "organizer_request",
            Self::Retention => "retention",
        }
    }
}

/// The ids of the orders bought by `user`'s account and, when its email is verified, the
/// guest orders bought with that email since (those before joined the account when it was
/// verified), oldest first.
pub async fn orders_of_user<'e>(
    ex: impl Exec<'e>,
    user: UserId,
    verified_email: Option<&str>,
) -> StoreResult<Vec<OrderId>> {
    let rows = sqlx::query(&ORDERS_OF_USER)
        .bind(user.to_db())
        .bind(verified_email.unwrap_or_default())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            OrderId::from_db(&row.try_get::<String, _>("id")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

/// When an order was anonymized, if it was.
pub async fn anonymized_at<'e>(
    ex: impl Exec<'e>,
    order: OrderId,
) -> StoreResult<Option<DateTime<Utc>>> {
    let row = sqlx::query(&ANONYMIZED_AT)
        .bind(order.to_db())
        .fetch_optional(ex)
        .await?
        .ok_or(StoreError::NotFound)?;
    row.opt_time("anonymized_at")
}

/// A session of the account, live or ended (the export lists them all).
#[derive(Debug, Clone)]
pub struct SessionMeta {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

pub async fn sessions_of_user<'e>(
    ex: impl Exec<'e>,
    user: UserId,
) -> StoreResult<Vec<SessionMeta>> {
    let rows = sqlx::query(&SESSIONS_OF_USER)
        .bind(user.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(SessionMeta {
                id: row.try_get("id")?,
                created_at: row.time("created_at")?,
                last_used_at: row.time("last_used_at")?,
                revoked_at: row.opt_time("revoked_at")?,
                user_agent: row.try_get("user_agent")?,
                ip: row.try_get("ip")?,
            })
        })
        .collect()
}

/// Organizations whose only owner is `user`, with their names: deleting the account would
/// leave them without anyone who can manage their members.
pub async fn solely_owned<'e>(
    ex: impl Exec<'e>,
    user: UserId,
) -> StoreResult<Vec<(OrganizationId, String)>> {
    let rows = sqlx::query(&SOLELY_OWNED)
        .bind(user.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            let id = row.parsed("id", OrganizationId::from_db)?;
            Ok((id, row.try_get("name")?))
        })
        .collect()
}

/// Anonymizes one order in the caller's transaction; false when it already was (nothing
/// changes then: the first anonymization's record stands). `by` is the organizer who acted on
/// a request, if any.
pub async fn anonymize_order(
    tx: &mut Conn,
    order: OrderId,
    reason: AnonymizeReason,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let id = order.to_db();
    let row = sqlx::query(&ORDER_PERSONAL_DATA)
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    if row.try_get::<Option<i64>, _>("anonymized_at")?.is_some() {
        return Ok(false);
    }
    let event: String = row.try_get("event_id")?;
    let buyer_key: String = row.try_get("buyer_key")?;
    let mut names: Vec<String> = vec![row.try_get("buyer_name")?, row.try_get("buyer_email")?];
    let erased_key = format!("erased:{id}");
    // The buyer's per-event counter goes with the last live order that names its key (a guest's
    // key is their email); an order of the same buyer still kept needs it as it is.
    sqlx::query(&RENAME_BUYER_COUNT)
        .bind(&event)
        .bind(&buyer_key)
        .bind(&erased_key)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query(&ANONYMIZE_ORDER)
        .bind(&id)
        .bind(anonymized_email(order))
        .bind(ANONYMIZED_NAME)
        .bind(&erased_key)
        .bind(reason.as_str())
        .bind(by.map(|u| u.to_db()))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    for ticket in sqlx::query(&TICKET_NAMES)
        .bind(&id)
        .fetch_all(&mut *tx)
        .await?
    {
        names.push(ticket.try_get("attendee_name")?);
    }
    sqlx::query(&ANONYMIZE_LINES)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(&ANONYMIZE_TICKETS)
        .bind(&id)
        .bind(ANONYMIZED_NAME)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
    scrub_scan_answers(tx, &id, &names).await?;
    sqlx::query(&FORGET_CHECKOUT_ANSWERS)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    // Mails name their order (and refund) by the public, prefixed id.
    let mut keys = vec![
        format!("order-confirmation:{order}"),
        format!("event-canceled:{order}"),
    ];
    for refund in sqlx::query(&REFUNDS_OF_ORDER)
        .bind(&id)
        .fetch_all(&mut *tx)
        .await?
    {
        let refund = refund.parsed("id", RefundId::from_db)?;
        keys.push(format!("refund:{refund}"));
    }
    sqlx::query(&SCRUB_MAILS_OF_ORDER)
        .bind(order.to_string())
        .execute(&mut *tx)
        .await?;
    for key in keys {
        sqlx::query(&SCRUB_MAIL_BY_KEY)
            .bind(key)
            .execute(&mut *tx)
            .await?;
    }
    Ok(true)
}

/// Recorded scan answers (replayed for a retried upload) hold the ticket holder's name:
/// every string in them equal to one of `names` becomes [`ANONYMIZED_NAME`].
async fn scrub_scan_answers(tx: &mut Conn, order: &str, names: &[String]) -> StoreResult<()> {
    let rows = sqlx::query(&SCAN_ANSWERS)
        .bind(order)
        .fetch_all(&mut *tx)
        .await?;
    for row in rows {
        let scan: String = row.try_get("id")?;
        let Some(text) = row.try_get::<Option<String>, _>("response")? else {
            continue;
        };
        let Ok(mut answer) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if replace_names(&mut answer, names) {
            sqlx::query(&SET_SCAN_ANSWER)
                .bind(&scan)
                .bind(answer.to_string())
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// Replaces every string equal to one of `names` (non-empty) in `value`; true if any was.
fn replace_names(value: &mut serde_json::Value, names: &[String]) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) if !text.is_empty() && names.iter().any(|n| n == text) => {
            ANONYMIZED_NAME.clone_into(text);
            true
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, item| replace_names(item, names) | any),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |any, item| replace_names(item, names) | any),
        _ => false,
    }
}

/// Orders not yet anonymized of events that ended before `cutoff`, oldest event first: what
/// the retention job anonymizes, `limit` at a time.
pub async fn due_for_retention<'e>(
    ex: impl Exec<'e>,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<OrderId>> {
    let rows = sqlx::query(&DUE_FOR_RETENTION)
        .bind(to_millis(cutoff))
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            OrderId::from_db(&row.try_get::<String, _>("id")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

/// What the retention job removed besides orders' personal data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Login sessions (with their user agent and address) not used since the cutoff.
    pub sessions: u64,
    /// Invitations (an email address each) that expired before the cutoff.
    pub invitations: u64,
    /// Mails created before the cutoff whose recipient and text were emptied.
    pub mails: u64,
    /// Sign-in challenges that expired more than a day ago.
    pub challenges: u64,
}

/// Removes personal data that outlived its use, in the caller's transaction: sessions last
/// used and invitations expired before `cutoff`, the text of mails sent (or given up) before
/// it — their dedupe keys stay, so nothing is sent twice — and sign-in challenges that
/// expired before `challenges_before`.
pub async fn purge_stale(
    tx: &mut Conn,
    cutoff: DateTime<Utc>,
    challenges_before: DateTime<Utc>,
) -> StoreResult<Purged> {
    let cutoff = to_millis(cutoff);
    sqlx::query(&DELETE_STALE_REFRESH_TOKENS)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
    let sessions = sqlx::query(&DELETE_STALE_SESSIONS)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let invitations = sqlx::query(&DELETE_STALE_INVITATIONS)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let mails = sqlx::query(&SCRUB_STALE_MAILS)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let challenges = sqlx::query(&DELETE_STALE_CHALLENGES)
        .bind(to_millis(challenges_before))
        .execute(&mut *tx)
        .await?
        .rows_affected()
        + sqlx::query(&DELETE_STALE_PASSKEY_CHALLENGES)
            .bind(to_millis(challenges_before))
            .execute(&mut *tx)
            .await?
            .rows_affected();
    Ok(Purged {
        sessions,
        invitations,
        mails,
        challenges,
    })
}

/// Deletes an account down to its tombstone, in the caller's transaction: sessions (and their
/// refresh tokens), one-time tokens, memberships, the second factor and passkeys go; the row
/// keeps its id with a placeholder email and name, no usable password, and
/// `deleted_at`/`disabled_at` set. The mails queued for its address are scrubbed. False when the account was already deleted.
pub async fn delete_account(tx: &mut Conn, user: UserId, now: DateTime<Utc>) -> StoreResult<bool> {
    let id = user.to_db();
    let Some(row) = sqlx::query(&ACCOUNT_EMAIL)
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(false);
    };
    let email: String = row.try_get("email")?;
    for statement in [
        &DELETE_REFRESH_TOKENS,
        &DELETE_SESSIONS,
        &DELETE_ONE_TIME_TOKENS,
        &DELETE_MEMBERSHIPS,
        &DELETE_TWO_FACTOR,
        &DELETE_RECOVERY_CODES,
        &DELETE_LOGIN_CHALLENGES,
        &DELETE_PASSKEYS,
        &DELETE_PASSKEY_CHALLENGES,
    ] {
        sqlx::query(statement).bind(&id).execute(&mut *tx).await?;
    }
    sqlx::query(&SCRUB_MAILS_TO)
        .bind(&email)
        .execute(&mut *tx)
        .await?;
    crate::invitations::forget_email(&mut *tx, &email).await?;
    let done = sqlx::query(&TOMBSTONE_USER)
        .bind(&id)
        .bind(deleted_email(user))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

crate::sql::statements! {
    ORDERS_OF_USER = "SELECT id FROM orders
        WHERE buyer_user_id = $1 OR ($2 <> '' AND buyer_user_id IS NULL AND buyer_email = $2)
        ORDER BY created_at, id";
    ANONYMIZED_AT = "SELECT anonymized_at FROM orders WHERE id = $1";
    SESSIONS_OF_USER = "SELECT id, created_at, last_used_at, revoked_at, user_agent, ip
        FROM sessions WHERE user_id = $1 ORDER BY created_at, id";
    SOLELY_OWNED = "SELECT o.id, o.name FROM organizations o
        JOIN memberships m ON m.organization_id = o.id
        WHERE m.user_id = $1 AND m.role = 'owner'
        AND NOT EXISTS (SELECT 1 FROM memberships other WHERE other.organization_id = o.id
            AND other.role = 'owner' AND other.user_id <> $1)
        ORDER BY o.id";
    ORDER_PERSONAL_DATA = "SELECT event_id, buyer_key, buyer_email, buyer_name, anonymized_at
        FROM orders WHERE id = $1";
    RENAME_BUYER_COUNT = "UPDATE buyer_event_counts SET buyer_key = $3
        WHERE event_id = $1 AND buyer_key = $2
        AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.event_id = $1 AND o.buyer_key = $2
            AND o.id <> $4 AND o.anonymized_at IS NULL)";
    ANONYMIZE_ORDER = "UPDATE orders SET buyer_email = $2, buyer_name = $3, buyer_key = $4,
        buyer_user_id = NULL, request_hash = 'anonymized', anonymized_reason = $5,
        anonymized_by = $6, anonymized_at = $7, updated_at = $7
        WHERE id = $1 AND anonymized_at IS NULL";
    TICKET_NAMES = "SELECT attendee_name FROM tickets WHERE order_id = $1";
    ANONYMIZE_LINES = "UPDATE order_lines SET attendee_names = '[]' WHERE order_id = $1";
    ANONYMIZE_TICKETS = "UPDATE tickets SET attendee_name = $2, updated_at = $3 WHERE order_id = $1";
    SCAN_ANSWERS = "SELECT c.id, c.response FROM checkins c
        JOIN tickets t ON t.id = c.ticket_id WHERE t.order_id = $1";
    SET_SCAN_ANSWER = "UPDATE checkins SET response = $2 WHERE id = $1";
    FORGET_CHECKOUT_ANSWERS = "DELETE FROM checkout_requests WHERE order_id = $1";
    REFUNDS_OF_ORDER = "SELECT id FROM refunds WHERE order_id = $1";
    SCRUB_MAILS_OF_ORDER = "UPDATE outbox_emails SET to_address = 'anonymized@invalid',
        subject = '', body_text = '', body_html = NULL, attachments = NULL,
        status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
        last_error = CASE WHEN status = 'pending' THEN 'anonymized' ELSE last_error END
        WHERE reference = $1";
    SCRUB_MAIL_BY_KEY = "UPDATE outbox_emails SET to_address = 'anonymized@invalid',
        subject = '', body_text = '', body_html = NULL, attachments = NULL,
        status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
        last_error = CASE WHEN status = 'pending' THEN 'anonymized' ELSE last_error END
        WHERE dedupe_key = $1";
    SCRUB_MAILS_TO = "UPDATE outbox_emails SET to_address = 'anonymized@invalid', subject = '',
        body_text = '', body_html = NULL, attachments = NULL,
        status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
        last_error = CASE WHEN status = 'pending' THEN 'anonymized' ELSE last_error END
        WHERE to_address = $1";
    DUE_FOR_RETENTION = "SELECT o.id FROM orders o JOIN events e ON e.id = o.event_id
        WHERE e.ends_at < $1 AND o.anonymized_at IS NULL
        ORDER BY e.ends_at, o.id LIMIT $2";
    ACCOUNT_EMAIL = "SELECT email FROM users WHERE id = $1 AND deleted_at IS NULL";
    DELETE_STALE_REFRESH_TOKENS = "DELETE FROM refresh_tokens
        WHERE session_id IN (SELECT id FROM sessions WHERE last_used_at < $1)";
    DELETE_STALE_SESSIONS = "DELETE FROM sessions WHERE last_used_at < $1";
    DELETE_STALE_INVITATIONS = "DELETE FROM invitations WHERE expires_at < $1";
    SCRUB_STALE_MAILS = "UPDATE outbox_emails SET to_address = 'anonymized@invalid', subject = '',
        body_text = '', body_html = NULL, attachments = NULL
        WHERE created_at < $1 AND status <> 'pending' AND to_address <> 'anonymized@invalid'";
    DELETE_STALE_CHALLENGES = "DELETE FROM login_challenges WHERE expires_at < $1";
    DELETE_STALE_PASSKEY_CHALLENGES = "DELETE FROM passkey_challenges WHERE expires_at < $1";
    DELETE_REFRESH_TOKENS = "DELETE FROM refresh_tokens
        WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)";
    DELETE_SESSIONS = "DELETE FROM sessions WHERE user_id = $1";
    DELETE_ONE_TIME_TOKENS = "DELETE FROM one_time_tokens WHERE user_id = $1";
    DELETE_MEMBERSHIPS = "DELETE FROM memberships WHERE user_id = $1";
    DELETE_TWO_FACTOR = "DELETE FROM two_factor WHERE user_id = $1";
    DELETE_RECOVERY_CODES = "DELETE FROM recovery_codes WHERE user_id = $1";
    DELETE_LOGIN_CHALLENGES = "DELETE FROM login_challenges WHERE user_id = $1";
    DELETE_PASSKEYS = "DELETE FROM passkeys WHERE user_id = $1";
    DELETE_PASSKEY_CHALLENGES = "DELETE FROM passkey_challenges WHERE user_id = $1";
    TOMBSTONE_USER = "UPDATE users SET email = $2, name = 'Deleted account', password_hash = '!',
        deleted_at = $3, disabled_at = COALESCE(disabled_at, $3), updated_at = $3
        WHERE id = $1 AND deleted_at IS NULL";
}

#[cfg(test)]
mod tests {
    use super::replace_names;
    use serde_json::json;

    #[test]
    fn names_are_replaced_wherever_they_are_in_an_answer() {
        let mut answer = json!({"result": "ok", "ticket": {"holder_name": "Ada", "type": "Ada's"},
            "list": ["Ada", "x"]});
        assert!(replace_names(
            &mut answer,
            &["Ada".to_owned(), String::new()]
        ));
        assert_eq!(
            answer,
            json!({"result": "ok", "ticket": {"holder_name": "Anonymized", "type": "Ada's"},
                "list": ["Anonymized", "x"]})
        );
        assert!(!replace_names(&mut answer, &[String::new()]));
    }
}
