//! Stripe's webhook signature scheme, as documented at
//! <https://docs.stripe.com/webhooks#verify-manually>:
//!
//! - the `Stripe-Signature` header is a comma-separated list of `key=value` pairs; `t` is the unix
//!   timestamp of the delivery, every `v1` is a hex HMAC-SHA256 (other schemes such as `v0` are
//!   ignored);
//! - the signed payload is `"{t}.{raw body}"` — the raw bytes, never a re-serialized JSON;
//! - the key is the endpoint secret (`whsec_…`) as UTF-8 bytes;
//! - a delivery is authentic if ANY `v1` matches (several appear while a secret is being rolled),
//!   compared in constant time, and fresh if |now − t| ≤ tolerance (Stripe's libraries use 300 s).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::event::Event;

/// Stripe's default replay window.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// The only scheme Stripe signs live deliveries with.
const SCHEME: &str = "v1";

/// Why a delivery was refused. Each variant is a distinct client mistake or attack, so the
/// webhook endpoint can log which one without echoing the secret or the expected signature.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    MissingHeader,
    #[error("the Stripe-Signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("no v1 signature matches the payload")]
    NoMatchingSignature,
    #[error("the signature timestamp is outside the tolerance window")]
    TimestampOutsideTolerance,
    #[error("the payload is not a Stripe event: {0}")]
    InvalidPayload(String),
}

impl SignatureError {
    /// A stable `snake_case` code for API error bodies and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingHeader => "signature_missing",
            Self::Malformed(_) => "signature_malformed",
            Self::NoMatchingSignature => "signature_mismatch",
            Self::TimestampOutsideTolerance => "signature_expired",
            Self::InvalidPayload(_) => "invalid_event_payload",
        }
    }
}

/// The parsed `Stripe-Signature` header.
struct SignatureHeader<'a> {
    timestamp: i64,
    v1: Vec<&'a str>,
}

fn parse_header(header: &str) -> Result<SignatureHeader<'_>, SignatureError> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            return Err(SignatureError::Malformed("an element is not key=value"));
        };
        match key {
            "t" => {
                let t = value
                    .parse::<i64>()
                    .map_err(|_| SignatureError::Malformed("t is not an integer"))?;
                timestamp = Some(t);
            }
            SCHEME => v1.push(value),
            // Other schemes (v0 test-mode signatures, future ones) are ignored, as documented.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no t element"))?;
    if v1.is_empty() {
        return Err(SignatureError::Malformed("no v1 element"));
    }
    Ok(SignatureHeader { timestamp, v1 })
}

fn mac_for(secret: &str, timestamp: i64, raw_body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(raw_body);
    mac
}

/// Computes the hex `v1` signature Stripe would send for this body at this time.
pub fn compute_signature(secret: &str, timestamp: i64, raw_body: &[u8]) -> String {
    hex::encode(mac_for(secret, timestamp, raw_body).finalize().into_bytes())
}

/// Builds a `Stripe-Signature` header value (`t=…,v1=…`), as Stripe (and our fake) send it.
pub fn signature_header(secret: &str, timestamp: i64, raw_body: &[u8]) -> String {
    format!(
        "t={timestamp},{SCHEME}={}",
        compute_signature(secret, timestamp, raw_body)
    )
}

/// Checks the header against the raw body without parsing the body.
pub fn verify_signature(
    secret: &str,
    header: Option<&str>,
    raw_body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let header = header
        .filter(|h| !h.trim().is_empty())
        .ok_or(SignatureError::MissingHeader)?;
    let parsed = parse_header(header)?;
    let expected = mac_for(secret, parsed.timestamp, raw_body);
    // Any v1 may match; each comparison is constant time (`verify_slice`), and we look at every
    // candidate whatever the outcome so timing does not reveal which one matched.
    let mut matched = false;
    for candidate in parsed.v1 {
        if let Ok(bytes) = hex::decode(candidate) {
            matched |= expected.clone().verify_slice(&bytes).is_ok();
        }
    }
    if !matched {
        return Err(SignatureError::NoMatchingSignature);
    }
    // Checked after the signature so an attacker learns nothing about the clock from a forgery.
    if (now_unix - parsed.timestamp).abs() > tolerance_secs {
        return Err(SignatureError::TimestampOutsideTolerance);
    }
    Ok(())
}

