//! Auth at the edge: which requests must carry a valid access token before they reach a
//! replica, and the 401s for those that don't.
//!
//! Everything under `/api/v1` needs a bearer token except the public list below. The
//! gateway only turns away requests that can never succeed (no token, a forged or expired
//! one); it never decides what a user may do — the backend still authorizes every object.
//! Outside `/api/v1` (pages, `/webhooks`) the gateway asks for nothing.
//!
//! The default public list:
//! - any method on `/api/v1/auth/…`: login, register, refresh, logout, password forgot/reset,
//!   email verification — the ways to get a token;
//! - `GET`/`HEAD` on `/api/v1/events` and `/api/v1/events/…`: the public event listing and
//!   event pages;
//! - any method on `/api/v1/checkin/…`: scanners authenticate with device tokens, which the
//!   scanner role checks;
//! - any method on `/api/v1/webhooks/…`: payment providers sign their calls instead;
//! - any method on `/api/v1/orders` and `/api/v1/orders/…`, `/api/v1/purchases`, and on
//!   `/api/v1/tickets/…`: guests
//!   buy without an account and reach their order and tickets with the `X-Order-Key` the
//!   order was created with; the backend authorizes every order and ticket by its owner, that
//!   key or the organization's membership;
//! - any method on `/api/v1/pay/…`: the test provider's hosted payment page, which a browser
//!   opens without a bearer token (the payment id in its URL is the capability);
//! - `GET`/`HEAD` on `/api/v1/openapi.json`;
//! - `OPTIONS` anywhere (CORS preflights carry no credentials).
//!
//! `GATEWAY_PUBLIC_ROUTES` adds entries (`[METHOD|METHOD ]prefix`, comma-separated).

use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use bilten_http::jwt::{self, AccessClaims, AccessTokens, TokenError};
use bilten_http::ApiError;

use crate::routes::prefix_matches;

/// Where tokens are required.
const PROTECTED: &str = "/api/v1";

/// One public entry: a path prefix (segment-wise), optionally limited to some methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicRoute {
    /// `None`: every method.
    pub methods: Option<Vec<Method>>,
    pub prefix: String,
}

impl PublicRoute {
    fn new(methods: Option<&[Method]>, prefix: &str) -> Self {
        Self {
            methods: methods.map(<[Method]>::to_vec),
            prefix: prefix.to_owned(),
        }
    }

    /// `GET|HEAD /api/v1/venues` or `/api/v1/status`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (methods, prefix) = match text.split_once(' ') {
            Some((methods, prefix)) => {
                let methods = methods
                    .split('|')
                    .map(|m| {
                        Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes())
                            .map_err(|_| format!("{m:?} is not an HTTP method"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                (Some(methods), prefix.trim())
            }
            None => (None, text),
        };
        if !prefix.starts_with('/') || prefix.contains(char::is_whitespace) {
            return Err(format!(
                "expected [METHOD|METHOD ]/path/prefix, got {text:?}"
            ));
        }
        let prefix = if prefix == "/" {
            prefix
        } else {
            prefix.trim_end_matches('/')
        };
        Ok(Self {
            methods,
            prefix: prefix.to_owned(),
        })
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        self.methods
            .as_ref()
            .is_none_or(|methods| methods.contains(method))
            && prefix_matches(&self.prefix, path)
    }
}

/// The default public list (see the module docs for why each is public).
pub fn default_public_routes() -> Vec<PublicRoute> {
    let read = [Method::GET, Method::HEAD];
    vec![
        PublicRoute::new(None, "/api/v1/auth"),
        PublicRoute::new(Some(&read), "/api/v1/events"),
        PublicRoute::new(None, "/api/v1/checkin"),
        PublicRoute::new(None, "/api/v1/webhooks"),
        PublicRoute::new(None, "/api/v1/orders"),
        PublicRoute::new(None, "/api/v1/purchases"),
        PublicRoute::new(None, "/api/v1/tickets"),
        PublicRoute::new(None, "/api/v1/pay"),
        PublicRoute::new(Some(&read), "/api/v1/openapi.json"),
        PublicRoute::new(Some(&[Method::OPTIONS]), "/"),
    ]
}

/// The caller as far as the gateway can tell from the `Authorization` header.
#[derive(Debug)]
pub(crate) enum Caller {
    Anonymous,
    User(AccessClaims),
    BadToken(TokenError),
}

impl Caller {
    pub(crate) fn identify(headers: &HeaderMap, tokens: &AccessTokens) -> Self {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Self::Anonymous;
        };
        let Some(token) = value.to_str().ok().and_then(jwt::bearer) else {
            // Some other scheme (Basic, a device token the scanner reads): not ours to judge.
            return Self::Anonymous;
        };
        match tokens.verify(token) {
            Ok(claims) => Self::User(claims),
            Err(error) => Self::BadToken(error),
        }
    }

