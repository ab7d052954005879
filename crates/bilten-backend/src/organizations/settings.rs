//! An organization's settings: `PATCH /organizations/{id}` (owners), today whether members
//! must sign in with a second factor.

use axum::extract::{Path, State};
use bilten_api::organizations::OrganizationResponse;
use bilten_api::two_factor::OrganizationSettingsRequest;
use bilten_http::{ErrorCode, Json};
use bilten_store::{organizations, passkeys, two_factor as store};
use chrono::Utc;

use super::handlers::{parse_org_id, view};
use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::AppState;

#[utoipa::path(
    patch,
    path = "/organizations/{id}",
    tag = "organizations",
    operation_id = "update_organization",
    summary = "Change an organization's settings (owners)",
    params(
        ("id" = String, Path, description = "The organization id (`org_…`)."),
    ),
    request_body = OrganizationSettingsRequest,
    responses(
        (status = 200, description = "The organization.", body = OrganizationResponse),
    )
)]
pub async fn update_organization(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<OrganizationSettingsRequest>,
) -> BackendResult<Json<OrganizationResponse>> {
    let id = parse_org_id(&id)?;
    let role = authorize_in(&state, &actor, id, Action::ManageMembers, "organization").await?;
    if let Some(required) = body.require_two_factor {
        // An owner without a second factor would lock themselves out; one signed in with a
        // passkey meets the rule as it is (and can sign in so again).
        if required
            && !store::enabled(state.store.primary(), actor.user_id).await?
            && !passkeys::session_is_passkey(state.store.primary(), actor.session_id).await?
        {
            return Err(BackendError::conflict(
                ErrorCode::TwoFactorRequired,
                "Turn on two-factor sign-in for your own account before requiring it of everyone.",
            ));
        }
        organizations::set_requires_two_factor(state.store.primary(), id, required, Utc::now())
            .await?;
    }
    let org = organizations::find(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("organization"))?;
    Ok(Json(OrganizationResponse {
        organization: view(&org, role),
    }))
}
