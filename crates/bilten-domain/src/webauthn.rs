//! The relying party's checks of a passkey (WebAuthn Level 3, §7.1 registration and §7.2
//! authentication), for the two kinds of key passkey providers make: ES256 (ECDSA on P-256,
//! COSE algorithm -7, what every platform authenticator and security key offers) and EdDSA
//! (Ed25519, -8). Attestation is not asked for (`attestation: "none"`): the statement is
//! neither required nor trusted, so any format is accepted and its statement ignored — we
//! learn the key, not the make of the device.
//!
//! Pure: the caller passes the expected challenge, origin and relying-party id, and stores
//! what comes back. The challenge's single use and expiry are the database's (the caller spends
//! it before calling these), the sign counter's monotonicity too (a conditional update).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// COSE algorithm ids (RFC 9053) of the keys we accept, in order of preference.
pub const ES256: i64 = -7;
pub const EDDSA: i64 = -8;

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

/// Why an authenticator's answer is refused. Each is a client's mistake or an attack, never
/// ours: the API answers them all with one code and names the reason in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyError {
    #[error("the client data is not the JSON a browser writes")]
    ClientData,
    #[error("the client data is of another ceremony")]
    CeremonyType,
    #[error("the client data carries another challenge")]
    Challenge,
    #[error("the client data names another origin")]
    Origin,
    #[error("the answer was made inside a frame of another origin")]
    CrossOrigin,
    #[error("the authenticator data is malformed")]
    AuthenticatorData,
    #[error("the authenticator data is for another relying party")]
    RelyingParty,
    #[error("the authenticator did not see the user (user presence)")]
    UserPresence,
    #[error("the authenticator did not verify the user (PIN or biometrics)")]
    UserVerification,
    #[error("the attestation object is malformed")]
    AttestationObject,
    #[error("the credential's public key is malformed or of an algorithm we do not accept")]
    PublicKey,
    #[error("the credential id is empty or longer than 1023 bytes")]
    CredentialId,
    #[error("the signature does not verify")]
    Signature,
    #[error("the sign counter went backwards: the authenticator may have been cloned")]
    Counter,
}

/// What `clientDataJSON` says (§5.8.1); the fields we check.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ClientData {
    #[serde(rename = "type")]
    pub kind: String,
    /// base64url of the challenge bytes, as the browser encoded it.
    pub challenge: String,
    pub origin: String,
    #[serde(rename = "crossOrigin", default)]
    pub cross_origin: Option<bool>,
}

impl ClientData {
    /// Parses the bytes of `clientDataJSON`.
    pub fn parse(json: &[u8]) -> Result<Self, PasskeyError> {
        serde_json::from_slice(json).map_err(|_| PasskeyError::ClientData)
    }

    fn check(
        &self,
        kind: &str,
        challenge: &str,
        relying_party: &RelyingParty,
    ) -> Result<(), PasskeyError> {
        if self.kind != kind {
            return Err(PasskeyError::CeremonyType);
        }
        // Compared as bytes: a browser encodes without padding, but some add it.
        let sent = URL_SAFE_NO_PAD.decode(challenge.trim_end_matches('='));
        let got = URL_SAFE_NO_PAD.decode(self.challenge.trim_end_matches('='));
        match (sent, got) {
            (Ok(sent), Ok(got)) if !sent.is_empty() && sent == got => {}
            _ => return Err(PasskeyError::Challenge),
        }
        if self.origin != relying_party.origin {
            return Err(PasskeyError::Origin);
        }
        if self.cross_origin == Some(true) {
            return Err(PasskeyError::CrossOrigin);
        }
        Ok(())
    }
}

/// A credential's public key, as we store it: its COSE algorithm and its raw bytes (a SEC1
/// uncompressed point for ES256, the 32 bytes for Ed25519).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub algorithm: i64,
    pub bytes: Vec<u8>,
}

