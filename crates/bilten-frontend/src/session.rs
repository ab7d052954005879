//! The visitor: their auth cookies, their CSRF token and who to tell the backend they are.
//!
//! **Auth cookies.** After a login the API's access and refresh tokens are kept in two
//! cookies, `HttpOnly` (no script can read them), `SameSite=Lax` (not sent on cross-site
//! POSTs) and, with `secure_cookies`, `Secure` plus the `__Host-` name prefix (which also forbids
//! a sibling subdomain from planting them). The access cookie expires with the token; when it
//! is gone or the backend says `token_expired`, the refresh token is spent for a new pair,
//! transparently. When the backend says the session ended, or the refresh fails, both cookies
//! are cleared and the visitor is asked to log in.
//!
//! **CSRF.** Double-submit: each browser gets a random 256-bit token in an `HttpOnly` cookie,
//! and every form carries the same value in a hidden `csrf_token` field. A POST is accepted
//! only when both are present and equal (compared in constant time). A cross-site attacker can
//! make the browser send the cookie but cannot read it to fill in the field. `SameSite=Lax` is
//! a second, independent barrier.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use bilten_api::ErrorCode;
use bilten_i18n::Locale;
use cookie::{Cookie, SameSite};
use maud::Markup;
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::api::{ApiError, BackendApi, Forwarded, Rejection, TokenPair};
use crate::views::{self, Chrome};
use crate::Frontend;

const ACCESS_COOKIE: &str = "bilten_access";
const REFRESH_COOKIE: &str = "bilten_refresh";
const CSRF_COOKIE: &str = "bilten_csrf";
/// A guest's recent orders and their access keys (`ord_…:ok_…|…`), so the payment page's
/// "see your order" link (which carries no key) still opens the order in this browser.
const ORDER_KEYS_COOKIE: &str = "bilten_orders";
/// The language the visitor chose with the language switcher (`en`, `de`, `es`).
pub const LANG_COOKIE: &str = "bilten_lang";
/// A language choice is kept for a year.
const LANG_COOKIE_LIFETIME: Duration = Duration::from_secs(365 * 86_400);
const ORDER_KEYS_KEPT: usize = 10;

/// How long the refresh cookie lives in the browser. The backend decides the real lifetime
/// (`JWT_REFRESH_EXPIRES_IN`, renewed on each rotation); a cookie that outlives its token only
/// costs one failed refresh.
const REFRESH_COOKIE_LIFETIME: Duration = Duration::from_secs(30 * 86_400);
/// The CSRF cookie outlives a browsing session so a form left open in a tab still posts.
const CSRF_COOKIE_LIFETIME: Duration = Duration::from_secs(30 * 86_400);

/// The API's codes that mean "this access token will not do; the refresh token might".
const REFRESHABLE: [ErrorCode; 2] = [ErrorCode::TokenExpired, ErrorCode::InvalidToken];
/// Codes that mean the visitor is not (or no longer) logged in.
const SIGNED_OUT: [ErrorCode; 6] = [
    ErrorCode::Unauthenticated,
    ErrorCode::InvalidToken,
    ErrorCode::TokenExpired,
    ErrorCode::SessionEnded,
    ErrorCode::InvalidRefreshToken,
    ErrorCode::RefreshTokenReused,
];

/// True for the API's codes that mean the visitor is not (or no longer) logged in.
pub fn means_signed_out(code: ErrorCode) -> bool {
    SIGNED_OUT.contains(&code)
}

/// Cookie names and attributes for one deployment.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
}

impl CookiePolicy {
    pub fn name(self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    fn build(self, base: &str, value: String, lifetime: Duration) -> Cookie<'static> {
        let mut cookie = Cookie::new(self.name(base), value);
        cookie.set_path("/");
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_secure(self.secure);
        cookie.set_max_age(cookie::time::Duration::seconds(
            i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX),
        ));
        cookie
    }

    fn removal(self, base: &str) -> Cookie<'static> {
        let mut cookie = self.build(base, String::new(), Duration::ZERO);
        cookie.make_removal();
        cookie
    }
}

