//! The backend's error type and its mapping to the shared error body.

use axum::response::{IntoResponse, Response};
use bilten_domain::FieldErrors;
use bilten_http::jwt::TokenError;
use bilten_http::{ApiError, ErrorCode};
use bilten_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("validation failed: {0}")]
    Validation(FieldErrors),
    #[error("email already registered")]
    EmailTaken,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("too many failed attempts")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("authentication required")]
    Unauthenticated,
    #[error("access token rejected: {0}")]
    Token(TokenError),
    #[error("session has ended")]
    SessionEnded,
    #[error("refresh token invalid")]
    RefreshTokenInvalid,
    #[error("refresh token reused")]
    RefreshTokenReused,
    #[error("one-time token invalid or expired")]
    InvalidOneTimeToken,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("forbidden")]
    Forbidden,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The email address must be verified first (e.g. to create an organization).
    #[error("email not verified")]
    EmailNotVerified,
    /// A refusal with its code from the catalog (`not_a_draft`, `no_ticket_types`, …),
    /// answered with the code's status.
    #[error("conflict {code}: {message}")]
    Conflict { code: ErrorCode, message: String },
    /// Not enough tickets left; `field` names the order item (`items[0]`).
    #[error("sold out: {field}")]
    SoldOut { field: String, message: String },
    #[error("sales not open: {field}")]
    SalesNotOpen { field: String },
    #[error("sales closed: {field}")]
    SalesClosed { field: String },
    /// A per-order or per-buyer limit.
    #[error("limit exceeded: {field}")]
    LimitExceeded { field: String, message: String },
    /// Unknown, malformed, inactive or outside its validity window (one answer for all).
    #[error("promo code invalid")]
    PromoInvalid,
    /// Every use of the promo code is taken.
    #[error("promo code exhausted")]
    PromoExhausted,
    /// The promo code applies to none of the ordered ticket types.
    #[error("promo code not applicable")]
    PromoNotApplicable,
    #[error("Idempotency-Key header missing")]
    IdempotencyKeyRequired,
    #[error("Idempotency-Key reused with a different request")]
    IdempotencyKeyReused,
    /// The card was declined; `decline_code` is the provider's (`card_declined`, …).
    #[error("payment declined: {decline_code}")]
    PaymentDeclined {
        decline_code: &'static str,
        message: String,
    },
    #[error("internal: {0}")]
    Internal(String),
}

impl BackendError {
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::Validation(FieldErrors::single(
            field,
            bilten_domain::FieldError::new(code, message),
        ))
    }
}

impl From<StoreError> for BackendError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound("resource"),
            StoreError::Unavailable(detail) => Self::Unavailable(detail),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<FieldErrors> for BackendError {
    fn from(errors: FieldErrors) -> Self {
        Self::Validation(errors)
    }
}

impl From<BackendError> for ApiError {
    fn from(error: BackendError) -> Self {
        use BackendError as E;
        match error {
            E::Validation(fields) => ApiError::validation(&fields),
            E::EmailTaken => ApiError::conflict(
                ErrorCode::EmailTaken,
                "An account with this email already exists.",
            )
            .with_field(
                "email",
                "email_taken",
                "An account with this email already exists.",
            ),
            E::InvalidCredentials => ApiError::unauthorized(
                ErrorCode::InvalidCredentials,
                "The email or password is wrong.",
            ),
            E::TooManyAttempts { retry_after_secs } => ApiError::of(
                ErrorCode::TooManyAttempts,
                "Too many failed attempts; try again later.",
            )
            .with_retry_after(retry_after_secs.max(1)),
            E::Unauthenticated => {
                ApiError::unauthorized(ErrorCode::Unauthenticated, "Log in to do this.")
            }
            E::Token(token) => ApiError::unauthorized(
                token.code(),
                match token {
                    TokenError::Expired => "The access token has expired; refresh it.",
                    TokenError::Invalid => "The access token is invalid.",
                },
            ),
            E::SessionEnded => ApiError::unauthorized(
                ErrorCode::SessionEnded,
                "This session has ended; log in again.",
            ),
            E::RefreshTokenInvalid => ApiError::unauthorized(
                ErrorCode::InvalidRefreshToken,
                "The refresh token is invalid or expired; log in again.",
            ),
            E::RefreshTokenReused => ApiError::unauthorized(
                ErrorCode::RefreshTokenReused,
                "This refresh token was already used; the session has been ended for safety.",
            ),
            E::InvalidOneTimeToken => ApiError::bad_request(
                ErrorCode::InvalidOrExpiredToken,
                "This link is invalid, already used or expired.",
            ),
            E::NotFound(what) => ApiError::not_found(format!("No such {what}.")),
            E::Forbidden => ApiError::forbidden("You may not do this."),
            E::Unavailable(detail) => {
                tracing::warn!(%detail, "dependency unavailable");
                ApiError::unavailable("The service is temporarily unavailable; try again shortly.")
            }
            E::Internal(detail) => ApiError::internal(&detail),
            E::EmailNotVerified => ApiError::of(
                ErrorCode::EmailNotVerified,
                "Verify your email address first.",
            ),
            E::Conflict { code, message } => ApiError::of(code, message),
            E::SoldOut { field, message } => item_error(
                ErrorCode::SoldOut,
                "Not enough tickets are left.",
                &field,
                message,
            ),
            E::SalesNotOpen { field } => item_error(
                ErrorCode::SalesNotOpen,
                "Sales have not started yet.",
                &field,
                "Sales for this ticket have not started yet.",
            ),
            E::SalesClosed { field } => item_error(
                ErrorCode::SalesClosed,
                "Sales have ended.",
                &field,
                "Sales for this ticket have ended.",
            ),
            E::LimitExceeded { field, message } => {
                item_error(ErrorCode::LimitExceeded, message.clone(), &field, message)
            }
            promo @ (E::PromoInvalid | E::PromoExhausted | E::PromoNotApplicable) => {
                promo_error(&promo)
            }
            E::PaymentDeclined {
                decline_code,
                message,
            } => ApiError::of(
                ErrorCode::PaymentDeclined,
                format!("The payment was declined: {message}"),
            )
            .with_field("test_card", decline_code, message),
            E::IdempotencyKeyRequired => ApiError::bad_request(
                ErrorCode::IdempotencyKeyRequired,
                "Send an Idempotency-Key header (1-255 visible characters) with this request.",
            ),
            E::IdempotencyKeyReused => ApiError::of(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was used with a different request.",
            ),
        }
    }
}

/// A refusal of one order item: its code at the top and on the item's field.
fn item_error(
    code: ErrorCode,
    message: impl Into<String>,
    field: &str,
    detail: impl Into<String>,
) -> ApiError {
    ApiError::of(code, message).with_field(field, code.as_str(), detail)
}

/// The promo code refusals: each a top-level code and the same code on `promo_code`.
fn promo_error(error: &BackendError) -> ApiError {
    let (code, message) = match error {
        BackendError::PromoExhausted => (
            ErrorCode::PromoCodeExhausted,
            "This promo code has been used up.",
        ),
        BackendError::PromoNotApplicable => (
            ErrorCode::PromoCodeNotApplicable,
            "This promo code does not apply to the chosen tickets.",
        ),
        _ => (
            ErrorCode::PromoCodeInvalid,
            "This promo code is not valid for this event now.",
        ),
    };
    ApiError::of(code, message).with_field("promo_code", code.as_str(), message)
}

impl IntoResponse for BackendError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

pub type BackendResult<T> = Result<T, BackendError>;
