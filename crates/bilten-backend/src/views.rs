//! Turning stored currencies into the contract's `Money`. (States and kinds arrive from the
//! store as the domain's enums already.) A value outside its list is a corrupt row: the
//! answer is a 500 (logged with the row), never a made-up currency.

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
