//! Two-factor sign-in with TOTP (RFC 6238): `/me/two-factor` (status, enrol, confirm,
//! disable) and `/auth/login/two-factor` (the code after the password). The organization
//! setting that requires it of members is the organizations room's (`PATCH
//! /organizations/{id}`).

mod service;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bilten_api::accounts::TokenResponse;
use bilten_api::two_factor::{
    RecoveryCodes, TwoFactorCodeRequest, TwoFactorEnrolment, TwoFactorLoginRequest, TwoFactorStatus,
};
use bilten_domain::FieldErrors;
use bilten_http::Json;

pub(crate) use service::challenge;

use crate::accounts::auth::required;
use crate::accounts::auth::service::ClientInfo;
use crate::client_ip::ClientIp;
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::AppState;

/// The `code` field, required and of a sane length.
fn code_of(body: &TwoFactorCodeRequest) -> BackendResult<&str> {
    let code = required(body.code.as_deref()).map_err(|e| FieldErrors::single("code", e))?;
    if code.len() > 64 {
        return Err(BackendError::field(
            "code",
            "incorrect",
            "This code is not right (or was already used).",
        ));
    }
    Ok(code)
}

#[utoipa::path(
    get,
    path = "/me/two-factor",
    tag = "accounts",
    operation_id = "get_two_factor",
    summary = "Whether two-factor sign-in is on",
    responses(
        (status = 200, description = "The state of the account's second factor.", body = TwoFactorStatus),
    )
)]
pub async fn status(
    State(state): State<AppState>,
    user: CurrentUser,
) -> BackendResult<Json<TwoFactorStatus>> {
    Ok(Json(service::status(&state, user.user_id).await?))
}

#[utoipa::path(
    post,
    path = "/me/two-factor",
    tag = "accounts",
    operation_id = "enrol_two_factor",
    summary = "Start two-factor enrolment: a new TOTP secret",
    responses(
        (status = 201, description = "The secret, its `otpauth://` URI and QR code; confirm with a code to turn it on.", body = TwoFactorEnrolment),
    )
)]
pub async fn enrol(
    State(state): State<AppState>,
    user: CurrentUser,
) -> BackendResult<(StatusCode, Json<TwoFactorEnrolment>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::enrol(&state, user.user_id).await?),
    ))
}

#[utoipa::path(
    post,
    path = "/me/two-factor/confirm",
    tag = "accounts",
    operation_id = "confirm_two_factor",
    summary = "Turn two-factor sign-in on with the app's first code",
    request_body = TwoFactorCodeRequest,
    responses(
        (status = 200, description = "On; ten single-use recovery codes, shown this once.", body = RecoveryCodes),
    )
)]
pub async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<TwoFactorCodeRequest>,
) -> BackendResult<Json<RecoveryCodes>> {
    let code = code_of(&body)?;
    let recovery_codes = service::confirm(&state, user.user_id, code).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

#[utoipa::path(
    post,
    path = "/me/two-factor/recovery-codes",
    tag = "accounts",
    operation_id = "renew_recovery_codes",
    summary = "Replace the recovery codes",
    request_body = TwoFactorCodeRequest,
    responses(
        (status = 200, description = "Ten new recovery codes, shown this once; the old ones no longer work.", body = RecoveryCodes),
    )
)]
pub async fn renew_recovery_codes(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<TwoFactorCodeRequest>,
) -> BackendResult<Json<RecoveryCodes>> {
    let code = code_of(&body)?;
    let recovery_codes = service::renew_recovery_codes(&state, user.user_id, code).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

#[utoipa::path(
    delete,
    path = "/me/two-factor",
    tag = "accounts",
    operation_id = "disable_two_factor",
    summary = "Turn two-factor sign-in off",
    request_body = TwoFactorCodeRequest,
    responses(
        (status = 204, description = "Off; the recovery codes are gone."),
    )
)]
pub async fn disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<TwoFactorCodeRequest>,
) -> BackendResult<StatusCode> {
    let code = code_of(&body)?;
    service::disable(&state, user.user_id, code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/auth/login/two-factor",
    tag = "accounts",
    operation_id = "login_two_factor",
    summary = "Finish a login with the second factor",
    request_body = TwoFactorLoginRequest,
    responses(
        (status = 200, description = "A token pair.", body = TokenResponse),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(body): Json<TwoFactorLoginRequest>,
) -> BackendResult<Json<TokenResponse>> {
    let mut errors = FieldErrors::new();
    let token = errors.check("challenge_token", required(body.challenge_token.as_deref()));
    let code = errors.check("code", required(body.code.as_deref()));
    let (Some(token), Some(code)) = (token, code) else {
        return Err(errors.into());
    };
    let code = code_of(&TwoFactorCodeRequest {
        code: Some(code.to_owned()),
    })
    .map(ToOwned::to_owned)?;
    let client = ClientInfo {
        ip: ip.to_string(),
        user_agent: headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(ToOwned::to_owned),
    };
    let pair = service::complete_login(&state, token, &code, &client).await?;
    Ok(Json(pair.into()))
}
