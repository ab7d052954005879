//! Signed ticket codes: what the QR code on a ticket says, and how a scanner checks it.
//!
//! A scanner must be able to tell a genuine ticket from a forged or altered one **without
//! asking the server** (gates lose network), so the code carries its own facts and an Ed25519
//! signature by the event's key. Scanners hold only public keys; a stolen scanner cannot mint
//! tickets. Whether a genuine ticket is still admissible (revoked, refunded, already used) is a
//! separate question answered by the check-in rules ([`crate::checkin`]).
//!
//! # Format, version 1
//!
//! 109 bytes, encoded as base64url **without padding** (RFC 4648 §5), which is always exactly
//! [`CODE_LEN`] = 146 characters of `A–Z a–z 0–9 - _`: safe in URLs and in a QR code's byte
//! mode, and short enough for a version-7 QR at error-correction level M.
//!
//! | offset | length | field |
//! | ------ | ------ | ----- |
//! | 0 | 1 | version, `0x01` |
//! | 1 | 4 | key id: the first 4 bytes of SHA-256 of the event's 32-byte Ed25519 public key |
//! | 5 | 16 | ticket id (UUID bytes, big-endian as in RFC 9562) |
//! | 21 | 16 | ticket type id (UUID bytes) |
//! | 37 | 4 | valid from, unix seconds, big-endian `u32`; 0 = no lower bound |
//! | 41 | 4 | valid until, unix seconds, big-endian `u32`; 0 = no upper bound |
//! | 45 | 64 | Ed25519 signature (RFC 8032) over bytes 0..45 |
//!
//! The event itself is not in the payload: the key id names the event's key, and a scanner only
//! holds the keys of the event it is scanning for, so another event's ticket is `UnknownKey`.
//! Ed25519 is deterministic, so the same claims always give the same code; re-issuing a ticket
//! (e.g. after a name change) therefore means a **new ticket id**, with the old one revoked.
//!
//! Verification uses `verify_strict`, which also refuses non-canonical signatures and
//! small-order keys, so a code has exactly one valid spelling. Decoding is strict too (no
//! padding, no non-zero trailing bits), so two different strings never verify as the same
//! ticket. Scanners should trim whitespace a keyboard-wedge reader adds before calling
//! [`verify`]; the code itself is compared byte for byte.
//!
//! # Keys
//!
//! Each event has its own key pair, derived from one server secret with
//! [`derive_event_seed`] so no private key needs storing, and rotated by bumping the event's
//! key version (old public keys stay published so already-issued tickets keep verifying).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::checkin::TimeWindow;
use crate::id::{EventId, TicketId, TicketTypeId};

/// The payload version this code understands and produces.
pub const CODE_VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 4 + 16 + 16 + 4 + 4;
const SIGNATURE_LEN: usize = 64;
/// Bytes in a decoded code (payload plus signature).
pub const CODE_BYTES: usize = PAYLOAD_LEN + SIGNATURE_LEN;
/// Characters in an encoded code: base64url of [`CODE_BYTES`] without padding.
pub const CODE_LEN: usize = (CODE_BYTES * 4).div_ceil(3);

/// HKDF salt for per-event signing keys. Changing it changes every event's key.
const SEED_SALT: &[u8] = b"bilten-ticket-signing-v1";
const SEED_INFO_PREFIX: &[u8] = b"event-key";

/// What a ticket code asserts. The validity bounds are unix seconds with 0 meaning "open",
/// exactly as encoded; use [`TicketClaims::window`] for times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TicketClaims {
    pub ticket_id: TicketId,
    pub ticket_type_id: TicketTypeId,
    /// Not valid before this unix second; 0 = no lower bound.
    pub valid_from: u32,
    /// Not valid after this unix second; 0 = no upper bound.
    pub valid_until: u32,
}

impl TicketClaims {
    /// Claims without a validity window (the check-in list's window still applies).
    pub fn new(ticket_id: TicketId, ticket_type_id: TicketTypeId) -> Self {
        Self {
            ticket_id,
            ticket_type_id,
            valid_from: 0,
            valid_until: 0,
        }
    }

