//! Check-in, organizer side: lists, scanner devices (with their one-time pairing codes),
//! statistics and the scan log. The scanning itself is the scanner role's (`bilten-scanner`).
//!
//! Managers and owners create lists and devices; staff may read everything here (including a
//! pending pairing code, since staff may scan with their own login anyway).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::checkin::{
    CheckinList, CheckinListList, CheckinListResponse, CheckinLogEntry, CheckinStats,
    CreateCheckinListRequest, CreateDeviceRequest, CreatedDevice, Device, DeviceList, DeviceStatus,
    ListCheckins, TicketTypeCheckins,
};
use bilten_api::Page;
use bilten_domain::{
    CheckinId, CheckinListId, DeviceId, FieldError, FieldErrors, TicketTypeId, TimeWindow,
};
use bilten_http::ErrorCode;
use bilten_http::{Json, Query};
use bilten_store::checkin::{self, DeviceRecord, ListRecord, NewList};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::Deserialize;

use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::events::lookup::event_for;
use crate::events::parse::parse_optional_time;
use crate::AppState;

/// A pairing code is good for this long; after that, create a new device.
const PAIRING_TTL_HOURS: i64 = 24;
/// Unambiguous characters (no 0/O, 1/I/L) so a code read aloud or typed is right first time.
const PAIRING_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const LOG_PAGE_MAX: i64 = 200;

/// `XXXXX-XXXXX`: 10 characters of a 31-letter alphabet, ≈ 49.5 bits. Enough for a code that
/// is single-use, expires in a day and is rate-limited at the gateway.
fn new_pairing_code() -> String {
    let mut rng = rand::thread_rng();
    let mut code = String::with_capacity(11);
    for i in 0..10 {
        if i == 5 {
            code.push('-');
        }
        code.push(char::from(
            PAIRING_ALPHABET[rng.gen_range(0..PAIRING_ALPHABET.len())],
        ));
    }
    code
}

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

fn device_view(device: &DeviceRecord, now: DateTime<Utc>) -> Device {
    let status = if device.revoked_at.is_some() {
        DeviceStatus::Revoked
    } else if device.paired_at.is_some() {
        DeviceStatus::Paired
    } else if device.pairing_expires_at <= now {
        DeviceStatus::Expired
    } else {
        DeviceStatus::Pending
    };
    let pairing_code = (status == DeviceStatus::Pending)
        .then(|| device.pairing_code.clone())
        .flatten();
    Device {
        id: device.id,
        event_id: device.event_id,
        name: device.name.clone(),
        status,
        gate: device.gate.clone(),
        pairing_code,
        pairing_expires_at: device.pairing_expires_at,
        created_at: device.created_at,
        paired_at: device.paired_at,
        revoked_at: device.revoked_at,
        last_seen_at: device.last_seen_at,
    }
}

fn short_name(value: Option<&str>, field: &str, e: &mut FieldErrors) -> Option<String> {
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

// ---------------------------------------------------------------------------------------
// Lists

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

// ---------------------------------------------------------------------------------------
// Devices

/// `POST /events/{id}/devices` (managers and owners): a device and its one-time pairing code.
#[utoipa::path(
    post,
    path = "/events/{id}/devices",
    tag = "check-in",
    operation_id = "create_device",
    summary = "Add a scanner device (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    request_body = CreateDeviceRequest,
    responses(
        (status = 201, description = "The device and its one-time pairing code.", body = CreatedDevice),
    )
)]
pub async fn create_device(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<CreateDeviceRequest>,
) -> BackendResult<(StatusCode, Json<CreatedDevice>)> {
    let event = event_for(&state, &actor, &id, Action::ManageEvents).await?;
    let mut e = FieldErrors::new();
    let Some(name) = short_name(body.name.as_deref(), "name", &mut e) else {
        return Err(BackendError::Validation(e));
    };
    let now = Utc::now();
    let device_id = DeviceId::new();
    // A clash with another live code is astronomically unlikely; the UNIQUE constraint turns
    // it into an error rather than two devices sharing a code, and we simply draw again.
    for attempt in 0..3 {
        let code = new_pairing_code();
        match checkin::insert_device(
            state.store.primary(),
            device_id,
            event.id,
            &name,
            &code,
            now + Duration::hours(PAIRING_TTL_HOURS),
            actor.user_id,
            now,
        )
        .await
        {
            Ok(()) => break,
            Err(err)
                if err.violates(bilten_store::Constraint::CheckinDevicesPairingCode)
                    && attempt < 2 => {}
            Err(err) => return Err(err.into()),
        }
    }
    let device = checkin::find_device(state.store.primary(), device_id)
        .await?
        .ok_or(BackendError::NotFound("device"))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedDevice {
            device: device_view(&device, now),
            pairing_qr_url: format!("/api/v1/devices/{}/pairing.svg", device.id),
            pairing_code: device.pairing_code,
        }),
    ))
}