    pub(crate) fn user(&self) -> Option<&str> {
        match self {
            Self::User(claims) => Some(&claims.sub),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AccessPolicy {
    public: Vec<PublicRoute>,
}

impl AccessPolicy {
    pub(crate) fn new(public: Vec<PublicRoute>) -> Self {
        Self { public }
    }

    pub(crate) fn requires_token(&self, method: &Method, path: &str) -> bool {
        prefix_matches(PROTECTED, path) && !self.public.iter().any(|p| p.matches(method, path))
    }

    /// The 401 to send when the route needs a token and the caller has no good one.
    pub(crate) fn reject(&self, method: &Method, path: &str, caller: &Caller) -> Option<Response> {
        if !self.requires_token(method, path) {
            return None;
        }
        let error = match caller {
            Caller::User(_) => return None,
            Caller::Anonymous => ApiError::unauthorized(
                bilten_http::ErrorCode::Unauthenticated,
                "Sign in to continue.",
            ),
            Caller::BadToken(error) => ApiError::unauthorized(error.code(), error.to_string()),
        };
        let mut response = error.into_response();
        // RFC 6750 §3: tell the client which scheme, and why the token was refused.
        let challenge = match caller {
            Caller::BadToken(_) => r#"Bearer error="invalid_token""#,
            _ => "Bearer",
        };
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
        Some(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> AccessPolicy {
        AccessPolicy::new(default_public_routes())
    }

    #[test]
    fn the_api_needs_a_token_except_on_the_public_list() {
        let p = policy();
        assert!(p.requires_token(&Method::GET, "/api/v1/me"));
        assert!(p.requires_token(&Method::GET, "/api/v1/me/tickets"));
        assert!(p.requires_token(&Method::POST, "/api/v1/organizations"));
        assert!(!p.requires_token(&Method::POST, "/api/v1/orders"));
        assert!(!p.requires_token(&Method::POST, "/api/v1/orders/ord_1/checkout"));
        assert!(!p.requires_token(&Method::GET, "/api/v1/tickets/tkt_1/pdf"));
        assert!(p.requires_token(&Method::GET, "/api/v1/ordersx"));
        assert!(!p.requires_token(&Method::POST, "/api/v1/pay/test/pay_1"));
        assert!(p.requires_token(&Method::POST, "/api/v1/events"));
        assert!(p.requires_token(&Method::GET, "/api/v1/eventsx"));
        assert!(!p.requires_token(&Method::GET, "/api/v1/events"));
        assert!(!p.requires_token(&Method::GET, "/api/v1/events/evt_1"));
        assert!(!p.requires_token(&Method::POST, "/api/v1/auth/login"));
        assert!(!p.requires_token(&Method::POST, "/api/v1/checkin/scan"));
        assert!(!p.requires_token(&Method::OPTIONS, "/api/v1/orders"));
        assert!(!p.requires_token(&Method::GET, "/events/rock-night"));
        assert!(!p.requires_token(&Method::POST, "/webhooks/stripe"));
    }

    #[test]
    fn public_entries_parse_with_and_without_methods() {
        assert_eq!(
            PublicRoute::parse("get|HEAD /api/v1/venues/").unwrap(),
            PublicRoute::new(Some(&[Method::GET, Method::HEAD]), "/api/v1/venues")
        );
        assert_eq!(
            PublicRoute::parse("/api/v1/status").unwrap(),
            PublicRoute::new(None, "/api/v1/status")
        );
        assert!(PublicRoute::parse("api/v1").is_err());
        assert!(PublicRoute::parse("G@T /api").is_err());
    }
}
