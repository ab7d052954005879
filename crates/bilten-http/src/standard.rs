//! The one middleware every role's routes run inside: request id, body-limit refusal,
//! metrics and the access log, in a single service.
//!
//! They used to be three `axum::middleware::from_fn` layers. Each of those clones and boxes
//! the inner service and boxes its own future on every request; on the gateway, whose own
//! work per request is small, that bookkeeping was a fifth of its CPU. One hand-written
//! service does the same work with one boxed future.
//!
//! Per request, in order:
//! 1. the request id: the caller's `X-Request-Id` when sane, a new one otherwise, put on the
//!    request ([`RequestId`]) and on the tracing span of everything the request does;
//! 2. a declared body over the role's limit is refused before any handler runs
//!    ([`crate::body_limit`]);
//! 3. the answer is counted by matched route (`http_requests_total`,
//!    `http_request_duration_seconds`), logged on one line (target `access`; probes and
//!    scrapes at debug) and given the `X-Request-Id` header.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};
use tracing::Instrument;

use crate::request_id::{self, RequestId, QUIET_ROUTES};
use crate::{body_limit, HttpMetrics};

/// Layer for [`Standard`].
#[derive(Clone)]
pub(crate) struct StandardLayer {
    pub metrics: HttpMetrics,
    pub body_limit: usize,
}

impl<S> Layer<S> for StandardLayer {
    type Service = Standard<S>;

    fn layer(&self, inner: S) -> Standard<S> {
        Standard {
            inner,
            metrics: self.metrics.clone(),
            body_limit: self.body_limit,
        }
    }
}

/// See the module documentation.
#[derive(Clone)]
pub(crate) struct Standard<S> {
    inner: S,
    metrics: HttpMetrics,
    body_limit: usize,
}

impl<S> Service<Request> for Standard<S>
where
    S: Service<Request, Error = Infallible> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let started = Instant::now();
        // The clone that was polled ready takes the request (tower's rule for services that
        // are called from a future); this one stays behind for the next request.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let metrics = self.metrics.clone();
        let oversized = body_limit::declares_over(&request, self.body_limit);

        let id = request_id::for_request(request.headers());
        request.extensions_mut().insert(RequestId(id.clone()));
        // Allocation-free owned labels: standard methods are enum variants and a matched
        // path is an `Arc<str>`.
        let method = request.method().clone();
        let matched = request.extensions().get::<MatchedPath>().cloned();
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = %method,
            route = matched.as_ref().map_or("-", MatchedPath::as_str),
        );

        Box::pin(async move {
            let answer = async move {
                if oversized {
                    body_limit::refuse(request).await
                } else {
                    match inner.call(request).await {
                        Ok(response) => response.into_response(),
                        Err(never) => match never {},
                    }
                }
            };
            let mut response = answer.instrument(span).await;
            let route = matched.as_ref().map_or("-", MatchedPath::as_str);
            let endpoint = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
            let elapsed = started.elapsed();
            let status = response.status();
            metrics.observe(method.as_str(), endpoint, status, elapsed);
            let latency_ms = elapsed.as_secs_f64() * 1000.0;
            let status = status.as_u16();
            if QUIET_ROUTES.contains(&route) {
                tracing::debug!(target: "access", request_id = %id, method = %method, route, status, latency_ms, "request");
            } else {
                tracing::info!(target: "access", request_id = %id, method = %method, route, status, latency_ms, "request");
            }
            if let Ok(value) = HeaderValue::try_from(id) {
                response.headers_mut().insert(request_id::HEADER, value);
            }
            Ok(response)
        })
    }
}
