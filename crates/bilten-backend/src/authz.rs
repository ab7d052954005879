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
//! | add/remove members    | ✓ | — | — |
//!
//! Buyers reach their own orders and tickets without a role: by the account that ordered, or
//! by presenting the order's access key (`X-Order-Key`); only they may pay an order or rename
//! a ticket's attendee (members of the organization may look, and get 403 for those).
//!
//! Someone who is not a member cannot learn that the object exists: they get 404, not 403.
//! A member whose role is too weak gets 403 (they can already see the object).

use bilten_domain::{OrganizationId, PlatformRole};

use crate::auth::CurrentUser;
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
}

impl Action {
    /// The weakest organization role allowed to do this (None: not an organization action).
    fn minimum_role(self) -> Option<OrgRole> {
        match self {
            Self::AdministerPlatform => None,
            Self::ViewOrganization => Some(OrgRole::Staff),
            Self::ManageEvents | Self::RefundOrders => Some(OrgRole::Manager),
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
/// access at once).
pub async fn role_in(
    state: &AppState,
    actor: &CurrentUser,
    organization: OrganizationId,
) -> BackendResult<Option<OrgRole>> {
    let role =
        bilten_store::organizations::role_of(state.store.primary(), organization, actor.user_id)
            .await?;
    Ok(role.as_deref().and_then(OrgRole::parse))
}

/// Checks that the caller may do `action` on an object called `what` owned by
/// `organization`; returns their role.
pub async fn authorize_in(
    state: &AppState,
    actor: &CurrentUser,
    organization: OrganizationId,
    action: Action,
    what: &'static str,
) -> BackendResult<OrgRole> {
    let role = role_in(state, actor, organization).await?;
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
