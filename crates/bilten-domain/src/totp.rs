//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, 6 digits, 30 s
//! steps — what every authenticator app (Google Authenticator, Aegis, 1Password, …) uses by
//! default. The secret is 20 random bytes (RFC 4226 §4 recommends 160 bits), shown to people
//! as unpadded base32 and in an `otpauth://` URI.
//!
//! Checking a code answers the time step it matched, so the caller can store it and refuse the
//! same code (or an older one) again: a code is single use even inside its 30 s window.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret.
pub const SECRET_LEN: usize = 20;
/// Steps accepted either side of now, for clocks that drift (RFC 6238 §5.2 recommends one).
pub const DRIFT_STEPS: i64 = 1;

/// A TOTP shared secret. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([REDACTED])")
    }
}

impl TotpSecret {
    /// A secret from random bytes the caller drew (the domain does no I/O).
    pub fn from_bytes(bytes: [u8; SECRET_LEN]) -> Self {
        Self(bytes.to_vec())
    }

    /// Parses base32 (RFC 4648, any case, spaces and padding ignored), as stored or typed.
    pub fn from_base32(text: &str) -> Option<Self> {
        let bytes = base32_decode(text)?;
        (bytes.len() >= 10).then_some(Self(bytes))
    }

    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// The code of step `step` (RFC 4226 §5.3 dynamic truncation), zero-padded.
    pub fn code_at_step(&self, step: u64) -> String {
        // HMAC takes a key of any length.
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(&step.to_be_bytes());
        let hash = mac.finalize().into_bytes();
        let offset = usize::from(hash[hash.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([
            hash[offset] & 0x7f,
            hash[offset + 1],
            hash[offset + 2],
            hash[offset + 3],
        ]);
        format!(
            "{:0width$}",
            binary % 10u32.pow(DIGITS),
            width = DIGITS as usize
        )
    }

    /// The code for unix time `unix_seconds`.
    pub fn code_at(&self, unix_seconds: i64) -> String {
        self.code_at_step(step_of(unix_seconds))
    }

    /// The step `code` is valid for at `unix_seconds` (within [`DRIFT_STEPS`]), newer than
    /// `after` (the last step used, so a code works once). Compared in constant time.
    pub fn verify(&self, code: &str, unix_seconds: i64, after: Option<u64>) -> Option<u64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = step_of(unix_seconds);
        let mut matched = None;
        for delta in -DRIFT_STEPS..=DRIFT_STEPS {
            let Some(step) = now.checked_add_signed(delta) else {
                continue;
            };
            if after.is_some_and(|used| step <= used) {
                continue;
            }
            if constant_time_eq(self.code_at_step(step).as_bytes(), code.as_bytes()) {
                matched = Some(step);
            }
        }
        matched
    }

    /// The `otpauth://` URI authenticator apps read from the enrolment QR code.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let label = format!("{}:{}", percent(issuer), percent(account));
        format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            self.to_base32(),
            percent(issuer)
        )
    }
}

fn step_of(unix_seconds: i64) -> u64 {
    u64::try_from(unix_seconds.max(0) / STEP_SECONDS).unwrap_or(0)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
fn percent(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding.
fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let upper = c.to_ascii_uppercase();
        let value = ALPHABET.iter().position(|&a| char::from(a) == upper)?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{base32_decode, base32_encode, TotpSecret};

    /// RFC 6238 Appendix B, the SHA-1 column (its 8-digit codes; ours are their last 6).
    #[test]
    fn the_rfc_6238_test_vectors_hold() {
        let secret = TotpSecret(b"12345678901234567890".to_vec());
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(secret.code_at(time), eight[2..], "T = {time}");
        }
    }

    #[test]
    fn base32_round_trips_the_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
            assert_eq!(
                base32_decode(&encoded.to_lowercase()).unwrap(),
                plain.as_bytes()
            );
        }
        assert!(base32_decode("MZ1").is_none());
    }

    #[test]
    fn a_code_works_within_one_step_of_drift_and_only_once() {
        let secret = TotpSecret::from_bytes(*b"abcdefghijklmnopqrst");
        let now = 1_700_000_000;
        let code = secret.code_at(now);
        let step = secret.verify(&code, now, None).unwrap();
        assert_eq!(secret.verify(&code, now + 30, None), Some(step));
        assert_eq!(secret.verify(&code, now - 30, None), Some(step));
        assert_eq!(secret.verify(&code, now + 90, None), None);
        assert_eq!(secret.verify(&code, now, Some(step)), None, "used once");
        assert_eq!(secret.verify("12345", now, None), None);
        assert_eq!(secret.verify("abcdef", now, None), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(secret.verify(&spaced, now, None), Some(step));
    }

    #[test]
    fn the_uri_names_issuer_account_and_parameters_and_debug_hides_the_secret() {
        let secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(
            secret.otpauth_uri("Bilten", "ada@example.com"),
            "otpauth://totp/Bilten:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Bilten&algorithm=SHA1&digits=6&period=30"
        );
        assert!(!format!("{secret:?}").contains("JBSW"));
    }
}