    /// Sets the validity window from times; `None` leaves that side open.
    #[must_use]
    pub fn with_window(
        mut self,
        valid_from: Option<chrono::DateTime<chrono::Utc>>,
        valid_until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        self.valid_from = unix_bound(valid_from);
        self.valid_until = unix_bound(valid_until);
        self
    }

    /// The validity window as times (0 becomes an open side).
    pub fn window(&self) -> TimeWindow {
        let at = |secs: u32| {
            (secs != 0)
                .then(|| chrono::DateTime::from_timestamp(i64::from(secs), 0))
                .flatten()
        };
        TimeWindow {
            not_before: at(self.valid_from),
            not_after: at(self.valid_until),
        }
    }

    fn payload(&self, key_id: KeyId) -> [u8; PAYLOAD_LEN] {
        let mut out = [0_u8; PAYLOAD_LEN];
        out[0] = CODE_VERSION;
        out[1..5].copy_from_slice(&key_id.0);
        out[5..21].copy_from_slice(self.ticket_id.as_uuid().as_bytes());
        out[21..37].copy_from_slice(self.ticket_type_id.as_uuid().as_bytes());
        out[37..41].copy_from_slice(&self.valid_from.to_be_bytes());
        out[41..45].copy_from_slice(&self.valid_until.to_be_bytes());
        out
    }
}

/// A time as an encoded bound: `None` is 0 (open); times before 1970 become 1 and times after
/// 2106 become `u32::MAX`, which mean the same thing at any scan time we will see.
pub fn unix_bound(at: Option<chrono::DateTime<chrono::Utc>>) -> u32 {
    match at {
        None => 0,
        Some(at) => at.timestamp().clamp(1, i64::from(u32::MAX)) as u32,
    }
}

/// The first four bytes of SHA-256 of a public key: enough to pick the right key among the
/// handful an event has, without spending QR space on the whole key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; 4]);

impl KeyId {
    pub fn of_public_key(public_key: &[u8; 32]) -> Self {
        let digest = Sha256::digest(public_key);
        Self([digest[0], digest[1], digest[2], digest[3]])
    }

    pub fn as_bytes(&self) -> [u8; 4] {
        self.0
    }

    /// Eight lowercase hex digits, as published with the event's keys.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for KeyId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let mut bytes = [0_u8; 4];
        hex::decode_to_slice(text.as_bytes(), &mut bytes).map_err(serde::de::Error::custom)?;
        Ok(Self(bytes))
    }
}

/// Derives an event's 32-byte Ed25519 seed from the server's root secret.
///
/// HKDF-SHA256 (RFC 5869) with
/// - IKM  = `root_secret` (at least 32 random bytes; the config layer enforces that),
/// - salt = `"bilten-ticket-signing-v1"`,
/// - info = `"event-key"` ‖ event UUID (16 bytes) ‖ `key_version` (big-endian `u32`),
/// - L    = 32.
///
/// Deterministic, so the server stores no private keys: an event's signer is re-derived when
/// needed. Bumping `key_version` rotates the key (e.g. after a leak), and because each event
/// has its own key, one event's key tells nothing about another's.
pub fn derive_event_seed(root_secret: &[u8], event_id: EventId, key_version: u32) -> [u8; 32] {
    let mut info = [0_u8; SEED_INFO_PREFIX.len() + 16 + 4];
    let (prefix, rest) = info.split_at_mut(SEED_INFO_PREFIX.len());
    prefix.copy_from_slice(SEED_INFO_PREFIX);
    rest[..16].copy_from_slice(event_id.as_uuid().as_bytes());
    rest[16..].copy_from_slice(&key_version.to_be_bytes());
    let mut seed = [0_u8; 32];
    if Hkdf::<Sha256>::new(Some(SEED_SALT), root_secret)
        .expand(&info, &mut seed)
        .is_err()
    {
        // HKDF-SHA256 can produce up to 8160 bytes; 32 always succeeds.
        unreachable!("HKDF output length is fixed at 32 bytes");
    }
    seed
}

/// Signs ticket codes for one event key. Its `Debug` shows only the key id.
pub struct TicketSigner {
    key: SigningKey,
    key_id: KeyId,
}

