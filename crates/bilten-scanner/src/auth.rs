//! Who is scanning: a paired device (opaque token, stored as a SHA-256 hash, scoped to one
//! event) or a staff member of the organization with their ordinary access token.
//!
//! There is no public check-in link: every endpoint but pairing needs one of the two, and
//! objects of other events answer 404 (a device never learns another event's lists exist).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use bilten_domain::{CheckinListId, EventId, UserId};
use bilten_http::ApiError;
use bilten_store::checkin::{self, DeviceRecord, ListRecord};
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::ScannerState;

/// Device tokens start with this, so they are recognisable in a leaked log or config.
const DEVICE_TOKEN_PREFIX: &str = "bdt_";

#[derive(Debug, Clone)]
pub enum Caller {
    Device(DeviceRecord),
    Staff(UserId),
}

impl Caller {
    pub fn device(&self) -> Option<&DeviceRecord> {
        match self {
            Self::Device(device) => Some(device),
            Self::Staff(_) => None,
        }
    }

    pub fn user(&self) -> Option<UserId> {
        match self {
            Self::Device(_) => None,
            Self::Staff(user) => Some(*user),
        }
    }
}

/// A new device token: 256 random bits.
pub fn new_device_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{DEVICE_TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// What is stored: the token's SHA-256 (a random 256-bit token needs no slow hash).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A storage failure as an API error: an unreachable database is a 503 (the app goes offline
/// and retries), anything else a logged 500.
pub fn db(error: bilten_store::StoreError) -> ApiError {
    match error {
        bilten_store::StoreError::Unavailable(_) => {
            ApiError::unavailable("The database is not reachable; scan offline and retry.")
        }
        other => ApiError::internal(&other),
    }
}

/// How a device token is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// In the database, every time: a revoked device is refused at once.
    Exact,
    /// From this process's memory when it saw the token within [`DEVICE_MEMORY`]: only for
    /// scans, whose batch checks the pairing again inside its transaction
    /// (`bilten_store::scan_batch::live_devices`).
    Remembered,
}

/// How long a device's token is remembered for scans.
const DEVICE_MEMORY: std::time::Duration = std::time::Duration::from_secs(30);
/// Remembered tokens beyond which the memory starts again (a bound, not a working size).
const DEVICES_REMEMBERED: usize = 10_000;

/// Devices recognised lately, by token hash (see [`Lookup::Remembered`]).
#[derive(Default)]
pub struct DeviceMemory {
    devices:
        std::sync::Mutex<std::collections::HashMap<String, (DeviceRecord, std::time::Instant)>>,
}

impl std::fmt::Debug for DeviceMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceMemory").finish_non_exhaustive()
    }
}

impl DeviceMemory {
    fn recall(&self, hash: &str) -> Option<DeviceRecord> {
        let devices = self.devices.lock().ok()?;
        let (device, at) = devices.get(hash)?;
        (at.elapsed() < DEVICE_MEMORY).then(|| device.clone())
    }

    fn remember(&self, hash: String, device: &DeviceRecord) {
        if let Ok(mut devices) = self.devices.lock() {
            if devices.len() >= DEVICES_REMEMBERED {
                devices.clear();
            }
            devices.insert(hash, (device.clone(), std::time::Instant::now()));
        }
    }
}

async fn device_caller(
    state: &ScannerState,
    token: &str,
    lookup: Lookup,
) -> Result<Caller, ApiError> {
    if token.len() > 200 {
        return Err(invalid_device());
    }
    let hash = token_hash(token);
    if lookup == Lookup::Remembered {
        if let Some(device) = state.devices.recall(&hash) {
            return Ok(Caller::Device(device));
        }
    }
    let device = checkin::device_by_token(state.store.primary(), &hash)
        .await
        .map_err(db)?
        .ok_or_else(invalid_device)?;
    // Best effort: a failed "last seen" update must not fail the scan. Coalesced per
    // process, so a busy gate does not write the device's row on every scan.
    if state.due_for_touch(device.id) {
        let _ = checkin::touch_device(state.store.primary(), device.id, Utc::now()).await;
    }
    state.devices.remember(hash, &device);
    Ok(Caller::Device(device))
}

/// The caller of a scan: a [`Caller`] whose device token may be recognised from memory
/// ([`Lookup::Remembered`]), because the scan's batch checks the pairing in its transaction.
#[derive(Debug, Clone)]
pub struct ScanCaller(pub Caller);

impl FromRequestParts<ScannerState> for ScanCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ScannerState,
    ) -> Result<Self, Self::Rejection> {
        caller_of(parts, state, Lookup::Remembered).await.map(Self)
    }
}

impl FromRequestParts<ScannerState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ScannerState,
    ) -> Result<Self, Self::Rejection> {
        caller_of(parts, state, Lookup::Exact).await
    }
}

async fn caller_of(
    parts: &Parts,
    state: &ScannerState,
    lookup: Lookup,
) -> Result<Caller, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            bilten_http::ErrorCode::Unauthenticated,
            "Pair this device (or log in as staff) first.",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(bilten_http::jwt::bearer)
        .ok_or_else(|| {
            ApiError::unauthorized(bilten_http::ErrorCode::InvalidToken, "Use a bearer token.")
        })?;
    if token.starts_with(DEVICE_TOKEN_PREFIX) {
        return device_caller(state, token, lookup).await;
    }
    let claims = state
        .access_tokens
        .verify(token)
        .map_err(|e| ApiError::unauthorized(e.code(), e.to_string()))?;
    let user = claims.sub.parse::<UserId>().map_err(|_| {
        ApiError::unauthorized(
            bilten_http::ErrorCode::InvalidToken,
            "The token is invalid.",
        )
    })?;
    Ok(Caller::Staff(user))
}

pub(crate) fn invalid_device() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        bilten_http::ErrorCode::DeviceRevoked,
        "This device is not paired or was revoked; pair it again.",
    )
}

fn list_not_found() -> ApiError {
    ApiError::not_found("No such check-in list.")
}

/// May `caller` scan for `event`? Devices: only their own event. Staff: members of the
/// organization (any role). Everyone else: 404.
pub async fn check_event(
    state: &ScannerState,
    caller: &Caller,
    event: EventId,
) -> Result<(), ApiError> {
    match caller {
        Caller::Device(device) if device.event_id == event => Ok(()),
        Caller::Device(_) => Err(ApiError::not_found("No such event.")),
        Caller::Staff(user) => {
            let organization = bilten_store::events::find_event(state.store.primary(), event)
                .await
                .map_err(db)?
                .ok_or_else(|| ApiError::not_found("No such event."))?
                .organization_id;
            let role =
                bilten_store::organizations::role_of(state.store.primary(), organization, *user)
                    .await
                    .map_err(db)?;
            if role.is_some() {
                Ok(())
            } else {
                Err(ApiError::not_found("No such event."))
            }
        }
    }
}

/// The list `id`, if `caller` may scan on it (404 otherwise, also for malformed ids). Lists
/// never change, so one read once is kept ([`crate::gate_cache`]).
pub async fn list_for(
    state: &ScannerState,
    caller: &Caller,
    id: &str,
) -> Result<Arc<ListRecord>, ApiError> {
    let id: CheckinListId = id.trim().parse().map_err(|_| list_not_found())?;
    let list = match state.gate.list(id) {
        Some(list) => list,
        None => state.gate.keep_list(
            checkin::find_list(&state.store, id)
                .await
                .map_err(db)?
                .ok_or_else(list_not_found)?,
        ),
    };
    check_event(state, caller, list.event_id)
        .await
        .map_err(|_| list_not_found())?;
    Ok(list)
}
