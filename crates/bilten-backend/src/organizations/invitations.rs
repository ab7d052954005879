//! Team invitations to people without an account: an owner adding an unknown email invites
//! it (a token link by mail, through the outbox); the account that signs up or logs in with
//! that email accepts it and joins with the invited role.

use axum::extract::{Path, State};
use bilten_api::invitations::{AcceptInvitationRequest, Invitation, InvitationList};
use bilten_api::organizations::OrganizationResponse;
use bilten_domain::{Email, FieldErrors, InvitationId, OrgRole, OrganizationId};
use bilten_http::{ErrorCode, Json};
use bilten_mail::templates;
use bilten_store::invitations::{self, InvitationRecord, NewInvitation};
use bilten_store::{organizations, users, StoreError};
use chrono::{Duration, Utc};

use crate::accounts::auth::required;
use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::organizations::handlers::parse_org_id;
use crate::secrets::{new_token, plausible, token_hash};
use crate::AppState;

/// How long an invitation link works.
const INVITATION_TTL: Duration = Duration::days(7);
const PREFIX: &str = "inv";

fn view(record: &InvitationRecord) -> Invitation {
    Invitation {
        id: record.id,
        email: record.email.clone(),
        role: record.role,
        created_at: record.created_at,
        expires_at: record.expires_at,
    }
}

/// Invites `email` (which has no account) to `organization` as `role`, and queues the mail
/// with the link (in `locale`, the inviting owner's page's language), in one transaction.
pub(crate) async fn invite(
    state: &AppState,
    actor: &CurrentUser,
    organization: OrganizationId,
    (email, role): (&Email, OrgRole),
    locale: bilten_i18n::Locale,
) -> BackendResult<Invitation> {
    let org = organizations::find(state.store.primary(), organization)
        .await?
        .ok_or(BackendError::NotFound("organization"))?;
    let inviter = users::get(state.store.primary(), actor.user_id).await?;
    let token = new_token(PREFIX);
    let hash = token_hash(&state.refresh_key, &token);
    let id = InvitationId::new();
    let now = Utc::now();
    let expires_at = now + INVITATION_TTL;
    let link = format!("{}/invitations/accept?token={token}", state.public_url);
    let mail = templates::invitation(
        locale,
        &org.name,
        inviter.name.as_str(),
        role.as_str(),
        &link,
    );
    let mut tx = state.store.begin().await?;
    invitations::insert(
        &mut tx,
        &NewInvitation {
            id,
            organization,
            email: email.as_str(),
            role,
            token_hash: &hash,
            invited_by: actor.user_id,
            now,
            expires_at,
        },
    )
    .await?;
    bilten_mail::enqueue(
        &mut *tx,
        email.as_str(),
        &format!("invitation:{id}"),
        &mail,
        now,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    state.mail_waker.notify_one();
    Ok(Invitation {
        id,
        email: email.to_string(),
        role,
        created_at: now,
        expires_at,
    })
}

/// `GET /organizations/{id}/invitations`: members see the open invitations.
#[utoipa::path(
    get,
    path = "/organizations/{id}/invitations",
    tag = "organizations",
    operation_id = "list_invitations",
    summary = "Open invitations",
    params(
        ("id" = String, Path, description = "The organization id (`org_…`)."),
    ),
    responses(
        (status = 200, description = "Invitations not yet accepted or expired, newest first.", body = InvitationList),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<InvitationList>> {
    let id = parse_org_id(&id)?;
    authorize_in(&state, &actor, id, Action::ViewOrganization, "organization").await?;
    let items = invitations::open_of_organization(state.store.primary(), id, Utc::now())
        .await?
        .iter()
        .map(view)
        .collect();
    Ok(Json(InvitationList { items }))
}

/// `POST /invitations/accept`: the signed-in account joins, if its email is the invited one.
#[utoipa::path(
    post,
    path = "/invitations/accept",
    tag = "organizations",
    operation_id = "accept_invitation",
    summary = "Accept an invitation",
    request_body = AcceptInvitationRequest,
    responses(
        (status = 200, description = "The organization, with the invited role; the link also confirms the account's email.", body = OrganizationResponse),
    )
)]
pub async fn accept(
    State(state): State<AppState>,
    actor: CurrentUser,
    Json(body): Json<AcceptInvitationRequest>,
) -> BackendResult<Json<OrganizationResponse>> {
    let token = required(body.token.as_deref()).map_err(|e| FieldErrors::single("token", e))?;
    if !plausible(token, PREFIX) {
        return Err(BackendError::InvalidOneTimeToken);
    }
    let hash = token_hash(&state.refresh_key, token);
    let now = Utc::now();
    let invitation = invitations::open_by_token(state.store.primary(), &hash, now)
        .await?
        .ok_or(BackendError::InvalidOneTimeToken)?;
    let role = invitation.role;
    let user = users::get(state.store.primary(), actor.user_id).await?;
    if user.email.as_str() != invitation.email {
        return Err(BackendError::conflict(
            ErrorCode::InvitationForAnotherEmail,
            format!(
                "This invitation was sent to another email address; log in as {} to accept it.",
                invitation.email
            ),
        ));
    }
    let mut tx = state.store.begin().await?;
    if !invitations::accept(&mut *tx, invitation.id, user.id, now).await? {
        return Err(BackendError::InvalidOneTimeToken);
    }
    let added =
        organizations::add_member(&mut *tx, invitation.organization_id, user.id, role, now).await;
    match added {
        Ok(()) => {}
        // Already a member (added meanwhile): the invitation is used up, the role stays.
        Err(e) if e.violates(bilten_store::Constraint::MembershipsOrgUser) => {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(BackendError::conflict(
                ErrorCode::AlreadyMember,
                "You are already a member of this organization.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    // The link came by mail to this address: that proves it, as the verification link would.
    crate::accounts::auth::service::email_proven(&mut tx, user.id, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let org = organizations::find(state.store.primary(), invitation.organization_id)
        .await?
        .ok_or(BackendError::NotFound("organization"))?;
    let role = crate::authz::role_in(&state, &actor, org.id)
        .await?
        .unwrap_or(role);
    Ok(Json(OrganizationResponse {
        organization: crate::organizations::handlers::view(&org, role),
    }))
}
