//! `/admin/*`: platform administration over HTTP (admins only): users, organizations, and
//! moderation of events.

use axum::extract::{Path, State};
use bilten_api::accounts::User;
use bilten_api::admin::{AdminOrganization, DisableRequest, DisabledUserResponse};
use bilten_api::events::{Event, EventResponse};
use bilten_api::Page;
use bilten_domain::{EventId, OrganizationId, UserId};
use bilten_http::ErrorCode;
use bilten_http::{Json, Query};
use bilten_store::{events, organizations, sessions, users};
use chrono::Utc;
use serde::Deserialize;

use crate::accounts::users::user_view;
use crate::authz::{authorize, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::AppState;

const PAGE: i64 = 50;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserSearch {
    #[serde(default)]
    q: String,
    cursor: Option<String>,
}

/// `?q=&cursor=` of the admin lists: the search text (at most 100 characters are used) and
/// the id after which the page starts.
type Search = UserSearch;

fn parse_cursor<T: std::str::FromStr>(cursor: Option<&str>) -> BackendResult<Option<T>> {
    cursor
        .map(|c| {
            c.parse::<T>()
                .map_err(|_| BackendError::field("cursor", "invalid", "Not a valid cursor."))
        })
        .transpose()
}

/// `{items, next_cursor}` from up to `PAGE + 1` rows: the extra row only says another page
/// exists, and the cursor is the last shown row's id.
fn page_of<T, V>(rows: &[T], view: impl Fn(&T) -> V, id: impl Fn(&T) -> String) -> Page<V> {
    let page = &rows[..rows.len().min(PAGE as usize)];
    let items: Vec<_> = page.iter().map(view).collect();
    let next = if rows.len() > page.len() {
        page.last().map(id)
    } else {
        None
    };
    Page {
        items,
        next_cursor: next,
    }
}

fn search_text(search: &Search) -> String {
    search.q.chars().take(100).collect()
}

#[utoipa::path(
    get,
    path = "/admin/users",
    tag = "admin",
    operation_id = "admin_list_users",
    summary = "Every account",
    params(
        UserSearch,
    ),
    responses(
        (status = 200, description = "A page of 50.", body = Page<User>),
    )
)]
pub async fn list_users(
    State(state): State<AppState>,
    actor: CurrentUser,
    Query(search): Query<UserSearch>,
) -> BackendResult<Json<Page<User>>> {
    authorize(&actor, Action::AdministerPlatform)?;
    let after = parse_cursor::<UserId>(search.cursor.as_deref())?;
    let rows = users::search(state.store.read(), &search_text(&search), after, PAGE + 1).await?;
    Ok(Json(page_of(&rows, user_view, |u| u.id.to_string())))
}

#[utoipa::path(
    post,
    path = "/admin/users/{id}/disabled",
    tag = "admin",
    operation_id = "admin_set_user_disabled",
    summary = "Disable or enable an account",
    params(
        ("id" = String, Path, description = "The user id (`usr_…`)."),
    ),
    request_body = DisableRequest,
    responses(
        (status = 200, description = "The account; disabling ends every session.", body = DisabledUserResponse),
    )
)]
pub async fn set_user_disabled(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<DisableRequest>,
) -> BackendResult<Json<DisabledUserResponse>> {
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
    Ok(Json(DisabledUserResponse {
        disabled: user.disabled_at.is_some(),
        user: user_view(&user),
    }))
}

/// `GET /admin/organizations?q=&cursor=`: every organization with its member and event counts.
#[utoipa::path(
    get,
    path = "/admin/organizations",
    tag = "admin",
    operation_id = "admin_list_organizations",
    summary = "Every organization",
    params(
        UserSearch,
    ),
    responses(
        (status = 200, description = "A page of 50 with member and event counts.", body = Page<AdminOrganization>),
    )
)]
pub async fn list_organizations(
    State(state): State<AppState>,
    actor: CurrentUser,
    Query(search): Query<Search>,
) -> BackendResult<Json<Page<AdminOrganization>>> {
    authorize(&actor, Action::AdministerPlatform)?;
    let after = parse_cursor::<OrganizationId>(search.cursor.as_deref())?;
    let rows =
        organizations::search_all(state.store.read(), &search_text(&search), after, PAGE + 1)
            .await?;
    Ok(Json(page_of(
        &rows,
        |o| AdminOrganization {
            id: o.organization.id,
            name: o.organization.name.clone(),
            created_at: o.organization.created_at,
            members: o.members,
            events: o.events,
        },
        |o| o.organization.id.to_string(),
    )))
}

