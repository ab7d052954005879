//! Passkeys (WebAuthn Level 3): the relying party's two ceremonies, registration (§7.1) and
//! authentication (§7.2), done by the `webauthn_rp` crate. This module is the one place that
//! speaks its types: it starts a ceremony (a challenge for the browser and the crate's server
//! state as bytes, which the caller stores with the challenge) and finishes it from the bytes
//! the browser sent and the bytes we stored.
//!
//! Two kinds of key are accepted, the ones passkey providers make: ES256 (ECDSA on P-256, COSE
//! algorithm -7) and EdDSA (Ed25519, -8). Attestation is not asked for (`attestation:
//! "none"`): we learn the key, not the make of the device. No extensions are requested.
//!
//! Pure: no I/O. The challenge's single use is the database's (the caller spends it before
//! finishing a ceremony), and so is the last word on the sign counter (a conditional update).

use std::num::NonZeroU32;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use webauthn_rp::bin::{Decode as _, Encode as _};
use webauthn_rp::request::auth::AuthenticationVerificationOptions;
use webauthn_rp::request::register::{
    CoseAlgorithmIdentifier, CoseAlgorithmIdentifiers, Extension, PublicKeyCredentialUserEntity,
    RegistrationVerificationOptions,
};
use webauthn_rp::request::{AsciiDomain, BackupReq, RpId};
use webauthn_rp::response::auth::AuthenticatorAssertion;
use webauthn_rp::response::register::{
    AuthenticatorAttestation, AuthenticatorExtensionOutputStaticState, ClientExtensionsOutputs,
    CompressedPubKey, CredentialProtectionPolicy, DynamicState, Ed25519PubKey, StaticState,
    UncompressedP256PubKey, UncompressedPubKey,
};
use webauthn_rp::response::{AuthTransports, AuthenticatorAttachment, Backup, CredentialId};
use webauthn_rp::{
    AuthenticatedCredential, DiscoverableAuthentication, DiscoverableAuthenticationServerState,
    DiscoverableCredentialRequestOptions, PublicKeyCredentialCreationOptions, Registration,
    RegistrationServerState,
};

/// COSE algorithm ids (RFC 9053) of the keys we accept, in order of preference.
pub const ES256: i64 = -7;
pub const EDDSA: i64 = -8;

/// The user handle a credential is made with: the account id in its 36-character database
/// form (no personal data), as the first passkeys were made with.
pub type UserHandle = [u8; USER_HANDLE_LEN];
const USER_HANDLE_LEN: usize = 36;

type Handle = webauthn_rp::request::register::UserHandle<USER_HANDLE_LEN>;

/// A stored credential's key as the crate decodes it (fixed-size Ed25519 and P-256 parts).
type StoredKey = CompressedPubKey<[u8; 32], [u8; 32], [u8; 48], Vec<u8>>;

/// Who we are to authenticators: the domain credentials are scoped to, and the one origin
/// whose pages may use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The host of the web app (`tickets.example.com`, `localhost`), no port.
    pub id: String,
    /// `scheme://host[:port]` of the web app, exactly as browsers write it in client data.
    pub origin: String,
    /// Shown by some authenticators.
    pub name: String,
}

impl RelyingParty {
    /// The relying party of a web app reached at `public_url` (`https://host[:port]/…`).
    /// `None` when the URL has no host: such a deployment cannot offer passkeys.
    pub fn from_public_url(public_url: &str, name: &str) -> Option<Self> {
        let (scheme, rest) = public_url.split_once("://")?;
        if scheme != "https" && scheme != "http" {
            return None;
        }
        let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
        let host = match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => authority.as_str(),
        };
        if host.is_empty() {
            return None;
        }
        Some(Self {
            id: host.to_owned(),
            origin: format!("{scheme}://{authority}"),
            name: name.to_owned(),
        })
    }
}

impl RelyingParty {
    fn rp_id(&self) -> Result<RpId, PasskeyError> {
        AsciiDomain::try_from(self.id.clone())
            .map(RpId::Domain)
            .map_err(|_| PasskeyError::RelyingPartyId)
    }
}

