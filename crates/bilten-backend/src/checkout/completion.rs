//! Completing an order once its payment succeeded (or at once, for a free order).
//!
//! Everything happens in **one transaction**, or not at all:
//! 1. the order goes `pending → paid` with a conditional update (`status = 'pending' AND
//!    released_at IS NULL`), so the hold-expiry worker and a second completion attempt lose;
//! 2. its held inventory becomes sold (`held - n, sold + n` on each ticket type and quota;
//!    the buyer counter, which counts pending and paid alike, is unchanged);
//! 3. one ticket per admission is inserted, each with a code signed by the event's key;
//! 4. the payment goes `pending → succeeded` (a partial unique index allows one per order);
//! 5. the confirmation mail is enqueued by reference (template `order_confirmation`, the
//!    order id) with the dedupe key `order-confirmation:{order_id}`; the mail worker renders
//!    its QR codes and PDFs when it sends it.
//!
//! **Late payments.** If the hold was already released (`expired`), the same transaction
//! takes the inventory again with the purchase's conditional updates
//! (`sold + held + n <= capacity`) and goes `expired → paid`. If any ticket type or quota is
//! full, the transaction rolls back and the payment is refunded through its provider; the
//! order ends `refunded`. An order is therefore never paid without tickets.
//!
//! **Losing a race.** A completion that finds the order already paid by the same payment
//! reports [`Completion::AlreadyCompleted`] (nothing is written twice: the status update,
//! the payment update and the mail's dedupe key all refuse). A *different* payment that
//! succeeded for an already paid, canceled or refunded order is refunded.
//!
//! The tickets' codes and the mail (PDF rendering) are prepared before the transaction opens,
//! so the transaction holds its row locks only for the writes.

use bilten_domain::ticket_code::{TicketClaims, TicketSigner};
use bilten_domain::{Currency, Money, OrderId, TicketId};
use bilten_domain::{OrderStatus, PaymentStatus, StateMachine};
use bilten_http::ErrorCode;
use bilten_store::inventory::{self, Counter, Movement};
use bilten_store::orders::{self, OrderRecord};
use bilten_store::payments::{self, PaymentRecord};
use bilten_store::tickets::{self, NewTicket};
use bilten_store::{sales, StoreError, Tx};
use chrono::{DateTime, Utc};

use crate::error::{BackendError, BackendResult};
use crate::events::lookup::load_event;
use crate::payments::refund_mail;
use crate::payments::RefundRequest;
use crate::signing;
use crate::tickets::confirmation::IssuedTicket;
use crate::AppState;

/// How a completion attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// This call completed the order: paid, tickets issued, confirmation enqueued.
    Completed,
    /// The order was already completed by this payment (or, free, without one).
    AlreadyCompleted,
    /// The payment could not complete the order and its money was given back.
    Refunded(RefundCause),
    /// A free order that can no longer be completed (its hold ended and the stock is gone,
    /// or it was canceled). Nothing was charged, so nothing is refunded.
    NotCompleted,
    /// The webhook event was already claimed (see [`complete_claimed`]): a duplicate
    /// delivery, so nothing was done.
    Duplicate,
}

/// A provider's webhook event to record in `webhook_events` in the completion transaction,
/// so the order's completion and the event's dedupe record commit together or not at all.
#[derive(Debug, Clone, Copy)]
pub struct WebhookClaim<'a> {
    pub provider: &'a str,
    pub event_id: &'a str,
    pub event_type: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundCause {
    /// Paid after the hold was released, and the tickets are gone.
    SoldOutAfterExpiry,
    /// Another payment completed the order first.
    AlreadyPaid,
    /// The order was canceled or refunded meanwhile.
    OrderClosed,
}

impl RefundCause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SoldOutAfterExpiry => "sold_out_after_expiry",
            Self::AlreadyPaid => "order_already_paid",
            Self::OrderClosed => "order_closed",
        }
    }

    /// Why the payment went back, as the buyer's mail tells it.
    fn returned(self) -> refund_mail::Returned {
        match self {
            Self::SoldOutAfterExpiry => refund_mail::Returned::SoldOutAfterExpiry,
            Self::AlreadyPaid => refund_mail::Returned::AlreadyPaid,
            Self::OrderClosed => refund_mail::Returned::OrderClosed,
        }
    }
}

/// The payment `payment_id` succeeded at its provider: complete its order (or refund it).
/// Safe to call any number of times, from any replica, concurrently.
pub async fn payment_succeeded(
    state: &AppState,
    payment_id: bilten_domain::PaymentId,
) -> BackendResult<Completion> {
    let payment = payments::find(state.store.primary(), payment_id)
        .await?
        .ok_or(BackendError::NotFound("payment"))?;
    complete(state, payment.order_id, Some(&payment)).await
}

/// Completes `order` — paid by `payment`, or free when `None`.
pub async fn complete(
    state: &AppState,
    order_id: OrderId,
    payment: Option<&PaymentRecord>,
) -> BackendResult<Completion> {
    complete_inner(state, order_id, payment, None).await
}

