//! Check-in lists: which tickets a gate admits, and when (created by managers and owners,
//! read by staff).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use bilten_api::checkin::{
    CheckinList, CheckinListList, CheckinListResponse, CreateCheckinListRequest,
};
use bilten_domain::{CheckinListId, FieldError, FieldErrors, TicketTypeId, TimeWindow};
use bilten_http::Json;
use bilten_store::checkin::{self, ListRecord, NewList};
use chrono::Utc;

use crate::authz::Action;
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::events::lookup::event_for;
use crate::events::parse::parse_optional_time;
use crate::AppState;

pub fn list_view(list: &ListRecord) -> CheckinList {
    CheckinList {
        id: list.id,
        event_id: list.event_id,
        name: list.name.clone(),
        all_ticket_types: list.all_ticket_types,
        ticket_type_ids: list.ticket_type_ids.clone(),
        not_before: list.not_before,
        not_after: list.not_after,
        reentry_allowed: list.reentry_allowed,
        created_at: list.created_at,
    }
}

pub(super) fn short_name(value: Option<&str>, field: &str, e: &mut FieldErrors) -> Option<String> {
    match value.map(str::trim) {
        None | Some("") => {
            e.add(field, FieldError::new("required", "Give a name."));
            None
        }
        Some(text) if text.chars().count() > 100 || text.chars().any(char::is_control) => {
            e.add(
                field,
                FieldError::new("invalid", "Use at most 100 characters."),
            );
            None
        }
        Some(text) => Some(text.to_owned()),
    }
}

/// `POST /events/{id}/checkin-lists` (managers and owners).
#[utoipa::path(
    post,
    path = "/events/{id}/checkin-lists",
    tag = "check-in",
    operation_id = "create_checkin_list",
    summary = "Add a check-in list (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    request_body = CreateCheckinListRequest,
    responses(
        (status = 201, description = "The new list.", body = CheckinListResponse),
    )
)]
pub async fn create_list(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<CreateCheckinListRequest>,
) -> BackendResult<(StatusCode, Json<CheckinListResponse>)> {
    let event = event_for(&state, &actor, &id, Action::ManageEvents).await?;
    let mut e = FieldErrors::new();
    let name = short_name(body.name.as_deref(), "name", &mut e);
    let known =
        bilten_store::events::ticket_types_of(state.store.primary(), event.id, Utc::now()).await?;
    let ticket_type_ids = match &body.ticket_type_ids {
        None => Some(None),
        Some(ids) if ids.is_empty() => {
            e.add(
                "ticket_type_ids",
                FieldError::new(
                    "required",
                    "Name at least one ticket type, or leave the field out for all.",
                ),
            );
            None
        }
        Some(ids) => {
            let parsed: Option<Vec<TicketTypeId>> = ids
                .iter()
                .map(|text| {
                    text.parse::<TicketTypeId>()
                        .ok()
                        .filter(|id| known.iter().any(|t| t.id == *id))
                })
                .collect();
            if parsed.is_none() {
                e.add(
                    "ticket_type_ids",
                    FieldError::new(
                        "unknown_ticket_type",
                        "Every ticket type must belong to this event.",
                    ),
                );
            }
            parsed.map(Some)
        }
    };
    let not_before = e.check(
        "not_before",
        parse_optional_time(body.not_before.as_deref()),
    );
    let not_after = e.check("not_after", parse_optional_time(body.not_after.as_deref()));
    let window = match (not_before, not_after) {
        (Some(start), Some(end)) => e.check("not_after", TimeWindow::new(start, end)),
        _ => None,
    };
    let (Some(name), Some(ticket_type_ids), Some(window)) = (name, ticket_type_ids, window) else {
        return Err(BackendError::Validation(e));
    };
    if !e.is_empty() {
        return Err(BackendError::Validation(e));
    }
    let list = NewList {
        id: CheckinListId::new(),
        event_id: event.id,
        name,
        ticket_type_ids,
        not_before: window.not_before,
        not_after: window.not_after,
        reentry_allowed: body.reentry_allowed.unwrap_or(false),
    };
    let mut tx = state.store.begin().await?;
    checkin::insert_list(&mut tx, &list, Utc::now()).await?;
    tx.commit().await.map_err(bilten_store::StoreError::from)?;
    let created = checkin::find_list(&state.store, list.id)
        .await?
        .ok_or(BackendError::NotFound("check-in list"))?;
    Ok((
        StatusCode::CREATED,
        Json(CheckinListResponse {
            checkin_list: list_view(&created),
        }),
    ))
}

/// `GET /events/{id}/checkin-lists` (staff and up).
#[utoipa::path(
    get,
    path = "/events/{id}/checkin-lists",
    tag = "check-in",
    operation_id = "list_checkin_lists",
    summary = "The event's check-in lists",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "The lists.", body = CheckinListList),
    )
)]
pub async fn list_lists(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<CheckinListList>> {
    let event = event_for(&state, &actor, &id, Action::ViewOrganization).await?;
    let lists = checkin::lists_of_event(&state.store, event.id).await?;
    Ok(Json(CheckinListList {
        items: lists.iter().map(list_view).collect(),
    }))
}
