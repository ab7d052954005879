//! `/me`: the caller's own account.

use axum::extract::State;
use bilten_api::accounts::{Session, SessionList, UpdateMeRequest, User, UserResponse};
use bilten_domain::{DisplayName, FieldErrors};
use bilten_http::Json;
use bilten_store::{sessions, users, users::UserRecord};
use chrono::Utc;

use crate::current_user::CurrentUser;
use crate::error::BackendResult;
use crate::AppState;

/// A user as the API shows it: never the password hash.
pub fn user_view(user: &UserRecord) -> User {
    User {
        id: user.id,
        email: user.email.to_string(),
        name: user.name.to_string(),
        role: user.platform_role,
        email_verified: user.email_verified_at.is_some(),
        created_at: user.created_at,
    }
}

#[utoipa::path(
    get,
    path = "/me",
    tag = "accounts",
    operation_id = "get_me",
    summary = "The caller's account",
    responses(
        (status = 200, description = "The account.", body = UserResponse),
    )
)]
pub async fn me(
    State(state): State<AppState>,
    user: CurrentUser,
) -> BackendResult<Json<UserResponse>> {
    let record = users::get(state.store.primary(), user.user_id).await?;
    Ok(Json(UserResponse {
        user: user_view(&record),
    }))
}

#[utoipa::path(
    patch,
    path = "/me",
    tag = "accounts",
    operation_id = "update_me",
    summary = "Change the caller's name",
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The account.", body = UserResponse),
    )
)]
pub async fn update_me(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<UpdateMeRequest>,
) -> BackendResult<Json<UserResponse>> {
    if let Some(name) = body.name.as_deref() {
        let name = DisplayName::parse(name).map_err(|e| FieldErrors::single("name", e))?;
        users::update_name(state.store.primary(), user.user_id, &name, Utc::now()).await?;
    }
    me(State(state), user).await
}

#[utoipa::path(
    get,
    path = "/me/sessions",
    tag = "accounts",
    operation_id = "list_my_sessions",
    summary = "The account's live sessions",
    responses(
        (status = 200, description = "Every live session.", body = SessionList),
    )
)]
pub async fn my_sessions(
    State(state): State<AppState>,
    user: CurrentUser,
) -> BackendResult<Json<SessionList>> {
    let list = sessions::list_active(state.store.primary(), user.user_id).await?;
    let items: Vec<Session> = list
        .into_iter()
        .map(|s| Session {
            id: s.id,
            current: s.id == user.session_id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect();
    Ok(Json(SessionList { items }))
}
