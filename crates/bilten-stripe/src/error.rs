//! Errors from Stripe's API, mapped from its documented error object
//! (<https://docs.stripe.com/api/errors>): `{"error":{"type","code","message","param",…}}`.

use serde::Deserialize;

/// Stripe's `error.type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErrorType {
    ApiError,
    CardError,
    IdempotencyError,
    InvalidRequestError,
    /// A type Stripe added after this client was written.
    Other(String),
}

impl ApiErrorType {
    fn parse(raw: &str) -> Self {
        match raw {
            "api_error" => Self::ApiError,
            "card_error" => Self::CardError,
            "idempotency_error" => Self::IdempotencyError,
            "invalid_request_error" => Self::InvalidRequestError,
            other => Self::Other(other.to_owned()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error object.
    #[error("Stripe answered {status} {kind:?} ({code:?}): {message}")]
    Api {
        status: u16,
        kind: ApiErrorType,
        code: Option<String>,
        message: String,
        param: Option<String>,
    },
    /// Stripe could not be reached or the connection broke; the outcome of a create is unknown,
    /// so retry with the same idempotency key.
    #[error("could not reach Stripe: {0}")]
    Transport(#[from] reqwest::Error),
    /// Stripe answered something that is neither the object asked for nor an error object.
    #[error("unexpected answer from Stripe ({status}): {detail}")]
    Unexpected { status: u16, detail: String },
}

impl StripeError {
    /// Worth retrying with the same idempotency key: network failures, 409 (a concurrent request
    /// with the same key), 429 and 5xx, as Stripe's error-handling guide recommends.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Api { status, .. } | Self::Unexpected { status, .. } => {
                *status == 409 || *status == 429 || *status >= 500
            }
        }
    }

    pub(crate) fn from_body(status: u16, body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Envelope {
            error: ErrorObject,
        }
        #[derive(Deserialize)]
        struct ErrorObject {
            #[serde(rename = "type")]
            kind: String,
            code: Option<String>,
            message: Option<String>,
            param: Option<String>,
        }
        match serde_json::from_slice::<Envelope>(body) {
            Ok(Envelope { error }) => Self::Api {
                status,
                kind: ApiErrorType::parse(&error.kind),
                code: error.code,
                message: error.message.unwrap_or_default(),
                param: error.param,
            },
            Err(_) => Self::Unexpected {
                status,
                detail: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            },
        }
    }
}
