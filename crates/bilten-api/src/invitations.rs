//! Team invitations to people without an account: `POST /organizations/{id}/members` with an
//! unknown email invites it (202), `GET /organizations/{id}/invitations` lists the open ones,
//! and `POST /invitations/accept` joins the account that holds the invited email.

use bilten_domain::{InvitationId, OrgRole};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An open invitation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Invitation {
    pub id: InvitationId,
    pub email: String,
    pub role: OrgRole,
    pub created_at: DateTime<Utc>,
    /// After this the link no longer works (7 days).
    pub expires_at: DateTime<Utc>,
}

/// `{"invitation": …}`: what adding a member with no account answers (202); a mail with the
/// link is on its way to the address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InvitationResponse {
    pub invitation: Invitation,
}

/// `GET /organizations/{id}/invitations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InvitationList {
    pub items: Vec<Invitation>,
}

/// `POST /invitations/accept`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    /// Required: the `token` of the invitation link.
    pub token: Option<String>,
}
