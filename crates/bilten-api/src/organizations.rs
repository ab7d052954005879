//! `/organizations` and `/me/organizations`: organizations and their members.

use bilten_domain::{OrgRole, OrganizationId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An organization as one of its members sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    /// The caller's role in it.
    pub role: OrgRole,
    pub created_at: DateTime<Utc>,
    /// Members must sign in with a second factor to act in it (`two_factor_required`).
    #[serde(default)]
    pub require_two_factor: bool,
}

/// `{"organization": …}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganizationResponse {
    pub organization: Organization,
}

/// `GET /me/organizations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganizationList {
    pub items: Vec<Organization>,
}

/// `POST /organizations`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Night Owls"}))]
pub struct CreateOrganizationRequest {
    /// Required: 1–120 characters.
    pub name: Option<String>,
}

/// A member of an organization.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: OrgRole,
    pub added_at: DateTime<Utc>,
}

/// `GET /organizations/{id}/members`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberList {
    pub items: Vec<Member>,
}

/// `POST /organizations/{id}/members`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "grace@example.com", "role": "manager"}))]
pub struct AddMemberRequest {
    /// Required: the email of an existing account.
    pub email: Option<String>,
    /// Required: `owner`, `manager` or `staff` (anything else is the field error
    /// `invalid_role`).
    pub role: Option<String>,
}

/// The member just added.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AddedMember {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: OrgRole,
}

/// `201` of `POST /organizations/{id}/members`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AddedMemberResponse {
    pub member: AddedMember,
}