/// The value of cookie `name` in a request's headers.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty())
}

/// The visitor's language: their explicit choice (the language switcher's cookie) first,
/// then the browser's `Accept-Language`, then English. Accounts keep no language of their
/// own yet; when they do, it belongs between the two (after the cookie, which is the choice
/// made on this very browser).
pub fn locale_from_headers(headers: &HeaderMap, policy: CookiePolicy) -> Locale {
    read_cookie(headers, &policy.name(LANG_COOKIE))
        .and_then(|code| Locale::parse(&code))
        .or_else(|| {
            let values = headers.get_all(header::ACCEPT_LANGUAGE);
            Locale::negotiate_all(values.iter().filter_map(|v| v.to_str().ok()))
        })
        .unwrap_or_default()
}

/// The cookie that keeps a language choice (not `HttpOnly`-sensitive, but set like the others).
pub fn language_cookie(policy: CookiePolicy, locale: Locale) -> Cookie<'static> {
    policy.build(LANG_COOKIE, locale.code().to_owned(), LANG_COOKIE_LIFETIME)
}

/// The layout's view of a request seen outside a handler (error pages from the middleware,
/// CSRF rejections).
pub fn chrome_from_headers(headers: &HeaderMap, path: &str, policy: CookiePolicy) -> Chrome {
    Chrome {
        signed_in: read_cookie(headers, &policy.name(REFRESH_COOKIE)).is_some(),
        csrf_token: None,
        path: path.to_owned(),
        query: None,
        locale: locale_from_headers(headers, policy),
    }
}

/// One request's visitor. Handlers end with [`Visit::respond`], which attaches any cookie
/// the request changed (a new CSRF token, refreshed or cleared auth tokens).
pub struct Visit {
    headers: HeaderMap,
    policy: CookiePolicy,
    pending_cookies: Vec<Cookie<'static>>,
    access_token: Option<String>,
    refresh_token: Option<String>,
    pub csrf_token: String,
    pub forwarded: Forwarded,
    pub path: String,
    /// The query string, so the language switcher comes back to the same page.
    pub query: Option<String>,
    /// The language this request is answered in.
    pub locale: Locale,
}

impl FromRequestParts<Frontend> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Frontend,
    ) -> Result<Self, Self::Rejection> {
        let policy = state.cookies;
        let headers = parts.headers.clone();
        let mut pending_cookies = Vec::new();
        let csrf_token = if let Some(token) = read_cookie(&headers, &policy.name(CSRF_COOKIE)) {
            token
        } else {
            let token = random_token();
            pending_cookies.push(policy.build(CSRF_COOKIE, token.clone(), CSRF_COOKIE_LIFETIME));
            token
        };
        let locale = locale_from_headers(&headers, policy);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(Self {
            access_token: read_cookie(&headers, &policy.name(ACCESS_COOKIE)),
            refresh_token: read_cookie(&headers, &policy.name(REFRESH_COOKIE)),
            forwarded: Forwarded {
                user_agent: headers
                    .get(header::USER_AGENT)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                client_ip: peer.map(|peer| client_ip(peer, &headers)),
                locale: Some(locale),
            },
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            locale,
            headers,
            policy,
            pending_cookies,
            csrf_token,
        })
    }
}

