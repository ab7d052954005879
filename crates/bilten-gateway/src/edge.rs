//! One request through the gateway, in order: who is calling, rate limit, auth, size check,
//! forward, then the headers every answer gets and one access-log line.
//!
//! The rate limit comes before auth on purpose: guessing tokens or passwords costs budget.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use bilten_http::jwt::AccessTokens;
use bilten_http::request_id::{RequestId, HEADER as REQUEST_ID};
use bilten_http::ApiError;

use crate::access::{AccessPolicy, Caller};
use crate::body::{GuardedBody, Replayable};
use crate::client::ClientInfo;
use crate::forward::{payload_too_large, Forwarder, Outgoing};
use crate::headers::{add_security_headers, strip_hop_by_hop};
use crate::limits::Limiter;
use crate::metrics::GatewayMetrics;
use crate::routes::Group;
use crate::settings::values::Cidr;
use crate::upstream::Pool;

pub(crate) struct Gateway {
    /// Indexed by `Group::index`.
    pub pools: Vec<Arc<Pool>>,
    pub forwarder: Forwarder,
    pub limiter: Limiter,
    pub access: AccessPolicy,
    pub tokens: AccessTokens,
    pub trusted_proxies: Vec<Cidr>,
    pub max_body: usize,
    pub client_body_timeout: Duration,
    pub metrics: GatewayMetrics,
}

impl Gateway {
    pub(crate) async fn handle(&self, group: Group, request: Request) -> Response {
        let started = Instant::now();
        let (mut parts, body) = request.into_parts();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        let client = ClientInfo::resolve(&parts.headers, peer, &self.trusted_proxies);
        let method = parts.method.clone();
        let uri = parts.uri.clone();
        let path = uri.path();
        let api = path.starts_with("/api/") || path == "/api";

        let caller = Caller::identify(&parts.headers, &self.tokens);
        let decision = self
            .limiter
            .check(&method, path, client.ip, caller.user())
            .await;
        let mut upstream = None;
        let mut response = match &decision {
            Some(decision) if !decision.allowed() => {
                self.metrics
                    .rate_limited
                    .with_label_values(&[decision.rule, decision.scope])
                    .inc();
                ApiError::too_many_requests(decision.reset_secs()).into_response()
            }
            _ => match self.access.reject(&method, path, &caller) {
                Some(unauthorized) => unauthorized,
                None if declared_length(&parts.headers).is_some_and(|n| n > self.max_body) => {
                    payload_too_large().into_response()
                }
                None => {
                    prepare_headers(&mut parts, &client);
                    let (body, body_state) =
                        GuardedBody::new(body, self.max_body, self.client_body_timeout);
                    let outgoing = Outgoing {
                        parts,
                        body: Replayable::new(body),
                        body_state,
                    };
                    let served = self
                        .forwarder
                        .forward(&self.pools[group.index()], outgoing)
                        .await;
                    upstream = served.upstream;
                    served.response
                }
            },
        };

        if let Some(decision) = &decision {
            decision.write_headers(response.headers_mut());
        }
        add_security_headers(response.headers_mut(), api, client.https);
        tracing::info!(
            method = %method,
            path = uri.path(),
            status = response.status().as_u16(),
            group = group.as_str(),
            upstream = upstream.as_ref().map(|u| u.url.label()),
            client_ip = client.ip.map(tracing::field::display),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "gateway"
        );
        response
    }
}

/// `Content-Length`, when the client declared one.
fn declared_length(headers: &axum::http::HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The upstream's view of the request: hop-by-hop headers gone, forwarding headers vouched
/// for by the gateway, the request id carried along, and the client's `Host` kept (the
/// frontend builds absolute links from it).
fn prepare_headers(parts: &mut axum::http::request::Parts, client: &ClientInfo) {
    let headers = &mut parts.headers;
    strip_hop_by_hop(headers);
    client.write_forwarded(headers);
    if let Some(RequestId(id)) = parts.extensions.get::<RequestId>() {
        if let Ok(value) = HeaderValue::from_str(id) {
            headers.insert(REQUEST_ID, value);
        }
    }
    if !headers.contains_key(header::HOST) {
        // HTTP/2 clients send the host as the `:authority` pseudo-header.
        if let Some(authority) = parts.uri.authority() {
            if let Ok(value) = HeaderValue::from_str(authority.as_str()) {
                headers.insert(header::HOST, value);
            }
        }
    }
}
