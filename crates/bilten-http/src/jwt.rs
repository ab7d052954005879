//! Access tokens: short-lived JWTs, verified the same way by the backend and the gateway.
//!
//! The algorithm is pinned (HS256, the header's `alg` is never trusted), and `exp`, `nbf`,
//! `iss`, `aud`, `sub` and our own `typ = "access"` are all required, so a refresh token, an
//! ID token from elsewhere or an `alg: none` token cannot pass as an access token, and a
//! token minted for later (`nbf` in the future, beyond the clock-skew leeway) is not yet
//! usable.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "bilten";
pub const AUDIENCE: &str = "bilten-api";
const TOKEN_TYPE: &str = "access";
/// Clock skew tolerated between replicas.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user id (`usr_…`).
    pub sub: String,
    /// The session (refresh-token family) this token was issued for (`ses_…`).
    pub sid: String,
    /// Platform role at issue time (`user` or `admin`).
    pub role: String,
    pub iss: String,
    pub aud: String,
    pub typ: String,
    pub iat: u64,
    /// Not before: the issue time. Checked (with the leeway) so a token dated in the future,
    /// e.g. by a replica with a clock far ahead, is refused until its time comes.
    pub nbf: u64,
    pub exp: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is invalid")]
    Invalid,
}

impl TokenError {
    pub fn code(self) -> bilten_api::ErrorCode {
        match self {
            Self::Expired => bilten_api::ErrorCode::TokenExpired,
            Self::Invalid => bilten_api::ErrorCode::InvalidToken,
        }
    }
}

#[derive(Clone)]
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl AccessTokens {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues a token for `user` in `session`, valid from `now_unix` for the configured TTL.
    pub fn issue(&self, user: &str, session: &str, role: &str, now_unix: u64) -> String {
        let claims = AccessClaims {
            sub: user.to_owned(),
            sid: session.to_owned(),
            role: role.to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            typ: TOKEN_TYPE.to_owned(),
            iat: now_unix,
            nbf: now_unix,
            exp: now_unix + self.ttl.as_secs(),
        };
        let header = Header {
            typ: Some("JWT".to_owned()),
            ..Header::new(Algorithm::HS256)
        };
        // Encoding HS256 with a byte key cannot fail; an empty string would be caught by
        // every verifier.
        jsonwebtoken::encode(&header, &claims, &self.encoding).unwrap_or_default()
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        if token.len() > 4096 {
            return Err(TokenError::Invalid);
        }
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        if data.claims.typ != TOKEN_TYPE {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

/// The bearer token of an `Authorization` header value, if it is one.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn issued_tokens_verify() {
        let tokens = AccessTokens::new(SECRET, Duration::from_secs(900));
        let token = tokens.issue("usr_1", "ses_1", "user", now());
        let claims = tokens.verify(&token).unwrap();
        assert_eq!(claims.sub, "usr_1");
        assert_eq!(claims.sid, "ses_1");
    }

    #[test]
    fn expired_tokens_are_refused_after_the_leeway() {
        let tokens = AccessTokens::new(SECRET, Duration::from_secs(60));
        let token = tokens.issue("usr_1", "ses_1", "user", now() - 120);
        assert_eq!(tokens.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn tampered_and_foreign_tokens_are_refused() {
        let tokens = AccessTokens::new(SECRET, Duration::from_secs(900));
        let other = AccessTokens::new(
            b"another-secret-another-secret-xx",
            Duration::from_secs(900),
        );
        let token = tokens.issue("usr_1", "ses_1", "user", now());
        assert_eq!(
            tokens.verify(&other.issue("usr_1", "ses_1", "user", now())),
            Err(TokenError::Invalid)
        );

        // Change the payload (promote to admin) but keep the signature.
        let parts: Vec<&str> = token.split('.').collect();
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = String::from_utf8(engine.decode(parts[1]).unwrap()).unwrap();
        let forged = engine.encode(payload.replace("\"user\"", "\"admin\""));
        let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert_eq!(tokens.verify(&tampered), Err(TokenError::Invalid));

        // alg=none with no signature.
        let none_header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(
            tokens.verify(&format!("{none_header}.{}.", parts[1])),
            Err(TokenError::Invalid)
        );

        for junk in ["", "a.b.c", "not a token", &"x".repeat(5000)] {
            assert_eq!(tokens.verify(junk), Err(TokenError::Invalid));
        }
    }

    #[test]
    fn a_token_without_the_access_type_is_refused() {
        let tokens = AccessTokens::new(SECRET, Duration::from_secs(900));
        let claims = serde_json::json!({
            "sub": "usr_1", "sid": "ses_1", "role": "user", "iss": ISSUER, "aud": AUDIENCE,
            "typ": "refresh", "iat": now(), "nbf": now(), "exp": now() + 600
        });
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(tokens.verify(&token), Err(TokenError::Invalid));
    }

    fn signed(claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    }

    fn claims_with(nbf: Option<u64>) -> serde_json::Value {
        let mut claims = serde_json::json!({
            "sub": "usr_1", "sid": "ses_1", "role": "user", "iss": ISSUER, "aud": AUDIENCE,
            "typ": TOKEN_TYPE, "iat": now(), "exp": now() + 600
        });
        if let Some(nbf) = nbf {
            claims["nbf"] = nbf.into();
        }
        claims
    }

    #[test]
    fn a_token_valid_only_in_the_future_is_refused_until_then() {
        let tokens = AccessTokens::new(SECRET, Duration::from_secs(900));
        // Issued by a clock a minute ahead: not yet valid.
        let early = tokens.issue("usr_1", "ses_1", "user", now() + 60);
        assert_eq!(tokens.verify(&early), Err(TokenError::Invalid));
        assert_eq!(
            tokens.verify(&signed(&claims_with(Some(now() + 3600)))),
            Err(TokenError::Invalid)
        );
        // Within the leeway for clock skew between replicas: accepted.
        let skewed = tokens.issue("usr_1", "ses_1", "user", now() + LEEWAY_SECS - 2);
        assert!(tokens.verify(&skewed).is_ok());
        assert!(tokens.verify(&signed(&claims_with(Some(now())))).is_ok());
    }

    #[test]
    fn a_token_without_nbf_is_refused() {
        let tokens = AccessTokens::new(SECRET, Duration::from_secs(900));
        assert_eq!(
            tokens.verify(&signed(&claims_with(None))),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn bearer_headers_parse() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
    }
}
