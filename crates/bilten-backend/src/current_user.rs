//! `CurrentUser`: the authenticated caller of a request.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use bilten_domain::{PlatformRole, SessionId, UserId};
use bilten_http::jwt::{bearer, TokenError};
use bilten_store::sessions;

use crate::error::BackendError;
use crate::AppState;

/// Who is calling. Extracting it verifies the access token and that its session is still
/// live, so logout and "end other sessions" apply at once rather than after the token's TTL.
#[derive(Debug, Clone, Copy)]
pub struct CurrentUser {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub role: PlatformRole,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = BackendError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(BackendError::Unauthenticated)?;
        let token = header
            .to_str()
            .ok()
            .and_then(bearer)
            .ok_or(BackendError::Token(TokenError::Invalid))?;
        let claims = state
            .access_tokens
            .verify(token)
            .map_err(BackendError::Token)?;
        let invalid = || BackendError::Token(TokenError::Invalid);
        let user_id: UserId = claims.sub.parse().map_err(|_| invalid())?;
        let session_id: SessionId = claims.sid.parse().map_err(|_| invalid())?;
        // The role comes from the database, not the token, so a change applies at once.
        let role = sessions::active_role(state.store.primary(), session_id, user_id)
            .await?
            .ok_or(BackendError::SessionEnded)?;
        Ok(Self {
            user_id,
            session_id,
            role,
        })
    }
}

/// The caller if a bearer token is sent, else nobody (public routes that show more to
/// members, and guest checkout). A token that is sent must be valid.
#[derive(Debug, Clone, Copy)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = BackendError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(AUTHORIZATION) {
            CurrentUser::from_request_parts(parts, state)
                .await
                .map(|user| Self(Some(user)))
        } else {
            Ok(Self(None))
        }
    }
}
