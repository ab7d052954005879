//! Opaque tokens (refresh, verification, reset): random, shown once, stored as keyed hashes.

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// 256 random bits, base64url, with a prefix saying what it is (helps secret scanners).
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// HMAC-SHA256 under `JWT_REFRESH_SECRET`: a database leak alone does not yield usable
/// tokens, and lookups stay exact-match on an index.
pub fn token_hash(key: &SecretString, token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Refuses obviously wrong token text before touching the database.
pub fn plausible(token: &str, prefix: &str) -> bool {
    token.len() <= 100
        && token
            .strip_prefix(prefix)
            .and_then(|t| t.strip_prefix('_'))
            .is_some_and(|rest| {
                !rest.is_empty()
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
}
