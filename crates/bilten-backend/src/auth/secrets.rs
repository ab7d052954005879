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

/// HMAC-SHA256 under `JWT_REFRESH_SECRET`: a database leak alone does not yield usable
/// tokens, and lookups stay exact-match on an index.
#[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
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

/// The key a successor is sealed under: HMAC-SHA256 under `JWT_REFRESH_SECRET` of the token
/// it succeeds. The database stores only that token's hash, so the sealed successor opens
/// only for whoever presents the predecessor itself (and only the server can open it).
#[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
fn successor_cipher(key: &SecretString, predecessor: &str) -> Aes256Gcm {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(b"bilten refresh successor v1\0");
    mac.update(predecessor.as_bytes());
    let bytes = mac.finalize().into_bytes();
    // Fully qualified: `KeyInit` in scope would make HMAC's `new_from_slice` ambiguous.
    <Aes256Gcm as aes_gcm::aead::KeyInit>::new(Key::<Aes256Gcm>::from_slice(&bytes))
}

/// `successor` sealed for the holder of `predecessor`: base64url of nonce ‖ ciphertext.
pub fn seal_successor(key: &SecretString, predecessor: &str, successor: &str) -> String {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    // Encrypting a short byte string in memory cannot fail.
    let sealed = successor_cipher(key, predecessor)
        .encrypt(&nonce, successor.as_bytes())
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
}

/// The successor sealed by [`seal_successor`] for `predecessor`, or `None` if it does not open
/// (another token, another secret, or tampered).
pub fn open_successor(key: &SecretString, predecessor: &str, sealed: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sealed)
        .ok()?;
    if bytes.len() <= 12 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let plain = successor_cipher(key, predecessor)
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .ok()?;
    String::from_utf8(plain).ok()
}

/// The key an account's TOTP secret is sealed under: HMAC-SHA256 under `JWT_REFRESH_SECRET`
/// of the account id, so a sealed secret opens only for its own account.
#[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
fn totp_cipher(key: &SecretString, user: &str) -> Aes256Gcm {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(b"bilten totp secret v1\0");
    mac.update(user.as_bytes());
    let bytes = mac.finalize().into_bytes();
    <Aes256Gcm as aes_gcm::aead::KeyInit>::new(Key::<Aes256Gcm>::from_slice(&bytes))
}

/// `secret` (base32) sealed for `user`: base64url of nonce ‖ ciphertext.
pub fn seal_totp_secret(key: &SecretString, user: &str, secret: &str) -> String {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    // Encrypting a short byte string in memory cannot fail.
    let sealed = totp_cipher(key, user)
        .encrypt(&nonce, secret.as_bytes())
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
}

/// The secret [`seal_totp_secret`] sealed for `user`, or `None` if it does not open.
pub fn open_totp_secret(key: &SecretString, user: &str, sealed: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sealed)
        .ok()?;
    if bytes.len() <= 12 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let plain = totp_cipher(key, user)
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .ok()?;
    String::from_utf8(plain).ok()
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
    }
}
