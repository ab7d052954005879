//! Field-level validation errors, collected so one response can name every bad field.

use std::collections::BTreeMap;
use std::fmt;

/// Why one field was rejected: a stable machine code plus a human sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}

/// Errors keyed by field name (the JSON name the client sent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the first error for `field`; later ones for the same field are dropped
    /// so the client sees the most basic problem first.
    pub fn add(&mut self, field: impl Into<String>, error: FieldError) {
        self.0.entry(field.into()).or_insert(error);
    }

    /// Parses `result`, recording its error under `field`; returns the value if it parsed.
    pub fn check<T>(&mut self, field: &str, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &FieldError)> {
        self.0.iter()
    }

    /// `Ok(())` when nothing was recorded, so callers can `?` after collecting.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    pub fn single(field: impl Into<String>, error: FieldError) -> Self {
        let mut errors = Self::new();
        errors.add(field, error);
        errors
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (field, error) in &self.0 {
            if !first {
                f.write_str("; ")?;
            }
            write!(f, "{field}: {error}")?;
            first = false;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use crate::{
        Country, Currency, DisplayName, Email, EventTitle, Password, PromoCode, Slug, TimeZoneName,
    };

    /// Text with a NUL never becomes a domain value: PostgreSQL cannot store it, and it is
    /// never what a person meant. (Request extractors refuse it before parsing, too.)
    #[test]
    fn no_text_newtype_accepts_a_nul() {
        let nul = "ab\u{0}cd";
        assert!(Email::parse("a\u{0}b@example.com").is_err());
        assert!(Email::parse("ab@exa\u{0}mple.com").is_err());
        assert!(DisplayName::parse(nul).is_err());
        assert!(EventTitle::parse(nul).is_err());
        assert!(Slug::parse("ab\u{0}cd").is_err());
        assert!(Country::parse("B\u{0}").is_err());
        assert!(TimeZoneName::parse("Europe/Sara\u{0}jevo").is_err());
        assert!(PromoCode::parse("SUM\u{0}MER").is_err());
        assert!(Currency::parse("EU\u{0}").is_err());
        assert!(Password::parse("long enough\u{0}passphrase").is_err());
    }
}
