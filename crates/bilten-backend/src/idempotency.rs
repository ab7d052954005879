//! `Idempotency-Key` on the unsafe operations that move money or create things, other than
//! the purchase path (`POST /orders`, `POST /purchases`, whose key is stored on the order they
//! create, see [`crate::orders`]): checkout, refunds, event cancellation, and creating
//! organizations, events and ticket types.
//!
//! The same key with the same request gets the same answer, replayed from
//! `idempotency_requests` with `Idempotent-Replayed: true`; the same key with another request
//! (another body, another object in the path, another caller) is `422 idempotency_key_reused`,
//! as on `POST /orders`. Keys are scoped by operation ([`Scope`]) and kept 24 hours
//! ([`KEPT_FOR`]); after that a key may be used again.
//!
//! The first request under a key records it before doing anything, and stores its answer
//! when done. A retry that arrives meanwhile waits for that answer (up to [`WAIT`], then a
//! 409: `checkout_in_progress` for a checkout, `request_in_progress` otherwise); a first
//! request whose process died is taken over after [`STALE_AFTER`]. Answers worth retrying
//! (5xx, 503 while a dependency is down, the 409 above) are not stored: the key's next
//! request runs again. Without a key the operation simply runs (the key is optional here;
//! what keeps a checkout from charging twice is its claimed attempt, keys or not).

use std::future::Future;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_http::ErrorCode;
use bilten_store::idempotency as store;
use chrono::Utc;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{BackendError, BackendResult};
use crate::AppState;

const HEADER: &str = "idempotency-key";

/// How long a key's answer is kept (and replayed).
pub const KEPT_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// A first request under a key still unanswered after this long died with its process.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// How long a retry waits for the first request's answer before a 409.
pub const WAIT: Duration = Duration::from_secs(10);

/// The biggest answer stored (these answers are a few kilobytes).
const MAX_BODY: usize = 1024 * 1024;

/// The operations with their own key space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Checkout,
    Refund,
    CancelEvent,
    CreateOrganization,
    CreateEvent,
    CreateTicketType,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Self::Checkout => "checkout",
            Self::Refund => "refund",
            Self::CancelEvent => "cancel_event",
            Self::CreateOrganization => "create_organization",
            Self::CreateEvent => "create_event",
            Self::CreateTicketType => "create_ticket_type",
        }
    }

    fn in_progress(self) -> BackendError {
        let code = match self {
            Self::Checkout => ErrorCode::CheckoutInProgress,
            _ => ErrorCode::RequestInProgress,
        };
        BackendError::conflict(
            code,
            "A request with this Idempotency-Key is still being answered; try again in a moment.",
        )
    }
}

/// The request's `Idempotency-Key`, if it sent one: 1-255 visible ASCII characters, as on
/// `POST /orders`.
pub fn key(headers: &HeaderMap) -> BackendResult<Option<String>> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let key = value.to_str().map(str::trim).unwrap_or_default();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BackendError::IdempotencyKeyRequired);
    }
    Ok(Some(key.to_owned()))
}

/// A digest of what defines a request: whatever the caller passes (the caller's account, the
/// ids in the path, the parsed body), serialized as JSON.
pub fn request_hash(parts: &impl Serialize) -> String {
    let canonical = serde_json::to_vec(parts).unwrap_or_default();
    hex::encode(Sha256::digest(canonical))
}

/// Whether an outcome is the request's final answer (stored and replayed) or one worth
/// running again.
fn is_final(outcome: &BackendResult<Response>) -> bool {
    match outcome {
        Ok(response) => !response.status().is_server_error(),
        Err(
            BackendError::Unavailable(_)
            | BackendError::Internal(_)
            | BackendError::Conflict {
                code: ErrorCode::CheckoutInProgress | ErrorCode::RequestInProgress,
                ..
            },
        ) => false,
        Err(_) => true,
    }
}

/// Runs `work` once per key when the request has one (`key`), else simply runs it.
pub async fn run(
    state: &AppState,
    scope: Scope,
    key: Option<String>,
    hash: impl FnOnce() -> String,
    work: impl Future<Output = BackendResult<Response>>,
) -> BackendResult<Response> {
    match key {
        None => work.await,
        Some(key) => once(state, scope, &key, &hash(), work).await,
    }
}

/// Runs `work` as the request under `(scope, key)` described by `hash` once: the first time
/// it runs and its answer is stored; afterwards the stored answer is replayed.
pub async fn once(
    state: &AppState,
    scope: Scope,
    key: &str,
    hash: &str,
    work: impl Future<Output = BackendResult<Response>>,
) -> BackendResult<Response> {
    let db = state.store.primary();
    let name = scope.as_str();
    let deadline = tokio::time::Instant::now() + WAIT;
    let kept_for = chrono::Duration::from_std(KEPT_FOR).unwrap_or(chrono::Duration::MAX);
    let stale_after = chrono::Duration::from_std(STALE_AFTER).unwrap_or(chrono::Duration::MAX);
    loop {
        let now = Utc::now();
        if store::begin(db, name, key, hash, now - kept_for, now).await? {
            break;
        }
        let Some(first) = store::find(db, name, key).await? else {
            // Forgotten meanwhile (its answer was worth a retry): run it ourselves.
            continue;
        };
        if first.request_hash != hash {
            return Err(BackendError::IdempotencyKeyReused);
        }
        if let Some((status, body)) = first.response {
            return Ok(replay(status, body));
        }
        if store::take_over(db, name, key, now - stale_after, now).await? {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(scope.in_progress());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let outcome = work.await;
    if !is_final(&outcome) {
        store::forget(db, name, key).await?;
        return outcome;
    }
    let response = outcome.into_response();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| BackendError::Internal(format!("reading an answer to store: {e}")))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    store::finish(db, name, key, parts.status.as_u16(), &text).await?;
    Ok(Response::from_parts(parts, axum::body::Body::from(bytes)))
}

/// Forgets keys older than [`KEPT_FOR`] (run now and then by the hold-expiry worker).
pub async fn sweep(state: &AppState) -> BackendResult<u64> {
    let kept = chrono::Duration::from_std(KEPT_FOR).unwrap_or(chrono::Duration::MAX);
    Ok(store::sweep(state.store.primary(), Utc::now() - kept).await?)
}

/// A stored answer, sent again.
fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