/// `GET /events/{id}/devices` (staff and up).
#[utoipa::path(
    get,
    path = "/events/{id}/devices",
    tag = "check-in",
    operation_id = "list_devices",
    summary = "The event's scanner devices",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "The devices.", body = DeviceList),
    )
)]
pub async fn list_devices(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<DeviceList>> {
    let event = event_for(&state, &actor, &id, Action::ViewOrganization).await?;
    let now = Utc::now();
    let devices = checkin::devices_of_event(state.store.primary(), event.id).await?;
    Ok(Json(DeviceList {
        items: devices.iter().map(|d| device_view(d, now)).collect(),
    }))
}

/// A device and the caller's permission on its event's organization.
async fn device_for(
    state: &AppState,
    actor: &CurrentUser,
    id: &str,
    action: Action,
) -> BackendResult<DeviceRecord> {
    let id: DeviceId = id.parse().map_err(|_| BackendError::NotFound("device"))?;
    let device = checkin::find_device(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("device"))?;
    let event = crate::events::lookup::load_event(state, device.event_id).await?;
    authorize_in(state, actor, event.organization_id, action, "device").await?;
    Ok(device)
}

/// `DELETE /devices/{id}` (managers and owners): the token stops working at once.
#[utoipa::path(
    delete,
    path = "/devices/{id}",
    tag = "check-in",
    operation_id = "revoke_device",
    summary = "Revoke a device (managers)",
    params(
        ("id" = String, Path, description = "The device id (`dev_…`)."),
    ),
    responses(
        (status = 204, description = "Its token stops working at once."),
    )
)]
pub async fn revoke_device(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<StatusCode> {
    let device = device_for(&state, &actor, &id, Action::ManageEvents).await?;
    checkin::revoke_device(state.store.primary(), device.id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /devices/{id}/pairing.svg`: the pending pairing code as a QR code.
#[utoipa::path(
    get,
    path = "/devices/{id}/pairing.svg",
    tag = "check-in",
    operation_id = "get_pairing_qr",
    summary = "The pending pairing code as a QR code",
    params(
        ("id" = String, Path, description = "The device id (`dev_…`)."),
    ),
    responses(
        (status = 200, description = "An SVG image.", body = String, content_type = "image/svg+xml"),
    )
)]
pub async fn pairing_svg(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Response> {
    let device = device_for(&state, &actor, &id, Action::ViewOrganization).await?;
    let live = device.revoked_at.is_none()
        && device.paired_at.is_none()
        && device.pairing_expires_at > Utc::now();
    let Some(code) = device.pairing_code.filter(|_| live) else {
        return Err(BackendError::conflict(
            ErrorCode::PairingCodeUsed,
            "This device is already paired, revoked or its code expired; create a new device.",
        ));
    };
    let qr = qrcode::QrCode::with_error_correction_level(code.as_bytes(), qrcode::EcLevel::M)
        .map_err(|err| BackendError::Internal(err.to_string()))?;
    let svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build();
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// Statistics and log

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
