//! Turning stored rows into the contract's types (`bilten-api`): the store keeps states and
//! currencies as text, the wire shows them as enums and `Money`. A value outside its list is
//! a corrupt row: the answer is a 500 (logged with the row), never a made-up state.

use bilten_domain::{Currency, Money};

use crate::error::{BackendError, BackendResult};

/// A stored ISO 4217 code.
pub fn currency(code: &str) -> BackendResult<Currency> {
    Currency::parse(code)
        .map_err(|e| BackendError::Internal(format!("stored currency {code:?}: {e}")))
}

/// `minor` units of a stored currency.
pub fn money(minor: i64, code: &str) -> BackendResult<Money> {
    Ok(Money::new(minor, currency(code)?))
}

/// A stored state or kind, as its wire enum (`parse` of a `bilten_api` enum).
pub fn stored<T>(parsed: Option<T>, what: &str, text: &str) -> BackendResult<T> {
    parsed
        .ok_or_else(|| BackendError::Internal(format!("stored {what} {text:?} is not one we know")))
}
