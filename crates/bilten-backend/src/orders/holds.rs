//! The end of a hold: a buyer's cancel, and the worker that ends lapsed holds.
//!
//! A hold ends exactly once: `orders::end_hold` flips `pending → expired|canceled` with a
//! conditional update and only the winner gives the inventory back, in the same transaction.
//! Until the worker gets to a lapsed hold, reads subtract it (`lapsed`), and a purchase that
//! would be sold out first releases the event's lapsed holds and tries once more, so an
//! expired hold never blocks a buyer.

use bilten_domain::Transition;
use std::time::Duration;

use bilten_domain::{EventId, OrderId, OrderStatus, TicketTypeId};
use bilten_store::inventory::{self, Counter, Movement};
use bilten_store::orders::{self};
use bilten_store::promo;
use bilten_store::StoreError;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::error::{BackendError, BackendResult};
use crate::AppState;

/// Ends a pending order's hold by `t` ([`OrderStatus::expire`] or
/// [`OrderStatus::cancel_pending`]) and gives its inventory back, in one transaction. False when the order was not pending any more (someone else won).
pub async fn release_hold(
    state: &AppState,
    id: OrderId,
    t: Transition<OrderStatus>,
    now: DateTime<Utc>,
) -> BackendResult<bool> {
    let mut tx = state.store.begin().await?;
    if !release_hold_in(&mut tx, id, t, now).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return Ok(false);
    }
    tx.commit().await.map_err(StoreError::from)?;
    if let Some(order) = orders::find_order(state.store.primary(), id).await? {
        let types: Vec<TicketTypeId> = order.quantities_per_type().into_keys().collect();
        crate::orders::purchase::capacity_returned(state, &types).await;
    }
    let label = t.to().as_str();
    state.business.orders.with_label_values(&[label]).inc();
    if t.to() == OrderStatus::Expired {
        state.business.holds_expired.inc();
    }
    Ok(true)
}

/// [`release_hold`] inside the caller's transaction (a webhook's or an event cancellation's,
/// so the release commits with their other effects). False, with nothing written, when the
/// order was not pending any more.
pub async fn release_hold_in(
    tx: &mut bilten_store::Tx,
    id: OrderId,
    t: Transition<OrderStatus>,
    now: DateTime<Utc>,
) -> BackendResult<bool> {
    if !orders::end_hold(&mut **tx, id, t, now).await? {
        return Ok(false);
    }
    let order = orders::find_order(&mut **tx, id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    // Same lock order as a purchase: ticket types by id, quotas by id, buyer counter.
    let per_type = order.quantities_per_type();
    for (ticket_type, n) in &per_type {
        let counter = Counter::TicketType(*ticket_type);
        inventory::shift(&mut **tx, counter, Movement::Release, *n).await?;
    }
    for (quota, n) in inventory::quota_shares(&mut **tx, order.event_id, &per_type).await? {
        inventory::shift(&mut **tx, Counter::Quota(quota), Movement::Release, n).await?;
    }
    orders::release_buyer_count(&mut **tx, order.event_id, &order.buyer_key, order.quantity)
        .await?;
    if let Some(promo_code) = order.promo_code_id {
        promo::release_use(&mut **tx, promo_code).await?;
    }
    Ok(true)
}

/// Marks lapsed holds `expired` and releases their inventory (all events, or one).
/// Returns how many this call released.
pub async fn release_lapsed(
    state: &AppState,
    event: Option<EventId>,
    now: DateTime<Utc>,
) -> BackendResult<usize> {
    let mut released = 0;
    loop {
        let due = orders::lapsed_holds(state.store.primary(), now, event, 100).await?;
        let batch = due.len();
        for id in due {
            if release_hold(state, id, OrderStatus::expire(), now).await? {
                released += 1;
            }
        }
        if batch < 100 {
            return Ok(released);
        }
    }
}

/// The background task that ends lapsed holds, in every backend process. Replicas may race
/// on the same order; the conditional status update lets exactly one of them release it.
pub struct HoldExpiryWorker {
    state: AppState,
    every: Duration,
}

impl HoldExpiryWorker {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            every: Duration::from_secs(5),
        }
    }

    pub async fn run(self, shutdown: CancellationToken) {
        // Idempotency keys past their day are swept about once a minute (a key's own request
        // already ignores an expired row; this only keeps the table small).
        let mut rounds: u32 = 0;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.every) => {}
            }
            rounds = rounds.wrapping_add(1);
            if rounds.is_multiple_of(12) {
                if let Err(error) = crate::idempotency::sweep(&self.state).await {
                    tracing::warn!(%error, "sweeping expired idempotency keys failed; retrying later");
                }
            }
            if let Err(error) = release_lapsed(&self.state, None, Utc::now()).await {
                tracing::warn!(%error, "releasing lapsed holds failed; retrying later");
            }
            // Inventory leases of processes that died (or stopped selling) come back too.
            if let Err(error) =
                crate::orders::purchase::engine::settle_expired_leases(&self.state, Utc::now())
                    .await
            {
                tracing::warn!(%error, "settling expired inventory leases failed; retrying later");
            }
        }
    }
}
