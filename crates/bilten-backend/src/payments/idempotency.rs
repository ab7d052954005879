//! `Idempotency-Key` on `POST /orders/{id}/checkout`: the same key with the same request gets
//! the same answer, replayed from `checkout_requests` (with `Idempotent-Replayed: true`); the
//! same key with another order or body is `422 idempotency_key_reused`.
//!
//! The first request under a key records it before doing anything, and stores its answer
//! when done. A retry that arrives meanwhile waits for that answer (up to
//! [`attempts::WAIT`](super::attempts::WAIT), then `409 checkout_in_progress`); a first request
//! whose process died is taken over after [`STALE_AFTER`]. Answers worth retrying (5xx, 503
//! while a dependency is down, `checkout_in_progress`) are not stored: the key's next request
//! runs again. None of this is what keeps a checkout from charging twice (the claimed attempt
//! does that, keys or not); it gives a client that retries the answer it missed.

use bilten_http::ErrorCode;
use std::future::Future;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_domain::OrderId;
use bilten_store::payments;
use chrono::Utc;

use crate::error::{BackendError, BackendResult};
use crate::AppState;

const HEADER: &str = "idempotency-key";

/// A first request under a key still unanswered after this long died with its process.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// The biggest answer stored (checkout answers are a few kilobytes).
const MAX_BODY: usize = 1024 * 1024;

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

/// Whether an outcome is the request's final answer (stored and replayed) or one worth
/// running again.
fn is_final(outcome: &BackendResult<Response>) -> bool {
    match outcome {
        Ok(response) => !response.status().is_server_error(),
        Err(
            BackendError::Unavailable(_)
            | BackendError::Internal(_)
            | BackendError::Conflict {
                code: ErrorCode::CheckoutInProgress,
                ..
            },
        ) => false,
        Err(_) => true,
    }
}

/// Runs `work` as the request under `key` (for `order`, described by `hash`) once: the first
/// time it runs and its answer is stored; afterwards the stored answer is replayed.
pub async fn once(
    state: &AppState,
    key: &str,
    order: OrderId,
    hash: &str,
    work: impl Future<Output = BackendResult<Response>>,
) -> BackendResult<Response> {
    let store = state.store.primary();
    let deadline = tokio::time::Instant::now() + super::attempts::WAIT;
    loop {
        let now = Utc::now();
        if payments::begin_request(store, key, order, hash, now).await? {
            break;
        }
        let Some(first) = payments::find_request(store, key).await? else {
            // Forgotten meanwhile (its answer was worth a retry): run it ourselves.
            continue;
        };
        if first.order_id != order || first.request_hash != hash {
            return Err(BackendError::IdempotencyKeyReused);
        }
        if let Some((status, body)) = first.response {
            return Ok(replay(status, body));
        }
        let stale_before =
            now - chrono::Duration::from_std(STALE_AFTER).unwrap_or(chrono::Duration::MAX);
        if payments::take_over_request(store, key, stale_before, now).await? {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(BackendError::conflict(
                ErrorCode::CheckoutInProgress,
                "A request with this Idempotency-Key is still being answered; try again in a \
                 moment.",
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let outcome = work.await;
    if !is_final(&outcome) {
        payments::forget_request(store, key).await?;
        return outcome;
    }
    let response = outcome.into_response();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| BackendError::Internal(format!("reading a checkout answer: {e}")))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    payments::finish_request(store, key, parts.status.as_u16(), &text).await?;
    Ok(Response::from_parts(parts, axum::body::Body::from(bytes)))
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
