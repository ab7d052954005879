//! Queries on `users`.

use bilten_domain::{DisplayName, Email, PlatformRole, UserId};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::decode::Columns;
use crate::{to_millis, Exec, StoreError, StoreResult};

/// A user row as the services see it. The password hash stays in here and is never
/// serialised by anything that holds a `UserRecord`.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub email: Email,
    pub name: DisplayName,
    pub password_hash: String,
    pub platform_role: PlatformRole,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub password_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

pub struct NewUser<'a> {
    pub id: UserId,
    pub email: &'a Email,
    pub name: &'a DisplayName,
    pub password_hash: &'a str,
    pub platform_role: PlatformRole,
    pub verified: bool,
    pub now: DateTime<Utc>,
}

const COLUMNS: &str = "id, email, name, password_hash, platform_role, email_verified_at, \
                       disabled_at, password_changed_at, created_at";

/// Inserts a user; a taken email violates [`Constraint::UsersEmail`](crate::Constraint).
pub async fn insert<'e>(ex: impl Exec<'e>, user: &NewUser<'_>) -> StoreResult<()> {
    let now = to_millis(user.now);
    sqlx::query(&INSERT)
        .bind(user.id.to_db())
        .bind(user.email.as_str())
        .bind(user.name.as_str())
        .bind(user.password_hash)
        .bind(user.platform_role.as_str())
        .bind(user.verified.then_some(now))
        .bind(now)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn find_by_email<'e>(
    ex: impl Exec<'e>,
    email: &Email,
) -> StoreResult<Option<UserRecord>> {
    let row = sqlx::query(&FIND_BY_EMAIL)
        .bind(email.as_str())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub async fn find_by_id<'e>(ex: impl Exec<'e>, id: UserId) -> StoreResult<Option<UserRecord>> {
    let row = sqlx::query(&FIND_BY_ID)
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub async fn get<'e>(ex: impl Exec<'e>, id: UserId) -> StoreResult<UserRecord> {
    find_by_id(ex, id).await?.ok_or(StoreError::NotFound)
}

pub async fn update_name<'e>(
    ex: impl Exec<'e>,
    id: UserId,
    name: &DisplayName,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let done = sqlx::query(&UPDATE_NAME)
        .bind(id.to_db())
        .bind(name.as_str())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    expect_one(done.rows_affected())
}

pub async fn set_password<'e>(
    ex: impl Exec<'e>,
    id: UserId,
    password_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let done = sqlx::query(&SET_PASSWORD)
        .bind(id.to_db())
        .bind(password_hash)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    expect_one(done.rows_affected())
}

pub async fn mark_email_verified<'e>(
    ex: impl Exec<'e>,
    id: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&MARK_EMAIL_VERIFIED)
        .bind(id.to_db())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn set_platform_role<'e>(
    ex: impl Exec<'e>,
    id: UserId,
    role: PlatformRole,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let done = sqlx::query(&SET_PLATFORM_ROLE)
        .bind(id.to_db())
        .bind(role.as_str())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    expect_one(done.rows_affected())
}

fn expect_one(rows: u64) -> StoreResult<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

fn decode(row: &AnyRow) -> StoreResult<UserRecord> {
    let id: String = row.try_get("id")?;
    Ok(UserRecord {
        id: UserId::from_db(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        email: Email::from_trusted(row.try_get("email")?),
        name: DisplayName::from_trusted(row.try_get("name")?),
        password_hash: row.try_get("password_hash")?,
        platform_role: row.text_enum("platform_role")?,
        email_verified_at: row.opt_time("email_verified_at")?,
        disabled_at: row.opt_time("disabled_at")?,
        password_changed_at: row.time("password_changed_at")?,
        created_at: row.time("created_at")?,
    })
}

/// Users whose email or name contains `query` (case-insensitive), newest first, for the
/// admin console. `after` is the id of the last row of the previous page.
pub async fn search<'e>(
    ex: impl Exec<'e>,
    query: &str,
    after: Option<UserId>,
    limit: i64,
) -> StoreResult<Vec<UserRecord>> {
    let cleaned: String = query
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '\\' | '%' | '_'))
        .collect();
    let pattern = format!("%{cleaned}%");
    let rows = sqlx::query(&SEARCH)
        .bind(pattern)
        .bind(after.map_or_else(String::new, |id| id.to_db()))
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode).collect()
}

/// Disables (or re-enables) an account. Disabled users cannot log in or refresh.
pub async fn set_disabled<'e>(
    ex: impl Exec<'e>,
    id: UserId,
    disabled: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let done = sqlx::query(&SET_DISABLED)
        .bind(id.to_db())
        .bind(disabled.then_some(to_millis(now)))
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    expect_one(done.rows_affected())
}

crate::sql::statements! {
    FIND_BY_EMAIL = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    FIND_BY_ID = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    SEARCH = format!("SELECT {COLUMNS} FROM users
        WHERE (LOWER(email) LIKE $1 OR LOWER(name) LIKE $1) AND ($2 = '' OR id < $2)
        ORDER BY id DESC LIMIT $3");
    INSERT = "INSERT INTO users (id, email, name, password_hash, platform_role, email_verified_at,
        password_changed_at, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)";
    UPDATE_NAME = "UPDATE users SET name = $2, updated_at = $3 WHERE id = $1";
    SET_PASSWORD = "UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3
        WHERE id = $1";
    MARK_EMAIL_VERIFIED =
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2), updated_at = $2
        WHERE id = $1";
    SET_PLATFORM_ROLE = "UPDATE users SET platform_role = $2, updated_at = $3 WHERE id = $1";
    SET_DISABLED = "UPDATE users SET disabled_at = $2, updated_at = $3 WHERE id = $1";
}
