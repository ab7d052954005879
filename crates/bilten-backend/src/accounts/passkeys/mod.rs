//! Passkeys (WebAuthn): `/me/passkeys` (options, register, list, remove) and `/auth/passkey`
//! (options, then sign in with no password). A session started with a passkey counts as a
//! strong sign-in for organizations that require a second factor.

mod service;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use bilten_api::accounts::TokenResponse;
use bilten_api::passkeys::{
    PasskeyCreationOptions, PasskeyList, PasskeyLoginRequest, PasskeyRequestOptions,
    PasskeyResponse, RegisterPasskeyRequest,
};
use bilten_domain::{FieldError, FieldErrors, PasskeyId};
use bilten_http::Json;

use crate::accounts::auth::service::ClientInfo;
use crate::client_ip::ClientIp;
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::AppState;

/// A passkey's name: 1–100 characters once trimmed.
fn name_of(name: Option<&str>) -> Result<String, FieldError> {
    let name = name.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(FieldError::new("required", "Give the passkey a name."));
    }
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "invalid",
            "A name is at most 100 characters, without control characters.",
        ));
    }
    Ok(name.to_owned())
}

fn client_info(ip: std::net::IpAddr, headers: &HeaderMap) -> ClientInfo {
    ClientInfo {
        ip: ip.to_string(),
        user_agent: headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(ToOwned::to_owned),
    }
}

#[utoipa::path(
    post,
    path = "/me/passkeys/options",
    tag = "accounts",
    operation_id = "passkey_registration_options",
    summary = "Start adding a passkey: options for navigator.credentials.create()",
    responses(
        (status = 200, description = "The creation options, with a challenge good for one answer within 5 minutes.", body = PasskeyCreationOptions),
    )
)]
pub async fn registration_options(
    State(state): State<AppState>,
    user: CurrentUser,
) -> BackendResult<Json<PasskeyCreationOptions>> {
    Ok(Json(
        service::registration_options(&state, user.user_id).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/me/passkeys",
    tag = "accounts",
    operation_id = "register_passkey",
    summary = "Add a passkey with the authenticator's answer",
    request_body = RegisterPasskeyRequest,
    responses(
        (status = 201, description = "The passkey; it signs in from now on.", body = PasskeyResponse),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<RegisterPasskeyRequest>,
) -> BackendResult<(StatusCode, Json<PasskeyResponse>)> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", name_of(body.name.as_deref()));
    let response = errors.check(
        "credential",
        body.credential
            .as_ref()
            .and_then(|c| c.response.as_ref())
            .ok_or_else(|| FieldError::new("required", "This field is required.")),
    );
    let (Some(name), Some(response)) = (name, response) else {
        return Err(errors.into());
    };
    let passkey = service::register(&state, user.user_id, &name, response).await?;
    Ok((StatusCode::CREATED, Json(PasskeyResponse { passkey })))
}

#[utoipa::path(
    get,
    path = "/me/passkeys",
    tag = "accounts",
    operation_id = "list_passkeys",
    summary = "The account's passkeys",
    responses(
        (status = 200, description = "Oldest first.", body = PasskeyList),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> BackendResult<Json<PasskeyList>> {
    Ok(Json(PasskeyList {
        passkeys: service::list(&state, user.user_id).await?,
    }))
}

#[utoipa::path(
    delete,
    path = "/me/passkeys/{id}",
    tag = "accounts",
    operation_id = "remove_passkey",
    summary = "Remove a passkey",
    params(
        ("id" = String, Path, description = "The passkey id (`psk_…`)."),
    ),
    responses(
        (status = 204, description = "Removed; it no longer signs in."),
    )
)]
pub async fn remove(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<StatusCode> {
    let id: PasskeyId = id.parse().map_err(|_| BackendError::NotFound("passkey"))?;
    service::remove(&state, user.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/auth/passkey/options",
    tag = "accounts",
    operation_id = "passkey_sign_in_options",
    summary = "Start a passkey sign-in: options for navigator.credentials.get()",
    responses(
        (status = 200, description = "The request options, with a challenge good for one answer within 5 minutes.", body = PasskeyRequestOptions),
    )
)]
pub async fn sign_in_options(
    State(state): State<AppState>,
) -> BackendResult<Json<PasskeyRequestOptions>> {
    Ok(Json(service::sign_in_options(&state).await?))
}

#[utoipa::path(
    post,
    path = "/auth/passkey",
    tag = "accounts",
    operation_id = "sign_in_with_passkey",
    summary = "Sign in with a passkey (no password)",
    request_body = PasskeyLoginRequest,
    responses(
        (status = 200, description = "A token pair; the session counts as a strong sign-in.", body = TokenResponse),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(body): Json<PasskeyLoginRequest>,
) -> BackendResult<Json<TokenResponse>> {
    let Some(credential) = body.credential.as_ref() else {
        return Err(BackendError::field(
            "credential",
            "required",
            "This field is required.",
        ));
    };
    let Some(response) = credential.response.as_ref() else {
        return Err(BackendError::field(
            "credential.response",
            "required",
            "This field is required.",
        ));
    };
    let pair = service::sign_in(
        &state,
        credential.id.as_deref(),
        response,
        &client_info(ip, &headers),
    )
    .await?;
    Ok(Json(pair.into()))
}
