//! Per-ticket display data for offline scanners, readable only with the ticket's own code.
//!
//! An offline scanner must show the holder's name and ticket type after a scan, but a lost or
//! stolen scanner must not leak the attendee list. So each ticket's entry is encrypted with a
//! key derived from that ticket's code and indexed by a one-way hash of the code: the device
//! can open an entry only for a code that is scanned in front of it. (Idea from alf.io.)
//!
//! Anyone who has seen a ticket's QR code can read that ticket's entry; that is by design,
//! the code is already the ticket.
//!
//! # Exact parameters (the scanner web app implements [`open`] with `WebCrypto`)
//!
//! `code` is the ticket code string exactly as scanned (146 ASCII characters), as UTF-8
//! bytes. All labels are ASCII, used as raw bytes.
//!
//! - **lookup** = lowercase hex of SHA-256(`"bilten-offline-lookup"` ‖ code), 64 characters.
//!   The server stores and the sync endpoint returns entries under this key.
//! - **key** = HKDF-SHA256 (RFC 5869) with IKM = code, salt = `"bilten-offline-v1"`,
//!   info = `"ticket-entry"`, length 32 bytes → an AES-256 key.
//! - **cipher** = AES-256-GCM, 12-byte random nonce, 128-bit tag appended to the ciphertext
//!   (the layout `WebCrypto` produces and expects), no additional authenticated data.
//! - `nonce_b64` and `ciphertext_b64` are **standard** base64 with padding (RFC 4648 §4), so
//!   `atob` decodes them directly.
//!
//! In the browser:
//!
//! ```js
//! const enc = new TextEncoder();
//! const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
//! const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
//! const lookup = hex(await crypto.subtle.digest("SHA-256", enc.encode("bilten-offline-lookup" + code)));
//! const ikm = await crypto.subtle.importKey("raw", enc.encode(code), "HKDF", false, ["deriveKey"]);
//! const key = await crypto.subtle.deriveKey(
//!   { name: "HKDF", hash: "SHA-256", salt: enc.encode("bilten-offline-v1"), info: enc.encode("ticket-entry") },
//!   ikm, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
//! const plain = await crypto.subtle.decrypt(
//!   { name: "AES-GCM", iv: b64(entry.nonce_b64) }, key, b64(entry.ciphertext_b64));
//! const data = JSON.parse(new TextDecoder().decode(plain));
//! ```
//!
//! The test `matches_webcrypto` pins a vector produced by Node's `WebCrypto` with exactly
//! these calls, so the two sides cannot drift apart unnoticed.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const LOOKUP_PREFIX: &[u8] = b"bilten-offline-lookup";
const KEY_SALT: &[u8] = b"bilten-offline-v1";
const KEY_INFO: &[u8] = b"ticket-entry";
const NONCE_LEN: usize = 12;

/// One ticket's encrypted display data, as stored by the server and synced to scanners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedEntry {
    /// [`lookup_key`] of the ticket's code.
    pub lookup: String,
    pub nonce_b64: String,
    /// AES-GCM ciphertext with its 16-byte tag appended.
    pub ciphertext_b64: String,
}

/// Why an entry could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The entry is not for this code (its lookup differs).
    #[error("the entry belongs to another code")]
    WrongCode,
    /// The nonce or ciphertext is not valid base64 or has the wrong length.
    #[error("the entry is malformed")]
    Malformed,
    /// Authentication failed: tampered with, or sealed under another key.
    #[error("the entry could not be decrypted")]
    Decrypt,
}

/// The index an entry is stored and looked up under: hex SHA-256 of a fixed label and the
/// code. One-way, so the index reveals no codes.
pub fn lookup_key(code: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(LOOKUP_PREFIX);
    hasher.update(code.as_bytes());
    hex::encode(hasher.finalize())
}

fn cipher_for(code: &str) -> Aes256Gcm {
    let mut key = [0_u8; 32];
    if Hkdf::<Sha256>::new(Some(KEY_SALT), code.as_bytes())
        .expand(KEY_INFO, &mut key)
        .is_err()
    {
        // HKDF-SHA256 can produce up to 8160 bytes; 32 always succeeds.
        unreachable!("HKDF output length is fixed at 32 bytes");
    }
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key))
}

/// Encrypts `plaintext` (the entry's JSON) under a fresh random nonce from the OS.
///
/// A random 96-bit nonce is safe here: each key (one per ticket code) seals only a handful
/// of entries over its life (one per re-sync of changed data), far below GCM's limits.
pub fn seal(code: &str, plaintext: &[u8]) -> SealedEntry {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    seal_with_nonce(code, plaintext, nonce.into())
}

/// [`seal`] with a caller-chosen nonce, for test vectors. Never reuse a nonce for one code.
pub fn seal_with_nonce(code: &str, plaintext: &[u8], nonce: [u8; NONCE_LEN]) -> SealedEntry {
    let ciphertext = cipher_for(code)
        .encrypt(Nonce::from_slice(&nonce), plaintext)
        .unwrap_or_else(|_| unreachable!("AES-GCM encrypts up to 64 GiB per message"));
    SealedEntry {
        lookup: lookup_key(code),
        nonce_b64: STANDARD.encode(nonce),
        ciphertext_b64: STANDARD.encode(ciphertext),
    }
}