/// [`complete`] for a webhook: `claim` is inserted into `webhook_events` in the completion
/// transaction. `Duplicate` when that event was already claimed. Only the `Completed` outcome
/// records the claim; the caller records the others, whose effects are idempotent anyway.
pub async fn complete_claimed(
    state: &AppState,
    order_id: OrderId,
    payment: Option<&PaymentRecord>,
    claim: &WebhookClaim<'_>,
) -> BackendResult<Completion> {
    complete_inner(state, order_id, payment, Some(claim)).await
}

/// One signed ticket per admission of `order`, named as given at checkout (else the buyer).
///
/// Codes carry no validity window: event dates can still be edited after a sale, and a code
/// cannot change without re-issuing it. Check-in lists and the event's live dates do the time
/// check at the gate.
fn tickets_for(order: &OrderRecord, signer: &TicketSigner) -> Vec<IssuedTicket> {
    order
        .lines
        .iter()
        .flat_map(|line| (0..line.quantity).map(move |n| (line, n)))
        .map(|(line, n)| {
            let id = TicketId::new();
            let attendee_name = usize::try_from(n)
                .ok()
                .and_then(|n| line.attendee_names.get(n))
                .filter(|name| !name.is_empty())
                .unwrap_or(&order.buyer_name)
                .clone();
            IssuedTicket {
                id,
                ticket_type_id: line.ticket_type_id,
                ticket_type_name: line.ticket_type_name.clone(),
                attendee_name,
                code: signer.sign(&TicketClaims::new(id, line.ticket_type_id)),
            }
        })
        .collect()
}

