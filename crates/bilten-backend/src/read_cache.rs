//! The public event listing and event pages, served from bytes already serialized.
//!
//! `GET /api/v1/events` and `GET /api/v1/events/{id}` without credentials are the reads an
//! on-sale hammers: every visitor refreshes the page. Their answers are kept for
//! [`FRESH_FOR`] per URL (query included) in this process and sent as they are, with an `ETag`
//! so a client that has them gets `304 Not Modified` without a body. A successful write through
//! this process (a purchase, an edit, a refund) empties its copies at once, so whoever changed
//! something reads the change; other replicas' copies simply expire, so a change shows on every
//! replica within that second. Requests with an `Authorization` header (organizers, who see
//! counters and drafts) always reach the handler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// How long a cached answer is served.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// Distinct URLs kept at most; past it the cache starts over (listing filters are many).
const MAX_ENTRIES: usize = 4096;
/// Answers larger than this are not kept.
const MAX_BODY: usize = 1024 * 1024;

struct Entry {
    body: Bytes,
    etag: HeaderValue,
    content_type: HeaderValue,
    until: Instant,
}

/// This process's copies of public event reads.
#[derive(Clone, Default)]
pub struct ReadCache {
    entries: Arc<Mutex<HashMap<String, Arc<Entry>>>>,
}

impl ReadCache {
    /// Drops every copy (after a write: what it changed must show at once).
    pub fn forget_all(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// Whether `path` is the public listing or one event's page.
fn cacheable_path(path: &str) -> bool {
    match path.strip_prefix("/api/v1/events") {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('/')
            .is_some_and(|id| !id.is_empty() && !id.contains('/')),
        None => false,
    }
}

fn etag_of(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

fn answer(entry: &Entry, if_none_match: Option<&HeaderValue>) -> Response {
    let mut response = if if_none_match == Some(&entry.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(Body::from(entry.body.clone()));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, entry.content_type.clone());
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, entry.etag.clone());
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=1"),
    );
    response
}

/// The middleware: serve a fresh copy, or run the handler and keep its `200`.
pub async fn serve(State(cache): State<ReadCache>, request: Request, next: Next) -> Response {
    let read = matches!(*request.method(), Method::GET | Method::HEAD);
    if !read {
        let response = next.run(request).await;
        if response.status().is_success() {
            cache.forget_all();
        }
        return response;
    }
    let cacheable = !request.headers().contains_key(header::AUTHORIZATION)
        && cacheable_path(request.uri().path());
    if !cacheable {
        return next.run(request).await;
    }
    let key = request.uri().to_string();
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let now = Instant::now();
    let hit = cache
        .entries
        .lock()
        .ok()
        .and_then(|entries| entries.get(&key).filter(|e| e.until > now).cloned());
    if let Some(entry) = hit {
        return answer(&entry, if_none_match.as_ref());
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "answer too large").into_response();
    };
    let entry = Arc::new(Entry {
        etag: etag_of(&bytes),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("application/json")),
        body: bytes,
        until: now + FRESH_FOR,
    });
    if let Ok(mut entries) = cache.entries.lock() {
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, entry.clone());
    }
    answer(&entry, if_none_match.as_ref())
}

#[cfg(test)]
mod tests {
    use super::cacheable_path;

    #[test]
    fn only_the_listing_and_event_pages_are_cached() {
        assert!(cacheable_path("/api/v1/events"));
        assert!(cacheable_path("/api/v1/events/evt_1"));
        assert!(!cacheable_path("/api/v1/events/evt_1/orders"));
        assert!(!cacheable_path("/api/v1/events/"));
        assert!(!cacheable_path("/api/v1/eventsx"));
        assert!(!cacheable_path("/api/v1/orders"));
    }
}
