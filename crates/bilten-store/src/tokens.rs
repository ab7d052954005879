//! Single-use tokens for email verification and password reset, stored hashed.

use bilten_domain::UserId;
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{to_millis, Exec, StoreError, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }
}

pub async fn insert<'e>(
    ex: impl Exec<'e>,
    token_hash: &str,
    user_id: UserId,
    purpose: Purpose,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&INSERT)
        .bind(token_hash)
        .bind(user_id.to_db())
        .bind(purpose.as_str())
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute(ex)
        .await?;
    Ok(())
}

/// Uses a live token exactly once (a conditional update, so two concurrent uses cannot both
/// succeed). Returns its user, or `None` if it is unknown, used, expired or for another purpose.
pub async fn consume<'e>(
    ex: impl Exec<'e>,
    token_hash: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> StoreResult<Option<UserId>> {
    let row = sqlx::query(&CONSUME)
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(to_millis(now))
        .fetch_optional(ex)
        .await?;
    row.map(|row| {
        let text: String = row.try_get(0)?;
        UserId::from_db(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
    })
    .transpose()
}

/// Retires every other live token of that purpose (a new reset link voids older ones).
pub async fn retire_all<'e>(
    ex: impl Exec<'e>,
    user_id: UserId,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&RETIRE_ALL)
        .bind(user_id.to_db())
        .bind(purpose.as_str())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

crate::sql::statements! {
    INSERT = "INSERT INTO one_time_tokens (token_hash, user_id, purpose, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5)";
    CONSUME = "UPDATE one_time_tokens SET used_at = $3
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
        RETURNING user_id";
    RETIRE_ALL = "UPDATE one_time_tokens SET used_at = $3
        WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL";
}
