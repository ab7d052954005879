//! `/organizations`: organizations and their members.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::invitations::InvitationResponse;
use bilten_api::organizations::{
    AddMemberRequest, AddedMember, AddedMemberResponse, CreateOrganizationRequest, Member,
    MemberList, Organization, OrganizationList, OrganizationResponse,
};
use bilten_domain::{Email, FieldError, FieldErrors, OrganizationId, UserId};
use bilten_http::ErrorCode;
use bilten_http::Json;
use bilten_store::organizations::{self, OrganizationRecord};
use bilten_store::{users, StoreError};
use chrono::Utc;

use crate::authz::{authorize_in, Action, OrgRole};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::idempotency::{self, Scope};
use crate::AppState;

pub(crate) fn view(org: &OrganizationRecord, role: OrgRole) -> Organization {
    Organization {
        id: org.id,
        name: org.name.clone(),
        role,
        created_at: org.created_at,
        require_two_factor: org.require_two_factor,
    }
}

/// Parses an organization id from a path; a malformed id is simply "not found".
pub fn parse_org_id(text: &str) -> BackendResult<OrganizationId> {
    text.parse()
        .map_err(|_| BackendError::NotFound("organization"))
}

fn parse_name(name: Option<&str>) -> Result<String, FieldError> {
    let name = name.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(FieldError::new("required", "Give the organization a name."));
    }
    if name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "invalid",
            "Use at most 120 characters, no control characters.",
        ));
    }
    Ok(name.to_owned())
}

/// `POST /organizations`: any verified user; the creator becomes its owner.
#[utoipa::path(
    post,
    path = "/organizations",
    tag = "organizations",
    operation_id = "create_organization",
    summary = "Create an organization",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: 1–255 visible ASCII characters; the same key with the same request replays the first answer (24 hours)."),
    ),
    request_body = CreateOrganizationRequest,
    responses(
        (status = 201, description = "The organization; the creator is its owner.", body = OrganizationResponse),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    actor: CurrentUser,
    headers: HeaderMap,
    Json(body): Json<CreateOrganizationRequest>,
) -> BackendResult<Response> {
    let key = idempotency::key(&headers)?;
    let hash = idempotency::request_hash(&(actor.user_id, &body));
    // Boxed: the operation's future is large, the key's bookkeeping should not carry it.
    let work = Box::pin(async {
        create_now(State(state.clone()), actor, Json(body))
            .await
            .map(IntoResponse::into_response)
    });
    idempotency::run(&state, Scope::CreateOrganization, key, || hash, work).await
}

/// The operation itself; [`create`] runs it once per `Idempotency-Key`.
async fn create_now(
    State(state): State<AppState>,
    actor: CurrentUser,
    Json(body): Json<CreateOrganizationRequest>,
) -> BackendResult<(StatusCode, Json<OrganizationResponse>)> {
    let name = parse_name(body.name.as_deref()).map_err(|e| FieldErrors::single("name", e))?;
    let user = users::get(state.store.primary(), actor.user_id).await?;
    if user.email_verified_at.is_none() {
        return Err(BackendError::EmailNotVerified);
    }
    let id = OrganizationId::new();
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    organizations::insert(&mut *tx, id, &name, actor.user_id, now).await?;
    organizations::add_member(&mut *tx, id, actor.user_id, OrgRole::Owner, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let org = OrganizationRecord {
        id,
        name,
        created_at: now,
        require_two_factor: false,
    };
    Ok((
        StatusCode::CREATED,
        Json(OrganizationResponse {
            organization: view(&org, OrgRole::Owner),
        }),
    ))
}

/// `GET /me/organizations`: the caller's organizations and role in each.
#[utoipa::path(
    get,
    path = "/me/organizations",
    tag = "organizations",
    operation_id = "list_my_organizations",
    summary = "The caller's organizations",
    responses(
        (status = 200, description = "Each with the caller's role.", body = OrganizationList),
    )
)]
pub async fn mine(
    State(state): State<AppState>,
    actor: CurrentUser,
) -> BackendResult<Json<OrganizationList>> {
    let list = organizations::list_for_user(state.store.primary(), actor.user_id).await?;
    let items: Vec<Organization> = list.iter().map(|(org, role)| view(org, *role)).collect();
    Ok(Json(OrganizationList { items }))
}