async fn complete_inner(
    state: &AppState,
    order_id: OrderId,
    payment: Option<&PaymentRecord>,
    claim: Option<&WebhookClaim<'_>>,
) -> BackendResult<Completion> {
    let order = orders::find_order(state.store.primary(), order_id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    if !order.status.can_transition_to(OrderStatus::Paid) {
        return settle_loser(state, &order, payment).await;
    }
    let (key_version, signer) = signing::current_signer(state, order.event_id).await?;
    let now = Utc::now();
    let issued = tickets_for(&order, &signer);

    let mut tx = state.store.begin().await?;
    if let Some(claim) = claim {
        // First in the transaction: a concurrent duplicate waits here (PostgreSQL) or is
        // serialised (SQLite), then finds the claim and does nothing.
        if !bilten_store::webhook_events::claim(
            &mut *tx,
            claim.provider,
            claim.event_id,
            claim.event_type,
            now,
        )
        .await?
        {
            tx.rollback().await.map_err(StoreError::from)?;
            return Ok(Completion::Duplicate);
        }
        bilten_store::webhook_events::set_outcome(
            &mut *tx,
            claim.provider,
            claim.event_id,
            "order_completed",
        )
        .await?;
    }
    match take_for_completion(&mut tx, &order, now).await? {
        Taken::Yes => {}
        Taken::NotPending => {
            tx.rollback().await.map_err(StoreError::from)?;
            return settle_loser(state, &order, payment).await;
        }
        Taken::SoldOut => {
            tx.rollback().await.map_err(StoreError::from)?;
            return match payment {
                Some(payment) => {
                    refund(state, &order, payment, RefundCause::SoldOutAfterExpiry).await
                }
                None => Ok(Completion::NotCompleted),
            };
        }
    }
    if let Some(payment) = payment {
        if !payments::mark_succeeded(&mut *tx, payment.id, PaymentStatus::succeed(), now).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(BackendError::conflict(
                ErrorCode::PaymentNotPending,
                "This payment was already decided.",
            ));
        }
    }
    for ticket in &issued {
        tickets::insert(
            &mut *tx,
            &NewTicket {
                id: ticket.id,
                order_id: order.id,
                event_id: order.event_id,
                ticket_type_id: ticket.ticket_type_id,
                attendee_name: &ticket.attendee_name,
                code: &ticket.code,
                key_version,
                now,
            },
        )
        .await?;
    }
    // By reference, like the purchase engine's: the mail worker renders the QR codes and PDFs
    // when it sends the mail, never this request.
    let (dedupe_key, reference) = (
        format!("order-confirmation:{}", order.id),
        order.id.to_string(),
    );
    bilten_store::outbox::enqueue_templated(
        &mut tx,
        crate::orders::purchase::CONFIRMATION_TEMPLATE,
        &[bilten_store::outbox::TemplatedEmail {
            to: &order.buyer_email,
            dedupe_key: &dedupe_key,
            reference: &reference,
        }],
        now,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    state.mail_waker.notify_one();
    state.business.orders.with_label_values(&["paid"]).inc();
    Ok(Completion::Completed)
}

enum Taken {
    Yes,
    /// The order is neither a live hold nor a released one (someone else completed,
    /// canceled or refunded it).
    NotPending,
    /// A released hold whose tickets are gone.
    SoldOut,
}

/// Step 1 and 2 of the transaction: the conditional status change and the inventory move.
async fn take_for_completion(
    tx: &mut Tx,
    order: &OrderRecord,
    now: DateTime<Utc>,
) -> BackendResult<Taken> {
    let per_type = order.quantities_per_type();
    // Ticket types by id, then quotas by id: the lock order of every inventory move. The
    // quota memberships are read after the ticket types are locked, so a quota created
    // meanwhile (which locks them too) is either seen here or already counts this order.
    if sales::mark_paid_from_hold(&mut **tx, order.id, OrderStatus::pay(), now).await? {
        for (id, n) in &per_type {
            inventory::shift(&mut **tx, Counter::TicketType(*id), Movement::SellHeld, *n).await?;
        }
        for (id, n) in inventory::quota_shares(&mut **tx, order.event_id, &per_type).await? {
            inventory::shift(&mut **tx, Counter::Quota(id), Movement::SellHeld, n).await?;
        }
        return Ok(Taken::Yes);
    }
    if !sales::mark_paid_after_expiry(&mut **tx, order.id, OrderStatus::pay_after_expiry(), now)
        .await?
    {
        return Ok(Taken::NotPending);
    }
    // The hold was released: take the tickets again, exactly as a purchase would.
    for (id, n) in &per_type {
        if !inventory::shift(&mut **tx, Counter::TicketType(*id), Movement::Sell, *n).await? {
            return Ok(Taken::SoldOut);
        }
    }
    for (id, n) in inventory::quota_shares(&mut **tx, order.event_id, &per_type).await? {
        if !inventory::shift(&mut **tx, Counter::Quota(id), Movement::Sell, n).await? {
            return Ok(Taken::SoldOut);
        }
    }
    sales::recount_buyer(&mut **tx, order.event_id, &order.buyer_key, order.quantity).await?;
    // The release gave the promo use back too; take it again (last, as in a purchase). A code
    // used up since then is like sold-out stock: refund rather than over-use it.
    if let Some(promo_code) = order.promo_code_id {
        if !bilten_store::promo::retake_use(&mut **tx, promo_code).await? {
            return Ok(Taken::SoldOut);
        }
    }
    Ok(Taken::Yes)
}

/// The order was not completable by this call: find out why and act.
async fn settle_loser(
    state: &AppState,
    order: &OrderRecord,
    payment: Option<&PaymentRecord>,
) -> BackendResult<Completion> {
    let order = orders::find_order(state.store.primary(), order.id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    let paid = matches!(order.status.as_str(), "paid" | "partially_refunded");
    let Some(payment) = payment else {
        return Ok(if paid {
            Completion::AlreadyCompleted
        } else {
            Completion::NotCompleted
        });
    };
    let current = payments::find(state.store.primary(), payment.id)
        .await?
        .ok_or(BackendError::NotFound("payment"))?;
    match current.status.as_str() {
        "succeeded" => Ok(Completion::AlreadyCompleted),
        "refunded" => Ok(Completion::Refunded(if paid {
            RefundCause::AlreadyPaid
        } else {
            RefundCause::OrderClosed
        })),
        _ if paid => refund(state, &order, &current, RefundCause::AlreadyPaid).await,
        _ => refund(state, &order, &current, RefundCause::OrderClosed).await,
    }
}

/// Gives a succeeded payment's money back through its provider, then records it: payment
/// `refunded` and, for a late payment without stock, order `expired → refunded`. A retry
/// reuses the refund's idempotency key, so the provider pays out once.
async fn refund(
    state: &AppState,
    order: &OrderRecord,
    payment: &PaymentRecord,
    cause: RefundCause,
) -> BackendResult<Completion> {
    let provider = &state.payments;
    if provider.kind() != payment.provider {
        return Err(BackendError::Unavailable(format!(
            "payment provider {} is not configured",
            payment.provider
        )));
    }
    let currency =
        Currency::parse(&payment.currency).map_err(|e| BackendError::Internal(e.to_string()))?;
    provider
        .refund(&RefundRequest {
            payment_id: payment.id,
            provider_reference: payment.provider_reference.as_deref(),
            amount: Money::new(payment.amount_minor, currency),
            reason: cause.as_str(),
            idempotency_key: format!("refund:{}", payment.id),
        })
        .await
        .map_err(|e| BackendError::Unavailable(e.to_string()))?;
    let event = load_event(state, order.event_id).await?;
    let locale = refund_mail::order_locale(&order.locale);
    let title = crate::events::views::title_in(
        state.store.primary(),
        event.id,
        &event.fields.title,
        locale,
    )
    .await?;
    let mail = refund_mail::payment_returned(
        locale,
        &order.buyer_name,
        title.as_str(),
        payment.amount_minor,
        &payment.currency,
        cause.returned(),
    );
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    payments::mark_refunded(&mut *tx, payment.id, PaymentStatus::refund(), now).await?;
    if cause == RefundCause::SoldOutAfterExpiry {
        sales::mark_refunded_unfilled(&mut *tx, order.id, OrderStatus::refund_unfilled(), now)
            .await?;
    }
    // The buyer paid and gets no tickets for it: say so, once per payment.
    let key = format!("payment-returned:{}", payment.id);
    bilten_mail::enqueue(&mut *tx, &order.buyer_email, &key, &mail, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(order = %order.id, payment = %payment.id, cause = cause.as_str(), "payment refunded: order not completable");
    Ok(Completion::Refunded(cause))
}
