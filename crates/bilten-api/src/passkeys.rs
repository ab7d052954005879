//! Passkeys (WebAuthn): registering them on an account, listing and removing them, and signing
//! in with one instead of a password.
//!
//! The options follow WebAuthn Level 3's JSON forms (`PublicKeyCredentialCreationOptionsJSON`,
//! `PublicKeyCredentialRequestOptionsJSON`), with binary values as base64url, so a browser
//! passes them to `PublicKeyCredential.parseCreationOptionsFromJSON` (or decodes the few
//! binary fields itself) and sends back `credential.toJSON()`.

use bilten_domain::PasskeyId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The relying party (`rp`) of the creation options.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RelyingPartyEntity {
    /// The web app's host name; credentials are scoped to it.
    pub id: String,
    pub name: String,
}

/// The account a new credential is for (`user`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserEntity {
    /// base64url of the user handle (the account id as text, 36 bytes): what a discoverable
    /// credential gives back at sign-in.
    pub id: String,
    /// The email address, as authenticators list it.
    pub name: String,
    pub display_name: String,
}

/// An algorithm the relying party accepts (`pubKeyCredParams`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CredentialParameter {
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A COSE algorithm: -7 (ES256) or -8 (EdDSA).
    pub alg: i64,
}

/// A credential named by id (`excludeCredentials`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CredentialDescriptor {
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// base64url credential id.
    pub id: String,
}

/// What kind of authenticator the credential is to live on (`authenticatorSelection`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorSelection {
    /// `required`: a discoverable credential, so sign-in needs no email.
    pub resident_key: String,
    pub require_resident_key: bool,
    /// `required`: a PIN or biometrics, which makes a passkey a strong sign-in.
    pub user_verification: String,
}

/// `publicKey` of `navigator.credentials.create()`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreationOptions {
    /// base64url of 16 random bytes (the WebAuthn crate's challenge); single use, valid for
    /// `timeout` milliseconds.
    pub challenge: String,
    pub rp: RelyingPartyEntity,
    pub user: UserEntity,
    pub pub_key_cred_params: Vec<CredentialParameter>,
    pub timeout: u64,
    /// The account's passkeys, so an authenticator does not make a second one.
    pub exclude_credentials: Vec<CredentialDescriptor>,
    pub authenticator_selection: AuthenticatorSelection,
    /// Always `none`: the make of the authenticator is not asked.
    pub attestation: String,
}

/// `POST /me/passkeys/options`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasskeyCreationOptions {
    pub public_key: CreationOptions,
}

/// `publicKey` of `navigator.credentials.get()`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestOptions {
    /// base64url of 16 random bytes (the WebAuthn crate's challenge); single use, valid for
    /// `timeout` milliseconds.
    pub challenge: String,
    pub rp_id: String,
    pub timeout: u64,
    /// Always `required`.
    pub user_verification: String,
    /// Always empty: the authenticator offers the account's discoverable credentials.
    pub allow_credentials: Vec<CredentialDescriptor>,
}

/// `POST /auth/passkey/options`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasskeyRequestOptions {
    pub public_key: RequestOptions,
}

/// The authenticator's answer to `create()` (`AuthenticatorAttestationResponseJSON`), the
/// fields we read; others (`transports`, `publicKey`, …) are ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttestationResponse {
    /// Required: base64url.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: Option<String>,
    /// Required: base64url of the CBOR attestation object.
    pub attestation_object: Option<String>,
}

/// `PublicKeyCredential.toJSON()` after `create()`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationCredential {
    /// Required: base64url credential id.
    pub id: Option<String>,
    pub raw_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Required.
    pub response: Option<AttestationResponse>,
    #[schema(value_type = Object)]
    pub client_extension_results: Option<serde_json::Value>,
    pub authenticator_attachment: Option<String>,
}

/// `POST /me/passkeys`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPasskeyRequest {
    /// Required: 1–100 characters, how the account's owner tells their passkeys apart
    /// ("Laptop", "Phone").
    pub name: Option<String>,
    /// Required: the browser's answer to the options of `POST /me/passkeys/options`.
    pub credential: Option<RegistrationCredential>,
}

/// The authenticator's answer to `get()` (`AuthenticatorAssertionResponseJSON`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponse {
    /// Required: base64url.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: Option<String>,
    /// Required: base64url.
    pub authenticator_data: Option<String>,
    /// Required: base64url.
    pub signature: Option<String>,
    /// base64url of the user handle the credential was made with.
    pub user_handle: Option<String>,
}

/// `PublicKeyCredential.toJSON()` after `get()`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationCredential {
    /// Required: base64url credential id.
    pub id: Option<String>,
    pub raw_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Required.
    pub response: Option<AssertionResponse>,
    #[schema(value_type = Object)]
    pub client_extension_results: Option<serde_json::Value>,
    pub authenticator_attachment: Option<String>,
}

/// `POST /auth/passkey`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginRequest {
    /// Required: the browser's answer to the options of `POST /auth/passkey/options`.
    pub credential: Option<AuthenticationCredential>,
}

/// A passkey of the account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Passkey {
    pub id: PasskeyId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// The last sign-in with it; `null` before the first.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// `POST /me/passkeys`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasskeyResponse {
    pub passkey: Passkey,
}

/// `GET /me/passkeys`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasskeyList {
    /// Oldest first.
    pub passkeys: Vec<Passkey>,
}
