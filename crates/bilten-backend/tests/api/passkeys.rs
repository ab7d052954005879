//! Passkeys (WebAuthn): registering one on an account, signing in with it (no password), the
//! list and removal, single-use and expiring challenges, answers for another site, a bad
//! signature or an unknown credential, and organizations that require a second factor.
//!
//! The authenticator is a software one written here from the specification — CTAP2's
//! authenticator data and a "none" attestation object in CBOR, an ES256 key from `p256` (or
//! Ed25519) signing `authenticatorData ‖ SHA-256(clientDataJSON)` — not the
//! backend's own parser. The browser test (`bilten-frontend`, `browser::passkeys`) does the
//! same against Chromium's virtual authenticator.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bilten_test_support::{TestApp, TestUser};
use p256::ecdsa::signature::Signer as _;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::ticketing_helpers::create_org;

/// The test app's web app (`public_url`), which passkeys are scoped to.
const ORIGIN: &str = "http://bilten.test";
const RP_ID: &str = "bilten.test";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Just enough CBOR to write what an authenticator writes.
enum Cbor {
    Int(i64),
    Bytes(Vec<u8>),
    Text(&'static str),
    Map(Vec<(Cbor, Cbor)>),
}

impl Cbor {
    fn head(out: &mut Vec<u8>, major: u8, n: u64) {
        let major = major << 5;
        match n {
            0..=23 => out.push(major | n as u8),
            24..=0xff => out.extend([major | 0x18, n as u8]),
            0x100..=0xffff => {
                out.push(major | 0x19);
                out.extend((n as u16).to_be_bytes());
            }
            _ => {
                out.push(major | 0x1a);
                out.extend((n as u32).to_be_bytes());
            }
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Int(n) if *n >= 0 => Self::head(out, 0, *n as u64),
            Self::Int(n) => Self::head(out, 1, (-1 - n) as u64),
            Self::Bytes(b) => {
                Self::head(out, 2, b.len() as u64);
                out.extend(b);
            }
            Self::Text(t) => {
                Self::head(out, 3, t.len() as u64);
                out.extend(t.as_bytes());
            }
            Self::Map(entries) => {
                Self::head(out, 5, entries.len() as u64);
                for (k, v) in entries {
                    k.encode(out);
                    v.encode(out);
                }
            }
        }
    }

    fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

enum Key {
    P256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

/// One discoverable credential on a software authenticator.
struct Authenticator {
    credential_id: Vec<u8>,
    key: Key,
    counter: u32,
    /// Flags it sets: user present (0x01) and verified (0x04) unless a test says otherwise.
    flags: u8,
    rp_id: String,
    origin: String,
    user_handle: Option<Vec<u8>>,
}

impl Authenticator {
    fn new() -> Self {
        Self::with_key(Key::P256(p256::ecdsa::SigningKey::random(
            &mut rand::rngs::OsRng,
        )))
    }

    fn ed25519() -> Self {
        Self::with_key(Key::Ed25519(ed25519_dalek::SigningKey::generate(
            &mut rand::rngs::OsRng,
        )))
    }

    fn with_key(key: Key) -> Self {
        Self {
            credential_id: uuid::Uuid::new_v4().as_bytes().to_vec(),
            key,
            counter: 0,
            flags: 0x01 | 0x04,
            rp_id: RP_ID.to_owned(),
            origin: ORIGIN.to_owned(),
            user_handle: None,
        }
    }

    fn cose_key(&self) -> Cbor {
        match &self.key {
            Key::P256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                Cbor::Map(vec![
                    (Cbor::Int(1), Cbor::Int(2)),
                    (Cbor::Int(3), Cbor::Int(-7)),
                    (Cbor::Int(-1), Cbor::Int(1)),
                    (Cbor::Int(-2), Cbor::Bytes(point.x().unwrap().to_vec())),
                    (Cbor::Int(-3), Cbor::Bytes(point.y().unwrap().to_vec())),
                ])
            }
            Key::Ed25519(key) => Cbor::Map(vec![
                (Cbor::Int(1), Cbor::Int(1)),
                (Cbor::Int(3), Cbor::Int(-8)),
                (Cbor::Int(-1), Cbor::Int(6)),
                (
                    Cbor::Int(-2),
                    Cbor::Bytes(key.verifying_key().to_bytes().to_vec()),
                ),
            ]),
        }
    }

