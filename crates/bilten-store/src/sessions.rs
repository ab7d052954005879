//! Login sessions and their rotating refresh tokens.
//!
//! A session is one login; each refresh replaces its token. The rotation is a conditional
//! update (`used_at IS NULL`), so two concurrent refreshes with one token cannot both rotate
//! it. The winner stores its successor (sealed by the caller) in the same update; a loser
//! that comes within the grace period reads that successor back (the same one, so two tabs
//! stay logged in), and a token presented again after the grace period is the reuse signal
//! that revokes the family.

use bilten_domain::{PlatformRole, SessionId, UserId};
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::decode::Columns;
use crate::{to_millis, Exec, StoreError, StoreResult};

pub struct NewSession<'a> {
    pub id: SessionId,
    pub user_id: UserId,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub now: DateTime<Utc>,
}

pub async fn insert<'e>(ex: impl Exec<'e>, session: &NewSession<'_>) -> StoreResult<()> {
    let now = to_millis(session.now);
    sqlx::query(&INSERT)
        .bind(session.id.to_db())
        .bind(session.user_id.to_db())
        .bind(now)
        .bind(session.user_agent.map(|ua| truncate(ua, 300)))
        .bind(session.ip)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn insert_refresh_token<'e>(
    ex: impl Exec<'e>,
    token_hash: &str,
    session_id: SessionId,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&INSERT_REFRESH_TOKEN)
        .bind(token_hash)
        .bind(session_id.to_db())
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute(ex)
        .await?;
    Ok(())
}

/// What became of a presented refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live and is now used, with the caller's successor stored; issue that
    /// successor for this session.
    Rotated {
        session_id: SessionId,
        user_id: UserId,
    },
    /// The token was used moments ago (within the grace period) by a concurrent refresh:
    /// answer with the successor that refresh stored (sealed as the caller stored it).
    Replayed {
        session_id: SessionId,
        user_id: UserId,
        successor_sealed: String,
    },
    /// The token had already been used before the grace period: someone replayed it.
    /// Revoke the family.
    Reused { session_id: SessionId },
    /// Expired, revoked session, or never issued.
    Invalid,
}

/// Marks a live token used and stores `successor_sealed` with it, in one conditional update,
/// and says what happened. A token used within `grace` before `now` is `Replayed`.
///
/// Race-free on both engines: on PostgreSQL a concurrent update of the same row waits for
/// the winner's commit and then finds `used_at` set (so it matches nothing), and the read
/// that follows, a new statement under READ COMMITTED, sees the winner's successor; SQLite
/// runs one transaction at a time.
pub async fn rotate_refresh_token(
    tx: &mut crate::Tx,
    token_hash: &str,
    successor_sealed: &str,
    now: DateTime<Utc>,
    grace: chrono::Duration,
) -> StoreResult<Rotation> {
    let now_ms = to_millis(now);
    let claimed = sqlx::query(&ROTATE_REFRESH_TOKEN)
        .bind(token_hash)
        .bind(now_ms)
        .bind(successor_sealed)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(row) = claimed {
        let session_id = session_id(&row.try_get::<String, _>(0)?)?;
        let owner = sqlx::query(&ROTATE_REFRESH_TOKEN_TOUCH_SESSION)
            .bind(session_id.to_db())
            .bind(now_ms)
            .fetch_one(&mut **tx)
            .await?;
        let user_id = UserId::from_db(&owner.try_get::<String, _>(0)?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        return Ok(Rotation::Rotated {
            session_id,
            user_id,
        });
    }
    let known = sqlx::query(&ROTATE_REFRESH_TOKEN_READ)
        .bind(token_hash)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = known else {
        return Ok(Rotation::Invalid);
    };
    let Some(used_at) = row.try_get::<Option<i64>, _>("used_at")? else {
        // Never used, yet not rotatable: expired, or its session has ended.
        return Ok(Rotation::Invalid);
    };
    let session = session_id(&row.try_get::<String, _>("session_id")?)?;
    let live = row.try_get::<Option<i64>, _>("revoked_at")?.is_none();
    let sealed: Option<String> = row.try_get("successor_sealed")?;
    match sealed {
        Some(successor_sealed) if live && now_ms - used_at <= grace.num_milliseconds() => {
            let user_id = row.parsed("user_id", UserId::from_db)?;
            Ok(Rotation::Replayed {
                session_id: session,
                user_id,
                successor_sealed,
            })
        }
        _ => Ok(Rotation::Reused {
            session_id: session,
        }),
    }
}

/// Ends one session (logout, or a detected token replay).
pub async fn revoke<'e>(
    ex: impl Exec<'e>,
    id: SessionId,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&REVOKE)
        .bind(id.to_db())
        .bind(to_millis(now))
        .bind(reason)
        .execute(ex)
        .await?;
    Ok(())
}

