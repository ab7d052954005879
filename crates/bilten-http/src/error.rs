//! The one error body of every Bilten API: `{"error": {"code", "message", "fields"}}`.
//!
//! `code` is a stable `snake_case` string clients can match on, one of [`ErrorCode`] (the
//! catalogue, generated into docs/API.md); `message` is for people; `fields` names bad request fields. Internal causes
//! are logged with the request id and never sent.

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::ErrorCode;
use bilten_domain::FieldErrors;
use serde::Serialize;

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub fields: BTreeMap<String, FieldBody>,
    /// Seconds for `Retry-After` on 429/503.
    pub retry_after: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldBody {
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: ErrorCode,
    message: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fields: &'a BTreeMap<String, FieldBody>,
}

impl ApiError {
    /// An error with `code` answered with `status`, which must be one of the code's
    /// statuses in the catalog (checked in debug builds, so every test run checks it).
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        debug_assert!(
            code.statuses().contains(&status),
            "{code} is not answered with {status}: see bilten_api::ErrorCode"
        );
        Self {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            retry_after: None,
        }
    }

    /// An error with `code` answered with the code's usual status.
    pub fn of(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(code.status(), code, message)
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 422 naming every bad field.
    pub fn validation(errors: &FieldErrors) -> Self {
        let mut error = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            "Some fields are invalid.",
        );
        for (field, problem) in errors.iter() {
            error.fields.insert(
                field.clone(),
                FieldBody {
                    code: problem.code,
                    message: problem.message.clone(),
                },
            );
        }
        error
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "Too many requests; try again later.",
        );
        error.retry_after = Some(retry_after_secs.max(1));
        error
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceUnavailable,
            message,
        );
        error.retry_after = Some(2);
        error
    }

    /// A failure that is ours, not the client's. The cause goes to the log (and Sentry),
    /// the client gets a generic message.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "Something went wrong on our side.",
        )
    }

    #[must_use]
    pub fn with_field(
        mut self,
        field: &str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        self.fields.insert(
            field.to_owned(),
            FieldBody {
                code,
                message: message.into(),
            },
        );
        self
    }

    #[must_use]
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope {
            error: Body {
                code: self.code,
                message: &self.message,
                fields: &self.fields,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        // Error bodies are specific to one request; never let a cache keep them.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        Self::validation(&errors)
    }
}

pub(crate) async fn not_found_fallback(method: axum::http::Method) -> ApiError {
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        ApiError::not_found("No such resource.")
    } else {
        ApiError::not_found("No such route.")
    }
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "This route does not accept that method.",
    )
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "the signature CatchPanicLayer asks for"
)]
pub(crate) fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    ApiError::internal(&format!("handler panicked: {detail}")).into_response()
}