impl PublicKey {
    /// Checks `signature` over `message` (`authenticatorData ‖ SHA-256(clientDataJSON)`).
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), PasskeyError> {
        match self.algorithm {
            ES256 => {
                use p256::ecdsa::signature::Verifier as _;
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&self.bytes)
                    .map_err(|_| PasskeyError::PublicKey)?;
                // WebAuthn's ECDSA signatures are ASN.1 DER (§6.5.6).
                let signature = p256::ecdsa::Signature::from_der(signature)
                    .map_err(|_| PasskeyError::Signature)?;
                key.verify(message, &signature)
                    .map_err(|_| PasskeyError::Signature)
            }
            EDDSA => {
                let bytes: [u8; 32] = self
                    .bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| PasskeyError::PublicKey)?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map_err(|_| PasskeyError::PublicKey)?;
                let signature = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| PasskeyError::Signature)?;
                key.verify_strict(message, &signature)
                    .map_err(|_| PasskeyError::Signature)
            }
            _ => Err(PasskeyError::PublicKey),
        }
    }

    /// The key of a `COSE_Key` map (RFC 9052 §7, RFC 9053 §7.1): EC2 on P-256 with ES256, or
    /// OKP on Ed25519 with EdDSA; the key must be a point on its curve.
    fn from_cose(value: &cbor::Value) -> Result<Self, PasskeyError> {
        let bad = || PasskeyError::PublicKey;
        let kty = value
            .int_key(1)
            .and_then(cbor::Value::as_int)
            .ok_or_else(bad)?;
        let alg = value
            .int_key(3)
            .and_then(cbor::Value::as_int)
            .ok_or_else(bad)?;
        let crv = value
            .int_key(-1)
            .and_then(cbor::Value::as_int)
            .ok_or_else(bad)?;
        let x = value
            .int_key(-2)
            .and_then(cbor::Value::as_bytes)
            .ok_or_else(bad)?;
        let key = match (kty, alg, crv) {
            // EC2, ES256, P-256
            (2, ES256, 1) => {
                let y = value
                    .int_key(-3)
                    .and_then(cbor::Value::as_bytes)
                    .ok_or_else(bad)?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(bad());
                }
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|_| bad())?;
                Self {
                    algorithm: ES256,
                    bytes: point,
                }
            }
            // OKP, EdDSA, Ed25519
            (1, EDDSA, 6) => {
                let bytes: [u8; 32] = x.try_into().map_err(|_| bad())?;
                ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| bad())?;
                Self {
                    algorithm: EDDSA,
                    bytes: bytes.to_vec(),
                }
            }
            _ => return Err(bad()),
        };
        Ok(key)
    }
}

/// A credential the authenticator made (§7.1), to store.
#[derive(Debug, Clone)]
pub struct NewCredential {
    pub credential_id: Vec<u8>,
    pub public_key: PublicKey,
    pub sign_count: u32,
}

/// The parts of `authenticatorData` (§6.1) we use.
struct AuthenticatorData<'a> {
    rp_id_hash: &'a [u8],
    flags: u8,
    sign_count: u32,
    /// After the 37 fixed bytes: the attested credential data, then extensions.
    rest: &'a [u8],
}

const FLAG_UP: u8 = 0x01;
const FLAG_UV: u8 = 0x04;
const FLAG_AT: u8 = 0x40;

impl<'a> AuthenticatorData<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, PasskeyError> {
        if bytes.len() < 37 {
            return Err(PasskeyError::AuthenticatorData);
        }
        Ok(Self {
            rp_id_hash: &bytes[..32],
            flags: bytes[32],
            sign_count: u32::from_be_bytes([bytes[33], bytes[34], bytes[35], bytes[36]]),
            rest: &bytes[37..],
        })
    }

    /// The relying party, user presence and user verification: every passkey ceremony asks
    /// for all three (`userVerification: "required"`).
    fn check(&self, relying_party: &RelyingParty) -> Result<(), PasskeyError> {
        if self.rp_id_hash != Sha256::digest(relying_party.id.as_bytes()).as_slice() {
            return Err(PasskeyError::RelyingParty);
        }
        if self.flags & FLAG_UP == 0 {
            return Err(PasskeyError::UserPresence);
        }
        if self.flags & FLAG_UV == 0 {
            return Err(PasskeyError::UserVerification);
        }
        Ok(())
    }
}

