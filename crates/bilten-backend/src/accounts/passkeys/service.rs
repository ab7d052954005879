//! Passkey rules: the two ceremonies (options with a single-use challenge that keeps the
//! `webauthn_rp` crate's server state, then the authenticator's answer checked by the crate
//! through `bilten_domain::webauthn`), the account's list, and the sign-in that starts a
//! session marked as strong.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bilten_api::passkeys::{
    AssertionResponse, AttestationResponse, AuthenticatorSelection, CreationOptions,
    CredentialDescriptor, CredentialParameter, Passkey, PasskeyCreationOptions,
    PasskeyRequestOptions, RelyingPartyEntity, RequestOptions, UserEntity,
};
use bilten_domain::webauthn::{self, ClientData, PasskeyError, PublicKey, StoredCredential};
use bilten_domain::{PasskeyId, UserId};
use bilten_http::ErrorCode;
use bilten_store::passkeys::{self, NewPasskey, PasskeyRecord, Purpose};
use bilten_store::users;
use chrono::Utc;
use std::num::NonZeroU32;

use crate::accounts::auth::service::{start_session_with, ClientInfo, TokenPair};
use crate::error::{BackendError, BackendResult};
use crate::AppState;

/// How long a ceremony's options are good for (the browser's `timeout` too).
const CHALLENGE_TTL: chrono::Duration = chrono::Duration::minutes(5);
/// Spent and expired challenges are kept this long after expiry (for nothing but a look at a
/// replay in the database), then deleted when a new ceremony starts.
const CHALLENGE_KEEP: chrono::Duration = chrono::Duration::hours(1);
/// Passkeys one account may have.
pub(crate) const MAX_PASSKEYS: usize = 20;

fn rejected(error: &PasskeyError) -> BackendError {
    BackendError::conflict(
        ErrorCode::PasskeyRejected,
        format!("The passkey was refused: {error}."),
    )
}

fn challenge_invalid() -> BackendError {
    BackendError::conflict(
        ErrorCode::PasskeyChallengeInvalid,
        "This passkey request is unknown, already used or expired; start again.",
    )
}

fn unknown() -> BackendError {
    BackendError::conflict(
        ErrorCode::PasskeyUnknown,
        "This passkey signs in to no account here.",
    )
}

/// A field of the authenticator's answer as bytes; `field` names it for the error.
fn bytes_of(field: &str, value: Option<&str>) -> BackendResult<Vec<u8>> {
    let text = value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| BackendError::field(field, "required", "This field is required."))?;
    if text.len() > 64 * 1024 {
        return Err(BackendError::field(
            field,
            "too_long",
            "This value is too long.",
        ));
    }
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| BackendError::field(field, "invalid", "This is not base64url."))
}

/// A challenge from client data, plausible before it is looked up.
fn challenge_of(client: &ClientData) -> BackendResult<&str> {
    let challenge = client.challenge.as_str();
    if challenge.is_empty() || challenge.len() > 100 {
        return Err(challenge_invalid());
    }
    Ok(challenge)
}

/// Starts a ceremony with the crate and keeps its state with the challenge, so the answer can
/// reach any backend replica.
async fn issue_challenge(
    state: &AppState,
    purpose: Purpose,
    user: Option<UserId>,
) -> BackendResult<String> {
    let now = Utc::now();
    passkeys::delete_expired_challenges(state.store.primary(), now - CHALLENGE_KEEP).await?;
    let rp = &state.relying_party;
    let ceremony = match user {
        Some(user) => webauthn::start_registration(rp, user_handle(user)?, timeout()),
        None => webauthn::start_sign_in(rp, timeout()),
    }
    .map_err(|e| BackendError::Internal(format!("passkey ceremony: {e}")))?;
    passkeys::insert_challenge(
        state.store.primary(),
        &ceremony.challenge,
        purpose,
        user,
        &URL_SAFE_NO_PAD.encode(&ceremony.state),
        now,
        now + CHALLENGE_TTL,
    )
    .await?;
    Ok(ceremony.challenge)
}

/// Spends the challenge the answer carries; the ceremony's state it kept.
async fn spend_challenge(
    state: &AppState,
    client_data_json: &[u8],
    purpose: Purpose,
    user: Option<UserId>,
) -> BackendResult<Vec<u8>> {
    let client = ClientData::parse(client_data_json).map_err(|e| rejected(&e))?;
    let challenge = challenge_of(&client)?;
    let server_state =
        passkeys::spend_challenge(state.store.primary(), challenge, purpose, user, Utc::now())
            .await?
            .ok_or_else(challenge_invalid)?;
    URL_SAFE_NO_PAD
        .decode(server_state)
        .map_err(|_| BackendError::Internal(format!("passkey challenge {challenge} unreadable")))
}

