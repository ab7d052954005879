//! `/auth/*` and `/me`: accounts, tokens and sessions.

use bilten_domain::{PlatformRole, SessionId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

// Request fields are optional in the type so that one answer can name every missing or bad
// field (`422 validation_failed`); the handlers say which are required.

/// `POST /auth/register`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery", "name": "Ada Lovelace"}))]
pub struct RegisterRequest {
    /// Required. Trimmed and lower-cased.
    pub email: Option<String>,
    /// Required. 8–128 characters, not a well-known password.
    pub password: Option<String>,
    /// Required. The name shown on tickets.
    pub name: Option<String>,
}

/// `POST /auth/login`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery"}))]
pub struct LoginRequest {
    /// Required.
    pub email: Option<String>,
    /// Required.
    pub password: Option<String>,
}

/// `POST /auth/refresh`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// Required: the refresh token of the last pair.
    pub refresh_token: Option<String>,
}

/// `POST /auth/password`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// Required.
    pub current_password: Option<String>,
    /// Required; the same rules as at registration.
    pub new_password: Option<String>,
}

/// `POST /auth/forgot`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotRequest {
    /// Required.
    pub email: Option<String>,
}

/// `POST /auth/reset`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// Required: the token from the reset mail.
    pub token: Option<String>,
    /// Required: the new password.
    pub password: Option<String>,
}

/// `POST /auth/verify`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// Required: the token from the verification mail.
    pub token: Option<String>,
}

/// The only token type there is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum TokenType {
    Bearer,
}

/// A new token pair (`POST /auth/login`, `POST /auth/refresh`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Spent by its next use: keep the one each refresh returns.
    pub refresh_token: String,
    pub token_type: TokenType,
    /// Seconds the access token lives.
    pub expires_in: u64,
    pub user_id: UserId,
}

/// What an accepted request that reports nothing else answers (`forgot`, `verify/resend`,
/// `password`, `reset`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusResponse {
    /// `accepted`, `password_changed` or `password_reset`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: PlatformRole,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
}

/// `{"user": …}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserResponse {
    pub user: User,
}

/// `PATCH /me`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// The new display name; absent keeps it.
    pub name: Option<String>,
}

/// A live login session of the account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub id: SessionId,
    /// The session of the token making this request.
    pub current: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// `GET /me/sessions`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<Session>,
}

impl StatusResponse {
    /// `{"status": …}` without a message.
    pub fn new(status: &str) -> Self {
        Self {
            status: status.to_owned(),
            message: None,
        }
    }
}
