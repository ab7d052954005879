//! Queries on `organizations` and `memberships`.

use bilten_domain::{OrgRole, OrganizationId, SessionId, UserId};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::decode::Columns;
use crate::{to_millis, Exec, StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct OrganizationRecord {
    pub id: OrganizationId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Members need a second factor to act in it.
    pub require_two_factor: bool,
}

#[derive(Debug, Clone)]
pub struct MemberRecord {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: OrgRole,
    pub created_at: DateTime<Utc>,
}

pub async fn insert<'e>(
    ex: impl Exec<'e>,
    id: OrganizationId,
    name: &str,
    created_by: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&INSERT)
        .bind(id.to_db())
        .bind(name)
        .bind(created_by.to_db())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

/// Whether any organization exists: a fresh install has none (the demo seeding asks).
pub async fn any_exist<'e>(ex: impl Exec<'e>) -> StoreResult<bool> {
    let row = sqlx::query(&ANY_EXIST).fetch_optional(ex).await?;
    Ok(row.is_some())
}

pub async fn find<'e>(
    ex: impl Exec<'e>,
    id: OrganizationId,
) -> StoreResult<Option<OrganizationRecord>> {
    let row = sqlx::query(&FIND)
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode_org).transpose()
}

/// Organizations `user` belongs to, with the user's role in each, oldest first.
pub async fn list_for_user<'e>(
    ex: impl Exec<'e>,
    user: UserId,
) -> StoreResult<Vec<(OrganizationRecord, OrgRole)>> {
    let rows = sqlx::query(&LIST_FOR_USER)
        .bind(user.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| Ok((decode_org(row)?, row.text_enum("role")?)))
        .collect()
}

/// The role of `user` in `organization`, if a member.
pub async fn role_of<'e>(
    ex: impl Exec<'e>,
    organization: OrganizationId,
    user: UserId,
) -> StoreResult<Option<OrgRole>> {
    let row = sqlx::query(&ROLE_OF)
        .bind(organization.to_db())
        .bind(user.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(|r| r.text_enum("role")).transpose()
}

/// A member's standing in an organization: their role, and whether the organization requires
/// a second factor that the member has not enabled (nor signed in with a passkey in this
/// session).
#[derive(Debug, Clone)]
pub struct Standing {
    pub role: OrgRole,
    pub missing_two_factor: bool,
}

/// `user`'s standing in `organization`, if a member.
pub async fn standing<'e>(
    ex: impl Exec<'e>,
    organization: OrganizationId,
    user: UserId,
    session: SessionId,
) -> StoreResult<Option<Standing>> {
    let row = sqlx::query(&STANDING)
        .bind(organization.to_db())
        .bind(user.to_db())
        .bind(session.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(|row| {
        Ok(Standing {
            role: row.text_enum("role")?,
            missing_two_factor: row.try_get::<i64, _>("missing_two_factor")? == 1,
        })
    })
    .transpose()
}

/// Whether members need a second factor to act in the organization.
pub async fn requires_two_factor<'e>(
    ex: impl Exec<'e>,
    organization: OrganizationId,
) -> StoreResult<bool> {
    let row = sqlx::query(&REQUIRES_TWO_FACTOR)
        .bind(organization.to_db())
        .fetch_optional(ex)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(row.try_get::<i64, _>("require_two_factor")? == 1)
}

pub async fn set_requires_two_factor<'e>(
    ex: impl Exec<'e>,
    organization: OrganizationId,
    required: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&SET_REQUIRES_TWO_FACTOR)
        .bind(organization.to_db())
        .bind(i64::from(required))
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

/// Adds a member; an existing member violates
/// [`Constraint::MembershipsOrgUser`](crate::Constraint).
pub async fn add_member<'e>(
    ex: impl Exec<'e>,
    organization: OrganizationId,
    user: UserId,
    role: OrgRole,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&ADD_MEMBER)
        .bind(organization.to_db())
        .bind(user.to_db())
        .bind(role.as_str())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

