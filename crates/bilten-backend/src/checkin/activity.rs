//! What happened at the gates: statistics per list and ticket type, and the scan log.

use axum::extract::{Path, State};
use bilten_api::checkin::{CheckinLogEntry, CheckinStats, ListCheckins, TicketTypeCheckins};
use bilten_api::Page;
use bilten_domain::{CheckinId, DeviceId};
use bilten_http::{Json, Query};
use bilten_store::checkin::{self};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::authz::Action;
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::events::lookup::event_for;
use crate::AppState;

const LOG_PAGE_MAX: i64 = 200;

/// `GET /events/{id}/checkin-stats` (staff and up): per list and ticket type.
#[utoipa::path(
    get,
    path = "/events/{id}/checkin-stats",
    tag = "check-in",
    operation_id = "get_checkin_stats",
    summary = "Check-in counts per list and ticket type",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "Per list: expected, checked in, inside, scans per minute.", body = CheckinStats),
    )
)]
pub async fn stats(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<CheckinStats>> {
    let event = event_for(&state, &actor, &id, Action::ViewOrganization).await?;
    let now = Utc::now();
    let lists = checkin::lists_of_event(&state.store, event.id).await?;
    let rows = checkin::stats_of_event(state.store.primary(), event.id).await?;
    // Scans per minute over the last five minutes, a steadier number than the last minute.
    let recent =
        checkin::scans_since(state.store.primary(), event.id, now - Duration::minutes(5)).await?;
    let items: Vec<ListCheckins> = lists
        .iter()
        .map(|list| {
            let types: Vec<&checkin::StatsRow> =
                rows.iter().filter(|r| r.list_id == list.id).collect();
            let sum = |f: fn(&checkin::StatsRow) -> i64| types.iter().map(|r| f(r)).sum::<i64>();
            let scans = recent
                .iter()
                .find(|(l, _)| *l == list.id)
                .map_or(0, |(_, n)| *n);
            ListCheckins {
                list_id: list.id,
                name: list.name.clone(),
                expected: sum(|r| r.expected),
                checked_in: sum(|r| r.checked_in),
                inside: sum(|r| r.inside),
                scans_per_minute: scans as f64 / 5.0,
                ticket_types: types
                    .iter()
                    .map(|r| TicketTypeCheckins {
                        ticket_type_id: r.ticket_type_id,
                        name: r.ticket_type_name.clone(),
                        expected: r.expected,
                        checked_in: r.checked_in,
                        inside: r.inside,
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(Json(CheckinStats {
        event_id: event.id,
        lists: items,
        generated_at: now,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    cursor: Option<String>,
    limit: Option<i64>,
    conflicts: Option<bool>,
}

fn encode_cursor(at: DateTime<Utc>, id: CheckinId) -> String {
    format!("{}.{id}", at.timestamp_millis())
}

fn decode_cursor(text: &str) -> Option<(DateTime<Utc>, CheckinId)> {
    let (millis, id) = text.split_once('.')?;
    Some((
        bilten_store::from_millis(millis.parse().ok()?),
        id.parse().ok()?,
    ))
}

/// `GET /events/{id}/checkin-log` (staff and up): newest first; `?conflicts=true` shows only
/// tickets admitted twice while offline.
#[utoipa::path(
    get,
    path = "/events/{id}/checkin-log",
    tag = "check-in",
    operation_id = "get_checkin_log",
    summary = "The scan log",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
        LogQuery,
    ),
    responses(
        (status = 200, description = "A page of scans, newest first.", body = Page<CheckinLogEntry>),
    )
)]
pub async fn log(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<LogQuery>,
) -> BackendResult<Json<Page<CheckinLogEntry>>> {
    let event = event_for(&state, &actor, &id, Action::ViewOrganization).await?;
    let before = match query.cursor.as_deref() {
        None => None,
        Some(text) => Some(decode_cursor(text).ok_or_else(|| {
            BackendError::field("cursor", "invalid_cursor", "Use a next_cursor we gave you.")
        })?),
    };
    let limit = query.limit.unwrap_or(50).clamp(1, LOG_PAGE_MAX);
    let entries = checkin::log_of_event(
        state.store.primary(),
        event.id,
        before,
        query.conflicts.unwrap_or(false),
        limit,
    )
    .await?;
    let next = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| encode_cursor(e.recorded_at, e.id)))
        .flatten();
    let items = entries
        .iter()
        .map(|e| {
            Ok(CheckinLogEntry {
                id: e.id,
                list_id: e.list_id,
                list_name: e.list_name.clone(),
                device_id: e
                    .device_id
                    .as_deref()
                    .and_then(|d| DeviceId::from_db(d).ok()),
                device_name: e.device_name.clone(),
                user_id: e
                    .user_id
                    .as_deref()
                    .and_then(|u| bilten_domain::UserId::from_db(u).ok()),
                gate: e.gate.clone(),
                ticket_id: e
                    .ticket_id
                    .as_deref()
                    .and_then(|t| bilten_domain::TicketId::from_db(t).ok()),
                holder_name: e.holder_name.clone(),
                direction: e.direction,
                result: e.result,
                detail: e.detail.clone(),
                offline: e.offline,
                conflict: e.conflict,
                scanned_at: e.scanned_at,
                recorded_at: e.recorded_at,
            })
        })
        .collect::<BackendResult<_>>()?;
    Ok(Json(Page {
        items,
        next_cursor: next,
    }))
}
