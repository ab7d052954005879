//! CORS for the API only: pages and assets are same-origin, and answering CORS on them would
//! only widen what other sites can read.

use std::time::Duration;

use axum::http::{header, request, HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::settings::CorsOrigins;

pub(crate) fn layer(origins: &CorsOrigins) -> CorsLayer {
    let (allowed, credentials) = match origins {
        CorsOrigins::Any => (None, false),
        // Credentials (the refresh-token cookie) only for origins named one by one.
        CorsOrigins::List(list) => (Some(list.clone()), true),
    };
    let allow = move |origin: &HeaderValue, parts: &request::Parts| {
        let path = parts.uri.path();
        (path == "/api" || path.starts_with("/api/"))
            && allowed.as_ref().is_none_or(|list| list.contains(origin))
    };
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(allow))
        .allow_credentials(credentials)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("idempotency-key"),
            // A guest's credential for their order (`GET /orders/{id}`, checkout, tickets).
            HeaderName::from_static("x-order-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::RETRY_AFTER,
            header::LOCATION,
            HeaderName::from_static("x-request-id"),
            // Tells a client that retried with an `Idempotency-Key` it got the first answer.
            HeaderName::from_static("idempotent-replayed"),
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
            HeaderName::from_static("ratelimit-policy"),
        ])
        .max_age(Duration::from_mins(10))
}