/// Removes a member unless they are the last owner. Returns false when nothing was removed
/// (not a member, or the last owner).
pub async fn remove_member<'e>(
    ex: impl Exec<'e>,
    organization: OrganizationId,
    user: UserId,
) -> StoreResult<bool> {
    // One statement, so "is there another owner" is decided with the delete itself.
    let done = sqlx::query(&REMOVE_MEMBER)
        .bind(organization.to_db())
        .bind(user.to_db())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn members<'e>(
    ex: impl Exec<'e>,
    organization: OrganizationId,
) -> StoreResult<Vec<MemberRecord>> {
    let rows = sqlx::query(&MEMBERS)
        .bind(organization.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("user_id")?;
            Ok(MemberRecord {
                user_id: UserId::from_db(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                email: row.try_get("email")?,
                name: row.try_get("name")?,
                role: row.text_enum("role")?,
                created_at: row.time("created_at")?,
            })
        })
        .collect()
}

/// One organization as platform admins see it.
#[derive(Debug, Clone)]
pub struct OrganizationSummary {
    pub organization: OrganizationRecord,
    pub members: i64,
    pub events: i64,
}

/// Every organization whose name contains `query` (case-insensitive), newest first, after the
/// `after` cursor: what platform admins browse.
pub async fn search_all<'e>(
    ex: impl Exec<'e>,
    query: &str,
    after: Option<OrganizationId>,
    limit: i64,
) -> StoreResult<Vec<OrganizationSummary>> {
    let rows = sqlx::query(&SEARCH_ALL)
        .bind(crate::like_contains(query.trim()))
        .bind(after.map_or_else(String::new, |id| id.to_db()))
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OrganizationSummary {
                organization: decode_org(row)?,
                members: row.try_get("members")?,
                events: row.try_get("events")?,
            })
        })
        .collect()
}

fn decode_org(row: &AnyRow) -> StoreResult<OrganizationRecord> {
    let id: String = row.try_get("id")?;
    Ok(OrganizationRecord {
        id: OrganizationId::from_db(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        name: row.try_get("name")?,
        created_at: row.time("created_at")?,
        require_two_factor: row.try_get::<i64, _>("require_two_factor")? == 1,
    })
}

crate::sql::statements! {
    INSERT = "INSERT INTO organizations (id, name, created_by, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $4)";
    ANY_EXIST = "SELECT id FROM organizations LIMIT 1";
    FIND = "SELECT id, name, created_at, require_two_factor FROM organizations WHERE id = $1";
    LIST_FOR_USER = "SELECT o.id, o.name, o.created_at, o.require_two_factor, m.role
        FROM organizations o
        JOIN memberships m ON m.organization_id = o.id
        WHERE m.user_id = $1 ORDER BY o.id";
    ROLE_OF = "SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2";
    STANDING = "SELECT m.role, CAST(CASE WHEN o.require_two_factor = 1 AND NOT EXISTS (
            SELECT 1 FROM two_factor f WHERE f.user_id = m.user_id AND f.confirmed_at IS NOT NULL)
            AND NOT EXISTS (
            SELECT 1 FROM sessions s WHERE s.id = $3 AND s.passkey_id IS NOT NULL)
        THEN 1 ELSE 0 END AS BIGINT) AS missing_two_factor
        FROM memberships m JOIN organizations o ON o.id = m.organization_id
        WHERE m.organization_id = $1 AND m.user_id = $2";
    REQUIRES_TWO_FACTOR = "SELECT require_two_factor FROM organizations WHERE id = $1";
    SET_REQUIRES_TWO_FACTOR =
        "UPDATE organizations SET require_two_factor = $2, updated_at = $3 WHERE id = $1";
    ADD_MEMBER = "INSERT INTO memberships (organization_id, user_id, role, created_at)
        VALUES ($1, $2, $3, $4)";
    REMOVE_MEMBER = "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2
        AND (role <> 'owner' OR (SELECT COUNT(*) FROM memberships
        WHERE organization_id = $1 AND role = 'owner') > 1)";
    MEMBERS = "SELECT m.user_id, u.email, u.name, m.role, m.created_at FROM memberships m
        JOIN users u ON u.id = m.user_id
        WHERE m.organization_id = $1 ORDER BY m.created_at, m.user_id";
    SEARCH_ALL = "SELECT o.id, o.name, o.created_at, o.require_two_factor,
        (SELECT COUNT(*) FROM memberships m WHERE m.organization_id = o.id) AS members,
        (SELECT COUNT(*) FROM events e WHERE e.organization_id = o.id) AS events
        FROM organizations o
        WHERE LOWER(o.name) LIKE $1 ESCAPE '\\' AND ($2 = '' OR o.id < $2)
        ORDER BY o.id DESC LIMIT $3";
}
