//! Authorization in one place.
//!
//! Every handler that touches an object asks `authorize(actor, action)` here, so the rules
//! can be read (and tested) in one file. Platform admins may moderate; organizer powers come
//! from organization membership (added with organizations). An object the caller may not see
//! answers 404, not 403, so ids cannot be probed.

use bilten_domain::PlatformRole;

use crate::auth::CurrentUser;
use crate::error::{BackendError, BackendResult};

/// What someone wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Platform administration (users, moderation).
    AdministerPlatform,
}

pub fn authorize(actor: &CurrentUser, action: Action) -> BackendResult<()> {
    let allowed = match action {
        Action::AdministerPlatform => actor.role == PlatformRole::Admin,
    };
    if allowed {
        Ok(())
    } else {
        Err(match action {
            Action::AdministerPlatform => BackendError::Forbidden,
        })
    }
}