/// Ends every session of a user except `keep` (password change keeps the current one).
pub async fn revoke_all_for_user<'e>(
    ex: impl Exec<'e>,
    user_id: UserId,
    keep: Option<SessionId>,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let done = sqlx::query(&REVOKE_ALL_FOR_USER)
        .bind(user_id.to_db())
        .bind(to_millis(now))
        .bind(reason)
        .bind(keep.map_or_else(String::new, |id| id.to_db()))
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// A session as the owner sees it in "where am I logged in".
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: SessionId,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// The user's current platform role when the session exists, is not revoked and its user is
/// not disabled; `None` otherwise. Checked on every authenticated request so logout and "end
/// other sessions" apply at once, and a role change applies without waiting for a new token.
pub async fn active_role<'e>(
    ex: impl Exec<'e>,
    id: SessionId,
    user_id: UserId,
) -> StoreResult<Option<PlatformRole>> {
    let row = sqlx::query(&ACTIVE_ROLE)
        .bind(id.to_db())
        .bind(user_id.to_db())
        .fetch_optional(ex)
        .await?;
    match row {
        Some(row) => {
            let role: String = row.try_get(0)?;
            PlatformRole::parse(&role)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown platform role {role}")))
        }
        None => Ok(None),
    }
}

pub async fn list_active<'e>(
    ex: impl Exec<'e>,
    user_id: UserId,
) -> StoreResult<Vec<SessionRecord>> {
    let rows = sqlx::query(&LIST_ACTIVE)
        .bind(user_id.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(SessionRecord {
                id: session_id(&row.try_get::<String, _>("id")?)?,
                created_at: row.time("created_at")?,
                last_used_at: row.time("last_used_at")?,
                user_agent: row.try_get("user_agent")?,
                ip: row.try_get("ip")?,
            })
        })
        .collect()
}

fn session_id(text: &str) -> StoreResult<SessionId> {
    SessionId::from_db(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

crate::sql::statements! {
    INSERT = "INSERT INTO sessions (id, user_id, created_at, last_used_at, user_agent, ip)
        VALUES ($1, $2, $3, $3, $4, $5)";
    INSERT_REFRESH_TOKEN =
        "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at)
        VALUES ($1, $2, $3, $4)";
    ROTATE_REFRESH_TOKEN = "UPDATE refresh_tokens SET used_at = $2, successor_sealed = $3
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
        AND session_id IN (SELECT id FROM sessions WHERE revoked_at IS NULL)
        RETURNING session_id";
    ROTATE_REFRESH_TOKEN_TOUCH_SESSION = "UPDATE sessions SET last_used_at = $2 WHERE id = $1 RETURNING user_id";
    ROTATE_REFRESH_TOKEN_READ =
        "SELECT r.session_id, r.used_at, r.successor_sealed, s.user_id, s.revoked_at
        FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
        WHERE r.token_hash = $1";
    REVOKE = "UPDATE sessions SET revoked_at = $2, revoked_reason = $3
        WHERE id = $1 AND revoked_at IS NULL";
    REVOKE_ALL_FOR_USER = "UPDATE sessions SET revoked_at = $2, revoked_reason = $3
        WHERE user_id = $1 AND revoked_at IS NULL AND id <> $4";
    ACTIVE_ROLE = "SELECT u.platform_role FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND u.disabled_at IS NULL";
    LIST_ACTIVE = "SELECT id, created_at, last_used_at, user_agent, ip FROM sessions
        WHERE user_id = $1 AND revoked_at IS NULL ORDER BY last_used_at DESC LIMIT 100";
}
