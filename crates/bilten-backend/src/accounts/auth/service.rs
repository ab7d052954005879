//! Account and session rules. Each function owns its transaction.

use bilten_i18n::Locale;
use chrono::{DateTime, Duration, Utc};

use bilten_domain::{DisplayName, Email, Password, PlatformRole, SessionId, UserId};
use bilten_mail::templates;
use bilten_store::orders;
use bilten_store::sessions::{self, NewSession, Rotation};
use bilten_store::tokens::{self, Purpose};
use bilten_store::users::{self, NewUser, UserRecord};
use bilten_store::Tx;

use super::throttle;
use crate::error::{BackendError, BackendResult};
use crate::secrets::{new_token, open_successor, plausible, seal_successor, token_hash};
use crate::AppState;

const VERIFY_TTL: Duration = Duration::hours(48);
const RESET_TTL: Duration = Duration::hours(1);
/// How long after a refresh the same refresh token still yields the same successor (two tabs
/// refreshing at once) instead of counting as reuse.
pub(crate) const REFRESH_GRACE: Duration = Duration::seconds(10);
const REFRESH_PREFIX: &str = "rt";
const VERIFY_PREFIX: &str = "ve";
const RESET_PREFIX: &str = "pr";

/// A fresh access/refresh pair.
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub user_id: UserId,
}

/// Who is asking, for session records and throttling.
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: Option<String>,
}

pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub name: DisplayName,
    /// The language of the page signed up on: the confirmation mail's.
    pub locale: Locale,
}

pub async fn register(state: &AppState, input: Registration) -> BackendResult<UserRecord> {
    let hash = state
        .hasher
        .hash(input.password.expose().to_owned())
        .await?;
    let now = Utc::now();
    let id = UserId::new();
    let mut tx = state.store.begin().await?;
    let new_user = NewUser {
        id,
        email: &input.email,
        name: &input.name,
        password_hash: &hash,
        platform_role: PlatformRole::User,
        verified: false,
        now,
    };
    users::insert(&mut *tx, &new_user).await.map_err(|e| {
        if e.violates(bilten_store::Constraint::UsersEmail) {
            BackendError::EmailTaken
        } else {
            e.into()
        }
    })?;
    let to = Recipient {
        user_id: id,
        email: &input.email,
        name: &input.name,
        locale: input.locale,
    };
    enqueue_verification(state, &mut tx, &to, now).await?;
    tx.commit().await.map_err(bilten_store::StoreError::from)?;
    state.mail_waker.notify_one();
    Ok(users::get(state.store.primary(), id).await?)
}

/// Who a verification mail goes to, and in which language.
struct Recipient<'a> {
    user_id: UserId,
    email: &'a Email,
    name: &'a DisplayName,
    locale: Locale,
}

async fn enqueue_verification(
    state: &AppState,
    tx: &mut Tx,
    to: &Recipient<'_>,
    now: DateTime<Utc>,
) -> BackendResult<()> {
    let Recipient {
        user_id,
        email,
        name,
        locale,
    } = *to;
    let token = new_token(VERIFY_PREFIX);
    let hash = token_hash(&state.refresh_key, &token);
    tokens::insert(
        &mut **tx,
        &hash,
        user_id,
        Purpose::VerifyEmail,
        now,
        now + VERIFY_TTL,
    )
    .await?;
    let link = format!("{}/verify-email?token={token}", state.public_url);
    let mail = templates::verify_email(locale, name.as_str(), &link);
    let dedupe = format!("verify_email:{hash}");
    bilten_mail::enqueue(&mut **tx, email.as_str(), &dedupe, &mail, now).await?;
    Ok(())
}

pub async fn resend_verification(
    state: &AppState,
    user_id: UserId,
    locale: Locale,
) -> BackendResult<()> {
    let user = users::get(state.store.primary(), user_id).await?;
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    tokens::retire_all(&mut *tx, user_id, Purpose::VerifyEmail, now).await?;
    let to = Recipient {
        user_id,
        email: &user.email,
        name: &user.name,
        locale,
    };
    enqueue_verification(state, &mut tx, &to, now).await?;
    tx.commit().await.map_err(bilten_store::StoreError::from)?;
    state.mail_waker.notify_one();
    Ok(())
}

pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    client: &ClientInfo,
) -> BackendResult<LoginOutcome> {
    // Normalise like registration does, but never reveal whether the text was even an email.
    let email_key = email.trim().to_lowercase();
    throttle::before_attempt(&state.cache, &email_key, &client.ip).await?;
    let user = match Email::parse(email) {
        Ok(email) => users::find_by_email(state.store.primary(), &email).await?,
        Err(_) => None,
    };
    let verified = state
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await?;
    let user = match user {
        Some(user) if verified && user.disabled_at.is_none() => user,
        _ => {
            throttle::record_failure(&state.cache, &email_key).await;
            return Err(BackendError::InvalidCredentials);
        }
    };
    throttle::record_success(&state.cache, &email_key, &client.ip).await;
    if bilten_store::two_factor::enabled(state.store.primary(), user.id).await? {
        let challenge = crate::accounts::two_factor::challenge(state, user.id, client).await?;
        return Ok(LoginOutcome::SecondFactor(challenge));
    }
    Ok(LoginOutcome::Tokens(
        start_session(state, user.id, user.platform_role, client).await?,
    ))
}

/// What a correct password leads to.
pub enum LoginOutcome {
    Tokens(TokenPair),
    /// The account has a second factor: its code comes next, with this challenge.
    SecondFactor(bilten_api::two_factor::TwoFactorChallenge),
}

/// A new login session of `user_id` and its first token pair.
pub(crate) async fn start_session(
    state: &AppState,
    user_id: UserId,
    role: PlatformRole,
    client: &ClientInfo,
) -> BackendResult<TokenPair> {
    start_session_with(state, user_id, role, client, None).await
}

/// A new session, recording the passkey it was started with (a strong sign-in).
pub(crate) async fn start_session_with(
    state: &AppState,
    user_id: UserId,
    role: PlatformRole,
    client: &ClientInfo,
    passkey: Option<bilten_domain::PasskeyId>,
) -> BackendResult<TokenPair> {
    let now = Utc::now();
    let session_id = SessionId::new();
    let mut tx = state.store.begin().await?;
    sessions::insert(
        &mut *tx,
        &NewSession {
            id: session_id,
            user_id,
            user_agent: client.user_agent.as_deref(),
            ip: Some(&client.ip),
            now,
        },
    )
    .await?;
    if let Some(passkey) = passkey {
        bilten_store::passkeys::mark_session(&mut *tx, session_id, passkey).await?;
    }
    let pair = issue_pair(state, &mut tx, user_id, session_id, role, now).await?;
    tx.commit().await.map_err(bilten_store::StoreError::from)?;
    Ok(pair)
}

async fn issue_pair(
    state: &AppState,
    tx: &mut Tx,
    user_id: UserId,
    session_id: SessionId,
    role: PlatformRole,
    now: DateTime<Utc>,
) -> BackendResult<TokenPair> {
    let refresh_token = new_token(REFRESH_PREFIX);
    store_refresh_token(state, tx, &refresh_token, session_id, now).await?;
    Ok(token_pair(
        state,
        user_id,
        session_id,
        role,
        now,
        refresh_token,
    ))
}

async fn store_refresh_token(
    state: &AppState,
    tx: &mut Tx,
    refresh_token: &str,
    session_id: SessionId,
    now: DateTime<Utc>,
) -> BackendResult<()> {
    let expires_at = now
        + Duration::from_std(state.refresh_ttl)
            .map_err(|e| BackendError::Internal(format!("refresh ttl: {e}")))?;
    sessions::insert_refresh_token(
        &mut **tx,
        &token_hash(&state.refresh_key, refresh_token),
        session_id,
        now,
        expires_at,
    )
    .await?;
    Ok(())
}

/// A new access token with `refresh_token` beside it.
fn token_pair(
    state: &AppState,
    user_id: UserId,
    session_id: SessionId,
    role: PlatformRole,
    now: DateTime<Utc>,
    refresh_token: String,
) -> TokenPair {
    let access_token = state.access_tokens.issue(
        &user_id.to_string(),
        &session_id.to_string(),
        role.as_str(),
        now.timestamp().max(0) as u64,
    );
    TokenPair {
        access_token,
        refresh_token,
        expires_in: state.access_tokens.ttl().as_secs(),
        user_id,
    }
}

