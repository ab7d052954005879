//! `/auth/*`: registration, login, token refresh, logout, password change and reset, email
//! verification.

mod extract;
pub(crate) mod hashing;
mod secrets;
pub(crate) mod service;
mod throttle;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use bilten_domain::{DisplayName, Email, FieldError, FieldErrors, Password};
use bilten_http::Json;
use serde::{Deserialize, Serialize};

pub use extract::{CurrentUser, MaybeUser};

use crate::client_ip::ClientIp;
use crate::error::BackendResult;
use crate::users::UserView;
use crate::AppState;
use service::{ClientInfo, Registration, TokenPair};

fn required(value: Option<&str>) -> Result<&str, FieldError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(FieldError::new("required", "This field is required.")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    email: Option<String>,
    password: Option<String>,
    name: Option<String>,
}

pub async fn register(
    State(state): State<AppState>,
    Json(body): Json<RegisterRequest>,
) -> BackendResult<impl IntoResponse> {
    let mut errors = FieldErrors::new();
    let email = errors.check(
        "email",
        required(body.email.as_deref()).and_then(Email::parse),
    );
    let password = errors.check(
        "password",
        required(body.password.as_deref()).and_then(Password::parse),
    );
    let name = errors.check(
        "name",
        required(body.name.as_deref()).and_then(DisplayName::parse),
    );
    let (Some(email), Some(password), Some(name)) = (email, password, name) else {
        return Err(errors.into());
    };
    let user = service::register(
        &state,
        Registration {
            email,
            password,
            name,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "user": UserView::from(&user) })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    email: Option<String>,
    password: Option<String>,
}

#[derive(Serialize)]
pub struct TokenResponse {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: u64,
    user_id: String,
}

impl From<TokenPair> for TokenResponse {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token,
            refresh_token: pair.refresh_token,
            token_type: "Bearer",
            expires_in: pair.expires_in,
            user_id: pair.user_id.to_string(),
        }
    }
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(body): Json<LoginRequest>,
) -> BackendResult<Json<TokenResponse>> {
    let mut errors = FieldErrors::new();
    let email = errors.check("email", required(body.email.as_deref()));
    let password = errors.check("password", required(body.password.as_deref()));
    let (Some(email), Some(password)) = (email, password) else {
        return Err(errors.into());
    };
    if password.len() > 1024 {
        // Nothing valid is this long; do not spend Argon2 time on it.
        return Err(crate::BackendError::InvalidCredentials);
    }
    let client = ClientInfo {
        ip: ip.to_string(),
        user_agent: headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(ToOwned::to_owned),
    };
    let pair = service::login(&state, email, password.to_owned(), &client).await?;
    Ok(Json(pair.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: Option<String>,
}

pub async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<RefreshRequest>,
) -> BackendResult<Json<TokenResponse>> {
    let token = required(body.refresh_token.as_deref())
        .map_err(|e| FieldErrors::single("refresh_token", e))?;
    Ok(Json(service::refresh(&state, token).await?.into()))
}

pub async fn logout(State(state): State<AppState>, user: CurrentUser) -> BackendResult<StatusCode> {
    service::logout(&state, user.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn logout_everywhere(
    State(state): State<AppState>,
    user: CurrentUser,
) -> BackendResult<StatusCode> {
    service::logout_everywhere(&state, user.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    current_password: Option<String>,
    new_password: Option<String>,
}

pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ChangePasswordRequest>,
) -> BackendResult<Json<serde_json::Value>> {
    let mut errors = FieldErrors::new();
    let current = errors.check(
        "current_password",
        required(body.current_password.as_deref()),
    );
    let new = errors.check(
        "new_password",
        required(body.new_password.as_deref()).and_then(Password::parse),
    );
    let (Some(current), Some(new)) = (current, new) else {
        return Err(errors.into());
    };
    if current.len() > 1024 {
        return Err(crate::BackendError::field(
            "current_password",
            "incorrect",
            "The current password is wrong.",
        ));
    }
    service::change_password(
        &state,
        user.user_id,
        user.session_id,
        current.to_owned(),
        &new,
    )
    .await?;
    Ok(Json(serde_json::json!({ "status": "password_changed" })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgotRequest {
    email: Option<String>,
}

pub async fn forgot(
    State(state): State<AppState>,
    Json(body): Json<ForgotRequest>,
) -> BackendResult<impl IntoResponse> {
    let email = required(body.email.as_deref())
        .and_then(Email::parse)
        .map_err(|e| FieldErrors::single("email", e))?;
    service::forgot_password(&state, email);
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({
            "status": "accepted",
            "message": "If an account exists for this email, a reset link is on its way."
        })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    token: Option<String>,
    password: Option<String>,
}

pub async fn reset(
    State(state): State<AppState>,
    Json(body): Json<ResetRequest>,
) -> BackendResult<Json<serde_json::Value>> {
    let mut errors = FieldErrors::new();
    let token = errors.check("token", required(body.token.as_deref()));
    let password = errors.check(
        "password",
        required(body.password.as_deref()).and_then(Password::parse),
    );
    let (Some(token), Some(password)) = (token, password) else {
        return Err(errors.into());
    };
    service::reset_password(&state, token, &password).await?;
    Ok(Json(serde_json::json!({ "status": "password_reset" })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    token: Option<String>,
}

pub async fn verify(
    State(state): State<AppState>,
    Json(body): Json<VerifyRequest>,
) -> BackendResult<Json<serde_json::Value>> {
    let token = required(body.token.as_deref()).map_err(|e| FieldErrors::single("token", e))?;
    let user = service::verify_email(&state, token).await?;
    Ok(Json(serde_json::json!({ "user": UserView::from(&user) })))
}

pub async fn resend_verification(
    State(state): State<AppState>,
    user: CurrentUser,
) -> BackendResult<impl IntoResponse> {
    service::resend_verification(&state, user.user_id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "status": "accepted" })),
    ))
}
