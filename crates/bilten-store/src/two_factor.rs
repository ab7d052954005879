//! Queries on `two_factor`, `recovery_codes` and `login_challenges` (see migration 17).
//! Single use is a conditional update everywhere: a TOTP step only moves forward, a recovery
//! code and a challenge are spent by the one update that finds them unused.

use bilten_domain::UserId;
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::decode::Columns;
use crate::{to_millis, Exec, StoreError, StoreResult};

/// An account's second factor.
#[derive(Debug, Clone)]
pub struct TwoFactorRecord {
    pub secret_sealed: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_step: Option<i64>,
}

pub async fn find<'e>(ex: impl Exec<'e>, user: UserId) -> StoreResult<Option<TwoFactorRecord>> {
    let row = sqlx::query(&FIND)
        .bind(user.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(|row| {
        Ok(TwoFactorRecord {
            secret_sealed: row.try_get("secret_sealed")?,
            confirmed_at: row.opt_time("confirmed_at")?,
            last_step: row.try_get("last_step")?,
        })
    })
    .transpose()
}

/// Whether the account signs in with a second factor.
pub async fn enabled<'e>(ex: impl Exec<'e>, user: UserId) -> StoreResult<bool> {
    Ok(find(ex, user)
        .await?
        .is_some_and(|r| r.confirmed_at.is_some()))
}

/// Starts (or restarts) an enrolment with a new secret. False when the account already has a
/// confirmed second factor (it must be disabled first).
pub async fn begin_enrolment<'e>(
    ex: impl Exec<'e>,
    user: UserId,
    secret_sealed: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&BEGIN_ENROLMENT)
        .bind(user.to_db())
        .bind(secret_sealed)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Confirms a pending enrolment with the step its first code matched.
pub async fn confirm<'e>(
    ex: impl Exec<'e>,
    user: UserId,
    step: i64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&CONFIRM)
        .bind(user.to_db())
        .bind(step)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Spends `step` for a confirmed second factor: true once per step, and never for a step at
/// or before one already used.
pub async fn use_step<'e>(ex: impl Exec<'e>, user: UserId, step: i64) -> StoreResult<bool> {
    let done = sqlx::query(&USE_STEP)
        .bind(user.to_db())
        .bind(step)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes the second factor and its recovery codes.
pub async fn disable(tx: &mut crate::Conn, user: UserId) -> StoreResult<()> {
    for statement in [&DELETE, &DELETE_RECOVERY_CODES] {
        sqlx::query(statement)
            .bind(user.to_db())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Replaces the account's recovery codes with `hashes`.
pub async fn replace_recovery_codes(
    tx: &mut crate::Conn,
    user: UserId,
    hashes: &[String],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&DELETE_RECOVERY_CODES)
        .bind(user.to_db())
        .execute(&mut *tx)
        .await?;
    for hash in hashes {
        sqlx::query(&INSERT_RECOVERY_CODE)
            .bind(user.to_db())
            .bind(hash)
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Spends a recovery code: true for the one call that finds it unused.
pub async fn use_recovery_code<'e>(
    ex: impl Exec<'e>,
    user: UserId,
    hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&USE_RECOVERY_CODE)
        .bind(user.to_db())
        .bind(hash)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn recovery_codes_left<'e>(ex: impl Exec<'e>, user: UserId) -> StoreResult<i64> {
    let row = sqlx::query(&RECOVERY_CODES_LEFT)
        .bind(user.to_db())
        .fetch_one(ex)
        .await?;
    Ok(row.try_get("n")?)
}

/// A sign-in waiting for its code.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub user_id: UserId,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub failures: i64,
}

pub struct NewChallenge<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_challenge<'e>(ex: impl Exec<'e>, c: &NewChallenge<'_>) -> StoreResult<()> {
    sqlx::query(&INSERT_CHALLENGE)
        .bind(c.token_hash)
        .bind(c.user_id.to_db())
        .bind(c.user_agent)
        .bind(c.ip)
        .bind(to_millis(c.now))
        .bind(to_millis(c.expires_at))
        .execute(ex)
        .await?;
    Ok(())
}

/// A live challenge (unspent, unexpired, fewer than `max_failures` wrong codes).
pub async fn live_challenge<'e>(
    ex: impl Exec<'e>,
    token_hash: &str,
    max_failures: i64,
    now: DateTime<Utc>,
) -> StoreResult<Option<Challenge>> {
    let row = sqlx::query(&LIVE_CHALLENGE)
        .bind(token_hash)
        .bind(max_failures)
        .bind(to_millis(now))
        .fetch_optional(ex)
        .await?;
    row.map(|row| {
        let user: String = row.try_get("user_id")?;
        Ok(Challenge {
            user_id: UserId::from_db(&user).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            user_agent: row.try_get("user_agent")?,
            ip: row.try_get("ip")?,
            failures: row.try_get("failures")?,
        })
    })
    .transpose()
}

/// Counts a wrong code against a challenge.
pub async fn fail_challenge<'e>(ex: impl Exec<'e>, token_hash: &str) -> StoreResult<()> {
    sqlx::query(&FAIL_CHALLENGE)
        .bind(token_hash)
        .execute(ex)
        .await?;
    Ok(())
}

/// Spends a challenge: true for the one sign-in that completes it.
pub async fn spend_challenge<'e>(
    ex: impl Exec<'e>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&SPEND_CHALLENGE)
        .bind(token_hash)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

crate::sql::statements! {
    FIND = "SELECT secret_sealed, confirmed_at, last_step FROM two_factor WHERE user_id = $1";
    BEGIN_ENROLMENT = "INSERT INTO two_factor (user_id, secret_sealed, created_at) VALUES ($1, $2, $3)
        ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed,
        created_at = excluded.created_at, last_step = NULL
        WHERE two_factor.confirmed_at IS NULL";
    CONFIRM = "UPDATE two_factor SET confirmed_at = $3, last_step = $2
        WHERE user_id = $1 AND confirmed_at IS NULL AND (last_step IS NULL OR last_step < $2)";
    USE_STEP = "UPDATE two_factor SET last_step = $2
        WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $2)";
    DELETE = "DELETE FROM two_factor WHERE user_id = $1";
    DELETE_RECOVERY_CODES = "DELETE FROM recovery_codes WHERE user_id = $1";
    INSERT_RECOVERY_CODE =
        "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)";
    USE_RECOVERY_CODE = "UPDATE recovery_codes SET used_at = $3
        WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";
    RECOVERY_CODES_LEFT = "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM recovery_codes
        WHERE user_id = $1 AND used_at IS NULL";
    INSERT_CHALLENGE = "INSERT INTO login_challenges (token_hash, user_id, user_agent, ip,
        created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)";
    LIVE_CHALLENGE = "SELECT user_id, user_agent, ip, failures FROM login_challenges
        WHERE token_hash = $1 AND used_at IS NULL AND failures < $2 AND expires_at > $3";
    FAIL_CHALLENGE = "UPDATE login_challenges SET failures = failures + 1 WHERE token_hash = $1";
    SPEND_CHALLENGE = "UPDATE login_challenges SET used_at = $2
        WHERE token_hash = $1 AND used_at IS NULL";
}
