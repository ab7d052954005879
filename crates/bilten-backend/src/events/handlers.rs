//! Events, organizer side: create, list an organization's, change, publish, delete.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::events::{Event, EventList, EventResponse};
use bilten_domain::EventId;
use bilten_domain::EventStatus;
use bilten_http::ErrorCode;
use bilten_http::Json;
use bilten_store::events::{self};
use chrono::Utc;

use super::lookup::{event_for, load_event};
use super::parse::{input_from, merge, parse_event, EventInput};
use super::views::{event_answer, events_answer};
use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::idempotency::{self, Scope};
use crate::organizations::handlers::parse_org_id;
use crate::AppState;

/// `POST /organizations/{id}/events`: a draft (managers and owners).
#[utoipa::path(
    post,
    path = "/organizations/{id}/events",
    tag = "events",
    operation_id = "create_event",
    summary = "Create a draft event (managers)",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: 1–255 visible ASCII characters; the same key with the same request replays the first answer (24 hours)."),
        ("id" = String, Path, description = "The organization id (`org_…`)."),
    ),
    request_body = EventInput,
    responses(
        (status = 201, description = "The draft.", body = EventResponse),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    actor: CurrentUser,
    headers: HeaderMap,
    Path(org): Path<String>,
    Json(body): Json<EventInput>,
) -> BackendResult<Response> {
    let key = idempotency::key(&headers)?;
    let hash = idempotency::request_hash(&(actor.user_id, &org, &body));
    // Boxed: the operation's future is large, the key's bookkeeping should not carry it.
    let work = Box::pin(async {
        create_now(State(state.clone()), actor, Path(org.clone()), Json(body))
            .await
            .map(IntoResponse::into_response)
    });
    idempotency::run(&state, Scope::CreateEvent, key, || hash, work).await
}

/// The operation itself; [`create`] runs it once per `Idempotency-Key`.
async fn create_now(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(org): Path<String>,
    Json(body): Json<EventInput>,
) -> BackendResult<(StatusCode, Json<EventResponse>)> {
    let org = parse_org_id(&org)?;
    authorize_in(&state, &actor, org, Action::ManageEvents, "organization").await?;
    let fields = parse_event(&body)?;
    let id = EventId::new();
    events::insert_event(state.store.primary(), id, org, &fields, Utc::now()).await?;
    let event = load_event(&state, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(EventResponse {
            event: event_answer(state.store.primary(), &event).await?,
        }),
    ))
}

/// `GET /organizations/{id}/events`: every event of the organization, drafts included.
#[utoipa::path(
    get,
    path = "/organizations/{id}/events",
    tag = "events",
    operation_id = "list_organization_events",
    summary = "Every event of an organization (members)",
    params(
        ("id" = String, Path, description = "The organization id (`org_…`)."),
    ),
    responses(
        (status = 200, description = "Every event, drafts included.", body = EventList),
    )
)]
pub async fn list_for_organization(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(org): Path<String>,
) -> BackendResult<Json<EventList>> {
    let org = parse_org_id(&org)?;
    authorize_in(
        &state,
        &actor,
        org,
        Action::ViewOrganization,
        "organization",
    )
    .await?;
    let list = events::events_of_organization(state.store.primary(), org).await?;
    let items: Vec<Event> = events_answer(state.store.primary(), &list).await?;
    Ok(Json(EventList { items }))
}

/// `PATCH /events/{id}`: fields not sent stay as they are.
#[utoipa::path(
    patch,
    path = "/events/{id}",
    tag = "events",
    operation_id = "update_event",
    summary = "Change an event (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    request_body = EventInput,
    responses(
        (status = 200, description = "The event.", body = EventResponse),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(patch): Json<EventInput>,
) -> BackendResult<Json<EventResponse>> {
    let event = event_for(&state, &actor, &id, Action::ManageEvents).await?;
    if event.status == EventStatus::Canceled {
        return Err(BackendError::conflict(
            ErrorCode::EventCanceled,
            "This event is canceled.",
        ));
    }
    let currency_change = patch
        .currency
        .as_deref()
        .is_some_and(|c| !c.trim().eq_ignore_ascii_case(&event.fields.currency));
    let fields = parse_event(&merge(input_from(&event.fields), patch))?;
    if currency_change {
        let types = events::ticket_types_of(state.store.primary(), event.id, Utc::now()).await?;
        if !types.is_empty() {
            return Err(BackendError::field(
                "currency",
                "currency_locked",
                "The currency cannot change once ticket types exist.",
            ));
        }
    }
    events::update_event(state.store.primary(), event.id, &fields, Utc::now()).await?;
    let event = load_event(&state, event.id).await?;
    Ok(Json(EventResponse {
        event: event_answer(state.store.primary(), &event).await?,
    }))
}

/// `POST /events/{id}/publish`: a draft with at least one ticket type goes on sale, unless a
/// platform admin unpublished it and has not released it (`409 moderation_locked`).
#[utoipa::path(
    post,
    path = "/events/{id}/publish",
    tag = "events",
    operation_id = "publish_event",
    summary = "Publish a draft (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "The event, on sale.", body = EventResponse),
    )
)]
pub async fn publish(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<EventResponse>> {
    let event = event_for(&state, &actor, &id, Action::ManageEvents).await?;
    if !events::publish(
        state.store.primary(),
        event.id,
        EventStatus::publish(),
        Utc::now(),
    )
    .await?
    {
        // Refused: read the event again to say why (it may have changed meanwhile).
        let event = load_event(&state, event.id).await?;
        return Err(if event.status != EventStatus::Draft {
            BackendError::conflict(ErrorCode::NotADraft, "Only a draft can be published.")
        } else if event.moderation_locked_at.is_some() {
            BackendError::conflict(
                ErrorCode::ModerationLocked,
                "A platform admin took this event off sale; it can be published again once \
                 an admin releases it.",
            )
        } else {
            BackendError::conflict(
                ErrorCode::NoTicketTypes,
                "Add at least one ticket type before publishing.",
            )
        });
    }
    let event = load_event(&state, event.id).await?;
    Ok(Json(EventResponse {
        event: event_answer(state.store.primary(), &event).await?,
    }))
}

/// `DELETE /events/{id}` (managers and owners): only a draft, which has no orders.
#[utoipa::path(
    delete,
    path = "/events/{id}",
    tag = "events",
    operation_id = "delete_event",
    summary = "Delete a draft (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 204, description = "Deleted."),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<StatusCode> {
    let event = event_for(&state, &actor, &id, Action::ManageEvents).await?;
    if events::delete_draft(state.store.primary(), event.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(BackendError::conflict(
            ErrorCode::NotADraft,
            "Only a draft can be deleted; cancel a published event instead.",
        ))
    }
}