/// The ceremony's timeout: what the browser is told and what the crate's state expires by.
fn timeout() -> NonZeroU32 {
    NonZeroU32::new(u32::try_from(timeout_ms()).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN)
}

fn timeout_ms() -> u64 {
    CHALLENGE_TTL.num_milliseconds().unsigned_abs()
}

pub(crate) fn view(record: &PasskeyRecord) -> Passkey {
    Passkey {
        id: record.id,
        name: record.name.clone(),
        created_at: record.created_at,
        last_used_at: record.last_used_at,
    }
}

/// The user handle a credential is made with: the account id's database form (no personal
/// data).
fn user_handle(user: UserId) -> BackendResult<webauthn::UserHandle> {
    webauthn::UserHandle::try_from(user.to_db().as_bytes())
        .map_err(|_| BackendError::Internal(format!("user id {user:?} is no user handle")))
}

pub async fn registration_options(
    state: &AppState,
    user_id: UserId,
) -> BackendResult<PasskeyCreationOptions> {
    let user = users::get(state.store.primary(), user_id).await?;
    let existing = passkeys::list(state.store.primary(), user_id).await?;
    let challenge = issue_challenge(state, Purpose::Register, Some(user_id)).await?;
    let rp = &state.relying_party;
    Ok(PasskeyCreationOptions {
        public_key: CreationOptions {
            challenge,
            rp: RelyingPartyEntity {
                id: rp.id.clone(),
                name: rp.name.clone(),
            },
            user: UserEntity {
                id: URL_SAFE_NO_PAD.encode(user_handle(user_id)?),
                name: user.email.as_str().to_owned(),
                display_name: user.name.as_str().to_owned(),
            },
            pub_key_cred_params: [webauthn::ES256, webauthn::EDDSA]
                .into_iter()
                .map(|alg| CredentialParameter {
                    kind: "public-key".to_owned(),
                    alg,
                })
                .collect(),
            timeout: timeout_ms(),
            exclude_credentials: existing
                .iter()
                .map(|p| CredentialDescriptor {
                    kind: "public-key".to_owned(),
                    id: p.credential_id.clone(),
                })
                .collect(),
            authenticator_selection: AuthenticatorSelection {
                resident_key: "required".to_owned(),
                require_resident_key: true,
                user_verification: "required".to_owned(),
            },
            attestation: "none".to_owned(),
        },
    })
}

/// Checks a registration answer and stores the passkey under `name`.
pub async fn register(
    state: &AppState,
    user_id: UserId,
    name: &str,
    response: &AttestationResponse,
) -> BackendResult<Passkey> {
    let client_data_json = bytes_of(
        "credential.response.clientDataJSON",
        response.client_data_json.as_deref(),
    )?;
    let attestation_object = bytes_of(
        "credential.response.attestationObject",
        response.attestation_object.as_deref(),
    )?;
    let ceremony =
        spend_challenge(state, &client_data_json, Purpose::Register, Some(user_id)).await?;
    let credential = webauthn::verify_registration(
        &state.relying_party,
        &ceremony,
        client_data_json,
        attestation_object,
    )
    .map_err(|e| rejected(&e))?;
    let now = Utc::now();
    if passkeys::list(state.store.primary(), user_id).await?.len() >= MAX_PASSKEYS {
        return Err(BackendError::field(
            "name",
            "too_many",
            "An account can have at most 20 passkeys; remove one first.",
        ));
    }
    let id = PasskeyId::new();
    let stored = passkeys::insert(
        state.store.primary(),
        &NewPasskey {
            id,
            user_id,
            credential_id: &URL_SAFE_NO_PAD.encode(&credential.credential_id),
            public_key: &URL_SAFE_NO_PAD.encode(&credential.public_key.bytes),
            algorithm: credential.public_key.algorithm,
            sign_count: i64::from(credential.sign_count),
            name,
            now,
            static_state: &URL_SAFE_NO_PAD.encode(&credential.static_state),
            dynamic_state: &URL_SAFE_NO_PAD.encode(&credential.dynamic_state),
        },
    )
    .await?;
    if !stored {
        return Err(BackendError::conflict(
            ErrorCode::PasskeyExists,
            "This passkey is registered already.",
        ));
    }
    Ok(Passkey {
        id,
        name: name.to_owned(),
        created_at: bilten_store::from_millis(bilten_store::to_millis(now)),
        last_used_at: None,
    })
}

