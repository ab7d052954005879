//! Finding an event: by the id in a path (404 when there is none), and with the caller's
//! right to act on it. Most rooms above this one start here.

use bilten_domain::EventId;
use bilten_store::events::{self, EventRecord};

use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::AppState;

pub fn parse_event_id(text: &str) -> BackendResult<EventId> {
    text.parse().map_err(|_| BackendError::NotFound("event"))
}

/// The event, or 404.
pub async fn load_event(state: &AppState, id: EventId) -> BackendResult<EventRecord> {
    events::find_event(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("event"))
}

/// Loads an event and checks the caller may do `action` in its organization.
pub(crate) async fn event_for(
    state: &AppState,
    actor: &CurrentUser,
    id: &str,
    action: Action,
) -> BackendResult<EventRecord> {
    let event = load_event(state, parse_event_id(id)?).await?;
    authorize_in(state, actor, event.organization_id, action, "event").await?;
    Ok(event)
}
