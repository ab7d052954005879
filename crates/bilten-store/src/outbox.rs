//! The email outbox: rows written in the transaction that causes the mail, claimed by
//! workers with a lease.
//!
//! On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`, so any number of backend replicas
//! run the worker without waiting on each other or sending a row twice at the same time.
//! SQLite has one writer, so the plain conditional update is already exclusive there.
//!
//! A claim increments `attempts`, so the attempt number a worker got with its claim names
//! that claim: a worker whose lease ran out (and whose row another worker now holds) cannot
//! record a failure over the newer claim and unlock the row while it is being sent again.

use bilten_domain::MailStatus;
use chrono::{DateTime, Duration, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use crate::decode::Columns;
use crate::{to_millis, Dialect, Exec, Store, StoreResult};

/// A mail to send, fully rendered at enqueue time so the row is self-contained.
#[derive(Debug, Clone)]
pub struct NewEmail<'a> {
    /// Unique per cause (`verify_email:<token id>`, `order_confirmation:<order>`): a second
    /// enqueue for the same cause is ignored, which is how "exactly one" is kept.
    pub dedupe_key: Option<&'a str>,
    pub to: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    /// JSON array of attachments (`[{filename, content_type, base64}]`), if any.
    pub attachments_json: Option<&'a str>,
}

/// Enqueues a mail; returns false when its dedupe key was already used.
pub async fn enqueue<'e>(
    ex: impl Exec<'e>,
    email: &NewEmail<'_>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let now = to_millis(now);
    let done = sqlx::query(&ENQUEUE)
        .bind(Uuid::now_v7().hyphenated().to_string())
        .bind(email.dedupe_key)
        .bind(email.to)
        .bind(email.subject)
        .bind(email.body_text)
        .bind(email.body_html)
        .bind(email.attachments_json)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A mail to compose when it is sent: `(to, dedupe key, reference)`.
pub struct TemplatedEmail<'a> {
    pub to: &'a str,
    pub dedupe_key: &'a str,
    pub reference: &'a str,
}

/// Enqueues mails of one `template` to be composed by the worker when it sends them (one
/// multi-row insert; a used dedupe key is skipped). This keeps rendering (QR codes, PDFs) off
/// the path of the request that causes the mail, and the row small.
pub async fn enqueue_templated(
    tx: &mut crate::Tx,
    template: &str,
    mails: &[TemplatedEmail<'_>],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if mails.is_empty() {
        return Ok(());
    }
    let sql = enqueue_templated_sql(mails.len());
    let mut query = sqlx::query(&sql)
        .persistent(false)
        .bind(template)
        .bind(to_millis(now));
    for mail in mails {
        query = query
            .bind(Uuid::now_v7().hyphenated().to_string())
            .bind(mail.to)
            .bind(mail.dedupe_key)
            .bind(mail.reference);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// The multi-row `INSERT` of [`enqueue_templated`] for `rows` mails.
fn enqueue_templated_sql(rows: usize) -> String {
    use std::fmt::Write as _;
    let mut sql = String::from(
        "INSERT INTO outbox_emails (template, next_attempt_at, created_at, subject, body_text,
             id, to_address, dedupe_key, reference) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        let base = 3 + i * 4;
        let _ = write!(
            sql,
            "($1, $2, $2, '', '', ${base}, ${}, ${}, ${})",
            base + 1,
            base + 2,
            base + 3
        );
    }
    sql.push_str(" ON CONFLICT (dedupe_key) DO NOTHING");
    sql
}

#[derive(Debug, Clone)]
pub struct ClaimedEmail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub attachments_json: Option<String>,
    pub attempts: i64,
    /// Set for a mail composed when sent ([`enqueue_templated`]): what to compose, and from
    /// what (an order id for `order_confirmation`). Subject and bodies are empty until then.
    pub template: Option<String>,
    pub reference: Option<String>,
}