pub async fn list(state: &AppState, user_id: UserId) -> BackendResult<Vec<Passkey>> {
    Ok(passkeys::list(state.store.primary(), user_id)
        .await?
        .iter()
        .map(view)
        .collect())
}

pub async fn remove(state: &AppState, user_id: UserId, id: PasskeyId) -> BackendResult<()> {
    if passkeys::delete(state.store.primary(), user_id, id).await? {
        Ok(())
    } else {
        Err(BackendError::NotFound("passkey"))
    }
}

pub async fn sign_in_options(state: &AppState) -> BackendResult<PasskeyRequestOptions> {
    let challenge = issue_challenge(state, Purpose::SignIn, None).await?;
    Ok(PasskeyRequestOptions {
        public_key: RequestOptions {
            challenge,
            rp_id: state.relying_party.id.clone(),
            timeout: timeout_ms(),
            user_verification: "required".to_owned(),
            allow_credentials: Vec::new(),
        },
    })
}

/// Checks a sign-in answer; a new session, marked as started with the passkey.
pub async fn sign_in(
    state: &AppState,
    credential_id: Option<&str>,
    response: &AssertionResponse,
    client_info: &ClientInfo,
) -> BackendResult<TokenPair> {
    let credential_id = bytes_of("credential.id", credential_id)?;
    let client_data_json = bytes_of(
        "credential.response.clientDataJSON",
        response.client_data_json.as_deref(),
    )?;
    let authenticator_data = bytes_of(
        "credential.response.authenticatorData",
        response.authenticator_data.as_deref(),
    )?;
    let signature = bytes_of(
        "credential.response.signature",
        response.signature.as_deref(),
    )?;
    let user_handle_sent = match response.user_handle.as_deref() {
        Some(text) if !text.is_empty() => {
            Some(bytes_of("credential.response.userHandle", Some(text))?)
        }
        _ => None,
    };
    let ceremony = spend_challenge(state, &client_data_json, Purpose::SignIn, None).await?;
    let record = passkeys::find_by_credential(
        state.store.primary(),
        &URL_SAFE_NO_PAD.encode(&credential_id),
    )
    .await?
    .ok_or_else(unknown)?;
    // A discoverable credential names its account; it must be the one we stored it for.
    let user = user_handle(record.user_id)?;
    match user_handle_sent {
        Some(sent) if sent == user => {}
        Some(_) => return Err(unknown()),
        // A discoverable credential always gives its user handle back (§7.2, step 6).
        None => {
            return Err(BackendError::conflict(
                ErrorCode::PasskeyRejected,
                "The passkey was refused: the answer carries no user handle.",
            ))
        }
    }
    let unreadable =
        |what: &str| BackendError::Internal(format!("passkey {} {what} unreadable", record.id));
    let key = PublicKey {
        algorithm: record.algorithm,
        bytes: URL_SAFE_NO_PAD
            .decode(&record.public_key)
            .map_err(|_| unreadable("key"))?,
    };
    let decode = |column: Option<&String>, what: &str| {
        column
            .map(|text| URL_SAFE_NO_PAD.decode(text).map_err(|_| unreadable(what)))
            .transpose()
    };
    let static_state = decode(record.static_state.as_ref(), "static state")?;
    let dynamic_state = decode(record.dynamic_state.as_ref(), "dynamic state")?;
    let assertion = webauthn::verify_assertion(
        &state.relying_party,
        &ceremony,
        &StoredCredential {
            credential_id: &credential_id,
            user,
            public_key: &key,
            sign_count: u32::try_from(record.sign_count).unwrap_or(u32::MAX),
            static_state: static_state.as_deref(),
            dynamic_state: dynamic_state.as_deref(),
        },
        client_data_json,
        authenticator_data,
        signature,
    )
    .map_err(|e| rejected(&e))?;
    let now = Utc::now();
    if !passkeys::record_use(
        state.store.primary(),
        record.id,
        record.sign_count,
        i64::from(assertion.sign_count),
        &URL_SAFE_NO_PAD.encode(&assertion.dynamic_state),
        now,
    )
    .await?
    {
        return Err(rejected(&PasskeyError::Counter));
    }
    let user = users::get(state.store.primary(), record.user_id).await?;
    if user.disabled_at.is_some() {
        return Err(unknown());
    }
    start_session_with(
        state,
        user.id,
        user.platform_role,
        client_info,
        Some(record.id),
    )
    .await
}
