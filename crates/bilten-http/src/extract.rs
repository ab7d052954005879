//! Extractors whose every rejection is an `ApiError` with a stable code: [`Json`] for bodies
//! and [`Query`] for query strings. Both refuse text with NUL characters (see [`crate::nul`]),
//! so that check exists once for every route rather than once per handler.

use axum::body::{Body, Bytes};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{nul, ApiError};
use bilten_api::ErrorCode;

/// Like `axum::Json`, but malformed bodies answer with our error body:
/// `unsupported_media_type` (415), `payload_too_large` (413), `malformed_json` (400),
/// `invalid_body` (422, naming the field serde complained about when it can) and
/// `invalid_characters` (422, a string holds a NUL, naming its field).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_json(req, state, false).await.map(Self)
    }
}

/// Like [`Json`] but lets NUL characters through, for the few machine-input endpoints that
/// answer item by item (the scanner's redeem and offline uploads). There a NUL is one invalid
/// scan, not a malformed request, and one bad item must not refuse a whole batch of offline
/// scans (the scanner app would retry that batch forever). Such handlers parse every text
/// themselves before anything reaches the database: codes are verified signatures, nonces
/// printable ASCII, ids parsed.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonAllowingNul<T>(pub T);

impl<T, S> FromRequest<S> for JsonAllowingNul<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_json(req, state, true).await.map(Self)
    }
}

async fn read_json<T, S>(req: Request, state: &S, allow_nul: bool) -> Result<T, ApiError>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    // Read the body once (under the router's body limit), then let axum's own extractor
    // check the content type and parse it, so its rules stay exactly axum's.
    let headers = req.headers().clone();
    let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            payload_too_large()
        } else {
            ApiError::bad_request(ErrorCode::BadRequest, "The request body could not be read.")
        }
    })?;
    let mut rebuilt = Request::new(Body::from(bytes.clone()));
    *rebuilt.headers_mut() = headers;
    match axum::Json::<T>::from_request(rebuilt, &()).await {
        Ok(_) if !allow_nul && nul::json_has_nul(&bytes) => Err(nul::body_error(&bytes)),
        Ok(axum::Json(value)) => Ok(value),
        Err(rejection) => Err(rejection_to_error(&rejection)),
    }
}

/// Like `axum::extract::Query`, but a query string that does not fit answers
/// `400 invalid_query` in our error body (axum's is plain text), and one with a NUL in a
/// name or value `400 invalid_characters`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or_default();
        if let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(raw) {
            if let Some((name, _)) = pairs
                .iter()
                .find(|(name, value)| name.contains('\0') || value.contains('\0'))
            {
                return Err(nul::query_error(name));
            }
        }
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection| query_rejection_to_error(&rejection))
    }
}

fn query_rejection_to_error(rejection: &QueryRejection) -> ApiError {
    let detail = rejection.body_text();
    let text = detail
        .split_once("Failed to deserialize query string: ")
        .map_or(detail.as_str(), |(_, rest)| rest);
    ApiError::bad_request(
        ErrorCode::InvalidQuery,
        format!(
            "The query string is not valid: {}",
            text.chars().take(200).collect::<String>()
        ),
    )
}

fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        "The request body is too large.",
    )
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
            ErrorCode::UnsupportedMediaType,
            "Send the body as JSON with Content-Type: application/json.",
        ),
        JsonRejection::JsonSyntaxError(_) => ApiError::bad_request(
            ErrorCode::MalformedJson,
            "The request body is not valid JSON.",
        ),
        JsonRejection::JsonDataError(error) => {
            let detail = error.body_text();
            let mut api = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidBody,
                "The request body does not have the expected shape.",
            );
            if let Some(field) = field_from_serde_message(&detail) {
                api = api.with_field(&field, "invalid", clean_serde_message(&detail));
            }
            api
        }
        JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            payload_too_large()
        }
        _ => ApiError::bad_request(ErrorCode::BadRequest, "The request body could not be read."),
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
