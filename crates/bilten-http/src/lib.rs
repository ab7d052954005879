//! HTTP plumbing every Bilten role shares: the error body, a JSON extractor whose rejections
//! use that body, Prometheus metrics per matched route, request ids, the operations endpoints
//! and graceful serving.

pub mod body_limit;
pub mod error;
pub mod extract;
pub mod jwt;
pub mod metrics;
pub mod nul;
pub mod ops;
pub mod request_id;
pub mod serve;
pub mod telemetry;

pub use bilten_api::ErrorCode;
pub use error::{ApiError, ApiResult};
pub use extract::{Json, Query};
pub use metrics::HttpMetrics;
pub use ops::{ops_router, Readiness};
pub use serve::{bind, serve};

use axum::Router;

/// Wraps a role's router with what every role has: request ids, metrics, panic catching,
/// a JSON 404 for unknown routes and the body limit (a declared length over it is refused
/// before any route runs, in a way the client can read: [`body_limit`]).
pub fn standard_layers(router: Router, metrics: &HttpMetrics, body_limit: usize) -> Router {
    use tower_http::catch_panic::CatchPanicLayer;

    router
        .fallback(error::not_found_fallback)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            body_limit,
            body_limit::refuse_oversized,
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            metrics.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn(request_id::propagate))
}
