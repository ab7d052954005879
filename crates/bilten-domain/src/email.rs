//! Email addresses, normalised once at the edge.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::validation::FieldError;

/// The longest address SMTP can carry (RFC 5321 path limit minus the angle brackets).
const MAX_LEN: usize = 254;

/// A syntactically plausible email address, trimmed and lower-cased.
///
/// Lower-casing the local part is technically lossy (RFC 5321 lets it be case-sensitive) but
/// every mainstream provider treats it case-insensitively, and users retype addresses with
/// different capitalisation; one account per mailbox matters more.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let text = input.trim().to_lowercase();
        if text.is_empty() {
            return Err(FieldError::new("required", "Enter an email address."));
        }
        if text.len() > MAX_LEN {
            return Err(FieldError::new(
                "too_long",
                "The email address is too long.",
            ));
        }
        let invalid = || FieldError::new("invalid_email", "Enter a valid email address.");
        let (local, domain) = text.rsplit_once('@').ok_or_else(invalid)?;
        let plausible_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b >= 0x80);
        let plausible_local = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && local
                .bytes()
                .all(|b| b > b' ' && b != b'<' && b != b'>' && b != b',' && b != 0x7f);
        if !plausible_domain || !plausible_local {
            return Err(invalid());
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For values read back from our own database, which only ever stores parsed emails.
    pub fn from_trusted(text: String) -> Self {
        Self(text)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Email::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_addresses_are_normalised() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert!(Email::parse("first.last+tag@sub.example.co.uk").is_ok());
    }

    #[test]
    fn invalid_addresses_are_rejected_with_a_code() {
        for bad in [
            "",
            "   ",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@.com",
            "a@b..com",
            "a b@c.com",
            "a@b@c.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(
                ["required", "invalid_email"].contains(&err.code),
                "{bad}: {err:?}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long).unwrap_err().code, "too_long");
    }
}