/// Rotates a refresh token. A token presented again within [`REFRESH_GRACE`] of its use gets
/// the same successor (RFC 9700 §4.14.2 allows this; it is two tabs refreshing at once). A
/// token presented again later ends its whole session: one of the two holders is an
/// attacker, and we cannot tell which.
///
/// The successor is made before the rotation and stored with it, sealed under a key derived
/// from the presented token (see `secrets::seal_successor`), so a concurrent loser can be
/// given exactly the winner's successor while the database never holds a usable token.
pub async fn refresh(state: &AppState, refresh_token: &str) -> BackendResult<TokenPair> {
    if !plausible(refresh_token, REFRESH_PREFIX) {
        return Err(BackendError::RefreshTokenInvalid);
    }
    let hash = token_hash(&state.refresh_key, refresh_token);
    let successor = new_token(REFRESH_PREFIX);
    let sealed = seal_successor(&state.refresh_key, refresh_token, &successor);
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    match sessions::rotate_refresh_token(&mut tx, &hash, &sealed, now, REFRESH_GRACE).await? {
        Rotation::Rotated {
            session_id,
            user_id,
        } => {
            let user = users::get(&mut *tx, user_id).await?;
            if user.disabled_at.is_some() {
                return Err(BackendError::RefreshTokenInvalid);
            }
            store_refresh_token(state, &mut tx, &successor, session_id, now).await?;
            tx.commit().await.map_err(bilten_store::StoreError::from)?;
            Ok(token_pair(
                state,
                user_id,
                session_id,
                user.platform_role,
                now,
                successor,
            ))
        }
        Rotation::Replayed {
            session_id,
            user_id,
            successor_sealed,
        } => {
            let user = users::get(&mut *tx, user_id).await?;
            drop(tx);
            let successor = open_successor(&state.refresh_key, refresh_token, &successor_sealed)
                .ok_or(BackendError::RefreshTokenInvalid)?;
            if user.disabled_at.is_some() {
                return Err(BackendError::RefreshTokenInvalid);
            }
            tracing::info!(session = %session_id, "refresh token presented again within the grace period; same successor returned");
            Ok(token_pair(
                state,
                user_id,
                session_id,
                user.platform_role,
                now,
                successor,
            ))
        }
        Rotation::Reused { session_id } => {
            sessions::revoke(&mut *tx, session_id, "refresh_token_reused", now).await?;
            tx.commit().await.map_err(bilten_store::StoreError::from)?;
            tracing::warn!(session = %session_id, "refresh token reused; session revoked");
            Err(BackendError::RefreshTokenReused)
        }
        Rotation::Invalid => Err(BackendError::RefreshTokenInvalid),
    }
}

pub async fn logout(state: &AppState, session_id: SessionId) -> BackendResult<()> {
    sessions::revoke(state.store.primary(), session_id, "logout", Utc::now()).await?;
    Ok(())
}

pub async fn logout_everywhere(state: &AppState, user_id: UserId) -> BackendResult<u64> {
    Ok(sessions::revoke_all_for_user(
        state.store.primary(),
        user_id,
        None,
        "logout_all",
        Utc::now(),
    )
    .await?)
}

pub async fn change_password(
    state: &AppState,
    user_id: UserId,
    current_session: SessionId,
    current_password: String,
    new_password: &Password,
) -> BackendResult<()> {
    let user = users::get(state.store.primary(), user_id).await?;
    if !state
        .hasher
        .verify(current_password, Some(user.password_hash))
        .await?
    {
        return Err(BackendError::field(
            "current_password",
            "incorrect",
            "The current password is wrong.",
        ));
    }
    let hash = state.hasher.hash(new_password.expose().to_owned()).await?;
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    users::set_password(&mut *tx, user_id, &hash, now).await?;
    sessions::revoke_all_for_user(
        &mut *tx,
        user_id,
        Some(current_session),
        "password_changed",
        now,
    )
    .await?;
    tokens::retire_all(&mut *tx, user_id, Purpose::ResetPassword, now).await?;
    tx.commit().await.map_err(bilten_store::StoreError::from)?;
    Ok(())
}

