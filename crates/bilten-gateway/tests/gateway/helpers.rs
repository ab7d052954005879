//! Real servers on 127.0.0.1 port 0: small axum upstreams that can be killed and restarted
//! on the same port, and gateways built exactly as the binary builds them.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use bilten_cache::Cache;
use bilten_config::Config;
use bilten_gateway::{GatewaySettings, UpstreamDefaults};
use bilten_http::jwt::AccessTokens;
use bilten_http::HttpMetrics;
use http_body_util::BodyExt;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

pub const JWT_SECRET: &str = "test-access-secret-test-access-secret";

// ---------------------------------------------------------------------------------------
// Upstreams
// ---------------------------------------------------------------------------------------

#[derive(Clone)]
struct UpstreamState {
    name: String,
    hits: Arc<AtomicUsize>,
    ready: Arc<AtomicBool>,
}

/// A replica: answers `/ready`, echoes, streams, sleeps on request. `kill` drops the listener
/// and every open connection at once, like a process dying.
pub struct Upstream {
    pub addr: SocketAddr,
    state: UpstreamState,
    alive: Option<CancellationToken>,
    /// Set for a replica that only speaks TLS (see `start_tls`).
    tls: Option<TlsAcceptor>,
}

/// The header a TLS replica adds to each request it receives: the server name (SNI) the
/// client asked for in the handshake.
pub const SNI_SEEN: &str = "x-test-sni";

impl Upstream {
    pub async fn start(name: &str) -> Self {
        Self::start_with(name, None).await
    }

    /// A replica behind TLS only, as `https://localhost:<port>`, with a fresh self-signed
    /// certificate for `localhost`; returns it with that certificate as PEM (what
    /// `GATEWAY_UPSTREAM_CA_FILE` must hold for the gateway to trust it).
    pub async fn start_tls(name: &str) -> (Self, String) {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        (Self::start_with(name, Some(acceptor)).await, cert.pem())
    }

    async fn start_with(name: &str, tls: Option<TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = UpstreamState {
            name: name.to_owned(),
            hits: Arc::default(),
            ready: Arc::new(AtomicBool::new(true)),
        };
        let mut upstream = Self {
            addr,
            state,
            alive: None,
            tls,
        };
        upstream.serve(listener);
        upstream
    }

    pub fn url(&self) -> String {
        match self.tls {
            Some(_) => format!("https://localhost:{}", self.addr.port()),
            None => format!("http://{}", self.addr),
        }
    }

    /// Requests served, other than `/ready` and `/health`.
    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    pub fn set_ready(&self, ready: bool) {
        self.state.ready.store(ready, Ordering::SeqCst);
    }

    pub fn kill(&mut self) {
        if let Some(alive) = self.alive.take() {
            alive.cancel();
        }
    }

    /// Starts again on the same port.
    pub async fn restart(&mut self) {
        self.kill();
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        self.serve(listener);
    }

    fn serve(&mut self, listener: TcpListener) {
        let alive = CancellationToken::new();
        self.alive = Some(alive.clone());
        let router = upstream_router(self.state.clone());
        let tls = self.tls.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    () = alive.cancelled() => return,
                    accepted = listener.accept() => match accepted {
                        Ok(accepted) => accepted,
                        Err(_) => continue,
                    },
                };
                let router = router.clone();
                let alive = alive.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => serve_connection(stream, router, alive, None).await,
                        Some(acceptor) => {
                            // A client that does not complete the handshake gets nothing.
                            let Ok(stream) = acceptor.accept(stream).await else {
                                return;
                            };
                            let sni = stream.get_ref().1.server_name().map(str::to_owned);
                            serve_connection(stream, router, alive, sni).await;
                        }
                    }
                });
            }
        });
    }
}

/// Serves one connection until it ends or the replica is killed; with `sni`, each request
/// carries it in [`SNI_SEEN`].
async fn serve_connection<S>(
    stream: S,
    router: Router,
    alive: CancellationToken,
    sni: Option<String>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let sni = sni.and_then(|name| HeaderValue::from_str(&name).ok());
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let mut request = request.map(Body::new);
        if let Some(sni) = &sni {
            request.headers_mut().insert(SNI_SEEN, sni.clone());
        }
        router.clone().oneshot(request)
    });
    let builder = Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        () = alive.cancelled() => {}
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.kill();
    }
}