/// The browser's address: the TCP peer, or the last `X-Forwarded-For` hop when the peer is
/// our own proxy (the gateway, on loopback or a private network). The same rule as the
/// backend's, so throttling keys on the person whichever way the request came.
fn client_ip(peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let from_proxy = match peer {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    };
    if !from_proxy {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .next_back()
        .unwrap_or(peer)
}

/// 256 random bits as hex: CSRF tokens, idempotency keys.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Visit {
    /// A hint for navigation: a refresh cookie is present.
    pub fn signed_in(&self) -> bool {
        self.refresh_token.is_some()
    }

    pub fn chrome(&self) -> Chrome {
        Chrome {
            signed_in: self.signed_in(),
            csrf_token: Some(self.csrf_token.clone()),
            path: self.path.clone(),
            query: self.query.clone(),
            locale: self.locale,
        }
    }

    pub fn store_tokens(&mut self, tokens: &TokenPair) {
        self.pending_cookies.push(self.policy.build(
            ACCESS_COOKIE,
            tokens.access_token.clone(),
            Duration::from_secs(tokens.expires_in),
        ));
        self.pending_cookies.push(self.policy.build(
            REFRESH_COOKIE,
            tokens.refresh_token.clone(),
            REFRESH_COOKIE_LIFETIME,
        ));
        self.access_token = Some(tokens.access_token.clone());
        self.refresh_token = Some(tokens.refresh_token.clone());
    }

    /// Remembers a guest order's access key in this browser.
    pub fn remember_order_key(&mut self, order: &str, key: &str) {
        let name = self.policy.name(ORDER_KEYS_COOKIE);
        let current = read_cookie(&self.headers, &name).unwrap_or_default();
        let entries: Vec<String> = std::iter::once(format!("{order}:{key}"))
            .chain(
                current
                    .split('|')
                    .filter(|entry| !entry.is_empty() && !entry.starts_with(&format!("{order}:")))
                    .map(str::to_owned),
            )
            .take(ORDER_KEYS_KEPT)
            .collect();
        self.pending_cookies.push(self.policy.build(
            ORDER_KEYS_COOKIE,
            entries.join("|"),
            CSRF_COOKIE_LIFETIME,
        ));
    }

    /// The access key this browser holds for `order`, if any.
    pub fn order_key(&self, order: &str) -> Option<String> {
        let cookie = read_cookie(&self.headers, &self.policy.name(ORDER_KEYS_COOKIE))?;
        cookie.split('|').find_map(|entry| {
            let (id, key) = entry.split_once(':')?;
            (id == order).then(|| key.to_owned())
        })
    }

    /// Keeps `locale` as this browser's language and answers the rest of the request in it.
    pub fn choose_language(&mut self, locale: Locale) {
        self.pending_cookies
            .push(language_cookie(self.policy, locale));
        self.locale = locale;
    }

    pub fn forget_tokens(&mut self) {
        self.pending_cookies
            .push(self.policy.removal(ACCESS_COOKIE));
        self.pending_cookies
            .push(self.policy.removal(REFRESH_COOKIE));
        self.access_token = None;
        self.refresh_token = None;
    }

    /// Calls the API with the visitor's access token, refreshing it first when it is missing
    /// or when the backend calls it expired, and retrying once. Any answer that means the
    /// visitor is signed out clears the auth cookies.
    pub async fn authed<T, F, Fut>(&mut self, state: &Frontend, call: F) -> Result<T, ApiError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        let access = match self.access_token.clone() {
            Some(token) => token,
            None => self.refresh(state).await?,
        };
        let outcome = match call(access).await {
            Err(error) if error.code().is_some_and(|code| REFRESHABLE.contains(&code)) => {
                match self.refresh(state).await {
                    Ok(access) => call(access).await,
                    Err(error) => Err(error),
                }
            }
            outcome => outcome,
        };
        if let Err(error) = &outcome {
            if error.code().is_some_and(|code| SIGNED_OUT.contains(&code)) {
                self.forget_tokens();
            }
        }
        outcome
    }

    async fn refresh(&mut self, state: &Frontend) -> Result<String, ApiError> {
        let Some(refresh_token) = self.refresh_token.clone() else {
            return Err(ApiError::Rejected(Rejection {
                status: StatusCode::UNAUTHORIZED,
                code: ErrorCode::Unauthenticated,
                message: "Log in to continue.".to_owned(),
                fields: std::collections::BTreeMap::new(),
            }));
        };
        match state
            .refreshes
            .refresh(&state.api, &self.forwarded, &refresh_token)
            .await
        {
            Ok(tokens) => {
                self.store_tokens(&tokens);
                Ok(tokens.access_token)
            }
            Err(error) => {
                if matches!(error, ApiError::Rejected(_)) {
                    self.forget_tokens();
                }
                Err(error)
            }
        }
    }

    /// Finishes the request: the page (or error page) plus every cookie this request set.
    pub fn respond(self, outcome: Result<Response, PageError>) -> Response {
        let mut response = match outcome {
            Ok(response) => response,
            Err(error) => error.render(&self.chrome(), &self.headers),
        };
        for cookie in &self.pending_cookies {
            if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response
    }

    /// A full page in the layout, with status 200.
    pub fn page(&self, title: &str, description: &str, content: &Markup) -> Response {
        self.page_with_status(StatusCode::OK, title, description, content)
    }

    /// A full page in the layout with everything [`views::PageMeta`] can say.
    pub fn page_with_meta(
        &self,
        status: StatusCode,
        meta: &views::PageMeta<'_>,
        content: &Markup,
    ) -> Response {
        page_response(status, &views::layout(meta, &self.chrome(), content))
    }

    /// Like [`Visit::page`] with another status (a re-rendered form answers 422).
    pub fn page_with_status(
        &self,
        status: StatusCode,
        title: &str,
        description: &str,
        content: &Markup,
    ) -> Response {
        self.page_with_meta(status, &views::PageMeta::new(title, description), content)
    }
}

