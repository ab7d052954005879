//! The root of every event's ticket signing key (`TICKET_SIGNING_SECRET`), which the app
//! state holds; publishing keys and signing with them is `signing`'s.

use bilten_domain::ticket_code::{derive_event_seed, TicketSigner};
use bilten_domain::EventId;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{BackendError, BackendResult};

/// The root secret, able to derive any event's signer. Its `Debug` shows nothing secret.
pub struct TicketKeys {
    root: SecretString,
}

impl std::fmt::Debug for TicketKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketKeys").finish_non_exhaustive()
    }
}

impl TicketKeys {
    pub fn new(root: SecretString) -> Self {
        Self { root }
    }

    /// The signer of `event`'s key `version`.
    pub fn signer(&self, event: EventId, version: i64) -> BackendResult<TicketSigner> {
        let version = u32::try_from(version)
            .map_err(|_| BackendError::Internal(format!("key version {version} out of range")))?;
        Ok(TicketSigner::from_seed(derive_event_seed(
            self.root.expose_secret().as_bytes(),
            event,
            version,
        )))
    }
}
