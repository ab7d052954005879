//! Queries on `idempotency_requests`: the answer given under each `Idempotency-Key`, per
//! operation (`scope`), for every unsafe operation but the purchase path (whose key is a
//! column of the order it creates). The service that uses it is the backend's `idempotency`.

use chrono::{DateTime, Utc};

use crate::decode::Columns;
use crate::{to_millis, Exec, StoreResult};

use crate::decode::corrupt;

/// A request as first received under its key, and its answer once given.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub request_hash: String,
    /// `None` while the first request is still being answered.
    pub response: Option<(u16, String)>,
    pub created_at: DateTime<Utc>,
}

/// Records the first request under `(scope, key)`. False when the key is already taken (by
/// this request retried, or by another one): read it with [`find`]. A row older than
/// `expired_before` is forgotten first, so a key can be used again a day later.
pub async fn begin<'e>(
    ex: impl Exec<'e>,
    scope: &str,
    key: &str,
    request_hash: &str,
    expired_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&BEGIN)
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(to_millis(now))
        .bind(to_millis(expired_before))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'e>(
    ex: impl Exec<'e>,
    scope: &str,
    key: &str,
) -> StoreResult<Option<RequestRecord>> {
    use sqlx::Row;
    let row = sqlx::query(&FIND)
        .bind(scope)
        .bind(key)
        .fetch_optional(ex)
        .await?;
    row.map(|row| {
        let status: Option<i64> = row.try_get("response_status")?;
        let body: Option<String> = row.try_get("response_body")?;
        Ok(RequestRecord {
            request_hash: row.try_get("request_hash")?,
            response: match (status, body) {
                (Some(status), Some(body)) => Some((u16::try_from(status).map_err(corrupt)?, body)),
                _ => None,
            },
            created_at: row.time("created_at")?,
        })
    })
    .transpose()
}

/// Stores the answer given to the request under `(scope, key)`.
pub async fn finish<'e>(
    ex: impl Exec<'e>,
    scope: &str,
    key: &str,
    status: u16,
    body: &str,
) -> StoreResult<()> {
    sqlx::query(&FINISH)
        .bind(scope)
        .bind(key)
        .bind(i64::from(status))
        .bind(body)
        .execute(ex)
        .await?;
    Ok(())
}

/// Forgets an unanswered request (it failed in a way worth retrying), so the key's next
/// request runs again.
pub async fn forget<'e>(ex: impl Exec<'e>, scope: &str, key: &str) -> StoreResult<()> {
    sqlx::query(&FORGET)
        .bind(scope)
        .bind(key)
        .execute(ex)
        .await?;
    Ok(())
}

/// Takes over an unanswered request begun before `stale_before` (its process died): true
/// for exactly one of the callers racing for it.
pub async fn take_over<'e>(
    ex: impl Exec<'e>,
    scope: &str,
    key: &str,
    stale_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&TAKE_OVER)
        .bind(scope)
        .bind(key)
        .bind(to_millis(stale_before))
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes every request begun before `before` (answered or not); returns how many.
pub async fn sweep<'e>(ex: impl Exec<'e>, before: DateTime<Utc>) -> StoreResult<u64> {
    let done = sqlx::query(&SWEEP)
        .bind(to_millis(before))
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

crate::sql::statements! {
    // A row past its day is replaced as if it were not there.
    BEGIN = "INSERT INTO idempotency_requests (scope, idempotency_key, request_hash, created_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (scope, idempotency_key) DO UPDATE
        SET request_hash = excluded.request_hash, created_at = excluded.created_at,
            response_status = NULL, response_body = NULL
        WHERE idempotency_requests.created_at < $5";
    FIND = "SELECT request_hash, response_status, response_body, created_at
        FROM idempotency_requests WHERE scope = $1 AND idempotency_key = $2";
    FINISH = "UPDATE idempotency_requests SET response_status = $3, response_body = $4
        WHERE scope = $1 AND idempotency_key = $2";
    FORGET = "DELETE FROM idempotency_requests
        WHERE scope = $1 AND idempotency_key = $2 AND response_status IS NULL";
    TAKE_OVER = "UPDATE idempotency_requests SET created_at = $4
        WHERE scope = $1 AND idempotency_key = $2 AND response_status IS NULL
        AND created_at < $3";
    SWEEP = "DELETE FROM idempotency_requests WHERE created_at < $1";
}