/// Verifies a webhook delivery and parses its event.
pub fn verify_webhook(
    secret: &str,
    header: Option<&str>,
    raw_body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<Event, SignatureError> {
    verify_signature(secret, header, raw_body, now_unix, tolerance_secs)?;
    serde_json::from_slice(raw_body).map_err(|e| SignatureError::InvalidPayload(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] =
        br#"{"id":"evt_1","object":"event","type":"checkout.session.completed","created":1,"data":{"object":{"id":"cs_1"}}}"#;
    const NOW: i64 = 1_700_000_000;

    fn verify(header: &str, body: &[u8], now: i64) -> Result<Event, SignatureError> {
        verify_webhook(SECRET, Some(header), body, now, DEFAULT_TOLERANCE_SECS)
    }

    #[test]
    fn a_correct_signature_is_accepted_and_the_event_parsed() {
        let event = verify(&signature_header(SECRET, NOW, BODY), BODY, NOW).unwrap();
        assert_eq!(event.id.as_str(), "evt_1");
        assert_eq!(event.kind, "checkout.session.completed");
    }

    #[test]
    fn any_matching_v1_is_enough_and_other_schemes_are_ignored() {
        let good = compute_signature(SECRET, NOW, BODY);
        let header = format!("t={NOW},v1={},v0=abc,v1={good}", "00".repeat(32));
        assert!(verify(&header, BODY, NOW).is_ok());
    }

    #[test]
    fn a_tampered_body_is_rejected() {
        let header = signature_header(SECRET, NOW, BODY);
        let tampered = String::from_utf8_lossy(BODY).replace("cs_1", "cs_2");
        assert_eq!(
            verify(&header, tampered.as_bytes(), NOW).unwrap_err(),
            SignatureError::NoMatchingSignature
        );
    }

    #[test]
    fn a_wrong_secret_is_rejected() {
        let header = signature_header("whsec_other", NOW, BODY);
        assert_eq!(
            verify(&header, BODY, NOW).unwrap_err(),
            SignatureError::NoMatchingSignature
        );
    }

    #[test]
    fn timestamps_outside_the_window_are_rejected_on_both_sides() {
        let header = signature_header(SECRET, NOW, BODY);
        assert!(verify(&header, BODY, NOW + 300).is_ok());
        assert!(verify(&header, BODY, NOW - 300).is_ok());
        for now in [NOW + 301, NOW - 301] {
            assert_eq!(
                verify(&header, BODY, now).unwrap_err(),
                SignatureError::TimestampOutsideTolerance
            );
        }
    }

    #[test]
    fn a_signature_for_another_timestamp_is_rejected() {
        let sig = compute_signature(SECRET, NOW, BODY);
        let header = format!("t={},v1={sig}", NOW + 1);
        assert_eq!(
            verify(&header, BODY, NOW).unwrap_err(),
            SignatureError::NoMatchingSignature
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_told_apart() {
        assert_eq!(
            verify_webhook(SECRET, None, BODY, NOW, 300).unwrap_err(),
            SignatureError::MissingHeader
        );
        assert_eq!(
            verify_webhook(SECRET, Some(" "), BODY, NOW, 300).unwrap_err(),
            SignatureError::MissingHeader
        );
        for header in ["garbage", "t=abc,v1=00", "v1=00", &format!("t={NOW}")] {
            assert!(
                matches!(verify(header, BODY, NOW), Err(SignatureError::Malformed(_))),
                "{header}"
            );
        }
        // Non-hex v1 values simply never match.
        assert_eq!(
            verify(&format!("t={NOW},v1=zz"), BODY, NOW).unwrap_err(),
            SignatureError::NoMatchingSignature
        );
    }

    #[test]
    fn a_signed_body_that_is_not_an_event_is_refused() {
        let body = b"not json";
        let header = signature_header(SECRET, NOW, body);
        assert!(matches!(
            verify(&header, body, NOW),
            Err(SignatureError::InvalidPayload(_))
        ));
    }
}
