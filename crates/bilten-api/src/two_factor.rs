//! Two-factor sign-in with TOTP (RFC 6238): enrolment, recovery codes, the sign-in step after
//! the password, and disabling it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::TokenResponse;

/// `GET /me/two-factor`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TwoFactorStatus {
    /// Sign-in asks for a code after the password.
    pub enabled: bool,
    /// An enrolment waits for its first code.
    pub pending: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

/// `POST /me/two-factor`: a new secret to put into an authenticator app.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TwoFactorEnrolment {
    /// The shared secret, base32 (for typing it in).
    pub secret: String,
    /// `otpauth://totp/…`, what the QR code holds.
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri` as a standalone SVG image.
    pub qr_svg: String,
}

/// `POST /me/two-factor/confirm` and `DELETE /me/two-factor`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorCodeRequest {
    /// Required: the 6-digit code the app shows now (to disable: or a recovery code).
    pub code: Option<String>,
}

/// `POST /me/two-factor/confirm`: shown once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes that sign in instead of the app's code.
    pub recovery_codes: Vec<String>,
}

/// `POST /auth/login` answers this (202) instead of tokens when the account has a second
/// factor: send the code with the challenge to `POST /auth/login/two-factor`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TwoFactorChallenge {
    /// Always `totp`.
    pub two_factor: String,
    /// Short-lived (5 minutes, 5 wrong codes); not a session.
    pub challenge_token: String,
    pub expires_in: u64,
}

/// What `POST /auth/login` answers: tokens (200), or the second step (202).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LoginAnswer {
    Tokens(TokenResponse),
    TwoFactor(TwoFactorChallenge),
}

/// `POST /auth/login/two-factor`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorLoginRequest {
    /// Required: from the login's answer.
    pub challenge_token: Option<String>,
    /// Required: the app's 6-digit code, or one of the recovery codes.
    pub code: Option<String>,
}

/// `PATCH /organizations/{id}` (owners).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationSettingsRequest {
    /// Members must sign in with a second factor to act in the organization.
    pub require_two_factor: Option<bool>,
}
