//! Authorization in one place.
//!
//! Every handler that touches an object asks here, so the rules can be read (and tested) in
//! one file. Platform admins may moderate; organizer powers come from membership of the
//! organization that owns the object, with one of three roles:
//!
//! | action                | owner | manager | staff |
//! |-----------------------|:-----:|:-------:|:-----:|
//! | see the organization, its events (drafts too), ticket types, quotas, orders | ✓ | ✓ | ✓ |
//! | see tickets of its events and their revocation list | ✓ | ✓ | ✓ |
//! | create/edit/publish events, ticket types, quotas; rotate ticket keys | ✓ | ✓ | — |
//! | refund orders, cancel events | ✓ | ✓ | — |
//! | anonymize an order on its buyer's request | ✓ | ✓ | — |
//! | add/remove members    | ✓ | — | — |
//!
//! Buyers reach their own orders and tickets without a role: by the account that ordered, or
//! by presenting the order's access key (`X-Order-Key`); only they may pay an order or rename
//! a ticket's attendee (members of the organization may look, and get 403 for those).
//!
//! Someone who is not a member cannot learn that the object exists: they get 404, not 403.
//! A member whose role is too weak gets 403 (they can already see the object).

use bilten_domain::{OrganizationId, PlatformRole};

use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::AppState;

/// A member's role in an organization (weakest first).
pub use bilten_domain::OrgRole;

/// What someone wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Platform administration (users, moderation).
    AdministerPlatform,
    /// Read an organization and everything it owns (drafts, counters, orders).
    ViewOrganization,
    /// Create and change events, ticket types and quotas.
    ManageEvents,
    /// Add and remove members.
    ManageMembers,
    /// Give money back: refund orders (event cancellation is `ManageEvents`).
    RefundOrders,
    /// Anonymize an order's personal data on its buyer's request.
    ErasePersonalData,
}

impl Action {
    /// The weakest organization role allowed to do this (None: not an organization action).
    fn minimum_role(self) -> Option<OrgRole> {
        match self {
            Self::AdministerPlatform => None,
            Self::ViewOrganization => Some(OrgRole::Staff),
            Self::ManageEvents | Self::RefundOrders | Self::ErasePersonalData => {
                Some(OrgRole::Manager)
            }
            Self::ManageMembers => Some(OrgRole::Owner),
        }
    }
}

/// Platform-wide actions.
pub fn authorize(actor: &CurrentUser, action: Action) -> BackendResult<()> {
    let allowed = match action {
        Action::AdministerPlatform => actor.role == PlatformRole::Admin,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(BackendError::Forbidden)
    }
}

/// The pure rule: may someone with `role` in the owning organization (None: not a member) do
/// `action` on an object called `what`?
pub fn decide(role: Option<OrgRole>, action: Action, what: &'static str) -> BackendResult<()> {
    let Some(role) = role else {
        return Err(BackendError::NotFound(what));
    };
    match action.minimum_role() {
        Some(minimum) if role >= minimum => Ok(()),
        _ => Err(BackendError::Forbidden),
    }
}

/// The caller's role in `organization`, read from the primary (a removed member loses
/// access at once). A member of an organization that requires a second factor they have not
/// enabled counts as no member here (they still reach what they bought as a buyer);
/// [`authorize_in`] tells them why.
pub async fn role_in(
    state: &AppState,
    actor: &CurrentUser,
    organization: OrganizationId,
) -> BackendResult<Option<OrgRole>> {
    let standing = bilten_store::organizations::standing(
        state.store.primary(),
        organization,
        actor.user_id,
        actor.session_id,
    )
    .await?;
    Ok(standing.filter(|s| !s.missing_two_factor).map(|s| s.role))
}

/// Checks that the caller may do `action` on an object called `what` owned by
/// `organization`; returns their role. A member missing the second factor the organization
/// requires gets `403 two_factor_required`.
pub async fn authorize_in(
    state: &AppState,
    actor: &CurrentUser,
    organization: OrganizationId,
    action: Action,
    what: &'static str,
) -> BackendResult<OrgRole> {
    let standing = bilten_store::organizations::standing(
        state.store.primary(),
        organization,
        actor.user_id,
        actor.session_id,
    )
    .await?;
    let role = standing.as_ref().map(|s| s.role);
    if role.is_some() && standing.is_some_and(|s| s.missing_two_factor) {
        return Err(BackendError::conflict(
            bilten_http::ErrorCode::TwoFactorRequired,
            "This organization requires two-factor sign-in: turn it on in your account, or sign in with a passkey.",
        ));
    }
    decide(role, action, what)?;
    role.ok_or(BackendError::NotFound(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_members_get_not_found_and_weak_roles_get_forbidden() {
        assert!(matches!(
            decide(None, Action::ViewOrganization, "event"),
            Err(BackendError::NotFound("event"))
        ));
        assert!(decide(Some(OrgRole::Staff), Action::ViewOrganization, "event").is_ok());
        assert!(matches!(
            decide(Some(OrgRole::Staff), Action::ManageEvents, "event"),
            Err(BackendError::Forbidden)
        ));
        assert!(decide(Some(OrgRole::Manager), Action::ManageEvents, "event").is_ok());
        assert!(matches!(
            decide(
                Some(OrgRole::Manager),
                Action::ManageMembers,
                "organization"
            ),
            Err(BackendError::Forbidden)
        ));
        assert!(decide(Some(OrgRole::Owner), Action::ManageMembers, "organization").is_ok());
        assert!(matches!(
            decide(Some(OrgRole::Owner), Action::AdministerPlatform, "user"),
            Err(BackendError::Forbidden)
        ));
    }

    #[test]
    fn refunds_need_a_manager_and_outsiders_do_not_see_the_order() {
        assert!(matches!(
            decide(None, Action::RefundOrders, "order"),
            Err(BackendError::NotFound("order"))
        ));
        assert!(matches!(
            decide(Some(OrgRole::Staff), Action::RefundOrders, "order"),
            Err(BackendError::Forbidden)
        ));
        assert!(decide(Some(OrgRole::Manager), Action::RefundOrders, "order").is_ok());
        assert!(decide(Some(OrgRole::Owner), Action::RefundOrders, "order").is_ok());
    }
}