/// Verifies a registration (§7.1 steps 5–26, without attestation trust) against the
/// challenge that was sent, and answers the credential to store.
pub fn verify_registration(
    relying_party: &RelyingParty,
    challenge: &str,
    client_data_json: &[u8],
    attestation_object: &[u8],
) -> Result<NewCredential, PasskeyError> {
    ClientData::parse(client_data_json)?.check("webauthn.create", challenge, relying_party)?;
    let object = cbor::decode(attestation_object).map_err(|()| PasskeyError::AttestationObject)?;
    let auth_data = object
        .text_key("authData")
        .and_then(cbor::Value::as_bytes)
        .ok_or(PasskeyError::AttestationObject)?;
    object
        .text_key("fmt")
        .and_then(cbor::Value::as_text)
        .ok_or(PasskeyError::AttestationObject)?;
    let data = AuthenticatorData::parse(auth_data)?;
    data.check(relying_party)?;
    if data.flags & FLAG_AT == 0 || data.rest.len() < 18 {
        return Err(PasskeyError::AuthenticatorData);
    }
    // aaguid (16), credentialIdLength (2), credentialId, credentialPublicKey (CBOR).
    let id_len = usize::from(u16::from_be_bytes([data.rest[16], data.rest[17]]));
    if id_len == 0 || id_len > 1023 {
        return Err(PasskeyError::CredentialId);
    }
    let after_len = &data.rest[18..];
    if after_len.len() < id_len {
        return Err(PasskeyError::AuthenticatorData);
    }
    let (credential_id, key_and_extensions) = after_len.split_at(id_len);
    let (key, _extensions) =
        cbor::decode_prefix(key_and_extensions).map_err(|()| PasskeyError::PublicKey)?;
    Ok(NewCredential {
        credential_id: credential_id.to_vec(),
        public_key: PublicKey::from_cose(&key)?,
        sign_count: data.sign_count,
    })
}

/// Verifies an assertion (§7.2 steps 11–24) by the stored credential `key` whose counter was
/// `stored_count`; answers the authenticator's new counter. Counters that stay 0 are
/// authenticators without one (most synced passkeys); otherwise the counter must grow.
pub fn verify_assertion(
    relying_party: &RelyingParty,
    challenge: &str,
    client_data_json: &[u8],
    authenticator_data: &[u8],
    signature: &[u8],
    key: &PublicKey,
    stored_count: u32,
) -> Result<u32, PasskeyError> {
    ClientData::parse(client_data_json)?.check("webauthn.get", challenge, relying_party)?;
    let data = AuthenticatorData::parse(authenticator_data)?;
    data.check(relying_party)?;
    let mut message = authenticator_data.to_vec();
    message.extend_from_slice(&Sha256::digest(client_data_json));
    key.verify(&message, signature)?;
    if (data.sign_count != 0 || stored_count != 0) && data.sign_count <= stored_count {
        return Err(PasskeyError::Counter);
    }
    Ok(data.sign_count)
}

