//! Step 2 of a refund: the provider gives the money back, then the refund is settled and the
//! buyer's mail queued; and the worker that retries payouts the provider could not make.

use std::time::Duration;

use bilten_domain::{
    Currency, Money, OrderStatus, PaymentStatus, RefundId, RefundReason, RefundStatus,
};
use bilten_store::orders::{self, OrderRecord};
use bilten_store::payments::{self};
use bilten_store::refunds::{self as store};
use bilten_store::{StoreError, Tx};
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::error::{BackendError, BackendResult};
use crate::events::lookup::load_event;
use crate::payments::refund_mail;
use crate::payments::RefundRequest as ProviderRefund;
use crate::AppState;

/// Step 2: asks the provider to give the money back, then settles the refund and enqueues the
/// buyer's mail. A refund already settled is left alone; a provider failure leaves it pending
/// for the retry worker.
pub async fn pay_out(state: &AppState, refund_id: RefundId) -> BackendResult<()> {
    let refund = {
        let mut conn = state
            .store
            .primary()
            .acquire()
            .await
            .map_err(StoreError::from)?;
        store::find(&mut conn, refund_id)
            .await?
            .ok_or(BackendError::NotFound("refund"))?
    };
    if refund.status != RefundStatus::Pending {
        return Ok(());
    }
    let Some(payment_id) = refund.payment_id else {
        return Ok(());
    };
    let payment = payments::find(state.store.primary(), payment_id)
        .await?
        .ok_or(BackendError::NotFound("payment"))?;
    let provider = &state.payments;
    let now = Utc::now();
    if provider.kind() != payment.provider {
        store::note_failure(
            state.store.primary(),
            refund_id,
            "provider_not_configured",
            now,
        )
        .await?;
        tracing::error!(refund = %refund_id, provider = %payment.provider, "refund waits: its payment provider is not configured");
        return Ok(());
    }
    let currency =
        Currency::parse(&refund.currency).map_err(|e| BackendError::Internal(e.to_string()))?;
    let receipt = provider
        .refund(&ProviderRefund {
            payment_id: payment.id,
            provider_reference: payment.provider_reference.as_deref(),
            amount: Money::new(refund.amount_minor, currency),
            reason: refund.reason.as_str(),
            idempotency_key: format!("refund:{refund_id}"),
        })
        .await;
    let receipt = match receipt {
        Ok(receipt) => receipt,
        Err(error) => {
            tracing::warn!(refund = %refund_id, %error, "refund not paid out yet; will retry");
            store::note_failure(
                state.store.primary(),
                refund_id,
                "provider_unavailable",
                now,
            )
            .await?;
            return Ok(());
        }
    };
    let order = orders::find_order(state.store.primary(), refund.order_id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    let event_title = order_event_title(state, &order).await?;
    let mut tx = state.store.begin().await?;
    if store::mark_succeeded(
        &mut *tx,
        refund_id,
        RefundStatus::succeed(),
        Some(&receipt.provider_reference),
        now,
    )
    .await?
    {
        if order.status == OrderStatus::Refunded {
            payments::mark_refunded(&mut *tx, payment.id, PaymentStatus::refund(), now).await?;
        }
        let reason = if refund.reason == RefundReason::EventCanceled {
            RefundReason::EventCanceled
        } else {
            RefundReason::Requested
        };
        enqueue_mail(
            &event_title,
            &mut tx,
            &order,
            refund_id,
            reason,
            refund.amount_minor,
            refund.ticket_ids.len(),
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    state.mail_waker.notify_one();
    Ok(())
}

/// The event's title as the order's mails name it: in the order's language when the
/// organizer gave one (read before a transaction opens, like the event).
pub(super) async fn order_event_title(
    state: &AppState,
    order: &OrderRecord,
) -> BackendResult<String> {
    let event = load_event(state, order.event_id).await?;
    crate::events::views::title_in(
        state.store.primary(),
        event.id,
        &event.fields.title,
        refund_mail::order_locale(&order.locale),
    )
    .await
}

/// Enqueues the buyer's mail about a settled refund. `event_title` is read before the
/// transaction opened (SQLite has one connection: nothing may be read beside `tx`).
#[expect(clippy::too_many_arguments, reason = "one mail's inputs, all needed")]
pub(super) async fn enqueue_mail(
    event_title: &str,
    tx: &mut Tx,
    order: &OrderRecord,
    refund_id: RefundId,
    reason: RefundReason,
    amount_minor: i64,
    tickets: usize,
    now: DateTime<Utc>,
) -> BackendResult<()> {
    let locale = refund_mail::order_locale(&order.locale);
    let (mail, key) = match reason {
        RefundReason::EventCanceled => (
            refund_mail::event_canceled(
                locale,
                &order.buyer_name,
                event_title,
                amount_minor,
                &order.currency,
                true,
            ),
            // One cancellation notice per order, however the cancellation is retried.
            format!("event-canceled:{}", order.id),
        ),
        RefundReason::Requested | RefundReason::External => {
            let whole = store::refunded_minor(&mut **tx, order.id).await? >= order.total_minor
                && tickets > 0;
            let what = if whole {
                refund_mail::Refunded::WholeOrder
            } else if tickets > 0 {
                refund_mail::Refunded::Tickets(tickets)
            } else {
                refund_mail::Refunded::AmountOnly
            };
            (
                refund_mail::refunded(
                    locale,
                    &order.buyer_name,
                    event_title,
                    amount_minor,
                    &order.currency,
                    what,
                ),
                format!("refund:{refund_id}"),
            )
        }
    };
    bilten_mail::enqueue(&mut **tx, &order.buyer_email, &key, &mail, now).await?;
    Ok(())
}

/// Pays out refunds whose provider call failed (or whose process died between the two
/// steps), and keeps payment attempts from staying open for ever
/// ([`crate::checkout::attempts::upkeep`]: orphaned claims are finished with the provider,
/// attempts past their lifetime closed). Any number of replicas may run it: the idempotency
/// keys make a double payout or checkout impossible at the provider, and every status change
/// here is conditional.
pub struct RefundRetryWorker {
    state: AppState,
}

impl RefundRetryWorker {
    /// How long a refund may wait for its first payout before the worker takes over.
    const GRACE: Duration = Duration::from_secs(60);
    const TICK: Duration = Duration::from_secs(30);

    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(Self::TICK) => {}
            }
            if let Err(error) = retry_pending(&self.state, Utc::now()).await {
                tracing::warn!(%error, "refund retry pass failed");
            }
            if let Err(error) = crate::checkout::attempts::upkeep(&self.state, Utc::now()).await {
                tracing::warn!(%error, "payment attempt upkeep failed");
            }
        }
    }
}

/// One pass of the retry worker. Returns how many refunds it looked at.
pub async fn retry_pending(state: &AppState, now: DateTime<Utc>) -> BackendResult<usize> {
    let grace = chrono::Duration::from_std(RefundRetryWorker::GRACE)
        .map_err(|e| BackendError::Internal(e.to_string()))?;
    let due = store::pending_before(state.store.primary(), now - grace, 100).await?;
    for id in &due {
        pay_out(state, *id).await?;
    }
    Ok(due.len())
}