/// Leases up to `limit` due mails for `lease` and returns them.
pub async fn claim_due(
    store: &Store,
    limit: i64,
    lease: Duration,
    now: DateTime<Utc>,
) -> StoreResult<Vec<ClaimedEmail>> {
    let sql = claim_sql(store.dialect());
    let now_ms = to_millis(now);
    let rows = sqlx::query(&sql)
        .bind(now_ms)
        .bind(to_millis(now + lease))
        .bind(limit)
        .fetch_all(store.primary())
        .await?;
    rows.iter().map(decode_claimed).collect()
}

/// The claim of [`claim_due`]: on PostgreSQL the rows are taken `FOR UPDATE SKIP LOCKED`, so
/// replicas claim different mails without waiting for each other, and the claim commits
/// without waiting for its WAL flush ([`ASYNC_COMMIT`]).
fn claim_sql(dialect: Dialect) -> String {
    let (lock, async_commit) = match dialect {
        Dialect::Postgres => ("FOR UPDATE SKIP LOCKED", ASYNC_COMMIT),
        Dialect::Sqlite => ("", ""),
    };
    format!(
        "UPDATE outbox_emails SET locked_until = $2, attempts = attempts + 1
         WHERE id IN (
             SELECT id FROM outbox_emails
             WHERE status = 'pending' AND next_attempt_at <= $1
               AND (locked_until IS NULL OR locked_until <= $1)
             ORDER BY next_attempt_at
             LIMIT $3 {lock}
         ){async_commit}
         RETURNING id, to_address, subject, body_text, body_html, attachments, attempts,
                   template, reference"
    )
}

/// Makes the statement's own (implicit) transaction commit with `synchronous_commit = off`:
/// `set_config(…, true)` lasts until the transaction ends, and PostgreSQL reads the setting
/// when it commits. The mail worker's two writes per mail (claim, mark sent) each waited for
/// a WAL flush — most of a mail's time on PostgreSQL (bench: 3.4 ms of flush waits per
/// mail). Losing either write in a database crash only means a resend, which delivery
/// already allows (at-least-once, the same `Message-ID`); a mail is never marked sent before
/// it was sent, so none is lost.
const ASYNC_COMMIT: &str = "
           AND (SELECT set_config('synchronous_commit', 'off', true)) = 'off'";

/// [`mark_sent`]'s update: on PostgreSQL committed without waiting for its flush (see
/// [`ASYNC_COMMIT`]).
fn mark_sent_sql(dialect: Dialect) -> String {
    let async_commit = match dialect {
        Dialect::Postgres => ASYNC_COMMIT,
        Dialect::Sqlite => "",
    };
    format!(
        "UPDATE outbox_emails SET status = 'sent', sent_at = $2, locked_until = NULL,
         last_error = NULL, subject = COALESCE($3, subject), body_text = COALESCE($4, body_text)
         WHERE id = $1 AND status = 'pending'{async_commit}"
    )
}

/// Every text built here (see `crate::sql`): the claim and the "sent" mark on this engine, an
/// insert of one and of three mails.
pub(crate) fn built(dialect: Dialect) -> Vec<(String, String)> {
    vec![
        ("claim".to_owned(), claim_sql(dialect)),
        ("mark_sent".to_owned(), mark_sent_sql(dialect)),
        ("enqueue_templated(1)".to_owned(), enqueue_templated_sql(1)),
        ("enqueue_templated(3)".to_owned(), enqueue_templated_sql(3)),
    ]
}

fn decode_claimed(row: &AnyRow) -> StoreResult<ClaimedEmail> {
    Ok(ClaimedEmail {
        id: row.try_get("id")?,
        to: row.try_get("to_address")?,
        subject: row.try_get("subject")?,
        body_text: row.try_get("body_text")?,
        body_html: row.try_get("body_html")?,
        attachments_json: row.try_get("attachments")?,
        attempts: row.try_get("attempts")?,
        template: row.try_get("template")?,
        reference: row.try_get("reference")?,
    })
}

