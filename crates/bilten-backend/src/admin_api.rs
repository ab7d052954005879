//! `/admin/*`: platform administration over HTTP (admins only).

use axum::extract::{Path, Query, State};
use bilten_domain::UserId;
use bilten_http::Json;
use bilten_store::{sessions, users};
use chrono::Utc;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::authz::{authorize, Action};
use crate::error::{BackendError, BackendResult};
use crate::users::UserView;
use crate::AppState;

const PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct UserSearch {
    #[serde(default)]
    q: String,
    cursor: Option<String>,
}

pub async fn list_users(
    State(state): State<AppState>,
    actor: CurrentUser,
    Query(search): Query<UserSearch>,
) -> BackendResult<Json<serde_json::Value>> {
    authorize(&actor, Action::AdministerPlatform)?;
    let after = match search.cursor.as_deref() {
        Some(cursor) => Some(
            cursor
                .parse::<UserId>()
                .map_err(|_| BackendError::field("cursor", "invalid", "Not a valid cursor."))?,
        ),
        None => None,
    };
    let query: String = search.q.chars().take(100).collect();
    let rows = users::search(state.store.read(), &query, after, PAGE + 1).await?;
    let has_more = rows.len() as i64 > PAGE;
    let items: Vec<UserView> = rows
        .iter()
        .take(PAGE as usize)
        .map(UserView::from)
        .collect();
    let next = has_more.then(|| rows[PAGE as usize - 1].id.to_string());
    Ok(Json(
        serde_json::json!({ "items": items, "next_cursor": next }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisableRequest {
    disabled: bool,
}

pub async fn set_user_disabled(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<DisableRequest>,
) -> BackendResult<Json<serde_json::Value>> {
    authorize(&actor, Action::AdministerPlatform)?;
    let id: UserId = id.parse().map_err(|_| BackendError::NotFound("user"))?;
    if id == actor.user_id {
        return Err(BackendError::field(
            "disabled",
            "cannot_disable_self",
            "You cannot disable your own account.",
        ));
    }
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    users::set_disabled(&mut *tx, id, body.disabled, now)
        .await
        .map_err(|e| match e {
            bilten_store::StoreError::NotFound => BackendError::NotFound("user"),
            other => other.into(),
        })?;
    if body.disabled {
        sessions::revoke_all_for_user(&mut *tx, id, None, "disabled_by_admin", now).await?;
    }
    tx.commit().await.map_err(bilten_store::StoreError::from)?;
    let user = users::get(state.store.primary(), id).await?;
    Ok(Json(
        serde_json::json!({ "user": UserView::from(&user), "disabled": user.disabled_at.is_some() }),
    ))
}