/// Why a ceremony could not be started or an authenticator's answer is refused. A refusal is a
/// client's mistake or an attack: the API answers them all with one code and names the reason
/// (the crate's words) in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyError {
    #[error("the client data is not the JSON a browser writes")]
    ClientData,
    #[error("{0}")]
    Refused(String),
    #[error("the credential's key is of an algorithm we do not accept")]
    Algorithm,
    #[error("the credential id is empty or longer than 1023 bytes")]
    CredentialId,
    #[error("the sign counter went backwards: the authenticator may have been cloned")]
    Counter,
    #[error("the relying party id is not a domain")]
    RelyingPartyId,
    #[error("the ceremony could not be started: {0}")]
    Start(String),
    #[error("the stored ceremony or credential is unreadable")]
    Stored,
}

fn refused(error: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Refused(error.to_string())
}

/// What `clientDataJSON` says (§5.8.1): its challenge, to find the ceremony it answers. The
/// crate checks all of it again against that ceremony.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ClientData {
    /// base64url of the challenge bytes, as the browser encoded it.
    pub challenge: String,
}

impl ClientData {
    /// Parses the bytes of `clientDataJSON`.
    pub fn parse(json: &[u8]) -> Result<Self, PasskeyError> {
        serde_json::from_slice(json).map_err(|_| PasskeyError::ClientData)
    }
}

/// A started ceremony: the challenge the browser gets (base64url) and the crate's server state,
/// which the caller keeps with the challenge until the answer comes.
#[derive(Debug, Clone)]
pub struct Ceremony {
    pub challenge: String,
    pub state: Vec<u8>,
}

/// ES256 and EdDSA; not ES384 or RS256 (the table holds the first two only).
const ACCEPTED: CoseAlgorithmIdentifiers = CoseAlgorithmIdentifiers::ALL
    .remove(CoseAlgorithmIdentifier::Es384)
    .remove(CoseAlgorithmIdentifier::Rs256);

/// The challenge as the browser receives it and writes it back in client data.
fn challenge_text(challenge: u128) -> String {
    URL_SAFE_NO_PAD.encode(challenge.to_le_bytes())
}

/// Starts registering a passkey for `user`: a discoverable credential with user verification,
/// ES256 or EdDSA, no extensions, answered within `timeout` milliseconds.
pub fn start_registration(
    relying_party: &RelyingParty,
    user: UserHandle,
    timeout: NonZeroU32,
) -> Result<Ceremony, PasskeyError> {
    let rp_id = relying_party.rp_id()?;
    let handle = Handle::from(user);
    let mut options = PublicKeyCredentialCreationOptions::passkey(
        &rp_id,
        PublicKeyCredentialUserEntity::from(&handle),
        Vec::new(),
    );
    options.pub_key_cred_params = ACCEPTED;
    options.timeout = timeout;
    options.extensions = Extension::default();
    let challenge = challenge_text(options.challenge.as_data());
    let (server, _client) = options
        .start_ceremony()
        .map_err(|e| PasskeyError::Start(e.to_string()))?;
    let state = server
        .encode()
        .map_err(|e| PasskeyError::Start(e.to_string()))?;
    Ok(Ceremony { challenge, state })
}

/// Starts a sign-in with any of the relying party's discoverable credentials, with user
/// verification, answered within `timeout` milliseconds.
pub fn start_sign_in(
    relying_party: &RelyingParty,
    timeout: NonZeroU32,
) -> Result<Ceremony, PasskeyError> {
    let rp_id = relying_party.rp_id()?;
    let mut options = DiscoverableCredentialRequestOptions::passkey(&rp_id);
    options.0.timeout = timeout;
    let challenge = challenge_text(options.0.challenge.as_data());
    let (server, _client) = options
        .start_ceremony()
        .map_err(|e| PasskeyError::Start(e.to_string()))?;
    let state = server
        .encode()
        .map_err(|e| PasskeyError::Start(e.to_string()))?;
    Ok(Ceremony { challenge, state })
}

/// A credential's public key as the `passkeys` table has always held it: its COSE algorithm
/// and its raw bytes (a SEC1 uncompressed point for ES256, the 32 bytes for Ed25519).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub algorithm: i64,
    pub bytes: Vec<u8>,
}