pub fn page_response(status: StatusCode, markup: &Markup) -> Response {
    (
        status,
        // Pages can show personal data: never stored by a shared cache, nor by the browser.
        [(header::CACHE_CONTROL, "no-store")],
        Html(markup.clone().into_string()),
    )
        .into_response()
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Not logged in, or no longer: go to the login page and come back here after.
    SignInRequired,
    NotFound,
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        match &error {
            ApiError::Rejected(rejection) if SIGNED_OUT.contains(&rejection.code) => {
                Self::SignInRequired
            }
            ApiError::Rejected(rejection) if rejection.status == StatusCode::NOT_FOUND => {
                Self::NotFound
            }
            _ => Self::Api(error),
        }
    }
}

impl PageError {
    fn render(self, chrome: &Chrome, headers: &HeaderMap) -> Response {
        let status = match self {
            Self::SignInRequired => {
                let query = serde_urlencoded::to_string([("next", chrome.path.as_str())])
                    .unwrap_or_default();
                return Redirect::to(&format!("/login?{query}")).into_response();
            }
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Api(ApiError::Unavailable(cause)) => {
                tracing::error!(%cause, "backend unavailable");
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Api(ApiError::Rejected(rejection)) => {
                tracing::error!(
                    status = %rejection.status,
                    code = %rejection.code,
                    "backend refused a call the page did not expect to fail"
                );
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let request_id = headers
            .get(bilten_http::request_id::HEADER)
            .and_then(|v| v.to_str().ok());
        page_response(status, &views::error_page(status, chrome, request_id))
    }
}

/// A form body whose CSRF token matched the visitor's cookie. Anything else is refused with
/// the 403 page before the handler runs.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct CsrfOnly {
    csrf_token: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<Frontend> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Frontend) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let path = request.uri().path().to_owned();
        let refuse = |status: StatusCode| {
            let chrome = chrome_from_headers(&headers, &path, state.cookies);
            page_response(status, &views::error_page(status, &chrome, None))
        };
        let cookie_token = read_cookie(&headers, &state.cookies.name(CSRF_COOKIE));
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| refuse(StatusCode::BAD_REQUEST))?;
        let submitted = serde_urlencoded::from_bytes::<CsrfOnly>(&body)
            .ok()
            .and_then(|form| form.csrf_token);
        let matches = match (cookie_token, submitted) {
            (Some(cookie), Some(field)) => bool::from(cookie.as_bytes().ct_eq(field.as_bytes())),
            _ => false,
        };
        if !matches {
            tracing::warn!(%path, "form refused: missing or mismatched CSRF token");
            return Err(refuse(StatusCode::FORBIDDEN));
        }
        serde_urlencoded::from_bytes::<T>(&body)
            .map(CsrfForm)
            .map_err(|_| refuse(StatusCode::BAD_REQUEST))
    }
}

