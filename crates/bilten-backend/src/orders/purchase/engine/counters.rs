//! The counters a batch decides on, by index, and what they say to a buyer who did not fit.

use std::collections::HashMap;

use bilten_domain::allocation::{Allocation, Demand};
use bilten_domain::{QuotaId, TicketTypeId};
use bilten_store::inventory::Counter;
use bilten_store::leases::Settled;
use bilten_store::purchase::LockedInventory;

use super::{Entry, Leases, Priced};
use crate::error::BackendError;

/// The counters of an event in lock order (ticket types by id, then quotas by id), by index.
pub(super) struct CounterIndex {
    pub(super) counters: Vec<Counter>,
    pub(super) type_index: HashMap<TicketTypeId, usize>,
    /// For each ticket type, the indexes of the quotas it belongs to.
    pub(super) quotas_of: HashMap<TicketTypeId, Vec<usize>>,
    pub(super) names: Vec<String>,
}

impl CounterIndex {
    pub(super) fn new(inventory: &LockedInventory) -> Self {
        let mut counters = Vec::new();
        let mut names = Vec::new();
        let mut type_index = HashMap::new();
        for t in &inventory.ticket_types {
            type_index.insert(t.id, counters.len());
            counters.push(Counter::TicketType(t.id));
            names.push(t.name.clone());
        }
        let mut quotas_of: HashMap<TicketTypeId, Vec<usize>> = HashMap::new();
        for q in &inventory.quotas {
            let index = counters.len();
            counters.push(Counter::Quota(q.id));
            names.push(String::new());
            for member in &q.ticket_types {
                quotas_of.entry(*member).or_default().push(index);
            }
        }
        Self {
            counters,
            type_index,
            quotas_of,
            names,
        }
    }

    /// What the leases have left, per counter (the lease path reads no quotas: the leases
    /// already hold their places there).
    pub(super) fn leased(&self, leases: &Leases) -> Vec<i64> {
        self.counters
            .iter()
            .map(|counter| match counter {
                Counter::TicketType(id) => leases.by_type.get(id).map_or(0, |l| l.remaining),
                Counter::Quota(_) => 0,
            })
            .collect()
    }

    pub(super) fn available(inventory: &LockedInventory) -> Vec<i64> {
        inventory
            .ticket_types
            .iter()
            .map(|t| t.capacity - t.sold - t.held)
            .chain(
                inventory
                    .quotas
                    .iter()
                    .map(|q| q.capacity - q.sold - q.held),
            )
            .collect()
    }

    pub(super) fn demand(&self, priced: &Priced) -> Demand {
        let mut demand = Vec::new();
        for line in &priced.lines {
            if let Some(&c) = self.type_index.get(&line.ticket_type_id) {
                demand.push((c, line.quantity));
            }
            for &q in self
                .quotas_of
                .get(&line.ticket_type_id)
                .into_iter()
                .flatten()
            {
                demand.push((q, line.quantity));
            }
        }
        demand
    }

    pub(super) fn counter(&self, c: usize) -> Counter {
        self.counters[c]
    }

    pub(super) fn is_quota(&self, c: usize) -> bool {
        matches!(self.counters[c], Counter::Quota(_))
    }
}

/// Whether the batch's whole demand fits what every counter has left (if not, someone would
/// be refused).
pub(super) fn fits_in_aggregate(available: &[i64], demands: &[Demand]) -> bool {
    let mut need = vec![0; available.len()];
    for demand in demands {
        for (c, n) in demand {
            need[*c] += n;
        }
    }
    need.iter().zip(available).all(|(n, a)| n <= a)
}

/// Applies settled leases to the counters the batch read under its locks.
pub(super) fn apply_settled(inventory: &mut LockedInventory, settled: &Settled) {
    for t in &mut inventory.ticket_types {
        if let Some((released, sold)) = settled.ticket_types.get(&t.id) {
            t.held -= released + sold;
            t.sold += sold;
        }
    }
    for q in &mut inventory.quotas {
        if let Some((released, sold)) = settled.quotas.get(&q.id) {
            q.held -= released + sold;
            q.sold += sold;
        }
    }
}

/// The sold-out answer for entry `i`, naming the item and what is left.
pub(super) fn sold_out_error(
    allocation: &Allocation,
    i: usize,
    counters: &CounterIndex,
    inventory: &LockedInventory,
    entry: &Entry,
) -> BackendError {
    let left = allocation.left();
    let Some(c) = allocation.short_counter(i) else {
        return BackendError::SoldOut {
            field: "items".to_owned(),
            message: "Not enough tickets are left.".to_owned(),
        };
    };
    let item = entry
        .purchase
        .items
        .iter()
        .position(|(id, _)| match counters.counter(c) {
            Counter::TicketType(t) => *id == t,
            Counter::Quota(q) => quota_covers(inventory, q, *id),
        })
        .unwrap_or(0);
    let n = left[c].max(0);
    let message = if counters.is_quota(c) {
        format!("Only {n} tickets are left in this ticket's shared allocation.")
    } else if n == 0 {
        format!("“{}” is sold out.", counters.names[c])
    } else {
        format!("Only {n} “{}” tickets are left.", counters.names[c])
    };
    BackendError::SoldOut {
        field: format!("items[{item}]"),
        message,
    }
}

pub(super) fn quota_covers(
    inventory: &LockedInventory,
    quota: QuotaId,
    ticket_type: TicketTypeId,
) -> bool {
    inventory
        .quotas
        .iter()
        .any(|q| q.id == quota && q.ticket_types.contains(&ticket_type))
}
