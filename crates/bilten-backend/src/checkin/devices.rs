//! Scanner devices and their one-time pairing codes (created and revoked by managers and
//! owners; staff may read everything here, including a pending pairing code, since staff may
//! scan with their own login anyway).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::checkin::{CreateDeviceRequest, CreatedDevice, Device, DeviceList, DeviceStatus};
use bilten_domain::{DeviceId, FieldErrors};
use bilten_http::ErrorCode;
use bilten_http::Json;
use bilten_store::checkin::{self, DeviceRecord};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::events::lookup::event_for;
use crate::AppState;

use super::lists::short_name;

/// A pairing code is good for this long; after that, create a new device.
const PAIRING_TTL_HOURS: i64 = 24;
/// Unambiguous characters (no 0/O, 1/I/L) so a code read aloud or typed is right first time.
const PAIRING_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

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
