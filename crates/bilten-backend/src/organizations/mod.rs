//! Room **organizations**: organizations, their members and settings (`settings`: members
//! must use a second factor), and team invitations
//! (an owner inviting an email without an account, the invitee accepting).
//!
//! Uses the accounts room (an accepted invitation proves the invitee's email).

pub(crate) mod handlers;
pub(crate) mod invitations;
pub(crate) mod settings;