/// Starts a password reset. Answers the same whether or not the email has an account; the
/// work for a real account happens in the background so the timing does not differ either.
pub fn forgot_password(state: &AppState, email: Email, locale: Locale) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(error) = send_reset_link(&state, &email, locale).await {
            tracing::warn!(%error, "could not start a password reset");
        }
    });
}

async fn send_reset_link(state: &AppState, email: &Email, locale: Locale) -> BackendResult<()> {
    let Some(user) = users::find_by_email(state.store.primary(), email).await? else {
        return Ok(());
    };
    if user.disabled_at.is_some() {
        return Ok(());
    }
    let now = Utc::now();
    let token = new_token(RESET_PREFIX);
    let hash = token_hash(&state.refresh_key, &token);
    let link = format!("{}/reset-password?token={token}", state.public_url);
    let mail = templates::reset_password(locale, user.name.as_str(), &link);
    let dedupe = format!("reset_password:{hash}");
    let mut tx = state.store.begin().await?;
    // A new link voids older ones: only the newest mail works.
    tokens::retire_all(&mut *tx, user.id, Purpose::ResetPassword, now).await?;
    tokens::insert(
        &mut *tx,
        &hash,
        user.id,
        Purpose::ResetPassword,
        now,
        now + RESET_TTL,
    )
    .await?;
    bilten_mail::enqueue(&mut *tx, user.email.as_str(), &dedupe, &mail, now).await?;
    tx.commit().await.map_err(bilten_store::StoreError::from)?;
    state.mail_waker.notify_one();
    Ok(())
}

/// Sets a new password from a reset link and ends every session.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    password: &Password,
) -> BackendResult<()> {
    if !plausible(token, RESET_PREFIX) {
        return Err(BackendError::InvalidOneTimeToken);
    }
    let hash = state.hasher.hash(password.expose().to_owned()).await?;
    let token_hash = token_hash(&state.refresh_key, token);
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    let user_id = tokens::consume(&mut *tx, &token_hash, Purpose::ResetPassword, now)
        .await?
        .ok_or(BackendError::InvalidOneTimeToken)?;
    users::set_password(&mut *tx, user_id, &hash, now).await?;
    // Whoever knew the old password may hold a session: end them all.
    sessions::revoke_all_for_user(&mut *tx, user_id, None, "password_reset", now).await?;
    // Receiving the reset mail proves the address too.
    email_proven(&mut tx, user_id, now).await?;
    tx.commit().await.map_err(bilten_store::StoreError::from)?;
    Ok(())
}

/// The account has shown it receives its email: mark it verified, and give it the guest
/// orders bought with that email (their tickets follow the order), in the caller's
/// transaction.
pub(crate) async fn email_proven(
    tx: &mut Tx,
    user_id: UserId,
    now: DateTime<Utc>,
) -> BackendResult<()> {
    users::mark_email_verified(&mut **tx, user_id, now).await?;
    let user = users::get(&mut **tx, user_id).await?;
    let claimed = orders::claim_guest_orders(&mut **tx, user_id, &user.email, now).await?;
    if claimed > 0 {
        tracing::info!(user = %user_id, orders = claimed, "guest orders joined the account");
    }
    Ok(())
}

pub async fn verify_email(state: &AppState, token: &str) -> BackendResult<UserRecord> {
    if !plausible(token, VERIFY_PREFIX) {
        return Err(BackendError::InvalidOneTimeToken);
    }
    let hash = token_hash(&state.refresh_key, token);
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    let user_id = tokens::consume(&mut *tx, &hash, Purpose::VerifyEmail, now)
        .await?
        .ok_or(BackendError::InvalidOneTimeToken)?;
    email_proven(&mut tx, user_id, now).await?;
    tx.commit().await.map_err(bilten_store::StoreError::from)?;
    Ok(users::get(state.store.primary(), user_id).await?)
}
