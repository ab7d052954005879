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
mod standard;
pub mod telemetry;

pub use bilten_api::ErrorCode;
pub use error::{ApiError, ApiResult};
pub use extract::{Json, Query};
pub use metrics::HttpMetrics;
pub use ops::{ops_router, Readiness};
pub use serve::{bind, serve};

use std::convert::Infallible;

use axum::extract::Request;
use axum::response::Response;
use axum::routing::Route;
use axum::Router;
use tower::layer::util::Identity;
use tower::{Layer, Service, ServiceBuilder};

/// Wraps a role's router with what every role has: request ids, metrics, panic catching,
/// a JSON 404 for unknown routes and the body limit (a declared length over it is refused
/// before any route runs, in a way the client can read: [`body_limit`]).
pub fn standard_layers(router: Router, metrics: &HttpMetrics, body_limit: usize) -> Router {
    standard_layers_with(router, metrics, body_limit, Identity::new())
}

/// [`standard_layers`] with a role's own layer (the gateway's CORS) innermost.
///
/// All of them are applied in one `Router::layer` call: each call wraps every route in
/// another boxed service, whose future is boxed again on every request, so stacking them
/// here instead of layer by layer saves an allocation and an indirection per layer per
/// request (measurable on the gateway, where the proxied work itself is small).
pub fn standard_layers_with<L>(
    router: Router,
    metrics: &HttpMetrics,
    body_limit: usize,
    inner: L,
) -> Router
where
    L: Layer<Route> + Clone + Send + Sync + 'static,
    L::Service:
        Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request>>::Future: Send + 'static,
{
    use tower_http::catch_panic::CatchPanicLayer;

    let stack = ServiceBuilder::new()
        .layer(standard::StandardLayer {
            metrics: metrics.clone(),
            body_limit,
        })
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(inner);
    router
        .fallback(error::not_found_fallback)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(stack)
}
