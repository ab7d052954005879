//! This process's inventory leases: which it holds, how big a new one is, and the sweep that
//! settles expired ones.

use std::collections::HashMap;

use bilten_domain::LeaseId;
use bilten_domain::TicketTypeId;
use bilten_store::leases::{self, Counters, Granted, Which};
use bilten_store::StoreError;
use chrono::{DateTime, Utc};

use super::{Entry, LEASE_MARGIN};
use crate::error::BackendResult;
use crate::AppState;

/// This process as the holder of its leases (shown in `inventory_leases.holder`, for
/// operators: which process took which places).
pub(super) struct Holder(pub(super) String);

impl Default for Holder {
    fn default() -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
        Self(format!("{host}/{}/{}", std::process::id(), LeaseId::new()))
    }
}

/// The leases this process holds for one event, kept by the event's worker (only its batches
/// draw from them, so no lock is needed).
#[derive(Default)]
pub(super) struct Leases {
    pub(super) by_type: HashMap<TicketTypeId, Granted>,
}

impl Leases {
    pub(super) fn ids(&self) -> Vec<LeaseId> {
        self.by_type.values().map(|l| l.id).collect()
    }

    /// Whether every ticket type the entries ask for has a live lease with room for all of
    /// it: then the batch sells from the leases.
    pub(super) fn cover(&self, entries: &[Entry], now: DateTime<Utc>) -> bool {
        let mut wanted: HashMap<TicketTypeId, i64> = HashMap::new();
        for entry in entries {
            for (id, quantity) in &entry.purchase.items {
                *wanted.entry(*id).or_default() += i64::from(quantity.get());
            }
        }
        let usable_until = now + LEASE_MARGIN;
        !wanted.is_empty()
            && wanted.iter().all(|(id, n)| {
                self.by_type
                    .get(id)
                    .is_some_and(|l| l.remaining >= *n && l.expires_at > usable_until)
            })
    }

    pub(super) fn apply(&mut self, change: LeaseChange) {
        match change {
            LeaseChange::None => {}
            LeaseChange::Drawn(drawn) => {
                for (id, n) in drawn {
                    if let Some(lease) = self.by_type.get_mut(&id) {
                        lease.remaining -= n;
                    }
                }
            }
            LeaseChange::Replaced(granted) => {
                self.by_type = granted.into_iter().map(|l| (l.ticket_type_id, l)).collect();
            }
        }
    }
}

/// What a committed batch did to this process's leases.
#[derive(Default)]
pub(super) enum LeaseChange {
    #[default]
    None,
    /// Sold from them (the lease path): places taken per ticket type.
    Drawn(Vec<(TicketTypeId, i64)>),
    /// Settled them all and granted these (the locked path).
    Replaced(Vec<Granted>),
}

/// How a batch takes its places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Path {
    /// From this process's leases, without locking a counter.
    Lease,
    /// From the counters, under their locks.
    Locked,
}

/// How big a lease to take when `left` places are left and the batch just sold `demand`:
/// 2 % of what is left, or the batch's own demand up to 5 %. Nothing once fewer than 20 are
/// left: the last places are sold exactly, from the counters.
pub fn lease_size(left: i64, demand: i64) -> i64 {
    if left <= 0 {
        return 0;
    }
    (left / 50).max(demand.min(left / 20))
}

/// Settles expired leases of every event (the background sweep beside hold expiry), so a dead
/// process's places are back on sale within [`LEASE_TTL`] and a few seconds. Returns how
/// many places came back.
pub async fn settle_expired_leases(state: &AppState, now: DateTime<Utc>) -> BackendResult<i64> {
    const PER_TRANSACTION: i64 = 50;
    if !leases::any_expired(state.store.primary(), now).await? {
        return Ok(0);
    }
    let mut released = 0;
    loop {
        let mut tx = state.store.begin().await?;
        let which = Which::Expired {
            limit: PER_TRANSACTION,
        };
        let settled = leases::settle(&mut tx, which, now, Counters::Lock).await?;
        tx.commit().await.map_err(StoreError::from)?;
        released += settled.released();
        if i64::try_from(settled.leases).unwrap_or(0) < PER_TRANSACTION {
            return Ok(released);
        }
    }
}
