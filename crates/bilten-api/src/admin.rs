//! `/admin/*`: platform administration.

use bilten_domain::OrganizationId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::User;

/// `POST /admin/users/{id}/disabled`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableRequest {
    pub disabled: bool,
}

/// The account after `POST /admin/users/{id}/disabled`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DisabledUserResponse {
    pub user: User,
    pub disabled: bool,
}

/// An organization in the admins' list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminOrganization {
    pub id: OrganizationId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// How many members it has.
    pub members: i64,
    /// How many events it has, any status.
    pub events: i64,
}