impl TicketSigner {
    /// The signer for a 32-byte Ed25519 seed, usually from [`derive_event_seed`].
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let key_id = KeyId::of_public_key(key.verifying_key().as_bytes());
        Self { key, key_id }
    }

    /// The 32-byte Ed25519 public key, as published to scanners.
    pub fn public_key_bytes(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The entry a verifier needs for this signer's codes.
    pub fn public_key_entry(&self) -> PublicKeyEntry {
        PublicKeyEntry {
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// The ticket code for `claims`: [`CODE_LEN`] characters of base64url.
    pub fn sign(&self, claims: &TicketClaims) -> String {
        let payload = claims.payload(self.key_id);
        encode(&payload, &self.key.sign(&payload))
    }
}

impl fmt::Debug for TicketSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketSigner")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

fn encode(payload: &[u8; PAYLOAD_LEN], signature: &Signature) -> String {
    let mut bytes = [0_u8; CODE_BYTES];
    bytes[..PAYLOAD_LEN].copy_from_slice(payload);
    bytes[PAYLOAD_LEN..].copy_from_slice(&signature.to_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A public key a verifier trusts, with its precomputed key id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKeyEntry {
    key_id: KeyId,
    key: VerifyingKey,
}

/// The bytes are not a usable Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid Ed25519 public key")]
pub struct InvalidPublicKey;

impl PublicKeyEntry {
    /// Parses a published public key. Points that do not decompress and small-order ("weak")
    /// points are refused: a weak key would accept signatures nobody made.
    pub fn from_bytes(public_key: &[u8; 32]) -> Result<Self, InvalidPublicKey> {
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| InvalidPublicKey)?;
        if key.is_weak() {
            return Err(InvalidPublicKey);
        }
        Ok(Self {
            key_id: KeyId::of_public_key(public_key),
            key,
        })
    }

    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    pub fn public_key_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

/// Why a code was not accepted. Distinct so logs and the scanner can tell a damaged read
/// from a ticket of another event from a forgery; all three are `invalid` to the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum CodeRejection {
    /// Not a code at all: wrong length, not base64url, or an unknown version.
    #[error("malformed ticket code")]
    Malformed,
    /// Well-formed, but signed with a key this verifier does not hold (another event, or a
    /// key not yet synced).
    #[error("ticket code signed with an unknown key")]
    UnknownKey,
    /// Names a key we hold, but the signature does not verify: altered or forged.
    #[error("ticket code signature does not verify")]
    BadSignature,
}

impl CodeRejection {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
        }
    }
}

/// The key id a code names, read without verifying anything (`None` when it is not a code).
/// Lets a verifier that keeps keys tell "signed with a key I may not have yet" apart before
/// the signature is checked.
pub fn key_id_of(code: &str) -> Option<KeyId> {
    if code.len() != CODE_LEN {
        return None;
    }
    // Eight characters are six whole bytes: the version and the four of the key id.
    let mut head = [0_u8; 6];
    match URL_SAFE_NO_PAD.decode_slice(code.as_bytes().get(..8)?, &mut head) {
        Ok(6) if head[0] == CODE_VERSION => Some(KeyId([head[1], head[2], head[3], head[4]])),
        _ => None,
    }
}

/// Checks a code against the event's trusted keys and returns what it claims.
///
/// Safe on any untrusted input: the length is checked before anything else, so a long string
/// costs nothing and nothing here can panic. Does not look at the validity window or any
/// database state; that is [`crate::checkin::decide`]'s job.
pub fn verify(code: &str, keys: &[PublicKeyEntry]) -> Result<TicketClaims, CodeRejection> {
    if code.len() != CODE_LEN {
        return Err(CodeRejection::Malformed);
    }
    let mut bytes = [0_u8; CODE_BYTES];
    match URL_SAFE_NO_PAD.decode_slice(code.as_bytes(), &mut bytes) {
        Ok(CODE_BYTES) => {}
        _ => return Err(CodeRejection::Malformed),
    }
    let (payload, signature) = bytes.split_at(PAYLOAD_LEN);
    if payload[0] != CODE_VERSION {
        return Err(CodeRejection::Malformed);
    }
    let key_id = KeyId([payload[1], payload[2], payload[3], payload[4]]);
    let mut signature_bytes = [0_u8; SIGNATURE_LEN];
    signature_bytes.copy_from_slice(signature);
    let signature = Signature::from_bytes(&signature_bytes);

    let mut candidates = keys
        .iter()
        .filter(|entry| entry.key_id == key_id)
        .peekable();
    if candidates.peek().is_none() {
        return Err(CodeRejection::UnknownKey);
    }
    // Several keys may share a 4-byte id (unlikely, but possible); any one verifying is enough.
    if !candidates.any(|entry| entry.key.verify_strict(payload, &signature).is_ok()) {
        return Err(CodeRejection::BadSignature);
    }
    let uuid_at = |at: usize| {
        let mut raw = [0_u8; 16];
        raw.copy_from_slice(&payload[at..at + 16]);
        Uuid::from_bytes(raw)
    };
    let u32_at = |at: usize| {
        u32::from_be_bytes([
            payload[at],
            payload[at + 1],
            payload[at + 2],
            payload[at + 3],
        ])
    };
    Ok(TicketClaims {
        ticket_id: TicketId::from_uuid(uuid_at(5)),
        ticket_type_id: TicketTypeId::from_uuid(uuid_at(21)),
        valid_from: u32_at(37),
        valid_until: u32_at(41),
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn signer(byte: u8) -> TicketSigner {
        TicketSigner::from_seed([byte; 32])
    }

    fn claims() -> TicketClaims {
        TicketClaims {
            ticket_id: TicketId::from_uuid(Uuid::from_u128(
                0x0190_0000_0000_7000_8000_0000_0000_0001,
            )),
            ticket_type_id: TicketTypeId::from_uuid(Uuid::from_u128(
                0x0190_0000_0000_7000_8000_0000_0000_0002,
            )),
            valid_from: 1_767_225_600,
            valid_until: 1_767_312_000,
        }
    }

    #[test]
    fn the_key_id_is_read_from_a_code_without_verifying_it() {
        let code = signer(7).sign(&claims());
        assert_eq!(key_id_of(&code), Some(signer(7).key_id()));
        assert_ne!(key_id_of(&code), Some(signer(8).key_id()));
        assert_eq!(key_id_of("short"), None);
        assert_eq!(key_id_of(&"*".repeat(CODE_LEN)), None);
        let mut other_version = code.into_bytes();
        other_version[0] = b'Z';
        assert_eq!(
            key_id_of(std::str::from_utf8(&other_version).unwrap()),
            None
        );
    }

    #[test]
    fn a_code_is_146_url_safe_characters_and_verifies() {
        let signer = signer(7);
        let code = signer.sign(&claims());
        assert_eq!(CODE_LEN, 146);
        assert_eq!(code.len(), CODE_LEN);
        assert!(code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(verify(&code, &[signer.public_key_entry()]), Ok(claims()));
    }

    #[test]
    fn the_key_id_is_the_start_of_the_public_keys_sha256() {
        let signer = signer(7);
        let digest = Sha256::digest(signer.public_key_bytes());
        assert_eq!(signer.key_id().as_bytes(), digest[..4]);
        let code = signer.sign(&claims());
        let bytes = URL_SAFE_NO_PAD.decode(&code).unwrap();
        assert_eq!(bytes[0], 1);
        assert_eq!(bytes[1..5], digest[..4]);
        assert!(!format!("{signer:?}").contains(&hex::encode([7_u8; 32])));
    }

    /// Produced independently with Python's `cryptography` (Ed25519 from the seed, then the
    /// layout from the module docs), so the format is pinned and not just self-consistent.
    /// Node's `WebCrypto` Ed25519 verify accepts it too (bytes 45.. over bytes ..45), which is
    /// what the offline scanner app relies on.
    #[test]
    fn the_format_matches_an_independent_implementation() {
        let code = signer(7).sign(&claims());
        assert_eq!(code, KNOWN_CODE);
    }

    const KNOWN_CODE: &str = "Af6BLBIBkAAAAABwAIAAAAAAAAABAZAAAAAAcACAAAAAAAAAAmlVuQBpVwqA9Eq4jAd-SCaRIgV8mvkIPrhsofI5uw8eSP05JPZ2Yr35GDRILif7r5HzUDEonJ4cjNtcB2Z2mwsHiddhOpDWCA";

    fn flipped(bytes: &[u8], bit: usize) -> Vec<u8> {
        let mut out = bytes.to_vec();
        out[bit / 8] ^= 1 << (bit % 8);
        out
    }

    #[test]
    fn every_single_bit_flip_of_the_bytes_is_rejected_for_the_right_reason() {
        let signer = signer(7);
        let keys = [signer.public_key_entry()];
        let bytes = URL_SAFE_NO_PAD.decode(signer.sign(&claims())).unwrap();
        for bit in 0..bytes.len() * 8 {
            let code = URL_SAFE_NO_PAD.encode(flipped(&bytes, bit));
            let expected = match bit / 8 {
                0 => CodeRejection::Malformed,
                1..=4 => CodeRejection::UnknownKey,
                _ => CodeRejection::BadSignature,
            };
            assert_eq!(verify(&code, &keys), Err(expected), "bit {bit}");
        }
    }

    #[test]
    fn every_single_bit_flip_of_the_text_is_rejected() {
        let signer = signer(7);
        let keys = [signer.public_key_entry()];
        let code = signer.sign(&claims());
        for bit in 0..code.len() * 8 {
            let bytes = flipped(code.as_bytes(), bit);
            // Flips that leave ASCII are not even strings; the rest must all fail.
            if let Ok(text) = std::str::from_utf8(&bytes) {
                assert!(verify(text, &keys).is_err(), "bit {bit}: {text}");
            }
        }
    }

    #[test]
    fn truncated_and_extended_codes_are_malformed() {
        let signer = signer(7);
        let keys = [signer.public_key_entry()];
        let code = signer.sign(&claims());
        for len in 0..code.len() {
            assert_eq!(
                verify(&code[..len], &keys),
                Err(CodeRejection::Malformed),
                "{len}"
            );
        }
        assert_eq!(
            verify(&format!("{code}A"), &keys),
            Err(CodeRejection::Malformed)
        );
        assert_eq!(
            verify(&format!("{code}\n"), &keys),
            Err(CodeRejection::Malformed)
        );
        assert_eq!(
            verify(&format!("{code}=="), &keys),
            Err(CodeRejection::Malformed)
        );
        let standard = code.replace('-', "+").replace('_', "/");
        if standard != code {
            assert_eq!(verify(&standard, &keys), Err(CodeRejection::Malformed));
        }
    }

    #[test]
    fn another_events_code_is_an_unknown_key() {
        let ours = signer(7);
        let theirs = signer(8);
        let code = theirs.sign(&claims());
        assert_eq!(
            verify(&code, &[ours.public_key_entry()]),
            Err(CodeRejection::UnknownKey)
        );
        assert_eq!(verify(&code, &[]), Err(CodeRejection::UnknownKey));
    }

    #[test]
    fn a_code_resigned_with_a_wrong_key_claiming_our_key_id_is_a_bad_signature() {
        let ours = signer(7);
        let wrong_key = signer(9);
        let payload = claims().payload(ours.key_id());
        let forged = encode(&payload, &wrong_key.key.sign(&payload));
        assert_eq!(
            verify(&forged, &[ours.public_key_entry()]),
            Err(CodeRejection::BadSignature)
        );
    }

    #[test]
    fn rotated_keys_keep_old_codes_valid_while_published() {
        let root = b"a root secret of at least thirty-two bytes";
        let event = EventId::new();
        let old = TicketSigner::from_seed(derive_event_seed(root, event, 1));
        let new = TicketSigner::from_seed(derive_event_seed(root, event, 2));
        assert_ne!(old.key_id(), new.key_id());
        let keys = [new.public_key_entry(), old.public_key_entry()];
        assert_eq!(verify(&old.sign(&claims()), &keys), Ok(claims()));
        assert_eq!(verify(&new.sign(&claims()), &keys), Ok(claims()));
        assert_eq!(
            verify(&old.sign(&claims()), &[new.public_key_entry()]),
            Err(CodeRejection::UnknownKey)
        );
    }

    #[test]
    fn event_seeds_are_deterministic_and_separate() {
        let event = EventId::from_uuid(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00aa));
        let other = EventId::from_uuid(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00ab));
        let root = [0x42_u8; 32];
        let seed = derive_event_seed(&root, event, 1);
        assert_eq!(seed, derive_event_seed(&root, event, 1));
        assert_ne!(seed, derive_event_seed(&root, event, 2));
        assert_ne!(seed, derive_event_seed(&root, other, 1));
        assert_ne!(seed, derive_event_seed(&[0x43_u8; 32], event, 1));
        // Independently computed with Python's `cryptography` HKDF (parameters in the docs).
        assert_eq!(hex::encode(seed), KNOWN_SEED_HEX);
    }

    const KNOWN_SEED_HEX: &str = "ac8458714d7dae5a7fd729850bc4fdf5796757f7aec6b1ed38de8a46d1003c2c";

    #[test]
    fn weak_or_invalid_public_keys_are_refused() {
        // The identity point (small order) and a y coordinate that is not on the curve.
        let mut identity = [0_u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKeyEntry::from_bytes(&identity), Err(InvalidPublicKey));
        let mut off_curve = [0_u8; 32];
        off_curve[0] = 2;
        assert_eq!(
            PublicKeyEntry::from_bytes(&off_curve),
            Err(InvalidPublicKey)
        );
        let signer = signer(7);
        let entry = PublicKeyEntry::from_bytes(&signer.public_key_bytes()).unwrap();
        assert_eq!(entry, signer.public_key_entry());
    }

    #[test]
    fn windows_convert_between_seconds_and_times() {
        let from = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let claims =
            TicketClaims::new(TicketId::new(), TicketTypeId::new()).with_window(Some(from), None);
        assert_eq!(claims.valid_from, 1_767_225_600);
        assert_eq!(claims.valid_until, 0);
        assert_eq!(
            claims.window(),
            TimeWindow {
                not_before: Some(from),
                not_after: None
            }
        );
        assert_eq!(unix_bound(chrono::DateTime::from_timestamp(-5, 0)), 1);
        assert_eq!(
            unix_bound(chrono::DateTime::from_timestamp(1 << 40, 0)),
            u32::MAX
        );
    }

    #[test]
    fn key_ids_serialise_as_hex() {
        let id = signer(7).key_id();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.to_hex()));
        assert_eq!(serde_json::from_str::<KeyId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<KeyId>("\"abc\"").is_err());
    }

    fn arbitrary_claims() -> impl Strategy<Value = TicketClaims> {
        (any::<u128>(), any::<u128>(), any::<u32>(), any::<u32>()).prop_map(
            |(t, tt, from, until)| TicketClaims {
                ticket_id: TicketId::from_uuid(Uuid::from_u128(t)),
                ticket_type_id: TicketTypeId::from_uuid(Uuid::from_u128(tt)),
                valid_from: from,
                valid_until: until,
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn signed_claims_round_trip(seed: [u8; 32], claims in arbitrary_claims()) {
            let signer = TicketSigner::from_seed(seed);
            let code = signer.sign(&claims);
            prop_assert_eq!(code.len(), CODE_LEN);
            prop_assert_eq!(verify(&code, &[signer.public_key_entry()]), Ok(claims));
        }

        #[test]
        fn arbitrary_text_never_panics_or_verifies(text in "\\PC{0,4096}") {
            prop_assert!(verify(&text, &[signer(7).public_key_entry()]).is_err());
        }

        #[test]
        fn arbitrary_well_shaped_codes_never_verify(text in "[A-Za-z0-9_-]{146}") {
            prop_assert!(verify(&text, &[signer(7).public_key_entry()]).is_err());
        }

        #[test]
        fn arbitrary_bytes_with_our_header_never_verify(rest in proptest::collection::vec(any::<u8>(), CODE_BYTES - 5)) {
            let signer = signer(7);
            let mut bytes = vec![CODE_VERSION];
            bytes.extend_from_slice(&signer.key_id().as_bytes());
            bytes.extend_from_slice(&rest);
            let code = URL_SAFE_NO_PAD.encode(&bytes);
            prop_assert_eq!(verify(&code, &[signer.public_key_entry()]), Err(CodeRejection::BadSignature));
        }
    }
}
