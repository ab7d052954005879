//! Sending one request to a group: pick a replica, send, and on failure decide whether
//! another replica may get it.
//!
//! A retry goes to a different replica, and only when it cannot do harm:
//! - the method is idempotent (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT, DELETE) and
//!   no byte of the request body has been read yet, or
//! - the connection was never established, so the replica saw nothing at all.
//!
//! A POST whose connection broke after it was sent is never retried: the order may exist.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::uri::{PathAndQuery, Scheme};
use axum::http::{header, request, Method, Request, Response, StatusCode, Uri, Version};
use axum::response::IntoResponse;
use bilten_http::ApiError;
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::{BodyState, ClientBodyFailure, Replayable, ResponseBody};
use crate::headers::strip_hop_by_hop;
use crate::metrics::GatewayMetrics;
use crate::settings::values::UpstreamUrl;
use crate::settings::{EjectionSettings, Timeouts};
use crate::tls::UpstreamTls;
use crate::upstream::{FailureKind, InFlight, Pool, Upstream};

/// The pooled HTTP/1.1 clients every request and health check goes through (keep-alive
/// connections are what make the extra hop cheap): one for `http://` replicas, one for
/// `https://` ones. Two clients rather than one TLS-capable client keeps the plain path's
/// connections exactly as they were, with no TLS wrapper around every read and write.
#[derive(Clone)]
pub(crate) struct Clients {
    http: Client<HttpConnector, Body>,
    https: Client<HttpsConnector<HttpConnector>, Body>,
}

impl Clients {
    pub(crate) fn new(timeouts: &Timeouts, tls: &UpstreamTls) -> Self {
        let http = pooled(tcp_connector(timeouts, true));
        // The TLS connector takes the server name (SNI, certificate check) from the URI.
        let https = pooled(
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls.client_config())
                .https_only()
                .enable_http1()
                .wrap_connector(tcp_connector(timeouts, false)),
        );
        Self { http, https }
    }

    /// Sends `request` (whose URI has `url`'s scheme) through the client for its scheme.
    pub(crate) fn request(&self, url: &UpstreamUrl, request: Request<Body>) -> ResponseFuture {
        if url.https {
            self.https.request(request)
        } else {
            self.http.request(request)
        }
    }
}

/// TCP to a replica; `plain_only` refuses `https://` URIs (the TLS connector wraps one that
/// does not).
fn tcp_connector(timeouts: &Timeouts, plain_only: bool) -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(timeouts.connect));
    connector.set_nodelay(true);
    connector.set_keepalive(Some(Duration::from_mins(1)));
    connector.enforce_http(plain_only);
    connector
}

fn pooled<C>(connector: C) -> Client<C, Body>
where
    C: hyper_util::client::legacy::connect::Connect + Clone,
{
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_mins(1))
        .pool_max_idle_per_host(256)
        .build(connector)
}

/// The request as it goes to every attempt.
pub(crate) struct Outgoing {
    pub parts: request::Parts,
    pub body: Replayable,
    pub body_state: Arc<BodyState>,
}

/// What came back, for the access log.
pub(crate) struct Served {
    pub response: Response<Body>,
    pub upstream: Option<Arc<Upstream>>,
}

pub(crate) struct Forwarder {
    pub clients: Clients,
    pub timeouts: Timeouts,
    pub retries: u32,
    pub ejection: EjectionSettings,
    pub metrics: GatewayMetrics,
}

/// Responses with a declared length up to this are read whole before the client gets them.
/// The client then gets head and body in one write instead of two with a wake-up between
/// them (the largest single cost of proxying a small API answer), and a replica that fails
/// mid-body yields a clean 502 — or, for an idempotent request, a retry — instead of a
/// truncated answer. Larger, unknown-length (chunked) and streaming answers pass through
/// frame by frame.
const BUFFERED_RESPONSE_MAX: u64 = 64 * 1024;

