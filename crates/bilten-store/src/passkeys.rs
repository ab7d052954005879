//! Queries on `passkeys` and `passkey_challenges` (see migrations 20 and 22). A challenge is spent by
//! the one conditional update that finds it unused and unexpired; a counter only moves
//! forward.

use bilten_domain::{PasskeyId, SessionId, UserId};
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::decode::Columns;
use crate::{to_millis, Exec, StoreError, StoreResult};

/// What a challenge was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Adding a passkey to the account that asked.
    Register,
    /// Signing in, by anyone.
    SignIn,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::SignIn => "sign_in",
        }
    }
}

pub async fn insert_challenge<'e>(
    ex: impl Exec<'e>,
    challenge: &str,
    purpose: Purpose,
    user: Option<UserId>,
    server_state: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&INSERT_CHALLENGE)
        .bind(challenge)
        .bind(purpose.as_str())
        .bind(user.map(|u| u.to_db()))
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .bind(server_state)
        .execute(ex)
        .await?;
    Ok(())
}

/// Spends a live challenge of `purpose` (for registration: issued to `user`): the ceremony's
/// server state for the one call that finds it unspent and unexpired, `None` for any other
/// (and for a challenge an older release issued without a state).
pub async fn spend_challenge<'e>(
    ex: impl Exec<'e>,
    challenge: &str,
    purpose: Purpose,
    user: Option<UserId>,
    now: DateTime<Utc>,
) -> StoreResult<Option<String>> {
    let row = sqlx::query(&SPEND_CHALLENGE)
        .bind(challenge)
        .bind(purpose.as_str())
        .bind(user.map_or_else(String::new, |u| u.to_db()))
        .bind(to_millis(now))
        .fetch_optional(ex)
        .await?;
    Ok(row
        .map(|row| row.try_get::<Option<String>, _>("server_state"))
        .transpose()?
        .flatten())
}

/// Deletes challenges that expired before `before` (spent or not): they can never be used.
pub async fn delete_expired_challenges<'e>(
    ex: impl Exec<'e>,
    before: DateTime<Utc>,
) -> StoreResult<u64> {
    let done = sqlx::query(&DELETE_EXPIRED_CHALLENGES)
        .bind(to_millis(before))
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// A registered passkey.
#[derive(Debug, Clone)]
pub struct PasskeyRecord {
    pub id: PasskeyId,
    pub user_id: UserId,
    /// base64url
    pub credential_id: String,
    /// base64url of the raw key for `algorithm`
    pub public_key: String,
    pub algorithm: i64,
    pub sign_count: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// base64url of the WebAuthn crate's static state; `None` before migration 22.
    pub static_state: Option<String>,
    /// base64url of the WebAuthn crate's dynamic state; `None` before migration 22 until the
    /// first sign-in after it.
    pub dynamic_state: Option<String>,
}

fn record(row: &sqlx::any::AnyRow) -> StoreResult<PasskeyRecord> {
    let id: String = row.try_get("id")?;
    let user: String = row.try_get("user_id")?;
    Ok(PasskeyRecord {
        id: PasskeyId::from_db(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        user_id: UserId::from_db(&user).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        credential_id: row.try_get("credential_id")?,
        public_key: row.try_get("public_key")?,
        algorithm: row.try_get("algorithm")?,
        sign_count: row.try_get("sign_count")?,
        name: row.try_get("name")?,
        created_at: row.time("created_at")?,
        last_used_at: row.opt_time("last_used_at")?,
        static_state: row.try_get("static_state")?,
        dynamic_state: row.try_get("dynamic_state")?,
    })
}

pub struct NewPasskey<'a> {
    pub id: PasskeyId,
    pub user_id: UserId,
    pub credential_id: &'a str,
    pub public_key: &'a str,
    pub algorithm: i64,
    pub sign_count: i64,
    pub name: &'a str,
    pub now: DateTime<Utc>,
    /// base64url of the WebAuthn crate's static and dynamic state.
    pub static_state: &'a str,
    pub dynamic_state: &'a str,
}

/// Stores a new passkey; false when its credential id is registered already (to anyone).
pub async fn insert<'e>(ex: impl Exec<'e>, p: &NewPasskey<'_>) -> StoreResult<bool> {
    let done = sqlx::query(&INSERT)
        .bind(p.id.to_db())
        .bind(p.user_id.to_db())
        .bind(p.credential_id)
        .bind(p.public_key)
        .bind(p.algorithm)
        .bind(p.sign_count)
        .bind(p.name)
        .bind(to_millis(p.now))
        .bind(p.static_state)
        .bind(p.dynamic_state)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The account's passkeys, oldest first.
pub async fn list<'e>(ex: impl Exec<'e>, user: UserId) -> StoreResult<Vec<PasskeyRecord>> {
    let rows = sqlx::query(&LIST).bind(user.to_db()).fetch_all(ex).await?;
    rows.iter().map(record).collect()
}

