//! Two-factor rules: enrolment, confirmation with recovery codes, the sign-in step, and
//! disabling. Codes are checked against a per-account budget in the shared cache before
//! they are compared, and every code is single use (the database's conditional updates).

use std::time::Duration;

use bilten_api::two_factor::{TwoFactorChallenge, TwoFactorEnrolment, TwoFactorStatus};
use bilten_domain::totp::{TotpSecret, SECRET_LEN};
use bilten_domain::UserId;
use bilten_http::ErrorCode;
use bilten_store::two_factor::{self, NewChallenge, TwoFactorRecord};
use bilten_store::{users, StoreError};
use chrono::Utc;
use rand::RngCore;

use crate::accounts::auth::service::{start_session, ClientInfo, TokenPair};
use crate::error::{BackendError, BackendResult};
use crate::qr::QrMatrix;
use crate::secrets::{new_token, open_totp_secret, plausible, seal_totp_secret, token_hash};
use crate::AppState;

/// How long the code step of a sign-in may take.
const CHALLENGE_TTL: chrono::Duration = chrono::Duration::minutes(5);
/// Wrong codes one challenge allows; then the password is asked again.
pub(crate) const CHALLENGE_FAILURES: i64 = 5;
/// Code checks per account per window, from anywhere, before `429 too_many_attempts`.
pub(crate) const CODE_BUDGET: u64 = 10;
const CODE_WINDOW: Duration = Duration::from_secs(15 * 60);
const CHALLENGE_PREFIX: &str = "lc";
/// Recovery codes per account.
pub(crate) const RECOVERY_CODES: usize = 10;
/// The name authenticator apps show.
const ISSUER: &str = "Bilten";

fn incorrect() -> BackendError {
    BackendError::field(
        "code",
        "incorrect",
        "This code is not right (or was already used).",
    )
}

pub async fn status(state: &AppState, user: UserId) -> BackendResult<TwoFactorStatus> {
    let record = two_factor::find(state.store.primary(), user).await?;
    Ok(TwoFactorStatus {
        enabled: record.as_ref().is_some_and(|r| r.confirmed_at.is_some()),
        pending: record.as_ref().is_some_and(|r| r.confirmed_at.is_none()),
        recovery_codes_left: two_factor::recovery_codes_left(state.store.primary(), user).await?,
    })
}

/// A new secret for `user`, replacing an unconfirmed one.
pub async fn enrol(state: &AppState, user_id: UserId) -> BackendResult<TwoFactorEnrolment> {
    let user = users::get(state.store.primary(), user_id).await?;
    let mut bytes = [0u8; SECRET_LEN];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = TotpSecret::from_bytes(bytes);
    let base32 = secret.to_base32();
    let sealed = seal_totp_secret(&state.refresh_key, &user_id.to_db(), &base32);
    if !two_factor::begin_enrolment(state.store.primary(), user_id, &sealed, Utc::now()).await? {
        return Err(BackendError::conflict(
            ErrorCode::TwoFactorEnabled,
            "Two-factor sign-in is already on; turn it off first to enrol a new app.",
        ));
    }
    let otpauth_uri = secret.otpauth_uri(ISSUER, user.email.as_str());
    let qr_svg = QrMatrix::encode(&otpauth_uri)?.to_svg();
    Ok(TwoFactorEnrolment {
        secret: base32,
        otpauth_uri,
        qr_svg,
    })
}

/// Turns a pending enrolment on with its first code; answers the recovery codes (shown once).
pub async fn confirm(state: &AppState, user: UserId, code: &str) -> BackendResult<Vec<String>> {
    let record = match two_factor::find(state.store.primary(), user).await? {
        Some(record) if record.confirmed_at.is_none() => record,
        Some(_) => {
            return Err(BackendError::conflict(
                ErrorCode::TwoFactorEnabled,
                "Two-factor sign-in is already on.",
            ))
        }
        None => return Err(not_enabled()),
    };
    spend_budget(state, user).await?;
    let secret = open_secret(state, user, &record)?;
    let now = Utc::now();
    let step = secret
        .verify(code, now.timestamp(), last_step(&record))
        .ok_or_else(incorrect)?;
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| token_hash(&state.refresh_key, &normalize_recovery(c)))
        .collect();
    let mut tx = state.store.begin().await?;
    if !two_factor::confirm(&mut *tx, user, step as i64, now).await? {
        return Err(incorrect());
    }
    two_factor::replace_recovery_codes(&mut tx, user, &hashes, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(codes)
}

/// New recovery codes (the old ones stop working), confirmed with a current code or a
/// recovery code.
pub async fn renew_recovery_codes(
    state: &AppState,
    user: UserId,
    code: &str,
) -> BackendResult<Vec<String>> {
    let record = enabled_record(state, user).await?.ok_or_else(not_enabled)?;
    if !check_code(state, user, &record, code).await? {
        return Err(incorrect());
    }
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| token_hash(&state.refresh_key, &normalize_recovery(c)))
        .collect();
    let mut tx = state.store.begin().await?;
    two_factor::replace_recovery_codes(&mut tx, user, &hashes, Utc::now()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(codes)
}

