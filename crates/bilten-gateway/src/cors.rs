//! CORS for the API only: pages and assets are same-origin, and answering CORS on them would
//! only widen what other sites can read.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, request, HeaderName, HeaderValue, Method};
use axum::response::Response;
use tower::{Layer, Service};
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};

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

/// CORS only where it can apply: a request without `Origin` (a same-origin page load, a
/// server-side client, a scanner) goes straight to the route, skipping the CORS middleware,
/// which otherwise builds its headers on every request (the gateway's largest single cost
/// per request after the proxying itself). Its answer still gets the `Vary` the middleware
/// would add, so a shared cache never serves it to a cross-origin request.
#[derive(Clone)]
pub(crate) struct WhenOrigin(pub CorsLayer);

impl<S: Clone> Layer<S> for WhenOrigin {
    type Service = MaybeCors<S>;

    fn layer(&self, inner: S) -> MaybeCors<S> {
        MaybeCors {
            cors: self.0.layer(inner.clone()),
            plain: inner,
        }
    }
}

#[derive(Clone)]
pub(crate) struct MaybeCors<S> {
    cors: Cors<S>,
    plain: S,
}

/// What `tower_http`'s CORS adds as `Vary` to every answer.
const VARY: HeaderValue = HeaderValue::from_static(
    "origin, access-control-request-method, access-control-request-headers",
);

impl<S> Service<Request> for MaybeCors<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Both wrap the same route, whose readiness is the route's.
        match self.plain.poll_ready(cx) {
            Poll::Ready(Ok(())) => self.cors.poll_ready(cx),
            other => other,
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.headers().contains_key(header::ORIGIN) {
            return Box::pin(self.cors.call(request));
        }
        let answer = self.plain.call(request);
        Box::pin(async move {
            let mut response = answer.await?;
            response.headers_mut().append(header::VARY, VARY);
            Ok(response)
        })
    }
}