enum Failure {
    Connect(hyper_util::client::legacy::Error),
    Timeout,
    Broken(Box<dyn std::error::Error + Send + Sync>),
    Client(ClientBodyFailure),
}

impl std::fmt::Display for Failure {
    /// The error with its causes: hyper's own message ("client error (Connect)") hides the
    /// useful part ("Connection refused") in the source chain.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let error: &dyn std::error::Error = match self {
            Self::Timeout => return f.write_str("timed out waiting for the response"),
            Self::Client(failure) => return write!(f, "client body failed: {failure:?}"),
            Self::Connect(error) => error,
            Self::Broken(error) => error.as_ref(),
        };
        write!(f, "{error}")?;
        let mut source = error.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl Forwarder {
    pub(crate) async fn forward(&self, pool: &Pool, outgoing: Outgoing) -> Served {
        let idempotent = is_idempotent(&outgoing.parts.method);
        let path_and_query = outgoing
            .parts
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let mut tried: Vec<usize> = Vec::new();
        let mut last_failure: Option<Failure> = None;
        let mut last_upstream = None;
        while let Some(index) = pool.pick(&tried) {
            tried.push(index);
            let upstream = pool.upstreams[index].clone();
            let in_flight = InFlight::start(upstream.clone());
            let request = Self::build_request(&outgoing, &upstream, &path_and_query);
            let started = Instant::now();
            let labels = [upstream.group.as_str(), upstream.url.label()];
            let outcome = match self
                .send(&upstream.url, request, &outgoing.body_state)
                .await
            {
                Ok(response) => {
                    self.metrics
                        .upstream_duration
                        .with_label_values(&labels)
                        .observe(started.elapsed().as_secs_f64());
                    self.receive(response, in_flight).await
                }
                Err(failure) => Err(failure),
            };
            match outcome {
                Ok(response) => {
                    self.count(&upstream, response.status().as_str());
                    upstream.record_success();
                    return Served {
                        response,
                        upstream: Some(upstream),
                    };
                }
                Err(Failure::Client(failure)) => {
                    // The client's fault, not the replica's: no ejection, no retry.
                    return Served {
                        response: client_body_error(failure).into_response(),
                        upstream: Some(upstream),
                    };
                }
                Err(failure) => {
                    let (kind, status) = match &failure {
                        Failure::Connect(_) => (FailureKind::Connect, "connect_error"),
                        Failure::Timeout => (FailureKind::Timeout, "timeout"),
                        _ => (FailureKind::Broken, "error"),
                    };
                    self.count(&upstream, status);
                    upstream.record_failure(kind, &self.ejection);
                    let retry = tried.len() <= self.retries as usize
                        && outgoing.body.untouched()
                        && (idempotent || kind == FailureKind::Connect);
                    tracing::warn!(
                        group = %upstream.group,
                        upstream = upstream.url.label(),
                        error = %failure,
                        retry,
                        "upstream request failed"
                    );
                    last_failure = Some(failure);
                    last_upstream = Some(upstream);
                    if !retry {
                        break;
                    }
                    self.metrics
                        .retries
                        .with_label_values(&[pool.group.as_str()])
                        .inc();
                }
            }
        }
        let error = match last_failure {
            None => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                bilten_http::ErrorCode::NoHealthyUpstream,
                "No healthy server can take this request right now; try again shortly.",
            )
            .with_retry_after(2),
            Some(Failure::Timeout) => ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                bilten_http::ErrorCode::UpstreamTimeout,
                "The server took too long to answer.",
            ),
            Some(_) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                bilten_http::ErrorCode::BadGateway,
                "The server could not be reached or gave no valid answer.",
            ),
        };
        Served {
            response: error.into_response(),
            upstream: last_upstream,
        }
    }

    fn count(&self, upstream: &Upstream, status: &str) {
        self.metrics
            .upstream_requests
            .with_label_values(&[upstream.group.as_str(), upstream.url.label(), status])
            .inc();
    }

    fn build_request(
        outgoing: &Outgoing,
        upstream: &Upstream,
        path_and_query: &PathAndQuery,
    ) -> Request<Body> {
        // Cannot fail: scheme, authority and path all come from already parsed values.
        let uri = Uri::builder()
            .scheme(if upstream.url.https {
                Scheme::HTTPS
            } else {
                Scheme::HTTP
            })
            .authority(upstream.url.authority.clone())
            .path_and_query(path_and_query.clone())
            .build()
            .unwrap_or_default();
        let mut request = Request::new(outgoing.body.attempt());
        *request.method_mut() = outgoing.parts.method.clone();
        *request.uri_mut() = uri;
        // Upstreams speak HTTP/1.1 whatever the client spoke to us.
        *request.version_mut() = Version::HTTP_11;
        *request.headers_mut() = outgoing.parts.headers.clone();
        // An https replica behind a front end that routes by host name gets its own; the
        // client's stays in `X-Forwarded-Host`. Plain replicas keep the client's `Host`.
        if let Some(host) = upstream.url.own_host() {
            request.headers_mut().insert(header::HOST, host.clone());
        }
        request
    }

    /// Sends and waits for the response headers. The upstream timeout runs from the later of
    /// sending and the client's last upload progress, so a slow upload is the body timeout's
    /// business, not counted against the replica.
    async fn send(
        &self,
        url: &UpstreamUrl,
        request: Request<Body>,
        body: &BodyState,
    ) -> Result<Response<Incoming>, Failure> {
        let limit = self.timeouts.upstream;
        let response = self.clients.request(url, request);
        tokio::pin!(response);
        let mut deadline = tokio::time::Instant::now() + limit;
        let outcome = loop {
            tokio::select! {
                outcome = &mut response => break outcome,
                () = tokio::time::sleep_until(deadline) => {
                    let resumed = tokio::time::Instant::from_std(body.last_activity()) + limit;
                    if resumed > tokio::time::Instant::now() && body.failure().is_none() {
                        deadline = resumed;
                    } else {
                        return Err(Failure::Timeout);
                    }
                }
            }
        };
        outcome.map_err(|error| match body.failure() {
            Some(failure) => Failure::Client(failure),
            None if error.is_connect() => Failure::Connect(error),
            None => Failure::Broken(error.into()),
        })
    }

    /// The response for the client: small ones read whole (see [`BUFFERED_RESPONSE_MAX`]),
    /// the rest streamed, keeping the replica's in-flight count until the body is done.
    async fn receive(
        &self,
        response: Response<Incoming>,
        in_flight: InFlight,
    ) -> Result<Response<Body>, Failure> {
        let (mut parts, incoming) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        let small = incoming
            .size_hint()
            .exact()
            .is_some_and(|length| length <= BUFFERED_RESPONSE_MAX);
        if !small {
            let body = ResponseBody::new(incoming, self.timeouts.upstream, in_flight);
            return Ok(Response::from_parts(parts, Body::new(body)));
        }
        match tokio::time::timeout(self.timeouts.upstream, incoming.collect()).await {
            Ok(Ok(collected)) => Ok(Response::from_parts(
                parts,
                Body::from(collected.to_bytes()),
            )),
            Ok(Err(error)) => Err(Failure::Broken(error.into())),
            Err(_) => Err(Failure::Timeout),
        }
    }
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

fn client_body_error(failure: ClientBodyFailure) -> ApiError {
    match failure {
        ClientBodyFailure::TooLarge => payload_too_large(),
        ClientBodyFailure::Stalled => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            bilten_http::ErrorCode::RequestTimeout,
            "The request body arrived too slowly.",
        ),
        ClientBodyFailure::Aborted => ApiError::bad_request(
            bilten_http::ErrorCode::BadRequest,
            "The request body could not be read.",
        ),
    }
}

pub(crate) fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        bilten_http::ErrorCode::PayloadTooLarge,
        "The request body is too large.",
    )
}