/// Turns the second factor off, confirmed with a current code or a recovery code.
pub async fn disable(state: &AppState, user: UserId, code: &str) -> BackendResult<()> {
    let record = enabled_record(state, user).await?.ok_or_else(not_enabled)?;
    if !check_code(state, user, &record, code).await? {
        return Err(incorrect());
    }
    let mut tx = state.store.begin().await?;
    two_factor::disable(&mut tx, user).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// The second step of a sign-in whose password was right.
pub async fn challenge(
    state: &AppState,
    user: UserId,
    client: &ClientInfo,
) -> BackendResult<TwoFactorChallenge> {
    let token = new_token(CHALLENGE_PREFIX);
    let now = Utc::now();
    two_factor::insert_challenge(
        state.store.primary(),
        &NewChallenge {
            token_hash: &token_hash(&state.refresh_key, &token),
            user_id: user,
            user_agent: client.user_agent.as_deref(),
            ip: Some(&client.ip),
            now,
            expires_at: now + CHALLENGE_TTL,
        },
    )
    .await?;
    Ok(TwoFactorChallenge {
        two_factor: "totp".to_owned(),
        challenge_token: token,
        expires_in: CHALLENGE_TTL.num_seconds().unsigned_abs(),
    })
}

/// Completes a sign-in: the challenge and a code (or a recovery code) give a session.
pub async fn complete_login(
    state: &AppState,
    token: &str,
    code: &str,
    client: &ClientInfo,
) -> BackendResult<TokenPair> {
    if !plausible(token, CHALLENGE_PREFIX) {
        return Err(BackendError::InvalidOneTimeToken);
    }
    let hash = token_hash(&state.refresh_key, token);
    let now = Utc::now();
    let challenge =
        two_factor::live_challenge(state.store.primary(), &hash, CHALLENGE_FAILURES, now)
            .await?
            .ok_or(BackendError::InvalidOneTimeToken)?;
    let user = users::get(state.store.primary(), challenge.user_id).await?;
    if user.disabled_at.is_some() {
        return Err(BackendError::InvalidOneTimeToken);
    }
    let record = enabled_record(state, user.id)
        .await?
        .ok_or(BackendError::InvalidOneTimeToken)?;
    if !check_code(state, user.id, &record, code).await? {
        two_factor::fail_challenge(state.store.primary(), &hash).await?;
        return Err(incorrect());
    }
    if !two_factor::spend_challenge(state.store.primary(), &hash, now).await? {
        return Err(BackendError::InvalidOneTimeToken);
    }
    start_session(state, user.id, user.platform_role, client).await
}

fn not_enabled() -> BackendError {
    BackendError::conflict(
        ErrorCode::TwoFactorNotEnabled,
        "Two-factor sign-in is not on for this account.",
    )
}

async fn enabled_record(state: &AppState, user: UserId) -> BackendResult<Option<TwoFactorRecord>> {
    Ok(two_factor::find(state.store.primary(), user)
        .await?
        .filter(|r| r.confirmed_at.is_some()))
}

fn open_secret(
    state: &AppState,
    user: UserId,
    record: &TwoFactorRecord,
) -> BackendResult<TotpSecret> {
    open_totp_secret(&state.refresh_key, &user.to_db(), &record.secret_sealed)
        .and_then(|text| TotpSecret::from_base32(&text))
        .ok_or_else(|| BackendError::Internal(format!("the TOTP secret of {user} does not open")))
}

fn last_step(record: &TwoFactorRecord) -> Option<u64> {
    record.last_step.map(|s| s.max(0) as u64)
}

/// Counts a code check against the account's budget before it is made.
async fn spend_budget(state: &AppState, user: UserId) -> BackendResult<()> {
    let count = state
        .cache
        .hit(&format!("2fa:codes:{}", user.to_db()), CODE_WINDOW)
        .await;
    if count.count > CODE_BUDGET {
        return Err(BackendError::TooManyAttempts {
            retry_after_secs: count.resets_in.as_secs().max(1),
        });
    }
    Ok(())
}

/// A six-digit code of the app (spent by its step), or an unused recovery code (spent).
async fn check_code(
    state: &AppState,
    user: UserId,
    record: &TwoFactorRecord,
    code: &str,
) -> BackendResult<bool> {
    spend_budget(state, user).await?;
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let secret = open_secret(state, user, record)?;
        let Some(step) = secret.verify(&digits, Utc::now().timestamp(), last_step(record)) else {
            return Ok(false);
        };
        return Ok(two_factor::use_step(state.store.primary(), user, step as i64).await?);
    }
    let normalized = normalize_recovery(code);
    if normalized.len() != 10 {
        return Ok(false);
    }
    let hash = token_hash(&state.refresh_key, &normalized);
    Ok(two_factor::use_recovery_code(state.store.primary(), user, &hash, Utc::now()).await?)
}

const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Ten codes of ten characters (about 49 bits each), shown as `xxxxx-xxxxx`.
fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| {
                    let i = (rng.next_u32() as usize) % RECOVERY_ALPHABET.len();
                    char::from(RECOVERY_ALPHABET[i])
                })
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// A recovery code as typed (any case, spaces or dashes) in its stored form.
fn normalize_recovery(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{new_recovery_codes, normalize_recovery, RECOVERY_CODES};

    #[test]
    fn recovery_codes_are_ten_distinct_and_read_back_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 11);
            assert_eq!(
                normalize_recovery(&code.to_uppercase().replace('-', " ")),
                code.replace('-', "")
            );
        }
    }
}