/// Decrypts an entry with the scanned code.
pub fn open(code: &str, entry: &SealedEntry) -> Result<Vec<u8>, OpenError> {
    if entry.lookup != lookup_key(code) {
        return Err(OpenError::WrongCode);
    }
    let nonce = STANDARD
        .decode(&entry.nonce_b64)
        .map_err(|_| OpenError::Malformed)?;
    if nonce.len() != NONCE_LEN {
        return Err(OpenError::Malformed);
    }
    let ciphertext = STANDARD
        .decode(&entry.ciphertext_b64)
        .map_err(|_| OpenError::Malformed)?;
    cipher_for(code)
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
        .map_err(|_| OpenError::Decrypt)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A real ticket code (the one pinned in `ticket_code` tests).
    const CODE: &str = "Af6BLBIBkAAAAABwAIAAAAAAAAABAZAAAAAAcACAAAAAAAAAAmlVuQBpVwqA9Eq4jAd-SCaRIgV8mvkIPrhsofI5uw8eSP05JPZ2Yr35GDRILif7r5HzUDEonJ4cjNtcB2Z2mwsHiddhOpDWCA";

    #[test]
    fn an_entry_opens_with_its_code_only() {
        let plaintext = br#"{"holder":"Ada Lovelace","type":"Standing"}"#;
        let entry = seal(CODE, plaintext);
        assert_eq!(entry.lookup, lookup_key(CODE));
        assert_eq!(entry.lookup.len(), 64);
        assert_eq!(open(CODE, &entry).unwrap(), plaintext);
        let other = CODE.replace('Q', "R");
        assert_eq!(open(&other, &entry), Err(OpenError::WrongCode));
        // Even with the lookup copied over, the key is wrong.
        let relabelled = SealedEntry {
            lookup: lookup_key(&other),
            ..entry.clone()
        };
        assert_eq!(open(&other, &relabelled), Err(OpenError::Decrypt));
    }

    #[test]
    fn nonces_are_fresh_per_seal() {
        let a = seal(CODE, b"same");
        let b = seal(CODE, b"same");
        assert_ne!(a.nonce_b64, b.nonce_b64);
        assert_ne!(a.ciphertext_b64, b.ciphertext_b64);
    }

    #[test]
    fn tampering_and_garbage_are_rejected() {
        let entry = seal(CODE, b"{}");
        let mut raw = STANDARD.decode(&entry.ciphertext_b64).unwrap();
        raw[0] ^= 1;
        let tampered = SealedEntry {
            ciphertext_b64: STANDARD.encode(&raw),
            ..entry.clone()
        };
        assert_eq!(open(CODE, &tampered), Err(OpenError::Decrypt));
        let short_nonce = SealedEntry {
            nonce_b64: STANDARD.encode([0_u8; 8]),
            ..entry.clone()
        };
        assert_eq!(open(CODE, &short_nonce), Err(OpenError::Malformed));
        let not_b64 = SealedEntry {
            ciphertext_b64: "***".into(),
            ..entry.clone()
        };
        assert_eq!(open(CODE, &not_b64), Err(OpenError::Malformed));
        let empty = SealedEntry {
            ciphertext_b64: String::new(),
            ..entry
        };
        assert_eq!(open(CODE, &empty), Err(OpenError::Decrypt));
    }

    /// Produced by Node 20's `WebCrypto` (`crypto.subtle`) running the snippet in the module
    /// docs in reverse (`encrypt` with the same key derivation), nonce 000102…0b.
    #[test]
    fn matches_webcrypto() {
        let nonce: [u8; 12] = std::array::from_fn(|i| i as u8);
        let entry = seal_with_nonce(CODE, br#"{"holder":"Ada"}"#, nonce);
        assert_eq!(entry.lookup, WEBCRYPTO_LOOKUP);
        assert_eq!(entry.nonce_b64, "AAECAwQFBgcICQoL");
        assert_eq!(entry.ciphertext_b64, WEBCRYPTO_CIPHERTEXT);
    }

    const WEBCRYPTO_LOOKUP: &str =
        "80008356d47d930b9430c539901d8c5e5798d795ccaff1280a53478e707db3d5";
    const WEBCRYPTO_CIPHERTEXT: &str = "/XzEtwxPc2++8mnbFGgGzYulwapmoHdZn+1dpB+Xo7Q=";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn sealing_round_trips(code in "[A-Za-z0-9_-]{146}", plaintext in proptest::collection::vec(any::<u8>(), 0..512)) {
            prop_assert_eq!(open(&code, &seal(&code, &plaintext)), Ok(plaintext));
        }

        #[test]
        fn garbage_entries_never_panic(nonce in "\\PC{0,40}", ciphertext in "\\PC{0,200}") {
            let entry = SealedEntry { lookup: lookup_key(CODE), nonce_b64: nonce, ciphertext_b64: ciphertext };
            prop_assert!(open(CODE, &entry).is_err());
        }
    }
}
