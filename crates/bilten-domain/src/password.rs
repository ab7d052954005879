//! The password policy: long enough, not absurdly long, not a well-known password.
//!
//! Follows NIST SP 800-63B: length over composition rules, and a block list of passwords
//! that attackers try first.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use crate::validation::FieldError;

pub const MIN_CHARS: usize = 8;
/// Argon2 copes with any length, but an upper bound keeps a request from buying seconds of CPU.
pub const MAX_CHARS: usize = 128;

static COMMON_LIST: &str = include_str!("../data/common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_LIST
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    })
}

/// A new password that passed the policy. Its `Debug` never shows the text.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let chars = input.chars().count();
        if chars < MIN_CHARS {
            return Err(FieldError::new(
                "too_short",
                format!("Use at least {MIN_CHARS} characters."),
            ));
        }
        if chars > MAX_CHARS {
            return Err(FieldError::new(
                "too_long",
                format!("Use at most {MAX_CHARS} characters."),
            ));
        }
        // Nobody can type one, and no text anywhere in Bilten may hold one.
        if input.contains('\0') {
            return Err(FieldError::new(
                "invalid_characters",
                "The password contains a NUL character.",
            ));
        }
        if common_passwords().contains(input.to_lowercase().as_str()) {
            return Err(FieldError::new(
                "too_common",
                "This password is too common; choose another.",
            ));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_enforces_length_bounds() {
        assert_eq!(Password::parse("short").unwrap_err().code, "too_short");
        assert_eq!(
            Password::parse(&"x".repeat(129)).unwrap_err().code,
            "too_long"
        );
        assert!(Password::parse("correct horse battery").is_ok());
        // Characters, not bytes: eight multi-byte characters are enough.
        assert!(Password::parse("ééééçççç").is_ok());
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        for common in [
            "password",
            "Password1",
            "12345678",
            "qwertyuiop",
            "iloveyou",
        ] {
            assert_eq!(
                Password::parse(common).unwrap_err().code,
                "too_common",
                "{common}"
            );
        }
        assert!(common_passwords().len() > 100);
    }

    #[test]
    fn debug_never_shows_the_password() {
        let password = Password::parse("a secret phrase").unwrap();
        assert!(!format!("{password:?}").contains("secret"));
    }
}