/// Records a delivered mail. Not fenced by the attempt: whoever delivered it, it was
/// delivered, and marking it stops every later resend.
pub async fn mark_sent(
    store: &Store,
    id: &str,
    now: DateTime<Utc>,
    composed: Option<Composed<'_>>,
) -> StoreResult<()> {
    // A row composed at sending time keeps the subject and text it was sent with (not the
    // HTML and attachments, which stay reproducible from the database): what was sent, for
    // operators and support.
    let (subject, text) = composed.map_or((None, None), |c| (Some(c.subject), Some(c.body_text)));
    sqlx::query(&mark_sent_sql(store.dialect()))
        .bind(id)
        .bind(to_millis(now))
        .bind(subject)
        .bind(text)
        .execute(store.primary())
        .await?;
    Ok(())
}

/// What a templated mail was sent with.
#[derive(Debug, Clone, Copy)]
pub struct Composed<'a> {
    pub subject: &'a str,
    pub body_text: &'a str,
}

/// Records a failed attempt of the claim that got `attempt`: retried at `retry_at`, or given
/// up (`failed`) when `None`. Does nothing when the row has been claimed again since (the
/// newer claim decides), so a stale failure never unlocks a mail being sent. Returns whether
/// the failure was recorded.
pub async fn mark_attempt_failed<'e>(
    ex: impl Exec<'e>,
    id: &str,
    attempt: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> StoreResult<bool> {
    let (status, next) = match retry_at {
        Some(at) => ("pending", Some(to_millis(at))),
        None => ("failed", None),
    };
    let done = sqlx::query(&MARK_ATTEMPT_FAILED)
        .bind(id)
        .bind(status)
        .bind(next)
        .bind(error.chars().take(500).collect::<String>())
        .bind(attempt)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Mails still waiting to be sent (for the backlog gauge).
pub async fn pending_count<'e>(ex: impl Exec<'e>) -> StoreResult<i64> {
    let row = sqlx::query(&PENDING_COUNT).fetch_one(ex).await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// How many mails were enqueued for a cause (0 or 1: the dedupe key is unique).
pub async fn count_with_dedupe_key<'e>(ex: impl Exec<'e>, key: &str) -> StoreResult<i64> {
    let row = sqlx::query(&COUNT_WITH_DEDUPE_KEY)
        .bind(key)
        .fetch_one(ex)
        .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Mails to one address, newest first: used by tests and the admin view.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub status: MailStatus,
    pub attempts: i64,
}

pub async fn list_for_address<'e>(ex: impl Exec<'e>, to: &str) -> StoreResult<Vec<OutboxEntry>> {
    let rows = sqlx::query(&LIST_FOR_ADDRESS)
        .bind(to)
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OutboxEntry {
                id: row.try_get("id")?,
                to: row.try_get("to_address")?,
                subject: row.try_get("subject")?,
                body_text: row.try_get("body_text")?,
                status: row.text_enum("status")?,
                attempts: row.try_get("attempts")?,
            })
        })
        .collect()
}

crate::sql::statements! {
    ENQUEUE = "INSERT INTO outbox_emails (id, dedupe_key, to_address, subject, body_text, body_html,
        attachments, next_attempt_at, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
        ON CONFLICT (dedupe_key) DO NOTHING";
    MARK_ATTEMPT_FAILED = "UPDATE outbox_emails
        SET status = $2, next_attempt_at = COALESCE($3, next_attempt_at), locked_until = NULL,
        last_error = $4
        WHERE id = $1 AND status = 'pending' AND attempts = $5";
    PENDING_COUNT = "SELECT COUNT(*) FROM outbox_emails WHERE status = 'pending'";
    COUNT_WITH_DEDUPE_KEY = "SELECT COUNT(*) FROM outbox_emails WHERE dedupe_key = $1";
    LIST_FOR_ADDRESS =
        "SELECT id, to_address, subject, body_text, status, attempts FROM outbox_emails
        WHERE to_address = $1 ORDER BY created_at DESC, id DESC";
}
