//! `/auth/*`: registration, login, token refresh, logout, password change and reset, email
//! verification.

pub(crate) mod service;
mod throttle;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::accounts::{
    ChangePasswordRequest, ForgotRequest, LoginRequest, RefreshRequest, RegisterRequest,
    ResetRequest, StatusResponse, TokenResponse, TokenType, UserResponse, VerifyRequest,
};
use bilten_api::two_factor::TwoFactorChallenge;
use bilten_domain::{DisplayName, Email, FieldError, FieldErrors, Password};
use bilten_http::Json;

use crate::accounts::users::user_view;
use crate::client_ip::ClientIp;
use crate::current_user::CurrentUser;
use crate::error::BackendResult;
use crate::AppState;
use service::{ClientInfo, LoginOutcome, Registration, TokenPair};

pub(crate) fn required(value: Option<&str>) -> Result<&str, FieldError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(FieldError::new("required", "This field is required.")),
    }
}

#[utoipa::path(
    post,
    path = "/auth/register",
    tag = "accounts",
    operation_id = "register",
    summary = "Create an account",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The new account; a verification mail is on its way.", body = UserResponse),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
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
            locale: crate::language::asked(&headers),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(UserResponse {
            user: user_view(&user),
        }),
    ))
}

impl From<TokenPair> for TokenResponse {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token,
            refresh_token: pair.refresh_token,
            token_type: TokenType::Bearer,
            expires_in: pair.expires_in,
            user_id: pair.user_id,
        }
    }
}

#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "accounts",
    operation_id = "login",
    summary = "Log in",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A token pair.", body = TokenResponse),
        (status = 202, description = "The account has two-factor sign-in: send a code with this challenge to `POST /auth/login/two-factor`.", body = TwoFactorChallenge),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(body): Json<LoginRequest>,
) -> BackendResult<Response> {
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
    Ok(
        match service::login(&state, email, password.to_owned(), &client).await? {
            LoginOutcome::Tokens(pair) => Json(TokenResponse::from(pair)).into_response(),
            LoginOutcome::SecondFactor(challenge) => {
                (StatusCode::ACCEPTED, Json(challenge)).into_response()
            }
        },
    )
}

#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "accounts",
    operation_id = "refresh_tokens",
    summary = "Rotate the refresh token",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair; the presented refresh token is spent.", body = TokenResponse),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<RefreshRequest>,
) -> BackendResult<Json<TokenResponse>> {
    let token = required(body.refresh_token.as_deref())
        .map_err(|e| FieldErrors::single("refresh_token", e))?;
    Ok(Json(service::refresh(&state, token).await?.into()))
}

#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "accounts",
    operation_id = "logout",
    summary = "End this session",
    responses(
        (status = 204, description = "The session and its refresh token are ended."),
    )
)]
pub async fn logout(State(state): State<AppState>, user: CurrentUser) -> BackendResult<StatusCode> {
    service::logout(&state, user.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/auth/logout-all",
    tag = "accounts",
    operation_id = "logout_everywhere",
    summary = "End every session of the account",
    responses(
        (status = 204, description = "Every session is ended."),
    )
)]
pub async fn logout_everywhere(
    State(state): State<AppState>,
    user: CurrentUser,
) -> BackendResult<StatusCode> {
    service::logout_everywhere(&state, user.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/auth/password",
    tag = "accounts",
    operation_id = "change_password",
    summary = "Change the password",
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "`{\"status\": \"password_changed\"}`; other sessions end.", body = StatusResponse),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ChangePasswordRequest>,
) -> BackendResult<Json<StatusResponse>> {
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
    Ok(Json(StatusResponse::new("password_changed")))
}

#[utoipa::path(
    post,
    path = "/auth/forgot",
    tag = "accounts",
    operation_id = "forgot_password",
    summary = "Ask for a password reset mail",
    request_body = ForgotRequest,
    responses(
        (status = 202, description = "Accepted, whether or not the account exists.", body = StatusResponse),
    )
)]
pub async fn forgot(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<ForgotRequest>,
) -> BackendResult<impl IntoResponse> {
    let email = required(body.email.as_deref())
        .and_then(Email::parse)
        .map_err(|e| FieldErrors::single("email", e))?;
    service::forgot_password(&state, email, crate::language::asked(&headers));
    Ok((
        StatusCode::ACCEPTED,
        Json(StatusResponse {
            status: "accepted".to_owned(),
            message: Some(
                "If an account exists for this email, a reset link is on its way.".to_owned(),
            ),
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/auth/reset",
    tag = "accounts",
    operation_id = "reset_password",
    summary = "Set a new password with a reset token",
    request_body = ResetRequest,
    responses(
        (status = 200, description = "`{\"status\": \"password_reset\"}`; every session ends.", body = StatusResponse),
    )
)]
pub async fn reset(
    State(state): State<AppState>,
    Json(body): Json<ResetRequest>,
) -> BackendResult<Json<StatusResponse>> {
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
    Ok(Json(StatusResponse::new("password_reset")))
}

#[utoipa::path(
    post,
    path = "/auth/verify",
    tag = "accounts",
    operation_id = "verify_email",
    summary = "Verify the email address",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "The account, `email_verified: true`; guest orders of this email join it.", body = UserResponse),
    )
)]
pub async fn verify(
    State(state): State<AppState>,
    Json(body): Json<VerifyRequest>,
) -> BackendResult<Json<UserResponse>> {
    let token = required(body.token.as_deref()).map_err(|e| FieldErrors::single("token", e))?;
    let user = service::verify_email(&state, token).await?;
    Ok(Json(UserResponse {
        user: user_view(&user),
    }))
}

#[utoipa::path(
    post,
    path = "/auth/verify/resend",
    tag = "accounts",
    operation_id = "resend_verification",
    summary = "Send the verification mail again",
    responses(
        (status = 202, description = "Accepted.", body = StatusResponse),
    )
)]
pub async fn resend_verification(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
) -> BackendResult<impl IntoResponse> {
    service::resend_verification(&state, user.user_id, crate::language::asked(&headers)).await?;
    Ok((StatusCode::ACCEPTED, Json(StatusResponse::new("accepted"))))
}
