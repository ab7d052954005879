//! Opaque tokens (refresh, verification, reset): random, shown once, stored as keyed hashes;
//! and the sealing of a refresh token's successor for the reuse grace period.

use aes_gcm::aead::{Aead, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
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

/// HMAC-SHA256 keyed with `JWT_REFRESH_SECRET`: the one keyed MAC behind token hashes, the
/// sealing keys below and orders' access keys (each use domain-separated by what it hashes).
#[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
pub(crate) fn keyed_mac(key: &SecretString) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes())
        .expect("HMAC accepts keys of any length")
}

/// HMAC-SHA256 under `JWT_REFRESH_SECRET`: a database leak alone does not yield usable
/// tokens, and lookups stay exact-match on an index.
pub fn token_hash(key: &SecretString, token: &str) -> String {
    let mut mac = keyed_mac(key);
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

/// An AES-256-GCM key for one purpose (`domain`) and one subject: HMAC-SHA256 under
/// `JWT_REFRESH_SECRET` of both, so a sealed value opens only for that purpose and subject.
fn cipher_for(key: &SecretString, domain: &[u8], subject: &str) -> Aes256Gcm {
    let mut mac = keyed_mac(key);
    mac.update(domain);
    mac.update(subject.as_bytes());
    let bytes = mac.finalize().into_bytes();
    // Fully qualified: `KeyInit` in scope would make HMAC's `new_from_slice` ambiguous.
    <Aes256Gcm as aes_gcm::aead::KeyInit>::new(Key::<Aes256Gcm>::from_slice(&bytes))
}

/// `plain` sealed under `cipher`: base64url of nonce ‖ ciphertext.
fn seal(cipher: &Aes256Gcm, plain: &str) -> String {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    // Encrypting a short byte string in memory cannot fail.
    let sealed = cipher.encrypt(&nonce, plain.as_bytes()).unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
}

/// What [`seal`] sealed under `cipher`, or `None` if it does not open (another key, another
/// subject, or tampered).
fn open(cipher: &Aes256Gcm, sealed: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sealed)
        .ok()?;
    if bytes.len() <= 12 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let plain = cipher.decrypt(Nonce::from_slice(nonce), ciphertext).ok()?;
    String::from_utf8(plain).ok()
}

/// A successor is sealed under a key derived from the token it succeeds. The database stores
/// only that token's hash, so the sealed successor opens only for whoever presents the
/// predecessor itself (and only the server can open it).
const SUCCESSOR: &[u8] = b"bilten refresh successor v1\0";
/// An account's TOTP secret is sealed under a key derived from the account id, so it opens
/// only for its own account.
const TOTP: &[u8] = b"bilten totp secret v1\0";

/// `successor` sealed for the holder of `predecessor`.
pub fn seal_successor(key: &SecretString, predecessor: &str, successor: &str) -> String {
    seal(&cipher_for(key, SUCCESSOR, predecessor), successor)
}

/// The successor sealed by [`seal_successor`] for `predecessor`, or `None` if it does not open.
pub fn open_successor(key: &SecretString, predecessor: &str, sealed: &str) -> Option<String> {
    open(&cipher_for(key, SUCCESSOR, predecessor), sealed)
}

/// `secret` (base32) sealed for `user`.
pub fn seal_totp_secret(key: &SecretString, user: &str, secret: &str) -> String {
    seal(&cipher_for(key, TOTP, user), secret)
}

/// The secret [`seal_totp_secret`] sealed for `user`, or `None` if it does not open.
pub fn open_totp_secret(key: &SecretString, user: &str, sealed: &str) -> Option<String> {
    open(&cipher_for(key, TOTP, user), sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_successor_opens_only_with_its_predecessor_and_secret() {
        let key: SecretString = "k".repeat(40).into();
        let other_key: SecretString = "o".repeat(40).into();
        let predecessor = new_token("rt");
        let successor = new_token("rt");
        let sealed = seal_successor(&key, &predecessor, &successor);
        assert!(!sealed.contains(&successor));
        assert_eq!(
            open_successor(&key, &predecessor, &sealed).as_deref(),
            Some(successor.as_str())
        );
        assert_eq!(open_successor(&key, &new_token("rt"), &sealed), None);
        assert_eq!(open_successor(&other_key, &predecessor, &sealed), None);
        assert_eq!(open_successor(&key, &predecessor, "garbage"), None);
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(open_successor(&key, &predecessor, &tampered), None);
    }

    #[test]
    fn a_sealed_totp_secret_opens_only_for_its_account() {
        let key: SecretString = "k".repeat(40).into();
        let sealed = seal_totp_secret(&key, "user-a", "JBSWY3DPEHPK3PXP");
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            open_totp_secret(&key, "user-a", &sealed).as_deref(),
            Some("JBSWY3DPEHPK3PXP")
        );
        assert_eq!(open_totp_secret(&key, "user-b", &sealed), None);
        // Each purpose has its own key: a sealed TOTP secret is no refresh successor.
        assert_eq!(open_successor(&key, "user-a", &sealed), None);
    }
}
