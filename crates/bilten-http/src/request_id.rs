//! `X-Request-Id`: kept when a caller (the gateway) sent a sane one, created otherwise,
//! echoed on the response and recorded on the request's tracing span. Each request also
//! gets one access-log line when it is answered (target `access`, level info): method,
//! matched route, status, latency and request id.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// The id of the request being served, available to handlers as an extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| text.to_owned())
}

/// Probes and scrapes that arrive every few seconds from orchestrators and Prometheus: their
/// access lines are at debug, so the info log is about people's requests.
const QUIET_ROUTES: &[&str] = &["/health", "/ready", "/metrics"];

pub async fn propagate(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(HEADER)
        .and_then(acceptable)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    request.extensions_mut().insert(RequestId(id.clone()));
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "-".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = %route,
    );
    let mut response = next.run(request).instrument(span).await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if QUIET_ROUTES.contains(&route.as_str()) {
        tracing::debug!(target: "access", request_id = %id, method = %method, route = %route, status, latency_ms, "request");
    } else {
        tracing::info!(target: "access", request_id = %id, method = %method, route = %route, status, latency_ms, "request");
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
