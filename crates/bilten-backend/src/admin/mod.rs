//! Room **admin**: platform administration. Over HTTP for admins (`/admin/*`: users,
//! organizations, moderation of events), and the first admin made from the command line
//! (`bilten admin create`), never over HTTP.
//!
//! Uses the accounts and events rooms.

mod cli;
pub(crate) mod handlers;

pub use cli::{create_admin, AdminOutcome};