    fn auth_data(&self, attested: bool) -> Vec<u8> {
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        data.push(self.flags | if attested { 0x40 } else { 0 });
        data.extend(self.counter.to_be_bytes());
        if attested {
            data.extend([0u8; 16]);
            data.extend((self.credential_id.len() as u16).to_be_bytes());
            data.extend(&self.credential_id);
            data.extend(self.cose_key().to_vec());
        }
        data
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({ "type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false })
            .to_string()
            .into_bytes()
    }

    /// `navigator.credentials.create()` for `options` (the `publicKey` member).
    fn create(&mut self, options: &Value) -> Value {
        assert_eq!(options["rp"]["id"], RP_ID);
        assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(
            options["authenticatorSelection"]["userVerification"],
            "required"
        );
        assert_eq!(options["attestation"], "none");
        let algs: Vec<i64> = options["pubKeyCredParams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["alg"].as_i64().unwrap())
            .collect();
        assert!(algs.contains(&-7) && algs.contains(&-8), "{algs:?}");
        self.user_handle = Some(
            URL_SAFE_NO_PAD
                .decode(options["user"]["id"].as_str().unwrap())
                .unwrap(),
        );
        let client_data =
            self.client_data("webauthn.create", options["challenge"].as_str().unwrap());
        let attestation = Cbor::Map(vec![
            (Cbor::Text("fmt"), Cbor::Text("none")),
            (Cbor::Text("attStmt"), Cbor::Map(vec![])),
            (Cbor::Text("authData"), Cbor::Bytes(self.auth_data(true))),
        ]);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&attestation.to_vec()),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })
    }

    /// `navigator.credentials.get()` for `options`; the counter moves on.
    fn get(&mut self, options: &Value) -> Value {
        assert_eq!(options["rpId"], RP_ID);
        assert_eq!(options["userVerification"], "required");
        self.counter += 1;
        let client_data = self.client_data("webauthn.get", options["challenge"].as_str().unwrap());
        let auth_data = self.auth_data(false);
        let mut message = auth_data.clone();
        message.extend(Sha256::digest(&client_data));
        let signature = match &self.key {
            Key::P256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(&message);
                signature.to_der().as_bytes().to_vec()
            }
            Key::Ed25519(key) => {
                use ed25519_dalek::Signer as _;
                key.sign(&message).to_bytes().to_vec()
            }
        };
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(&signature),
                "userHandle": self.user_handle.as_deref().map(b64),
            },
            "clientExtensionResults": {},
        })
    }
}

