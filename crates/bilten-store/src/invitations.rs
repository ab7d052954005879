//! Queries on `invitations` (see migration 18): an organization's invitations to emails
//! without an account, each accepted at most once by one conditional update.

use bilten_domain::{InvitationId, OrgRole, OrganizationId, UserId};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::decode::Columns;
use crate::{to_millis, Exec, StoreResult};

#[derive(Debug, Clone)]
pub struct InvitationRecord {
    pub id: InvitationId,
    pub organization_id: OrganizationId,
    pub organization_name: String,
    pub email: String,
    pub role: OrgRole,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub struct NewInvitation<'a> {
    pub id: InvitationId,
    pub organization: OrganizationId,
    pub email: &'a str,
    pub role: OrgRole,
    pub token_hash: &'a str,
    pub invited_by: UserId,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Inserts an invitation in the caller's transaction, revoking an open one to the same email
/// first (the newest link is the one that works).
pub async fn insert(tx: &mut crate::Conn, i: &NewInvitation<'_>) -> StoreResult<()> {
    sqlx::query(&REVOKE_OPEN)
        .bind(i.organization.to_db())
        .bind(i.email)
        .bind(to_millis(i.now))
        .execute(&mut *tx)
        .await?;
    sqlx::query(&INSERT)
        .bind(i.id.to_db())
        .bind(i.organization.to_db())
        .bind(i.email)
        .bind(i.role.as_str())
        .bind(i.token_hash)
        .bind(i.invited_by.to_db())
        .bind(to_millis(i.now))
        .bind(to_millis(i.expires_at))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The organization's invitations not yet accepted, revoked or expired, newest first.
pub async fn open_of_organization<'e>(
    ex: impl Exec<'e>,
    organization: OrganizationId,
    now: DateTime<Utc>,
) -> StoreResult<Vec<InvitationRecord>> {
    let rows = sqlx::query(&OPEN_OF_ORGANIZATION)
        .bind(organization.to_db())
        .bind(to_millis(now))
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode).collect()
}

/// The open invitation a link's token hash names.
pub async fn open_by_token<'e>(
    ex: impl Exec<'e>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<InvitationRecord>> {
    let row = sqlx::query(&OPEN_BY_TOKEN)
        .bind(token_hash)
        .bind(to_millis(now))
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// Marks an invitation accepted by `user`: true for the one call that finds it open.
pub async fn accept<'e>(
    ex: impl Exec<'e>,
    id: InvitationId,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&ACCEPT)
        .bind(id.to_db())
        .bind(user.to_db())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes every invitation sent to `email` (its holder deleted their account).
pub async fn forget_email<'e>(ex: impl Exec<'e>, email: &str) -> StoreResult<()> {
    sqlx::query(&FORGET_EMAIL).bind(email).execute(ex).await?;
    Ok(())
}

fn decode(row: &AnyRow) -> StoreResult<InvitationRecord> {
    Ok(InvitationRecord {
        id: row.parsed("id", InvitationId::from_db)?,
        organization_id: row.parsed("organization_id", OrganizationId::from_db)?,
        organization_name: row.try_get("organization_name")?,
        email: row.try_get("email")?,
        role: row.text_enum("role")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
    })
}

const COLUMNS: &str = "i.id, i.organization_id, o.name AS organization_name, i.email, i.role,
    i.created_at, i.expires_at";

crate::sql::statements! {
    REVOKE_OPEN = "UPDATE invitations SET revoked_at = $3
        WHERE organization_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL";
    INSERT = "INSERT INTO invitations (id, organization_id, email, role, token_hash, invited_by,
        created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    OPEN_OF_ORGANIZATION = format!("SELECT {COLUMNS} FROM invitations i
        JOIN organizations o ON o.id = i.organization_id
        WHERE i.organization_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
        AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id DESC");
    OPEN_BY_TOKEN = format!("SELECT {COLUMNS} FROM invitations i
        JOIN organizations o ON o.id = i.organization_id
        WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
        AND i.expires_at > $2");
    ACCEPT = "UPDATE invitations SET accepted_at = $3, accepted_by = $2
        WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL";
    FORGET_EMAIL = "DELETE FROM invitations WHERE email = $1";
}