fn upstream_router(state: UpstreamState) -> Router {
    let counted =
        Router::new()
            .route("/api/v1/events/headers", any(headers))
            .route("/headers", any(headers))
            .route("/whoami", any(whoami))
            .route("/api/v1/whoami", any(whoami))
            .route("/api/v1/checkin/whoami", any(whoami))
            .route("/echo", any(echo))
            .route("/api/v1/echo", any(echo))
            .route("/count", any(count))
            .route("/big", get(big))
            .route("/chunked", get(chunked))
            .route("/slow", any(slow))
            .route("/api/v1/slow", any(slow))
            .route("/hop", get(hop))
            .fallback(whoami)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                |State(state): State<UpstreamState>,
                 request: Request,
                 next: axum::middleware::Next| async move {
                    state.hits.fetch_add(1, Ordering::SeqCst);
                    next.run(request).await
                },
            ));
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .merge(counted)
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::disable())
}

async fn ready(State(state): State<UpstreamState>) -> StatusCode {
    if state.ready.load(Ordering::SeqCst) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn whoami(State(state): State<UpstreamState>) -> String {
    state.name.clone()
}

/// What the upstream received: method, URI, headers (name → values) and body length.
async fn headers(State(state): State<UpstreamState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in &parts.headers {
        map.entry(name.as_str().to_owned())
            .or_default()
            .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    let mut response = axum::Json(serde_json::json!({
        "upstream": state.name,
        "method": parts.method.as_str(),
        "uri": parts.uri.to_string(),
        "headers": map,
        "body_len": body.len(),
    }))
    .into_response();
    let h = response.headers_mut();
    h.append("set-cookie", HeaderValue::from_static("a=1; Path=/"));
    h.append("set-cookie", HeaderValue::from_static("b=2; Path=/"));
    h.insert("x-upstream-custom", HeaderValue::from_static("passed"));
    response
}

/// Streams the request body straight back.
async fn echo(request: Request) -> Response {
    let content_type = request.headers().get("content-type").cloned();
    let mut response = Response::new(request.into_body());
    if let Some(value) = content_type {
        response.headers_mut().insert("content-type", value);
    }
    response
}

/// Reads the whole body, then answers with its length and checksum.
async fn count(body: Bytes) -> String {
    format!("{} {}", body.len(), checksum(&body))
}

/// `size` deterministic bytes.
async fn big(Query(query): Query<HashMap<String, usize>>) -> Vec<u8> {
    pattern(query.get("size").copied().unwrap_or(1024))
}

/// Ten chunks of 1000 bytes, a few milliseconds apart, without a Content-Length.
async fn chunked() -> Response {
    let stream = futures_stream(10, 1000);
    Response::new(Body::from_stream(stream))
}

fn futures_stream(
    chunks: usize,
    size: usize,
) -> impl futures::Stream<Item = Result<Bytes, Infallible>> {
    futures::stream::unfold(0, move |i| async move {
        if i == chunks {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        let chunk = Bytes::from(vec![b'a' + (i % 26) as u8; size]);
        Some((Ok(chunk), i + 1))
    })
}

/// Sleeps `ms` before answering.
async fn slow(
    State(state): State<UpstreamState>,
    Query(query): Query<HashMap<String, u64>>,
) -> String {
    tokio::time::sleep(Duration::from_millis(query.get("ms").copied().unwrap_or(0))).await;
    state.name.clone()
}

/// A response carrying hop-by-hop headers the gateway must not pass on.
async fn hop() -> Response {
    let mut response = "hop".into_response();
    let h = response.headers_mut();
    h.insert("connection", HeaderValue::from_static("x-hop-resp"));
    h.insert("x-hop-resp", HeaderValue::from_static("1"));
    h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
    h.insert("proxy-authenticate", HeaderValue::from_static("Basic"));
    h.insert("x-end-to-end", HeaderValue::from_static("1"));
    response
}

/// Deterministic, non-repeating-looking bytes (xorshift), so a misplaced chunk shows.
pub fn pattern(size: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(size);
    while out.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(size);
    out
}

pub fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------------------
// Gateways
// ---------------------------------------------------------------------------------------

pub fn config() -> Config {
    let env: HashMap<&str, String> = [
        ("JWT_ACCESS_SECRET", JWT_SECRET.to_owned()),
        (
            "JWT_REFRESH_SECRET",
            "test-refresh-secret-test-refresh-secret".to_owned(),
        ),
        ("PUBLIC_URL", "https://tickets.example.com".to_owned()),
    ]
    .into_iter()
    .collect();
    Config::from_lookup(|name| env.get(name).cloned()).unwrap()
}

pub fn tokens() -> AccessTokens {
    AccessTokens::new(JWT_SECRET.as_bytes(), Duration::from_mins(15))
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A gateway on its own port, served by `bilten_gateway::serve`.
pub struct Gateway {
    pub addr: SocketAddr,
    pub metrics: HttpMetrics,
    shutdown: CancellationToken,
}

/// Variables for a gateway in front of the given upstreams (one list per group). Health
/// checks are fast so tests see state changes within a second; rate limits are off unless a
/// test sets `GATEWAY_RATE_LIMITS` itself (see `with`).
pub fn env_for(
    backend: &[&Upstream],
    scanner: &[&Upstream],
    frontend: &[&Upstream],
) -> Vec<(String, String)> {
    let urls = |list: &[&Upstream]| list.iter().map(|u| u.url()).collect::<Vec<_>>().join(",");
    vec![
        ("GATEWAY_UPSTREAMS_BACKEND".to_owned(), urls(backend)),
        ("GATEWAY_UPSTREAMS_SCANNER".to_owned(), urls(scanner)),
        ("GATEWAY_UPSTREAMS_FRONTEND".to_owned(), urls(frontend)),
        ("GATEWAY_HEALTH_INTERVAL".to_owned(), "100ms".to_owned()),
        ("GATEWAY_HEALTH_TIMEOUT".to_owned(), "500ms".to_owned()),
        ("GATEWAY_HEALTH_RISE".to_owned(), "2".to_owned()),
        ("GATEWAY_HEALTH_FALL".to_owned(), "2".to_owned()),
        ("GATEWAY_RATE_LIMITS".to_owned(), "off".to_owned()),
    ]
}

/// `env` with `extra` variables set (replacing any of the same name).
pub fn with(mut env: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    for (name, value) in extra {
        env.retain(|(n, _)| n != name);
        env.push(((*name).to_owned(), (*value).to_owned()));
    }
    env
}

impl Gateway {
    pub async fn start(env: &[(String, String)]) -> Self {
        Self::start_with_cache(env, Cache::memory(format!("gw-test-{}:", unique()))).await
    }

    pub async fn start_with_cache(env: &[(String, String)], cache: Cache) -> Self {
        let vars: HashMap<String, String> = env.iter().cloned().collect();
        let settings =
            GatewaySettings::from_lookup(&config(), &UpstreamDefaults::default(), |name| {
                vars.get(name).cloned()
            })
            .unwrap();
        let timeouts = settings.server_timeouts();
        let metrics = HttpMetrics::new();
        let shutdown = CancellationToken::new();
        let router =
            bilten_gateway::build(settings, cache, tokens(), metrics.clone(), shutdown.clone())
                .await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(bilten_gateway::serve(
            listener,
            router,
            shutdown.clone(),
            timeouts,
        ));
        Self {
            addr,
            metrics,
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The value of one counter or gauge sample of `/metrics`, e.g.
    /// `bilten_upstream_healthy{group="backend",upstream="127.0.0.1:1234"}`.
    pub fn metric(&self, sample: &str) -> Option<u64> {
        self.metrics.render().lines().find_map(|line| {
            let rest = line.strip_prefix(sample)?;
            rest.strip_prefix(' ')?.trim().parse().ok()
        })
    }

    /// Waits until the gateway's `/ready` answers 200 (every group has a checked replica).
    pub async fn wait_ready(&self) {
        let client = http_client();
        for _ in 0..100 {
            if let Ok(response) = client.get(self.url("/ready")).send().await {
                if response.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("gateway never became ready");
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A process-wide unique suffix for keys and prefixes.
pub fn unique() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        now(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// Polls `condition` every 50 ms for up to `within`.
pub async fn eventually(within: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    condition()
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
