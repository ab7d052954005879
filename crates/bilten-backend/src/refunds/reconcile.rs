//! Refunds made at the provider (Stripe's `charge.refunded`): brought into our records.

use bilten_api::orders::WebhookOutcome;
use bilten_domain::{
    OrderStatus, PaymentProvider, PaymentStatus, RefundId, RefundReason, RefundStatus,
    RevocationReason, StateMachine, TicketStatus,
};
use bilten_store::orders::{self};
use bilten_store::payments::{self, PaymentRecord};
use bilten_store::refunds::{self as store, NewRefund};
use bilten_store::tickets;
use bilten_store::{webhook_events, StoreError};
use chrono::Utc;

use crate::checkout::completion::WebhookClaim;
use crate::error::{BackendError, BackendResult};
use crate::AppState;

use super::payout::{enqueue_mail, order_event_title};
use super::take::{take_in, Cause};

/// The payment a provider's captured-payment id belongs to.
pub async fn payment_by_intent(
    state: &AppState,
    intent: &str,
) -> BackendResult<Option<PaymentRecord>> {
    let Some(id) =
        store::payment_by_reference(state.store.primary(), PaymentProvider::Stripe, intent).await?
    else {
        return Ok(None);
    };
    Ok(payments::find(state.store.primary(), id).await?)
}

/// Brings our records in line with what the provider says it refunded on `payment`
/// (`amount_refunded` in total). Refunds we made are already recorded and change nothing.
/// Money given back at the provider directly becomes an `external` refund; a charge refunded
/// in full also cancels the order's remaining tickets. Runs in one transaction with the
/// webhook's claim.
pub async fn reconcile_provider_refunds(
    state: &AppState,
    payment: &PaymentRecord,
    amount_refunded: i64,
    fully_refunded: bool,
    claim: &WebhookClaim<'_>,
) -> BackendResult<WebhookOutcome> {
    let now = Utc::now();
    let order = orders::find_order(state.store.primary(), payment.order_id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    let event_title = order_event_title(state, &order).await?;
    let mut tx = state.store.begin().await?;
    if !webhook_events::claim(
        &mut *tx,
        claim.provider,
        claim.event_id,
        claim.event_type,
        now,
    )
    .await?
    {
        tx.rollback().await.map_err(StoreError::from)?;
        return Ok(WebhookOutcome::Duplicate);
    }
    let recorded = store::recorded_for_payment(&mut *tx, payment.id).await?;
    let outcome = if payment.status == PaymentStatus::Refunded || amount_refunded <= recorded {
        // Our own refunds (or a late payment given back by completion): nothing new.
        WebhookOutcome::AlreadyRecorded
    } else {
        let external = amount_refunded - recorded;
        let tickets_to_cancel = if fully_refunded {
            tickets::list_for_order(&mut *tx, order.id)
                .await?
                .into_iter()
                .filter(|t| t.status == TicketStatus::Valid)
                .map(|t| t.id)
                .collect()
        } else {
            Vec::new()
        };
        let refund_id = RefundId::new();
        let cause = Cause {
            reason: RefundReason::External,
            revocation: RevocationReason::Refunded,
            requested_by: None,
        };
        if order
            .status
            .can_transition_to(OrderStatus::PartiallyRefunded)
        {
            take_in(
                &mut tx,
                &order,
                &tickets_to_cancel,
                external,
                Some(payment),
                refund_id,
                cause,
                now,
            )
            .await?;
        } else {
            store::record_external_amount(&mut *tx, order.id, external, now).await?;
            store::insert(
                &mut *tx,
                &NewRefund {
                    id: refund_id,
                    order_id: order.id,
                    payment_id: Some(payment.id),
                    provider: Some(payment.provider),
                    amount_minor: external,
                    currency: &order.currency,
                    reason: RefundReason::External,
                    requested_by: None,
                    now,
                },
            )
            .await?;
        }
        store::mark_succeeded(&mut *tx, refund_id, RefundStatus::succeed(), None, now).await?;
        if fully_refunded {
            payments::mark_refunded(&mut *tx, payment.id, PaymentStatus::refund(), now).await?;
        }
        enqueue_mail(
            &event_title,
            &mut tx,
            &order,
            refund_id,
            RefundReason::External,
            external,
            tickets_to_cancel.len(),
            now,
        )
        .await?;
        WebhookOutcome::ExternalRefundRecorded
    };
    webhook_events::set_outcome(&mut *tx, claim.provider, claim.event_id, outcome.as_str()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    state.mail_waker.notify_one();
    Ok(outcome)
}
