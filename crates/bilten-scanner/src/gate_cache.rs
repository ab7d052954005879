//! What every scan of a list needs besides the ticket, kept in this process's memory so a
//! scan reads only the device and the ticket from the database.
//!
//! Both kinds of row are safe to keep because of how they change:
//!
//! - **Check-in lists never change** once created (no update or delete exists), so a list
//!   read once is the list for as long as the process runs.
//! - **An event's public keys are only ever added** (a key is never retired or edited). A
//!   kept set can therefore only lack a newer key: a code naming a key id the set does not
//!   hold reads the keys again before it is judged (see [`GateCache::keys_for`]), so a ticket
//!   signed with a key added a moment ago is never refused.
//!
//! The device is still read on every scan: revoking one must stop it at once.
//!
//! Both maps are bounded: past [`MAX_ENTRIES`] one is emptied and refills from the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use bilten_domain::ticket_code::{self, PublicKeyEntry};
use bilten_domain::{CheckinListId, EventId};
use bilten_store::checkin::ListRecord;

/// Lists (or events' key sets) kept before a map starts over.
const MAX_ENTRIES: usize = 10_000;

/// An event's trusted keys, shared by every scan that uses them.
pub type Keys = Arc<[PublicKeyEntry]>;

#[derive(Default)]
pub struct GateCache {
    lists: RwLock<HashMap<CheckinListId, Arc<ListRecord>>>,
    keys: RwLock<HashMap<EventId, Keys>>,
}

impl std::fmt::Debug for GateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GateCache").finish_non_exhaustive()
    }
}

impl GateCache {
    /// The kept list `id`, if this process has read it before.
    pub fn list(&self, id: CheckinListId) -> Option<Arc<ListRecord>> {
        self.lists.read().ok()?.get(&id).cloned()
    }

    /// Keeps `list` (read from the database) and returns it shared.
    pub fn keep_list(&self, list: ListRecord) -> Arc<ListRecord> {
        let list = Arc::new(list);
        if let Ok(mut lists) = self.lists.write() {
            if lists.len() >= MAX_ENTRIES {
                lists.clear();
            }
            lists.insert(list.id, list.clone());
        }
        list
    }

    /// The kept keys of `event` when they can judge `code`: `None` when none are kept, or
    /// when `code` names a key id they lack (then the caller reads the keys again). A code
    /// that is not a code at all is judged by any set (it is `malformed` whatever the keys).
    pub fn keys_for(&self, event: EventId, code: Option<&str>) -> Option<Keys> {
        let keys = self.keys.read().ok()?.get(&event).cloned()?;
        match code.and_then(ticket_code::key_id_of) {
            Some(key_id) if !keys.iter().any(|k| k.key_id() == key_id) => None,
            _ => Some(keys),
        }
    }

    /// Keeps `keys` (read from the database) as `event`'s and returns them shared.
    pub fn keep_keys(&self, event: EventId, keys: Vec<PublicKeyEntry>) -> Keys {
        let keys: Keys = keys.into();
        if let Ok(mut kept) = self.keys.write() {
            if kept.len() >= MAX_ENTRIES {
                kept.clear();
            }
            kept.insert(event, keys.clone());
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use bilten_domain::ticket_code::{TicketClaims, TicketSigner};
    use bilten_domain::{EventId, TicketId, TicketTypeId};

    use super::GateCache;

    fn code(signer: &TicketSigner) -> String {
        signer.sign(&TicketClaims {
            ticket_id: TicketId::new(),
            ticket_type_id: TicketTypeId::new(),
            valid_from: 0,
            valid_until: 0,
        })
    }

    #[test]
    fn a_code_signed_with_a_key_not_kept_asks_for_the_keys_again() {
        let cache = GateCache::default();
        let event = EventId::new();
        let first = TicketSigner::from_seed([1; 32]);
        let second = TicketSigner::from_seed([2; 32]);
        assert!(cache.keys_for(event, None).is_none(), "nothing kept yet");
        cache.keep_keys(event, vec![first.public_key_entry()]);
        assert!(cache.keys_for(event, Some(&code(&first))).is_some());
        assert!(cache.keys_for(event, Some("not a code")).is_some());
        assert!(
            cache.keys_for(event, Some(&code(&second))).is_none(),
            "a newer key's ticket must not be judged by the old set"
        );
        cache.keep_keys(
            event,
            vec![first.public_key_entry(), second.public_key_entry()],
        );
        assert!(cache.keys_for(event, Some(&code(&second))).is_some());
        assert!(cache.keys_for(EventId::new(), None).is_none());
    }
}
