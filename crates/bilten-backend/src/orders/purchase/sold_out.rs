//! Sold-out answers without a database round trip.
//!
//! When a batch leaves a ticket type with nothing, the engine marks it sold out: in this
//! process, and in the shared cache (Redis when configured) so the other replicas answer the
//! late crowd the same way. Whatever gives capacity back (a released hold, a refund, a raised
//! capacity) clears the marks of its ticket types ([`SoldOutFlags::clear`]); and a mark lives
//! only [`SOLD_OUT_TTL`] unless another batch finds nothing left, so capacity that comes back
//! some other way is sold again within that time.
//!
//! A request for a type not marked here asks the shared cache at most once per
//! [`RECHECK`] per type, so buyers of a type on sale cost no cache round trip each.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bilten_cache::Cache;
use bilten_domain::TicketTypeId;

/// How long a sold-out mark holds without being renewed by another sold-out batch.
pub const SOLD_OUT_TTL: Duration = Duration::from_secs(1);
/// How long this process trusts "not marked" before asking the shared cache again.
const RECHECK: Duration = Duration::from_millis(100);

#[derive(Clone, Copy)]
enum Known {
    SoldOut { until: Instant },
    OnSale { checked: Instant },
}

/// This process's view of which ticket types are sold out.
#[derive(Default)]
pub struct SoldOutFlags {
    known: Mutex<HashMap<TicketTypeId, Known>>,
}

fn key(id: TicketTypeId) -> String {
    format!("sold_out:{id}")
}

impl SoldOutFlags {
    /// Marks `id` sold out here and in the shared cache.
    pub async fn mark(&self, cache: &Cache, id: TicketTypeId) {
        self.remember(
            id,
            Known::SoldOut {
                until: Instant::now() + SOLD_OUT_TTL,
            },
        );
        cache.set(&key(id), "1", SOLD_OUT_TTL).await;
    }

    /// Capacity came back for `ids` (a released hold, a refund, a raised capacity): sell
    /// them again at once, here and on every replica.
    pub async fn clear(&self, cache: &Cache, ids: &[TicketTypeId]) {
        if let Ok(mut known) = self.known.lock() {
            for id in ids {
                known.remove(id);
            }
        }
        for id in ids {
            cache.delete(&key(*id)).await;
        }
    }

    /// The first of `ids` that is marked sold out, if any.
    pub async fn first_sold_out(&self, cache: &Cache, ids: &[TicketTypeId]) -> Option<usize> {
        let now = Instant::now();
        let mut ask = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            match self.known.lock().ok().and_then(|k| k.get(id).copied()) {
                Some(Known::SoldOut { until }) if until > now => return Some(i),
                Some(Known::OnSale { checked }) if now.duration_since(checked) < RECHECK => {}
                _ => ask.push(i),
            }
        }
        for i in ask {
            let id = ids[i];
            if cache.get(&key(id)).await.is_some() {
                self.remember(
                    id,
                    Known::SoldOut {
                        until: now + SOLD_OUT_TTL,
                    },
                );
                return Some(i);
            }
            self.remember(id, Known::OnSale { checked: now });
        }
        None
    }

    fn remember(&self, id: TicketTypeId, state: Known) {
        if let Ok(mut known) = self.known.lock() {
            known.insert(id, state);
        }
    }
}