/// `GET /admin/events?q=&cursor=`: every event on the platform, any status, for moderation.
#[utoipa::path(
    get,
    path = "/admin/events",
    tag = "admin",
    operation_id = "admin_list_events",
    summary = "Every event, any status",
    params(
        UserSearch,
    ),
    responses(
        (status = 200, description = "A page of 50.", body = Page<Event>),
    )
)]
pub async fn list_events(
    State(state): State<AppState>,
    actor: CurrentUser,
    Query(search): Query<Search>,
) -> BackendResult<Json<Page<Event>>> {
    authorize(&actor, Action::AdministerPlatform)?;
    let after = parse_cursor::<EventId>(search.cursor.as_deref())?;
    let rows =
        events::search_all(state.store.read(), &search_text(&search), after, PAGE + 1).await?;
    let page = page_of(&rows, Clone::clone, |e| e.id.to_string());
    Ok(Json(Page {
        items: crate::events::views::events_answer(state.store.read(), &page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

/// `POST /admin/events/{id}/unpublish`: takes a published event off sale and out of the
/// public listing (it becomes a draft of its organization; orders and tickets stay valid) and
/// locks it, so its organizer cannot publish it again until an admin releases it.
/// `409 not_published` when it is not published.
#[utoipa::path(
    post,
    path = "/admin/events/{id}/unpublish",
    tag = "admin",
    operation_id = "admin_unpublish_event",
    summary = "Take a published event off sale and lock it",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "The event: a draft with `moderation_locked: true`.", body = EventResponse),
    )
)]
pub async fn unpublish_event(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<EventResponse>> {
    authorize(&actor, Action::AdministerPlatform)?;
    let id: EventId = id.parse().map_err(|_| BackendError::NotFound("event"))?;
    if !events::unpublish(
        state.store.primary(),
        id,
        bilten_domain::EventStatus::unpublish(),
        actor.user_id,
        Utc::now(),
    )
    .await?
    {
        // Refused: say whether the event is missing (404) or just not published (409).
        crate::events::lookup::load_event(&state, id).await?;
        return Err(BackendError::Conflict {
            code: ErrorCode::NotPublished,
            message: "Only a published event can be unpublished.".to_owned(),
        });
    }
    tracing::info!(event = %id, admin = %actor.user_id, "event unpublished by a platform admin");
    let event = crate::events::lookup::load_event(&state, id).await?;
    Ok(Json(EventResponse {
        event: crate::events::views::event_answer(state.store.primary(), &event).await?,
    }))
}

/// `POST /admin/events/{id}/release`: lifts the moderation lock of an unpublished event, so
/// its organizer may publish it again (it stays a draft until they do).
/// `409 not_moderation_locked` when it is not locked.
#[utoipa::path(
    post,
    path = "/admin/events/{id}/release",
    tag = "admin",
    operation_id = "admin_release_event",
    summary = "Lift the moderation lock",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "The event with `moderation_locked: false`.", body = EventResponse),
    )
)]
pub async fn release_event(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<EventResponse>> {
    authorize(&actor, Action::AdministerPlatform)?;
    let id: EventId = id.parse().map_err(|_| BackendError::NotFound("event"))?;
    if !events::release_moderation(state.store.primary(), id, Utc::now()).await? {
        crate::events::lookup::load_event(&state, id).await?;
        return Err(BackendError::conflict(
            ErrorCode::NotModerationLocked,
            "This event is not locked by moderation.",
        ));
    }
    tracing::info!(event = %id, admin = %actor.user_id, "event released from moderation by a platform admin");
    let event = crate::events::lookup::load_event(&state, id).await?;
    Ok(Json(EventResponse {
        event: crate::events::views::event_answer(state.store.primary(), &event).await?,
    }))
}
