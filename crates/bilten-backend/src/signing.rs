//! Ticket signing keys: derived from one root secret ([`crate::ticket_keys`]), published per
//! event.
//!
//! An event's Ed25519 key for version `v` is `derive_event_seed(root, event, v)`
//! (HKDF-SHA256, see `bilten_domain::ticket_code`), so no private key is ever stored: every
//! replica derives the same signer from `TICKET_SIGNING_SECRET`. The public halves live in
//! `event_keys`; new codes are signed with the newest active version, and older versions stay
//! published, so codes issued before a rotation keep verifying.
//!
//! Version 1 is published lazily, the first time it is needed (a first sale, or someone asking
//! for the keys), with an idempotent insert keyed on `(event_id, key_version)`: concurrent
//! first sales on several replicas insert it once and all sign with the same key.

use base64::Engine as _;
use bilten_domain::ticket_code::TicketSigner;
use bilten_domain::EventId;
use bilten_http::ErrorCode;
use bilten_store::tickets::{self, EventKeyRecord};
use chrono::Utc;

use crate::error::{BackendError, BackendResult};
use crate::AppState;

/// Publishes the public key of `event`'s `version` (no-op if it is there). True if inserted.
/// An event that does not exist is `NotFound`: a purchase names its event before anything
/// else looks at it, and the key row's foreign key would otherwise fail as a 500. Checked
/// here only, so it costs one read per event and key version, not one per purchase.
async fn publish(state: &AppState, event: EventId, version: i64) -> BackendResult<bool> {
    if bilten_store::events::find_event(state.store.primary(), event)
        .await?
        .is_none()
    {
        return Err(BackendError::NotFound("event"));
    }
    let signer = state.ticket_keys.signer(event, version)?;
    let public = base64::engine::general_purpose::STANDARD.encode(signer.public_key_bytes());
    Ok(tickets::insert_key(
        state.store.primary(),
        event,
        version,
        &signer.key_id().to_hex(),
        &public,
        Utc::now(),
    )
    .await?)
}

/// The version and signer new codes of `event` are signed with, publishing version 1 first
/// if the event has no key yet.
pub async fn current_signer(
    state: &AppState,
    event: EventId,
) -> BackendResult<(i64, TicketSigner)> {
    let version = match tickets::signing_version(state.store.primary(), event).await? {
        Some(version) => version,
        None => {
            publish(state, event, 1).await?;
            tickets::signing_version(state.store.primary(), event)
                .await?
                .ok_or_else(|| BackendError::Internal("event key vanished".to_owned()))?
        }
    };
    Ok((version, state.ticket_keys.signer(event, version)?))
}

/// Every published key of `event` (publishing version 1 first if there is none).
pub async fn published_keys(
    state: &AppState,
    event: EventId,
) -> BackendResult<Vec<EventKeyRecord>> {
    let keys = tickets::list_keys(state.store.primary(), event).await?;
    if !keys.is_empty() {
        return Ok(keys);
    }
    publish(state, event, 1).await?;
    Ok(tickets::list_keys(state.store.primary(), event).await?)
}

/// Adds the next key version of `event`; new codes are signed with it from now on. Two
/// rotations racing both derive the same next version; the unique key lets one insert it and
/// the other retries with the version after, so each call adds exactly one key.
pub async fn rotate(state: &AppState, event: EventId) -> BackendResult<i64> {
    published_keys(state, event).await?;
    for _ in 0..5 {
        let next = tickets::newest_version(state.store.primary(), event).await? + 1;
        if publish(state, event, next).await? {
            return Ok(next);
        }
    }
    Err(BackendError::conflict(
        ErrorCode::RotationInProgress,
        "The event's keys are being rotated right now; try again.",
    ))
}