async fn registration_options(app: &TestApp, user: &TestUser) -> Value {
    let (status, body) = app
        .post(
            "/api/v1/me/passkeys/options",
            Some(&user.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["public_key"].clone()
}

async fn register_answer(
    app: &TestApp,
    user: &TestUser,
    name: &str,
    credential: &Value,
) -> (StatusCode, Value) {
    app.post(
        "/api/v1/me/passkeys",
        Some(&user.access_token),
        json!({ "name": name, "credential": credential }),
    )
    .await
}

/// Registers a new passkey on `authenticator`; answers its id.
async fn register(app: &TestApp, user: &TestUser, authenticator: &mut Authenticator) -> String {
    let options = registration_options(app, user).await;
    let credential = authenticator.create(&options);
    let (status, body) = register_answer(app, user, "Laptop", &credential).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["passkey"]["id"].as_str().unwrap().to_owned()
}

async fn sign_in_options(app: &TestApp) -> Value {
    let (status, body) = app
        .post("/api/v1/auth/passkey/options", None, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["public_key"]["allowCredentials"], json!([]));
    body["public_key"].clone()
}

async fn sign_in_answer(app: &TestApp, credential: &Value) -> (StatusCode, Value) {
    app.post(
        "/api/v1/auth/passkey",
        None,
        json!({ "credential": credential }),
    )
    .await
}

async fn sign_in(app: &TestApp, authenticator: &mut Authenticator) -> (StatusCode, Value) {
    let options = sign_in_options(app).await;
    let credential = authenticator.get(&options);
    sign_in_answer(app, &credential).await
}

fn assert_refused(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"]["code"], code, "{}", answer.1);
}

#[tokio::test]
async fn a_registered_passkey_signs_in_without_a_password_and_is_listed_and_removed() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Pia Passkey").await;
    let mut laptop = Authenticator::new();
    let mut phone = Authenticator::ed25519();

    let options = registration_options(&app, &user).await;
    assert_eq!(options["user"]["name"], user.email.as_str());
    assert_eq!(options["excludeCredentials"], json!([]));
    let laptop_id = register(&app, &user, &mut laptop).await;
    assert!(laptop_id.starts_with("psk_"), "{laptop_id}");
    // The second passkey's options name the first, so an authenticator makes no duplicate.
    let options = registration_options(&app, &user).await;
    assert_eq!(
        options["excludeCredentials"][0]["id"],
        b64(&laptop.credential_id)
    );
    let credential = phone.create(&options);
    let (status, body) = register_answer(&app, &user, "  Phone ", &credential).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["passkey"]["name"], "Phone");

    let (status, body) = app
        .get("/api/v1/me/passkeys", Some(&user.access_token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body["passkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Laptop", "Phone"]);
    assert_eq!(body["passkeys"][0]["last_used_at"], Value::Null);

    // Both keys sign in, each a session of the account, again and again.
    for use_laptop in [true, false, true] {
        let authenticator = if use_laptop { &mut laptop } else { &mut phone };
        let (status, tokens) = sign_in(&app, authenticator).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        let (status, me) = app
            .get("/api/v1/me", Some(tokens["access_token"].as_str().unwrap()))
            .await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["user"]["email"], user.email.as_str());
    }
    let (_, body) = app
        .get("/api/v1/me/passkeys", Some(&user.access_token))
        .await;
    assert!(body["passkeys"][0]["last_used_at"].is_string(), "{body}");

    // Removed, it signs in no more; another account cannot remove someone's passkey.
    let stranger = app.signed_up_user("Stan Stranger").await;
    let path = format!("/api/v1/me/passkeys/{laptop_id}");
    let (status, _) = app
        .request(Method::DELETE, &path, Some(&stranger.access_token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .request(Method::DELETE, &path, Some(&user.access_token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = app
        .request(Method::DELETE, &path, Some(&user.access_token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_refused(
        &sign_in(&app, &mut laptop).await,
        StatusCode::UNAUTHORIZED,
        "passkey_unknown",
    );
    assert_eq!(sign_in(&app, &mut phone).await.0, StatusCode::OK);
    let (status, _) = app
        .request(
            Method::DELETE,
            "/api/v1/me/passkeys/not-an-id",
            Some(&user.access_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_replayed_or_expired_challenge_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Rea Replay").await;
    let mut authenticator = Authenticator::new();

    // Registration: the same answer twice.
    let options = registration_options(&app, &user).await;
    let credential = authenticator.create(&options);
    assert_eq!(
        register_answer(&app, &user, "Laptop", &credential).await.0,
        StatusCode::CREATED
    );
    assert_refused(
        &register_answer(&app, &user, "Laptop", &credential).await,
        StatusCode::BAD_REQUEST,
        "passkey_challenge_invalid",
    );
    // A registration challenge issued to another account is not this one's.
    let other = app.signed_up_user("Otto Other").await;
    let options = registration_options(&app, &other).await;
    let credential = Authenticator::new().create(&options);
    assert_refused(
        &register_answer(&app, &user, "Theirs", &credential).await,
        StatusCode::BAD_REQUEST,
        "passkey_challenge_invalid",
    );
    // The same passkey again, with a fresh challenge: registered already.
    let options = registration_options(&app, &user).await;
    let credential = authenticator.create(&options);
    assert_refused(
        &register_answer(&app, &user, "Again", &credential).await,
        StatusCode::CONFLICT,
        "passkey_exists",
    );

    // Sign-in: a captured answer replayed.
    let options = sign_in_options(&app).await;
    let credential = authenticator.get(&options);
    assert_eq!(sign_in_answer(&app, &credential).await.0, StatusCode::OK);
    assert_refused(
        &sign_in_answer(&app, &credential).await,
        StatusCode::BAD_REQUEST,
        "passkey_challenge_invalid",
    );
    // A challenge made up by the client, and a registration challenge used to sign in.
    let made_up = json!({ "challenge": b64(b"made up by the client, never issued"), "rpId": RP_ID, "userVerification": "required" });
    assert_refused(
        &sign_in_answer(&app, &authenticator.get(&made_up)).await,
        StatusCode::BAD_REQUEST,
        "passkey_challenge_invalid",
    );
    let options = registration_options(&app, &user).await;
    let as_sign_in =
        json!({ "challenge": options["challenge"], "rpId": RP_ID, "userVerification": "required" });
    assert_refused(
        &sign_in_answer(&app, &authenticator.get(&as_sign_in)).await,
        StatusCode::BAD_REQUEST,
        "passkey_challenge_invalid",
    );

    // Expired: options older than their five minutes.
    let options = sign_in_options(&app).await;
    let credential = authenticator.get(&options);
    sqlx::query("UPDATE passkey_challenges SET expires_at = 0 WHERE challenge = $1")
        .bind(options["challenge"].as_str().unwrap())
        .execute(app.store.primary())
        .await
        .unwrap();
    assert_refused(
        &sign_in_answer(&app, &credential).await,
        StatusCode::BAD_REQUEST,
        "passkey_challenge_invalid",
    );
    let options = registration_options(&app, &user).await;
    let credential = Authenticator::new().create(&options);
    sqlx::query("UPDATE passkey_challenges SET expires_at = 0 WHERE challenge = $1")
        .bind(options["challenge"].as_str().unwrap())
        .execute(app.store.primary())
        .await
        .unwrap();
    assert_refused(
        &register_answer(&app, &user, "Late", &credential).await,
        StatusCode::BAD_REQUEST,
        "passkey_challenge_invalid",
    );
}

#[tokio::test]
async fn answers_for_another_site_without_verification_badly_signed_or_unknown_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Walt Wrong").await;
    let mut authenticator = Authenticator::new();
    register(&app, &user, &mut authenticator).await;

    // A phishing page's origin, another site's relying party id, a missing verification.
    authenticator.origin = "https://bilten.test.evil.example".to_owned();
    let refused = sign_in(&app, &mut authenticator).await;
    assert_refused(&refused, StatusCode::BAD_REQUEST, "passkey_rejected");
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("origin"),
        "{}",
        refused.1
    );
    authenticator.origin = ORIGIN.to_owned();
    authenticator.rp_id = "evil.example".to_owned();
    assert_refused(
        &sign_in(&app, &mut authenticator).await,
        StatusCode::BAD_REQUEST,
        "passkey_rejected",
    );
    authenticator.rp_id = RP_ID.to_owned();
    authenticator.flags = 0x01;
    assert_refused(
        &sign_in(&app, &mut authenticator).await,
        StatusCode::BAD_REQUEST,
        "passkey_rejected",
    );
    authenticator.flags = 0x05;
    assert_eq!(sign_in(&app, &mut authenticator).await.0, StatusCode::OK);

    // Signed by another key under this credential's id.
    let options = sign_in_options(&app).await;
    let mut impostor = Authenticator::new();
    impostor.credential_id = authenticator.credential_id.clone();
    impostor.user_handle = authenticator.user_handle.clone();
    impostor.counter = 100;
    assert_refused(
        &sign_in_answer(&app, &impostor.get(&options)).await,
        StatusCode::BAD_REQUEST,
        "passkey_rejected",
    );
    // A signature over other data.
    let options = sign_in_options(&app).await;
    let mut credential = authenticator.get(&options);
    let other = authenticator.get(&sign_in_options(&app).await);
    credential["response"]["signature"] = other["response"]["signature"].clone();
    assert_refused(
        &sign_in_answer(&app, &credential).await,
        StatusCode::BAD_REQUEST,
        "passkey_rejected",
    );
    // A counter that went backwards: a clone of the authenticator.
    authenticator.counter = 0;
    assert_refused(
        &sign_in(&app, &mut authenticator).await,
        StatusCode::BAD_REQUEST,
        "passkey_rejected",
    );
    authenticator.counter = 50;
    assert_eq!(sign_in(&app, &mut authenticator).await.0, StatusCode::OK);

    // A credential no account has, and one whose user handle names another account.
    assert_refused(
        &sign_in(&app, &mut Authenticator::new()).await,
        StatusCode::UNAUTHORIZED,
        "passkey_unknown",
    );
    authenticator.user_handle = Some(b"somebody else".to_vec());
    assert_refused(
        &sign_in(&app, &mut authenticator).await,
        StatusCode::UNAUTHORIZED,
        "passkey_unknown",
    );
}

#[tokio::test]
async fn registrations_for_another_site_without_verification_or_malformed_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Rita Refused").await;
    // Registration from another origin, without verification, or garbage.
    let mut fresh = Authenticator::new();
    fresh.origin = "https://evil.example".to_owned();
    let options = registration_options(&app, &user).await;
    assert_refused(
        &register_answer(&app, &user, "Evil", &fresh.create(&options)).await,
        StatusCode::BAD_REQUEST,
        "passkey_rejected",
    );
    fresh.origin = ORIGIN.to_owned();
    fresh.flags = 0x01;
    let options = registration_options(&app, &user).await;
    assert_refused(
        &register_answer(&app, &user, "Unverified", &fresh.create(&options)).await,
        StatusCode::BAD_REQUEST,
        "passkey_rejected",
    );
    fresh.flags = 0x05;
    let options = registration_options(&app, &user).await;
    let mut credential = fresh.create(&options);
    credential["response"]["attestationObject"] = json!(b64(b"\xa1\x63fmt"));
    assert_refused(
        &register_answer(&app, &user, "Broken", &credential).await,
        StatusCode::BAD_REQUEST,
        "passkey_rejected",
    );
    credential["response"]["attestationObject"] = json!("not base64url!");
    let answer = register_answer(&app, &user, "Broken", &credential).await;
    assert_refused(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        answer.1["error"]["fields"]["credential.response.attestationObject"]["code"], "invalid",
        "{}",
        answer.1
    );
    let answer = register_answer(&app, &user, "", &json!({ "response": {} })).await;
    assert_refused(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(answer.1["error"]["fields"]["name"]["code"], "required");
    let answer = sign_in_answer(
        &app,
        &json!({ "id": "AAAA", "response": { "clientDataJSON": "e30" } }),
    )
    .await;
    assert_refused(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let answer = sign_in_answer(
        &app,
        &json!({ "id": "AAAA", "response": { "clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA" } }),
    )
    .await;
    assert_refused(&answer, StatusCode::BAD_REQUEST, "passkey_rejected");
    // Anonymous callers cannot register.
    let (status, _) = app
        .post("/api/v1/me/passkeys/options", None, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_passkey_sign_in_meets_an_organizations_two_factor_rule_and_a_password_one_does_not() {
    let app = TestApp::spawn().await;
    let owner = bilten_test_support::organizer::verified_user(&app, "Olga Owner").await;
    let org = create_org(&app, &owner).await;
    let member = app.signed_up_user("Manu Member").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/organizations/{org}/members"),
            Some(&owner.access_token),
            json!({ "email": member.email, "role": "manager" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("/api/v1/organizations/{org}");
    let require = json!({ "require_two_factor": true });

    // A password session of an owner with a passkey is not yet strong.
    let mut owner_key = Authenticator::new();
    register(&app, &owner, &mut owner_key).await;
    let (status, body) = app
        .request(
            Method::PATCH,
            &path,
            Some(&owner.access_token),
            Some(require.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "two_factor_required");
    // Signed in with the passkey, the owner may require it.
    let (status, tokens) = sign_in(&app, &mut owner_key).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let owner_strong = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, body) = app
        .request(Method::PATCH, &path, Some(&owner_strong), Some(require))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["organization"]["require_two_factor"], true);
    // ... and its password session is refused from then on.
    let (status, body) = app.get(&path, Some(&owner.access_token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // The member: refused with a password, let in after signing in with a passkey; the
    // session keeps counting after its tokens are refreshed.
    let (status, body) = app.get(&path, Some(&member.access_token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "two_factor_required");
    let mut member_key = Authenticator::new();
    register(&app, &member, &mut member_key).await;
    let (status, body) = app.get(&path, Some(&member.access_token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, tokens) = sign_in(&app, &mut member_key).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let (status, body) = app
        .get(&path, Some(tokens["access_token"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, refreshed) = app.refresh(tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let (status, body) = app
        .get(
            &format!("{path}/events"),
            Some(refreshed["access_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_deleted_accounts_passkeys_sign_in_no_more() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Dora Deleted").await;
    let mut authenticator = Authenticator::new();
    register(&app, &user, &mut authenticator).await;
    assert_eq!(sign_in(&app, &mut authenticator).await.0, StatusCode::OK);
    let (status, body) = app
        .request(
            Method::DELETE,
            "/api/v1/me",
            Some(&user.access_token),
            Some(json!({ "password": user.password })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_refused(
        &sign_in(&app, &mut authenticator).await,
        StatusCode::UNAUTHORIZED,
        "passkey_unknown",
    );
    // The keys themselves are gone with the account, not merely refused.
    let id: bilten_domain::UserId = user.id.parse().unwrap();
    let left: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM passkeys WHERE user_id = $1")
            .bind(id.to_db())
            .fetch_one(app.store.primary())
            .await
            .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn passkeys_registered_before_the_crates_state_was_stored_still_sign_in() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Olga Older").await;
    for mut authenticator in [Authenticator::new(), Authenticator::ed25519()] {
        register(&app, &user, &mut authenticator).await;
        // As migration 0020 left them: the raw key and algorithm, no crate state.
        let credential_id = b64(&authenticator.credential_id);
        sqlx::query(
            "UPDATE passkeys SET static_state = NULL, dynamic_state = NULL WHERE credential_id = $1",
        )
        .bind(&credential_id)
        .execute(app.store.primary())
            .await
            .unwrap();
        assert_eq!(sign_in(&app, &mut authenticator).await.0, StatusCode::OK);
        let missing: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM passkeys
             WHERE credential_id = $1 AND dynamic_state IS NULL",
        )
        .bind(&credential_id)
        .fetch_one(app.store.primary())
        .await
        .unwrap();
        assert_eq!(missing, 0, "the sign-in stores the learnt state");
        assert_eq!(sign_in(&app, &mut authenticator).await.0, StatusCode::OK);
        // A counter that goes back is still refused.
        authenticator.counter = 0;
        assert_refused(
            &sign_in(&app, &mut authenticator).await,
            StatusCode::BAD_REQUEST,
            "passkey_rejected",
        );
    }
}
