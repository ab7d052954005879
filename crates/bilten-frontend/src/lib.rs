//! The frontend role: Bilten's web app, rendered on the server.
//!
//! It talks to the backend only through the backend's public HTTP API (`api`), so it
//! deploys and scales as a service of its own and holds no database connection or token
//! secret. Every page works without JavaScript: links and forms, each form POST protected
//! against CSRF and answered with a redirect (or the form again, with its errors).
//!
//! Layout: `pages` maps URLs to handlers; handlers build markup from `views`; `session` knows
//! the visitor (auth and CSRF cookies); `assets` serves the fingerprinted stylesheet.

mod api;
mod assets;
mod format;
mod pages;
mod session;
mod views;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use bilten_http::{HttpMetrics, Readiness};

use crate::api::BackendApi;
use crate::session::{CookiePolicy, RefreshCoordinator};

/// What the frontend needs to run; the binary fills it from `bilten_config::Config`.
#[derive(Debug, Clone)]
pub struct FrontendSettings {
    /// Base URL of the backend, e.g. `http://127.0.0.1:3001` (the API is under `/api/v1`).
    pub backend_url: String,
    /// Where visitors reach this frontend, e.g. `https://tickets.example.com`.
    pub public_url: String,
    /// Mark cookies `Secure` (and `__Host-`): on whenever visitors come over HTTPS.
    pub secure_cookies: bool,
}

/// No inline script or style, nothing framed, forms post only here.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy for a page whose form may be redirected to `targets` (space-separated
/// sources): browsers apply `form-action` to the redirects that follow a post too.
pub(crate) fn content_security_policy_posting_to(targets: &str) -> String {
    CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'",
        &format!("form-action 'self' {targets}"),
    )
}

/// Form posts are a few hundred bytes; anything near this is not a browser filling a form.
const BODY_LIMIT: usize = 64 * 1024;

/// State shared by every handler.
#[derive(Clone)]
pub(crate) struct Frontend {
    api: BackendApi,
    cookies: CookiePolicy,
    refreshes: Arc<RefreshCoordinator>,
    /// The backend's origin: the test payment provider's hosted page is served there.
    backend_origin: Arc<str>,
    /// Where visitors reach this site, without a trailing slash: for absolute links
    /// (canonical and Open Graph URLs, structured data).
    public_url: Arc<str>,
}

/// The frontend's complete router: pages, static assets, `/health` `/ready` `/metrics`, the
/// standard layers, and HTML error pages.
///
/// # Panics
/// At start-up only, when the HTTP client cannot be built (no TLS roots on the machine).
#[expect(
    clippy::expect_used,
    reason = "a client that cannot be built is a startup failure, reported as a panic at start"
)]
pub fn router(settings: FrontendSettings, metrics: HttpMetrics) -> Router {
    let FrontendSettings {
        backend_url,
        public_url,
        secure_cookies,
    } = settings;
    let api = BackendApi::new(&backend_url).expect("the backend HTTP client builds");
    let cookies = CookiePolicy {
        secure: secure_cookies,
    };
    let state = Frontend {
        api: api.clone(),
        cookies,
        refreshes: Arc::default(),
        public_url: public_url.trim_end_matches('/').into(),
        backend_origin: origin_of(&backend_url).into(),
    };
    // Ready when the backend answers: without it no page but the home page could work.
    let readiness = Readiness::new().probe("backend", move || {
        let api = api.clone();
        async move { api.health().await }
    });
    let layered_metrics = metrics.clone();
    let app = pages::routes()
        .with_state(state)
        .merge(bilten_http::ops_router("frontend", readiness, metrics));
    bilten_http::standard_layers(app, &layered_metrics, BODY_LIMIT).layer(
        axum::middleware::from_fn_with_state(cookies, html_responses),
    )
}

/// `scheme://host:port` of a URL (the URL itself when it has no path).
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// Makes every response fit for a browser:
/// - the JSON error bodies of the shared layers (unknown route, wrong method, a panic) become
///   the friendly pages in the layout, keeping their status;
/// - HTML gets `Cache-Control: no-store` unless the handler chose otherwise, and the security
///   headers every page wants. `Referrer-Policy: same-origin` matters here: the reset and
///   verification pages carry a token in their URL, which must not leak to other sites.
async fn html_responses(
    State(cookies): State<CookiePolicy>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let chrome = session::chrome_from_headers(request.headers(), &path, cookies);
    let mut response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let status = response.status();
    let becomes_page = is_json
        && matches!(
            status,
            StatusCode::NOT_FOUND
                | StatusCode::METHOD_NOT_ALLOWED
                | StatusCode::PAYLOAD_TOO_LARGE
                | StatusCode::INTERNAL_SERVER_ERROR
        );
    if becomes_page {
        let request_id = response
            .headers()
            .get(bilten_http::request_id::HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let markup = views::error_page(status, &chrome, request_id.as_deref());
        let mut page = session::page_response(status, &markup);
        if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
            page.headers_mut()
                .insert(bilten_http::request_id::HEADER, id);
        }
        response = page;
    }
    let headers = response.headers_mut();
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_html {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
        // A page may widen `form-action` (the order page posts to a redirect that leaves for
        // the payment provider); every other page gets the strict default.
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        // Nothing is framed, but the embeddable checkout (`pages::embed`), whose policy
        // says `frame-ancestors *`.
        let frameable = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .is_some_and(|v| v.as_bytes().ends_with(b"frame-ancestors *"));
        if !frameable {
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
