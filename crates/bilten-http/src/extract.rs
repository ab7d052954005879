//! A JSON extractor whose every rejection is an `ApiError` with a stable code.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ApiError;

/// Like `axum::Json`, but malformed bodies answer with our error body:
/// `unsupported_media_type` (415), `payload_too_large` (413), `malformed_json` (400) and
/// `invalid_body` (422, naming the field serde complained about when it can).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(rejection_to_error(&rejection)),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn rejection_to_error(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON with Content-Type: application/json.",
        ),
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::bad_request("malformed_json", "The request body is not valid JSON.")
        }
        JsonRejection::JsonDataError(error) => {
            let detail = error.body_text();
            let mut api = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "The request body does not have the expected shape.",
            );
            if let Some(field) = field_from_serde_message(&detail) {
                api = api.with_field(&field, "invalid", clean_serde_message(&detail));
            }
            api
        }
        JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The request body is too large.",
            )
        }
        _ => ApiError::bad_request("bad_request", "The request body could not be read."),
    }
}

/// serde_path_to_error-style messages from axum look like
/// "Failed to deserialize the JSON body into the target type: email: invalid type: ...".
/// Missing fields read "missing field `email`"; unknown ones "unknown field `x`".
fn field_from_serde_message(message: &str) -> Option<String> {
    for marker in ["missing field `", "unknown field `"] {
        if let Some(start) = message.find(marker) {
            let rest = &message[start + marker.len()..];
            return rest.split('`').next().map(ToOwned::to_owned);
        }
    }
    let after = message.split_once("target type: ")?.1;
    let (path, _) = after.split_once(": ")?;
    (!path.contains(' ') && !path.is_empty() && path != ".").then(|| path.to_owned())
}

fn clean_serde_message(message: &str) -> String {
    let text = message
        .split_once("target type: ")
        .map_or(message, |(_, rest)| rest);
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_the_field() {
        assert_eq!(
            field_from_serde_message("Failed to deserialize the JSON body into the target type: missing field `email` at line 1 column 2").as_deref(),
            Some("email")
        );
        assert_eq!(
            field_from_serde_message("Failed to deserialize the JSON body into the target type: password: invalid type: integer `5`, expected a string at line 1 column 15").as_deref(),
            Some("password")
        );
        assert_eq!(
            field_from_serde_message("Failed to deserialize the JSON body into the target type: unknown field `role`, expected one of `email`").as_deref(),
            Some("role")
        );
    }
}