/// Makes concurrent refreshes of one refresh token share one backend call.
///
/// Refresh tokens rotate and a reused one revokes its whole session (RFC 9700). A browser
/// that loads two pages at once after the access token expired would otherwise send the same
/// refresh token twice and log itself out. Within this process the second request waits for
/// the first and gets the same new pair (kept for a short grace period). Across frontend
/// replicas the race is still possible but needs two requests of one browser to land on two
/// replicas within milliseconds.
#[derive(Default)]
pub struct RefreshCoordinator {
    recent: Mutex<HashMap<[u8; 32], RefreshSlot>>,
}

/// One refresh token's refresh: in flight while locked, then its result and when it came.
type RefreshSlot = Arc<tokio::sync::Mutex<Option<(Instant, TokenPair)>>>;

/// How long a refresh's result is handed to other requests that present the same old token.
const REFRESH_GRACE: Duration = Duration::from_secs(30);

impl RefreshCoordinator {
    async fn refresh(
        &self,
        api: &BackendApi,
        caller: &Forwarded,
        refresh_token: &str,
    ) -> Result<TokenPair, ApiError> {
        // Keyed by a hash so the map never holds live credentials.
        let key: [u8; 32] = Sha256::digest(refresh_token.as_bytes()).into();
        let slot = {
            let mut recent = self
                .recent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            recent.retain(|_, slot| {
                Arc::strong_count(slot) > 1
                    || slot.try_lock().is_ok_and(|done| {
                        done.as_ref()
                            .is_some_and(|(at, _)| at.elapsed() < REFRESH_GRACE)
                    })
            });
            recent.entry(key).or_default().clone()
        };
        let mut slot = slot.lock().await;
        if let Some((at, tokens)) = slot.as_ref() {
            if at.elapsed() < REFRESH_GRACE {
                return Ok(tokens.clone());
            }
        }
        let tokens = api.refresh(caller, refresh_token).await?;
        *slot = Some((Instant::now(), tokens.clone()));
        Ok(tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_deployments_use_host_prefixed_secure_cookies() {
        let policy = CookiePolicy { secure: true };
        let cookie = policy
            .build(ACCESS_COOKIE, "token".to_owned(), Duration::from_secs(900))
            .to_string();
        assert!(cookie.starts_with("__Host-bilten_access=token"), "{cookie}");
        for attribute in [
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=900",
        ] {
            assert!(
                cookie.contains(attribute),
                "{attribute} missing from {cookie}"
            );
        }
        assert!(
            !cookie.contains("Domain"),
            "__Host- cookies must not name a domain"
        );

        let removal = policy.removal(REFRESH_COOKIE).to_string();
        assert!(removal.starts_with("__Host-bilten_refresh=;"), "{removal}");
        assert!(removal.contains("Max-Age=0"), "{removal}");
    }

    #[test]
    fn development_cookies_are_not_secure_so_plain_http_works() {
        let cookie = CookiePolicy { secure: false }
            .build(CSRF_COOKIE, "t".to_owned(), CSRF_COOKIE_LIFETIME)
            .to_string();
        assert!(cookie.starts_with("bilten_csrf=t"));
        assert!(!cookie.contains("Secure"));
    }

    #[test]
    fn the_client_address_comes_from_a_trusted_proxy_only() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 203.0.113.9"),
        );
        let gateway: IpAddr = "10.0.0.2".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let stranger: IpAddr = "198.51.100.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(client_ip(gateway, &headers), IpAddr::from([203, 0, 113, 9]));
        assert_eq!(client_ip(stranger, &headers), stranger);
    }
}
