//! `/me`: the caller's own account.

use axum::extract::State;
use bilten_domain::{DisplayName, FieldErrors};
use bilten_http::Json;
use bilten_store::{sessions, users, users::UserRecord};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::error::BackendResult;
use crate::AppState;

/// A user as the API shows it: never the password hash.
#[derive(Serialize)]
pub struct UserView {
    id: String,
    email: String,
    name: String,
    role: &'static str,
    email_verified: bool,
    created_at: DateTime<Utc>,
}

impl From<&UserRecord> for UserView {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.to_string(),
            name: user.name.to_string(),
            role: user.platform_role.as_str(),
            email_verified: user.email_verified_at.is_some(),
            created_at: user.created_at,
        }
    }
}

pub async fn me(
    State(state): State<AppState>,
    user: CurrentUser,
) -> BackendResult<Json<serde_json::Value>> {
    let record = users::get(state.store.primary(), user.user_id).await?;
    Ok(Json(serde_json::json!({ "user": UserView::from(&record) })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    name: Option<String>,
}

pub async fn update_me(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<UpdateMeRequest>,
) -> BackendResult<Json<serde_json::Value>> {
    if let Some(name) = body.name.as_deref() {
        let name = DisplayName::parse(name).map_err(|e| FieldErrors::single("name", e))?;
        users::update_name(state.store.primary(), user.user_id, &name, Utc::now()).await?;
    }
    me(State(state), user).await
}

#[derive(Serialize)]
struct SessionView {
    id: String,
    current: bool,
    created_at: DateTime<Utc>,
    last_used_at: DateTime<Utc>,
    user_agent: Option<String>,
    ip: Option<String>,
}

pub async fn my_sessions(
    State(state): State<AppState>,
    user: CurrentUser,
) -> BackendResult<Json<serde_json::Value>> {
    let list = sessions::list_active(state.store.primary(), user.user_id).await?;
    let items: Vec<SessionView> = list
        .into_iter()
        .map(|s| SessionView {
            id: s.id.to_string(),
            current: s.id == user.session_id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}
