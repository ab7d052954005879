//! The backend's public HTTP API, as the frontend uses it.
//!
//! The frontend is a client like any other: it holds no database connection and no token
//! secret, so it deploys and scales on its own. Every call carries the browser's User-Agent
//! and address (`X-Forwarded-For`) so the backend's session list and login throttling see the
//! person, not the frontend.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

pub mod ticketing;

/// The contract's types the pages use, under the names they know.
pub use bilten_api::accounts::{Session as SessionInfo, TokenResponse as TokenPair, User};
pub use bilten_api::passkeys::Passkey;
pub use bilten_api::two_factor::{LoginAnswer, TwoFactorEnrolment, TwoFactorStatus};

use bilten_api::accounts::{
    ChangePasswordRequest, ForgotRequest, LoginRequest, RefreshRequest, RegisterRequest,
    ResetRequest, SessionList, UpdateMeRequest, UserResponse, VerifyRequest,
};
use bilten_api::two_factor::{RecoveryCodes, TwoFactorCodeRequest, TwoFactorLoginRequest};
use bilten_api::ErrorCode;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

/// A page waits at most this long for the backend; past it the visitor gets the 503 page
/// instead of a hanging tab.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct BackendApi {
    http: reqwest::Client,
    base_url: Arc<str>,
}

/// Who the call is made for: forwarded so the backend records and throttles the browser.
#[derive(Debug, Clone, Default)]
pub struct Forwarded {
    pub user_agent: Option<String>,
    pub client_ip: Option<IpAddr>,
    /// The language the visitor reads the site in, sent as `Accept-Language`: the mails a
    /// call causes (address confirmation, password reset, invitations) are written in it.
    pub locale: Option<bilten_i18n::Locale>,
}

/// The API's answer for one bad field.
#[derive(Debug, Clone, Deserialize)]
pub struct FieldProblem {
    pub code: String,
    pub message: String,
}

/// A 4xx answer in the API's error shape.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub fields: BTreeMap<String, FieldProblem>,
}

#[derive(Debug)]
pub enum ApiError {
    /// The backend understood and said no (4xx): shown to the visitor.
    Rejected(Rejection),
    /// The backend could not be reached, timed out, failed (5xx) or answered nonsense: the
    /// visitor sees the "try again" page and the cause goes to the log.
    Unavailable(String),
}

impl ApiError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Rejected(rejection) => Some(rejection.code),
            Self::Unavailable(_) => None,
        }
    }
}

/// A request body of the contract as the JSON a call sends.
pub(crate) fn request<T: Serialize>(body: &T) -> Result<Value, ApiError> {
    serde_json::to_value(body)
        .map_err(|e| ApiError::Unavailable(format!("encoding a request: {e}")))
}

/// One request to the API.
pub(crate) struct Call<'a> {
    pub method: Method,
    /// Below `/api/v1`, with its query string.
    pub path: &'a str,
    pub caller: &'a Forwarded,
    pub bearer: Option<&'a str>,
    /// Extra headers, e.g. `Idempotency-Key` or `X-Order-Key`.
    pub headers: &'a [(&'static str, String)],
    pub body: Option<Value>,
}

/// A successful answer as received (for the files the frontend passes through: QR, PDF, CSV).
pub(crate) struct Answer {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    /// A code outside the catalog is not our API's answer: it fails to parse, and the
    /// answer counts as nonsense (`Unavailable`).
    code: ErrorCode,
    message: String,
    #[serde(default)]
    fields: BTreeMap<String, FieldProblem>,
}