/// `GET /organizations/{id}`: members only.
#[utoipa::path(
    get,
    path = "/organizations/{id}",
    tag = "organizations",
    operation_id = "get_organization",
    summary = "An organization",
    params(
        ("id" = String, Path, description = "The organization id (`org_…`)."),
    ),
    responses(
        (status = 200, description = "The organization with the caller's role.", body = OrganizationResponse),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<OrganizationResponse>> {
    let id = parse_org_id(&id)?;
    let role = authorize_in(&state, &actor, id, Action::ViewOrganization, "organization").await?;
    let org = organizations::find(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("organization"))?;
    Ok(Json(OrganizationResponse {
        organization: view(&org, role),
    }))
}

/// `GET /organizations/{id}/members`: members only.
#[utoipa::path(
    get,
    path = "/organizations/{id}/members",
    tag = "organizations",
    operation_id = "list_members",
    summary = "Its members",
    params(
        ("id" = String, Path, description = "The organization id (`org_…`)."),
    ),
    responses(
        (status = 200, description = "Every member.", body = MemberList),
    )
)]
pub async fn members(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<MemberList>> {
    let id = parse_org_id(&id)?;
    authorize_in(&state, &actor, id, Action::ViewOrganization, "organization").await?;
    let items: Vec<Member> = organizations::members(state.store.primary(), id)
        .await?
        .into_iter()
        .map(|m| Member {
            role: m.role,
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            added_at: m.created_at,
        })
        .collect();
    Ok(Json(MemberList { items }))
}

/// `POST /organizations/{id}/members`: owners add an existing account by email, or invite an
/// email that has no account yet.
#[utoipa::path(
    post,
    path = "/organizations/{id}/members",
    tag = "organizations",
    operation_id = "add_member",
    summary = "Add a member, or invite an email without an account (owners)",
    params(
        ("id" = String, Path, description = "The organization id (`org_…`)."),
    ),
    request_body = AddMemberRequest,
    responses(
        (status = 201, description = "The member (the email has an account).", body = AddedMemberResponse),
        (status = 202, description = "The email has no account: an invitation, mailed with a link to sign up and join.", body = InvitationResponse),
    )
)]
pub async fn add_member(
    State(state): State<AppState>,
    actor: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<AddMemberRequest>,
) -> BackendResult<Response> {
    let id = parse_org_id(&id)?;
    authorize_in(&state, &actor, id, Action::ManageMembers, "organization").await?;
    let mut errors = FieldErrors::new();
    let email = errors.check(
        "email",
        Email::parse(body.email.as_deref().unwrap_or_default()),
    );
    let role = errors.check(
        "role",
        body.role
            .as_deref()
            .and_then(OrgRole::parse)
            .ok_or_else(|| FieldError::new("invalid_role", "Use owner, manager or staff.")),
    );
    let (Some(email), Some(role)) = (email, role) else {
        return Err(errors.into());
    };
    // Owners are trusted with knowing whether an address has an account; the public is not
    // told (an invitation goes out either way the address is unknown).
    let Some(user) = users::find_by_email(state.store.primary(), &email).await? else {
        let invitation = crate::organizations::invitations::invite(
            &state,
            &actor,
            id,
            (&email, role),
            crate::language::asked(&headers),
        )
        .await?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(InvitationResponse { invitation }),
        )
            .into_response());
    };
    organizations::add_member(state.store.primary(), id, user.id, role, Utc::now())
        .await
        .map_err(|e| {
            if e.violates(bilten_store::Constraint::MembershipsOrgUser) {
                BackendError::conflict(ErrorCode::AlreadyMember, "This person is already a member.")
            } else {
                e.into()
            }
        })?;
    Ok((
        StatusCode::CREATED,
        Json(AddedMemberResponse {
            member: AddedMember {
                user_id: user.id,
                email: user.email.to_string(),
                name: user.name.to_string(),
                role,
            },
        }),
    )
        .into_response())
}

/// `DELETE /organizations/{id}/members/{user_id}`: owners remove a member; the last owner
/// cannot be removed.
#[utoipa::path(
    delete,
    path = "/organizations/{id}/members/{user_id}",
    tag = "organizations",
    operation_id = "remove_member",
    summary = "Remove a member (owners)",
    params(
        ("id" = String, Path, description = "The organization id (`org_…`)."),
        ("user_id" = String, Path, description = "The member's user id (`usr_…`)."),
    ),
    responses(
        (status = 204, description = "Removed."),
    )
)]
pub async fn remove_member(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path((id, user)): Path<(String, String)>,
) -> BackendResult<StatusCode> {
    let id = parse_org_id(&id)?;
    authorize_in(&state, &actor, id, Action::ManageMembers, "organization").await?;
    let user: UserId = user.parse().map_err(|_| BackendError::NotFound("member"))?;
    let role = organizations::role_of(state.store.primary(), id, user)
        .await?
        .ok_or(BackendError::NotFound("member"))?;
    if !organizations::remove_member(state.store.primary(), id, user).await? {
        return Err(if role == OrgRole::Owner {
            BackendError::conflict(
                ErrorCode::LastOwner,
                "An organization needs at least one owner; add another owner first.",
            )
        } else {
            BackendError::NotFound("member")
        });
    }
    Ok(StatusCode::NO_CONTENT)
}