/// A registered credential, to store.
#[derive(Debug, Clone)]
pub struct NewCredential {
    pub credential_id: Vec<u8>,
    pub public_key: PublicKey,
    pub sign_count: u32,
    /// The crate's encoding of what never changes (the key, the extensions' outputs).
    pub static_state: Vec<u8>,
    /// The crate's encoding of what a sign-in may change (backup flags, counter, …).
    pub dynamic_state: Vec<u8>,
}

/// Finishes a registration whose ceremony `state` the caller stored (and spent): the crate
/// checks the client data (type, challenge, origin), the authenticator data (relying party,
/// presence, verification, flags), the attestation object and the key.
pub fn verify_registration(
    relying_party: &RelyingParty,
    state: &[u8],
    client_data_json: Vec<u8>,
    attestation_object: Vec<u8>,
) -> Result<NewCredential, PasskeyError> {
    let rp_id = relying_party.rp_id()?;
    let server = RegistrationServerState::<USER_HANDLE_LEN>::decode(state)
        .map_err(|_| PasskeyError::Stored)?;
    let registration = Registration::new(
        AuthenticatorAttestation::new(client_data_json, attestation_object, AuthTransports::NONE),
        AuthenticatorAttachment::None,
        ClientExtensionsOutputs {
            cred_props: None,
            prf: None,
        },
    );
    let origins = [relying_party.origin.as_str()];
    let options = RegistrationVerificationOptions::<&str, &str> {
        allowed_origins: &origins,
        // Authenticators may add outputs nobody asked for (credProtect on security keys).
        error_on_unsolicited_extensions: false,
        ..RegistrationVerificationOptions::default()
    };
    let credential = server
        .verify(&rp_id, &registration, &options)
        .map_err(refused)?;
    let static_state = credential.static_state();
    let public_key = match static_state.credential_public_key {
        UncompressedPubKey::Ed25519(key) => PublicKey {
            algorithm: EDDSA,
            bytes: key.inner().to_vec(),
        },
        UncompressedPubKey::P256(key) => {
            let mut bytes = Vec::with_capacity(65);
            bytes.push(4);
            bytes.extend_from_slice(key.x());
            bytes.extend_from_slice(key.y());
            PublicKey {
                algorithm: ES256,
                bytes,
            }
        }
        UncompressedPubKey::P384(_) | UncompressedPubKey::Rsa(_) => {
            return Err(PasskeyError::Algorithm)
        }
    };
    let dynamic_state = credential.dynamic_state();
    Ok(NewCredential {
        credential_id: credential.id().into_inner().to_vec(),
        public_key,
        sign_count: dynamic_state.sign_count,
        static_state: static_state.encode().map_err(|_| PasskeyError::Stored)?,
        dynamic_state: dynamic_state
            .encode()
            .map_err(|_| PasskeyError::Stored)?
            .to_vec(),
    })
}

/// A stored credential, as a sign-in finds it by its id.
#[derive(Debug, Clone, Copy)]
pub struct StoredCredential<'a> {
    pub credential_id: &'a [u8],
    /// The account it was made for.
    pub user: UserHandle,
    pub public_key: &'a PublicKey,
    pub sign_count: u32,
    /// `None` for a passkey registered before the crate (migration 0022): its state is
    /// rebuilt from `public_key`.
    pub static_state: Option<&'a [u8]>,
    /// `None` likewise: its backup flags are then learnt at this sign-in.
    pub dynamic_state: Option<&'a [u8]>,
}

/// What a sign-in changes on the stored credential.
#[derive(Debug, Clone)]
pub struct Assertion {
    pub sign_count: u32,
    pub dynamic_state: Vec<u8>,
}

/// The static state of a passkey stored before the crate: its key, no extension outputs.
fn rebuilt_static_state(key: &PublicKey) -> Result<Vec<u8>, PasskeyError> {
    let credential_public_key = match key.algorithm {
        EDDSA => UncompressedPubKey::Ed25519(
            Ed25519PubKey::try_from(key.bytes.as_slice()).map_err(|_| PasskeyError::Stored)?,
        ),
        ES256 => match key.bytes.split_first() {
            Some((4, point)) if point.len() == 64 => UncompressedPubKey::P256(
                UncompressedP256PubKey::try_from((&point[..32], &point[32..]))
                    .map_err(|_| PasskeyError::Stored)?,
            ),
            _ => return Err(PasskeyError::Stored),
        },
        _ => return Err(PasskeyError::Stored),
    };
    StaticState {
        credential_public_key,
        extensions: AuthenticatorExtensionOutputStaticState {
            cred_protect: CredentialProtectionPolicy::None,
            hmac_secret: None,
        },
    }
    .encode()
    .map_err(|_| PasskeyError::Stored)
}