/// Just enough CBOR (RFC 8949) for attestation objects and COSE keys: definite lengths,
/// integers, byte and text strings, arrays, maps, and the simple values; no tags or floats
/// beyond skipping them. Depth and lengths are bounded by the input.
mod cbor {
    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Int(i64),
        Bytes(Vec<u8>),
        Text(String),
        Array(Vec<Value>),
        Map(Vec<(Value, Value)>),
        Simple(u8),
    }

    impl Value {
        pub fn as_int(&self) -> Option<i64> {
            match self {
                Self::Int(n) => Some(*n),
                _ => None,
            }
        }

        pub fn as_bytes(&self) -> Option<&[u8]> {
            match self {
                Self::Bytes(b) => Some(b),
                _ => None,
            }
        }

        pub fn as_text(&self) -> Option<&str> {
            match self {
                Self::Text(t) => Some(t),
                _ => None,
            }
        }

        fn key(&self, wanted: &Value) -> Option<&Value> {
            match self {
                Self::Map(entries) => entries.iter().find(|(k, _)| k == wanted).map(|(_, v)| v),
                _ => None,
            }
        }

        pub fn int_key(&self, key: i64) -> Option<&Value> {
            self.key(&Value::Int(key))
        }

        pub fn text_key(&self, key: &str) -> Option<&Value> {
            self.key(&Value::Text(key.to_owned()))
        }
    }

    const MAX_DEPTH: usize = 16;

    /// One value that must be the whole input.
    pub fn decode(bytes: &[u8]) -> Result<Value, ()> {
        let (value, rest) = decode_prefix(bytes)?;
        if rest.is_empty() {
            Ok(value)
        } else {
            Err(())
        }
    }

    /// One value at the start of `bytes`, and what follows it.
    pub fn decode_prefix(bytes: &[u8]) -> Result<(Value, &[u8]), ()> {
        let mut reader = Reader { bytes, at: 0 };
        let value = reader.value(0)?;
        Ok((value, &bytes[reader.at..]))
    }

    struct Reader<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl Reader<'_> {
        fn take(&mut self, n: usize) -> Result<&[u8], ()> {
            let end = self.at.checked_add(n).ok_or(())?;
            let slice = self.bytes.get(self.at..end).ok_or(())?;
            self.at = end;
            Ok(slice)
        }

        fn argument(&mut self, info: u8) -> Result<u64, ()> {
            Ok(match info {
                0..=23 => u64::from(info),
                24 => u64::from(self.take(1)?[0]),
                25 => u64::from(u16::from_be_bytes(
                    self.take(2)?.try_into().map_err(|_| ())?,
                )),
                26 => u64::from(u32::from_be_bytes(
                    self.take(4)?.try_into().map_err(|_| ())?,
                )),
                27 => u64::from_be_bytes(self.take(8)?.try_into().map_err(|_| ())?),
                // Indefinite lengths and reserved values: not in what authenticators send.
                _ => return Err(()),
            })
        }

        fn length(&mut self, info: u8) -> Result<usize, ()> {
            let n = usize::try_from(self.argument(info)?).map_err(|_| ())?;
            // No item is smaller than a byte: a longer count than the input is a lie.
            if n > self.bytes.len() {
                return Err(());
            }
            Ok(n)
        }

        fn value(&mut self, depth: usize) -> Result<Value, ()> {
            if depth > MAX_DEPTH {
                return Err(());
            }
            let head = self.take(1)?[0];
            let (major, info) = (head >> 5, head & 0x1f);
            Ok(match major {
                0 => Value::Int(i64::try_from(self.argument(info)?).map_err(|_| ())?),
                1 => {
                    let n = i64::try_from(self.argument(info)?).map_err(|_| ())?;
                    Value::Int(-1 - n)
                }
                2 => {
                    let n = self.length(info)?;
                    Value::Bytes(self.take(n)?.to_vec())
                }
                3 => {
                    let n = self.length(info)?;
                    let text = std::str::from_utf8(self.take(n)?).map_err(|_| ())?;
                    Value::Text(text.to_owned())
                }
                4 => {
                    let n = self.length(info)?;
                    let mut items = Vec::new();
                    for _ in 0..n {
                        items.push(self.value(depth + 1)?);
                    }
                    Value::Array(items)
                }
                5 => {
                    let n = self.length(info)?;
                    let mut entries = Vec::new();
                    for _ in 0..n {
                        let key = self.value(depth + 1)?;
                        let value = self.value(depth + 1)?;
                        entries.push((key, value));
                    }
                    Value::Map(entries)
                }
                // A tag: its content stands for it.
                6 => {
                    self.argument(info)?;
                    self.value(depth + 1)?
                }
                _ => match info {
                    0..=23 => Value::Simple(info),
                    24 => Value::Simple(self.take(1)?[0]),
                    // Floats: skipped over, never needed.
                    25 => {
                        self.take(2)?;
                        Value::Simple(0xff)
                    }
                    26 => {
                        self.take(4)?;
                        Value::Simple(0xff)
                    }
                    27 => {
                        self.take(8)?;
                        Value::Simple(0xff)
                    }
                    _ => return Err(()),
                },
            })
        }
    }

    #[cfg(test)]
    mod tests {
        use super::{decode, Value};

        #[test]
        fn reads_the_shapes_of_an_attestation_object() {
            // {"fmt": "none", "attStmt": {}, "authData": h'0102'}
            let bytes = [
                0xa3, 0x63, b'f', b'm', b't', 0x64, b'n', b'o', b'n', b'e', 0x67, b'a', b't', b't',
                b'S', b't', b'm', b't', 0xa0, 0x68, b'a', b'u', b't', b'h', b'D', b'a', b't', b'a',
                0x42, 0x01, 0x02,
            ];
            let value = decode(&bytes).unwrap();
            assert_eq!(value.text_key("fmt"), Some(&Value::Text("none".into())));
            assert_eq!(value.text_key("authData"), Some(&Value::Bytes(vec![1, 2])));
            assert_eq!(value.text_key("attStmt"), Some(&Value::Map(vec![])));
        }

        #[test]
        fn refuses_truncated_and_lying_lengths_and_deep_nesting() {
            assert!(decode(&[0x42, 0x01]).is_err());
            assert!(decode(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
            assert!(decode(&[0x9f]).is_err());
            assert!(decode(&[0x81; 40]).is_err());
            assert_eq!(decode(&[0x38, 0x18]), Ok(Value::Int(-25)));
        }
    }
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

    fn rp() -> RelyingParty {
        RelyingParty::from_public_url("https://tickets.example.com", "Bilten").unwrap()
    }

    fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
        serde_json::json!({"type": kind, "challenge": challenge, "origin": origin})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn client_data_must_match_ceremony_challenge_and_origin() {
        let rp = rp();
        let good = ClientData::parse(&client_data("webauthn.get", "AAEC", &rp.origin)).unwrap();
        assert_eq!(good.check("webauthn.get", "AAEC", &rp), Ok(()));
        assert_eq!(good.check("webauthn.get", "AAEC==", &rp), Ok(()));
        assert_eq!(
            good.check("webauthn.create", "AAEC", &rp),
            Err(PasskeyError::CeremonyType)
        );
        assert_eq!(
            good.check("webauthn.get", "AAED", &rp),
            Err(PasskeyError::Challenge)
        );
        let phished =
            ClientData::parse(&client_data("webauthn.get", "AAEC", "https://evil.example"))
                .unwrap();
        assert_eq!(
            phished.check("webauthn.get", "AAEC", &rp),
            Err(PasskeyError::Origin)
        );
        assert_eq!(
            ClientData::parse(b"not json").err(),
            Some(PasskeyError::ClientData)
        );
    }

    #[test]
    fn authenticator_data_needs_our_rp_presence_and_verification() {
        let rp = rp();
        let mut bytes = Sha256::digest(rp.id.as_bytes()).to_vec();
        bytes.push(FLAG_UP | FLAG_UV);
        bytes.extend_from_slice(&7u32.to_be_bytes());
        let data = AuthenticatorData::parse(&bytes).unwrap();
        assert_eq!(data.sign_count, 7);
        assert_eq!(data.check(&rp), Ok(()));
        bytes[32] = FLAG_UP;
        assert_eq!(
            AuthenticatorData::parse(&bytes).unwrap().check(&rp),
            Err(PasskeyError::UserVerification)
        );
        bytes[32] = FLAG_UV;
        assert_eq!(
            AuthenticatorData::parse(&bytes).unwrap().check(&rp),
            Err(PasskeyError::UserPresence)
        );
        bytes[0] ^= 1;
        bytes[32] = FLAG_UP | FLAG_UV;
        assert_eq!(
            AuthenticatorData::parse(&bytes).unwrap().check(&rp),
            Err(PasskeyError::RelyingParty)
        );
        assert!(AuthenticatorData::parse(&bytes[..36]).is_err());
    }
}