/// The passkey with this credential id, whoever owns it.
pub async fn find_by_credential<'e>(
    ex: impl Exec<'e>,
    credential_id: &str,
) -> StoreResult<Option<PasskeyRecord>> {
    let row = sqlx::query(&FIND_BY_CREDENTIAL)
        .bind(credential_id)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(record).transpose()
}

/// Records a sign-in with the passkey and its new `dynamic_state` (base64url): true when its
/// counter moved forward from `seen` (or both stay 0, an authenticator without a counter).
/// False: another sign-in with the same counter won, which a cloned authenticator would cause.
pub async fn record_use<'e>(
    ex: impl Exec<'e>,
    id: PasskeyId,
    seen: i64,
    new_count: i64,
    dynamic_state: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&RECORD_USE)
        .bind(id.to_db())
        .bind(seen)
        .bind(new_count)
        .bind(to_millis(now))
        .bind(dynamic_state)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes one of the account's passkeys; false when it has none with this id.
pub async fn delete<'e>(ex: impl Exec<'e>, user: UserId, id: PasskeyId) -> StoreResult<bool> {
    let done = sqlx::query(&DELETE)
        .bind(id.to_db())
        .bind(user.to_db())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a new session as started with `passkey`.
pub async fn mark_session<'e>(
    ex: impl Exec<'e>,
    session: SessionId,
    passkey: PasskeyId,
) -> StoreResult<()> {
    sqlx::query(&MARK_SESSION)
        .bind(session.to_db())
        .bind(passkey.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Whether the session was started with a passkey.
pub async fn session_is_passkey<'e>(ex: impl Exec<'e>, session: SessionId) -> StoreResult<bool> {
    let row = sqlx::query(&SESSION_IS_PASSKEY)
        .bind(session.to_db())
        .fetch_optional(ex)
        .await?;
    Ok(row.is_some())
}

crate::sql::statements! {
    INSERT_CHALLENGE = "INSERT INTO passkey_challenges (challenge, purpose, user_id, created_at,
        expires_at, server_state) VALUES ($1, $2, $3, $4, $5, $6)";
    SPEND_CHALLENGE = "UPDATE passkey_challenges SET used_at = $4
        WHERE challenge = $1 AND purpose = $2 AND COALESCE(user_id, '') = $3
        AND used_at IS NULL AND expires_at > $4 RETURNING server_state";
    DELETE_EXPIRED_CHALLENGES = "DELETE FROM passkey_challenges WHERE expires_at < $1";
    INSERT = "INSERT INTO passkeys (id, user_id, credential_id, public_key, algorithm,
        sign_count, name, created_at, static_state, dynamic_state)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (credential_id) DO NOTHING";
    LIST = "SELECT id, user_id, credential_id, public_key, algorithm, sign_count, name,
        created_at, last_used_at, static_state, dynamic_state FROM passkeys WHERE user_id = $1
        ORDER BY created_at, id";
    FIND_BY_CREDENTIAL = "SELECT id, user_id, credential_id, public_key, algorithm, sign_count,
        name, created_at, last_used_at, static_state, dynamic_state FROM passkeys
        WHERE credential_id = $1";
    RECORD_USE = "UPDATE passkeys SET sign_count = $3, last_used_at = $4, dynamic_state = $5
        WHERE id = $1 AND sign_count = $2 AND ($3 > $2 OR ($3 = 0 AND $2 = 0))";
    DELETE = "DELETE FROM passkeys WHERE id = $1 AND user_id = $2";
    MARK_SESSION = "UPDATE sessions SET passkey_id = $2 WHERE id = $1";
    SESSION_IS_PASSKEY = "SELECT 1 AS one FROM sessions WHERE id = $1 AND passkey_id IS NOT NULL";
}