impl BackendApi {
    pub fn new(base_url: &str) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // A redirect from the API would be a bug; following it could leak the bearer token.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("bilten-frontend/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').into(),
        })
    }

    /// The readiness probe: the backend answers `/health`.
    pub async fn health(&self) -> Result<(), String> {
        let response = self
            .http
            .get(format!("{}/health", self.base_url))
            .send()
            .await
            .map_err(|e| format!("backend unreachable: {e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("backend /health answered {}", response.status()))
        }
    }

    /// The backend's `/ready` answer (status and each check), for the admin's health page.
    pub async fn readiness(&self) -> Result<(bool, Value), String> {
        let response = self
            .http
            .get(format!("{}/ready", self.base_url))
            .send()
            .await
            .map_err(|e| format!("backend unreachable: {e}"))?;
        let ready = response.status().is_success();
        let body = response
            .json::<Value>()
            .await
            .map_err(|e| format!("backend /ready: {e}"))?;
        Ok((ready, body))
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        caller: &Forwarded,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Result<Vec<u8>, ApiError> {
        self.send(Call {
            method,
            path,
            caller,
            bearer,
            headers: &[],
            body,
        })
        .await
        .map(|answer| answer.body)
    }

    /// Sends one request; a 2xx answer's body and content type, or the refusal.
    pub(crate) async fn send(&self, call: Call<'_>) -> Result<Answer, ApiError> {
        let Call {
            method,
            path,
            caller,
            bearer,
            headers,
            body,
        } = call;
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base_url));
        if let Some(user_agent) = &caller.user_agent {
            request = request.header(reqwest::header::USER_AGENT, user_agent);
        }
        if let Some(ip) = caller.client_ip {
            request = request.header("x-forwarded-for", ip.to_string());
        }
        let asks_language = headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("accept-language"));
        if let (Some(locale), false) = (caller.locale, asks_language) {
            request = request.header(reqwest::header::ACCEPT_LANGUAGE, locale.code());
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::Unavailable(format!("{path}: {e}")))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_disposition = response
            .headers()
            .get(reqwest::header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ApiError::Unavailable(format!("{path}: reading the body: {e}")))?;
        if status.is_success() {
            return Ok(Answer {
                body: bytes.to_vec(),
                content_type,
                content_disposition,
            });
        }
        if status.is_server_error() {
            return Err(ApiError::Unavailable(format!(
                "{path}: backend answered {status}"
            )));
        }
        match serde_json::from_slice::<ErrorEnvelope>(&bytes) {
            Ok(ErrorEnvelope { error }) => Err(ApiError::Rejected(Rejection {
                status,
                code: error.code,
                message: error.message,
                fields: error.fields,
            })),
            Err(e) => Err(ApiError::Unavailable(format!(
                "{path}: {status} without the error shape: {e}"
            ))),
        }
    }

    /// Like [`BackendApi::send`], decoding the JSON answer.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<T, ApiError> {
        let path = call.path.to_owned();
        let answer = self.send(call).await?;
        serde_json::from_slice(&answer.body)
            .map_err(|e| ApiError::Unavailable(format!("{path}: unexpected answer: {e}")))
    }

    async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        caller: &Forwarded,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Result<T, ApiError> {
        self.send_json(Call {
            method,
            path,
            caller,
            bearer,
            headers: &[],
            body,
        })
        .await
    }

    pub async fn register(
        &self,
        caller: &Forwarded,
        email: &str,
        password: &str,
        name: &str,
    ) -> Result<User, ApiError> {
        let body = request(&RegisterRequest {
            email: Some(email.to_owned()),
            password: Some(password.to_owned()),
            name: Some(name.to_owned()),
        })?;
        let envelope: UserResponse = self
            .call_json(Method::POST, "/auth/register", caller, None, Some(body))
            .await?;
        Ok(envelope.user)
    }

    /// Tokens, or the challenge of the second step when the account has two-factor sign-in.
    pub async fn login(
        &self,
        caller: &Forwarded,
        email: &str,
        password: &str,
    ) -> Result<LoginAnswer, ApiError> {
        let body = request(&LoginRequest {
            email: Some(email.to_owned()),
            password: Some(password.to_owned()),
        })?;
        self.call_json(Method::POST, "/auth/login", caller, None, Some(body))
            .await
    }

    /// The second step of a login: the challenge and a code (or a recovery code).
    pub async fn login_two_factor(
        &self,
        caller: &Forwarded,
        challenge_token: &str,
        code: &str,
    ) -> Result<TokenPair, ApiError> {
        let body = request(&TwoFactorLoginRequest {
            challenge_token: Some(challenge_token.to_owned()),
            code: Some(code.to_owned()),
        })?;
        self.call_json(
            Method::POST,
            "/auth/login/two-factor",
            caller,
            None,
            Some(body),
        )
        .await
    }

    pub async fn refresh(
        &self,
        caller: &Forwarded,
        refresh_token: &str,
    ) -> Result<TokenPair, ApiError> {
        let body = request(&RefreshRequest {
            refresh_token: Some(refresh_token.to_owned()),
        })?;
        self.call_json(Method::POST, "/auth/refresh", caller, None, Some(body))
            .await
    }

    pub async fn logout(&self, caller: &Forwarded, access_token: String) -> Result<(), ApiError> {
        self.call(
            Method::POST,
            "/auth/logout",
            caller,
            Some(&access_token),
            None,
        )
        .await
        .map(drop)
    }

    pub async fn logout_everywhere(
        &self,
        caller: &Forwarded,
        access_token: String,
    ) -> Result<(), ApiError> {
        self.call(
            Method::POST,
            "/auth/logout-all",
            caller,
            Some(&access_token),
            None,
        )
        .await
        .map(drop)
    }

    pub async fn change_password(
        &self,
        caller: &Forwarded,
        access_token: String,
        current_password: &str,
        new_password: &str,
    ) -> Result<(), ApiError> {
        let body = request(&ChangePasswordRequest {
            current_password: Some(current_password.to_owned()),
            new_password: Some(new_password.to_owned()),
        })?;
        self.call(
            Method::POST,
            "/auth/password",
            caller,
            Some(&access_token),
            Some(body),
        )
        .await
        .map(drop)
    }

    pub async fn forgot_password(&self, caller: &Forwarded, email: &str) -> Result<(), ApiError> {
        let body = request(&ForgotRequest {
            email: Some(email.to_owned()),
        })?;
        self.call(Method::POST, "/auth/forgot", caller, None, Some(body))
            .await
            .map(drop)
    }

    pub async fn reset_password(
        &self,
        caller: &Forwarded,
        token: &str,
        password: &str,
    ) -> Result<(), ApiError> {
        let body = request(&ResetRequest {
            token: Some(token.to_owned()),
            password: Some(password.to_owned()),
        })?;
        self.call(Method::POST, "/auth/reset", caller, None, Some(body))
            .await
            .map(drop)
    }

    pub async fn verify_email(&self, caller: &Forwarded, token: &str) -> Result<User, ApiError> {
        let body = request(&VerifyRequest {
            token: Some(token.to_owned()),
        })?;
        let envelope: UserResponse = self
            .call_json(Method::POST, "/auth/verify", caller, None, Some(body))
            .await?;
        Ok(envelope.user)
    }

    pub async fn resend_verification(
        &self,
        caller: &Forwarded,
        access_token: String,
    ) -> Result<(), ApiError> {
        self.call(
            Method::POST,
            "/auth/verify/resend",
            caller,
            Some(&access_token),
            None,
        )
        .await
        .map(drop)
    }

    pub async fn me(&self, caller: &Forwarded, access_token: String) -> Result<User, ApiError> {
        let envelope: UserResponse = self
            .call_json(Method::GET, "/me", caller, Some(&access_token), None)
            .await?;
        Ok(envelope.user)
    }

    pub async fn update_name(
        &self,
        caller: &Forwarded,
        access_token: String,
        name: &str,
    ) -> Result<User, ApiError> {
        let body = request(&UpdateMeRequest {
            name: Some(name.to_owned()),
        })?;
        let envelope: UserResponse = self
            .call_json(
                Method::PATCH,
                "/me",
                caller,
                Some(&access_token),
                Some(body),
            )
            .await?;
        Ok(envelope.user)
    }

    pub async fn sessions(
        &self,
        caller: &Forwarded,
        access_token: String,
    ) -> Result<Vec<SessionInfo>, ApiError> {
        let list: SessionList = self
            .call_json(
                Method::GET,
                "/me/sessions",
                caller,
                Some(&access_token),
                None,
            )
            .await?;
        Ok(list.items)
    }

    /// `GET /me/export`: the account's data as the JSON download the backend makes.
    pub(crate) async fn export_my_data(
        &self,
        caller: &Forwarded,
        access_token: String,
    ) -> Result<Answer, ApiError> {
        self.send(Call {
            method: Method::GET,
            path: "/me/export",
            caller,
            bearer: Some(&access_token),
            headers: &[],
            body: None,
        })
        .await
    }

    /// `DELETE /me`, confirmed with the password.
    pub async fn delete_account(
        &self,
        caller: &Forwarded,
        access_token: String,
        password: &str,
    ) -> Result<(), ApiError> {
        let body = request(&bilten_api::privacy::DeleteAccountRequest {
            password: Some(password.to_owned()),
        })?;
        self.call(
            Method::DELETE,
            "/me",
            caller,
            Some(&access_token),
            Some(body),
        )
        .await
        .map(drop)
    }

    pub async fn two_factor_status(
        &self,
        caller: &Forwarded,
        access_token: String,
    ) -> Result<TwoFactorStatus, ApiError> {
        self.call_json(
            Method::GET,
            "/me/two-factor",
            caller,
            Some(&access_token),
            None,
        )
        .await
    }

    pub async fn enrol_two_factor(
        &self,
        caller: &Forwarded,
        access_token: String,
    ) -> Result<TwoFactorEnrolment, ApiError> {
        self.call_json(
            Method::POST,
            "/me/two-factor",
            caller,
            Some(&access_token),
            None,
        )
        .await
    }

    /// Turns two-factor sign-in on; the recovery codes.
    pub async fn confirm_two_factor(
        &self,
        caller: &Forwarded,
        access_token: String,
        code: &str,
    ) -> Result<Vec<String>, ApiError> {
        self.recovery_codes("/me/two-factor/confirm", caller, access_token, code)
            .await
    }

    /// New recovery codes, confirmed with a code.
    pub async fn renew_recovery_codes(
        &self,
        caller: &Forwarded,
        access_token: String,
        code: &str,
    ) -> Result<Vec<String>, ApiError> {
        self.recovery_codes("/me/two-factor/recovery-codes", caller, access_token, code)
            .await
    }

    /// `POST path {code}`, answered with fresh recovery codes (confirming, renewing).
    async fn recovery_codes(
        &self,
        path: &str,
        caller: &Forwarded,
        access_token: String,
        code: &str,
    ) -> Result<Vec<String>, ApiError> {
        let body = request(&TwoFactorCodeRequest {
            code: Some(code.to_owned()),
        })?;
        let codes: RecoveryCodes = self
            .call_json(Method::POST, path, caller, Some(&access_token), Some(body))
            .await?;
        Ok(codes.recovery_codes)
    }

    pub async fn disable_two_factor(
        &self,
        caller: &Forwarded,
        access_token: String,
        code: &str,
    ) -> Result<(), ApiError> {
        let body = request(&TwoFactorCodeRequest {
            code: Some(code.to_owned()),
        })?;
        self.call(
            Method::DELETE,
            "/me/two-factor",
            caller,
            Some(&access_token),
            Some(body),
        )
        .await
        .map(drop)
    }

    // ----- passkeys -----

    /// Options for `navigator.credentials.create()`, with a fresh challenge.
    pub async fn passkey_registration_options(
        &self,
        caller: &Forwarded,
        access_token: String,
    ) -> Result<bilten_api::passkeys::PasskeyCreationOptions, ApiError> {
        self.call_json(
            Method::POST,
            "/me/passkeys/options",
            caller,
            Some(&access_token),
            None,
        )
        .await
    }

    /// Adds the passkey the browser made (its `toJSON()`, as the page's script sent it).
    pub async fn register_passkey(
        &self,
        caller: &Forwarded,
        access_token: String,
        name: &str,
        credential: Option<bilten_api::passkeys::RegistrationCredential>,
    ) -> Result<Passkey, ApiError> {
        let body = request(&bilten_api::passkeys::RegisterPasskeyRequest {
            name: Some(name.to_owned()),
            credential,
        })?;
        let answer: bilten_api::passkeys::PasskeyResponse = self
            .call_json(
                Method::POST,
                "/me/passkeys",
                caller,
                Some(&access_token),
                Some(body),
            )
            .await?;
        Ok(answer.passkey)
    }

    pub async fn passkeys(
        &self,
        caller: &Forwarded,
        access_token: String,
    ) -> Result<Vec<Passkey>, ApiError> {
        let list: bilten_api::passkeys::PasskeyList = self
            .call_json(
                Method::GET,
                "/me/passkeys",
                caller,
                Some(&access_token),
                None,
            )
            .await?;
        Ok(list.passkeys)
    }

    pub async fn remove_passkey(
        &self,
        caller: &Forwarded,
        access_token: String,
        id: &str,
    ) -> Result<(), ApiError> {
        self.call(
            Method::DELETE,
            &format!("/me/passkeys/{}", ticketing::path_segment(id)),
            caller,
            Some(&access_token),
            None,
        )
        .await
        .map(drop)
    }

    /// Options for `navigator.credentials.get()`, with a fresh challenge.
    pub async fn passkey_sign_in_options(
        &self,
        caller: &Forwarded,
    ) -> Result<bilten_api::passkeys::PasskeyRequestOptions, ApiError> {
        self.call_json(Method::POST, "/auth/passkey/options", caller, None, None)
            .await
    }

    /// Signs in with the passkey answer the browser gave; a new session.
    pub async fn sign_in_with_passkey(
        &self,
        caller: &Forwarded,
        credential: Option<bilten_api::passkeys::AuthenticationCredential>,
    ) -> Result<TokenPair, ApiError> {
        let body = request(&bilten_api::passkeys::PasskeyLoginRequest { credential })?;
        self.call_json(Method::POST, "/auth/passkey", caller, None, Some(body))
            .await
    }
}