/// Finishes a sign-in whose ceremony `state` the caller stored (and spent), answered with the
/// `stored` credential: the crate checks the client data, the authenticator data (relying
/// party, presence, verification, backup flags), the signature and the counter.
pub fn verify_assertion(
    relying_party: &RelyingParty,
    state: &[u8],
    stored: &StoredCredential<'_>,
    client_data_json: Vec<u8>,
    authenticator_data: Vec<u8>,
    signature: Vec<u8>,
) -> Result<Assertion, PasskeyError> {
    let rp_id = relying_party.rp_id()?;
    let server =
        DiscoverableAuthenticationServerState::decode(state).map_err(|_| PasskeyError::Stored)?;
    let handle = Handle::from(stored.user);
    let raw_id = CredentialId::try_from(stored.credential_id.to_vec())
        .map_err(|_| PasskeyError::CredentialId)?;
    let authentication = DiscoverableAuthentication::<USER_HANDLE_LEN>::new(
        raw_id,
        AuthenticatorAssertion::<USER_HANDLE_LEN, true>::new(
            client_data_json,
            authenticator_data,
            signature,
            handle,
        ),
        AuthenticatorAttachment::None,
    );
    let rebuilt;
    let static_bytes = if let Some(bytes) = stored.static_state {
        bytes
    } else {
        rebuilt = rebuilt_static_state(stored.public_key)?;
        rebuilt.as_slice()
    };
    let static_state =
        StaticState::<StoredKey>::decode(static_bytes).map_err(|_| PasskeyError::Stored)?;
    let (mut dynamic_state, backup_requirement) = match stored.dynamic_state {
        Some(bytes) => (
            DynamicState::decode(<[u8; 7]>::try_from(bytes).map_err(|_| PasskeyError::Stored)?)
                .map_err(|_| PasskeyError::Stored)?,
            None,
        ),
        None => (
            DynamicState {
                user_verified: true,
                backup: Backup::NotEligible,
                sign_count: 0,
                authenticator_attachment: AuthenticatorAttachment::None,
            },
            // Not known yet: whatever the authenticator says now is stored.
            Some(BackupReq::None),
        ),
    };
    // The column is the truth (a previous release moves it without the state).
    dynamic_state.sign_count = stored.sign_count;
    let credential_id =
        CredentialId::try_from(stored.credential_id).map_err(|_| PasskeyError::CredentialId)?;
    let mut credential =
        AuthenticatedCredential::new(credential_id, &handle, static_state, dynamic_state)
            .map_err(refused)?;
    let origins = [relying_party.origin.as_str()];
    let options = AuthenticationVerificationOptions::<&str, &str> {
        allowed_origins: &origins,
        backup_requirement,
        error_on_unsolicited_extensions: false,
        ..AuthenticationVerificationOptions::default()
    };
    server
        .verify(&rp_id, &authentication, &mut credential, &options)
        .map_err(refused)?;
    let dynamic_state = credential.dynamic_state();
    Ok(Assertion {
        sign_count: dynamic_state.sign_count,
        dynamic_state: dynamic_state
            .encode()
            .map_err(|_| PasskeyError::Stored)?
            .to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_public_urls_host_and_origin() {
        let rp =
            RelyingParty::from_public_url("https://Tickets.Example.com/app", "Bilten").unwrap();
        assert_eq!(rp.id, "tickets.example.com");
        assert_eq!(rp.origin, "https://tickets.example.com");
        let local = RelyingParty::from_public_url("http://localhost:3000", "Bilten").unwrap();
        assert_eq!(local.id, "localhost");
        assert_eq!(local.origin, "http://localhost:3000");
        assert!(RelyingParty::from_public_url("ftp://x", "Bilten").is_none());
        assert!(RelyingParty::from_public_url("https://", "Bilten").is_none());
    }
}
