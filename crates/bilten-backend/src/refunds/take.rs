//! Refunding: what a refund takes (step 1 below), and the entry point the refund request,
//! event cancellation and Stripe's `charge.refunded` webhook share.
//!
//! A refund happens in two steps, so no database transaction waits on the provider and a
//! crash between them loses nothing:
//!
//! 1. **Take** (one transaction): the amount is added to `orders.refunded_minor` with a
//!    conditional update (`refunded_minor + amount <= total_minor`, also a CHECK), the chosen
//!    tickets are canceled and their codes revoked (`tickets::cancel_tickets` cancels only
//!    tickets still valid, and the refund is refused unless it got every one), their inventory
//!    goes back to sale (`sold - n` on ticket types and quotas, the buyer's counter), the
//!    order becomes `refunded` or `partially_refunded`, and a `pending` refund row names the
//!    tickets. Two refunds racing for the same money or tickets: one wins, the other is a 409.
//! 2. **Pay out**: the provider refunds with the refund id as idempotency key; then, in one
//!    transaction, the refund goes `pending → succeeded` and the buyer's mail is enqueued. If
//!    the provider cannot be reached the refund stays `pending` and the retry worker
//!    ([`super::payout::RefundRetryWorker`]) pays it out later with the same key, so the money
//!    goes back exactly once.
//!
//! Free orders (and free tickets) have nothing to pay out: step 2 is done inside step 1.

use std::collections::BTreeMap;

use bilten_domain::{
    OrderId, OrderStatus, PaymentStatus, RefundId, RefundReason, RefundStatus, RevocationReason,
    StateMachine, TicketId, TicketStatus, TicketTypeId, UserId,
};
use bilten_http::ErrorCode;
use bilten_store::inventory::{self, Counter, Movement};
use bilten_store::leases::{self, Counters, Which};
use bilten_store::orders::{self, OrderRecord};
use bilten_store::payments::{self, PaymentRecord};
use bilten_store::refunds::{self as store, NewRefund, RefundRecord};
use bilten_store::tickets;
use bilten_store::{StoreError, Tx};
use chrono::{DateTime, Utc};

use crate::error::{BackendError, BackendResult};
use crate::AppState;

use super::payout::{enqueue_mail, order_event_title, pay_out};

/// Which tickets a refund gives back.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Every ticket still valid, and all the money not yet refunded.
    Everything,
    /// `quantity` valid tickets of each ticket type.
    Lines(Vec<(TicketTypeId, i64)>),
    Tickets(Vec<TicketId>),
}

/// Why, and on whose request.
#[derive(Debug, Clone, Copy)]
pub struct Cause {
    pub reason: RefundReason,
    pub revocation: RevocationReason,
    pub requested_by: Option<UserId>,
}

fn exceeds_remaining(message: impl Into<String>) -> BackendError {
    BackendError::conflict(ErrorCode::RefundExceedsRemaining, message)
}

fn not_refundable() -> BackendError {
    BackendError::conflict(
        ErrorCode::OrderNotRefundable,
        "Only a paid or partially refunded order can be refunded.",
    )
}

/// Refunds `selection` of an order: takes the money and tickets (step 1), then pays out
/// through the provider (step 2). Returns the refund as it stands (`succeeded`, or `pending`
/// when the provider could not be reached and the retry worker will finish it).
pub async fn refund(
    state: &AppState,
    order_id: OrderId,
    selection: &Selection,
    cause: Cause,
) -> BackendResult<RefundRecord> {
    let refund_id = take(state, order_id, selection, cause).await?;
    pay_out(state, refund_id).await?;
    let mut conn = state
        .store
        .primary()
        .acquire()
        .await
        .map_err(StoreError::from)?;
    store::find(&mut conn, refund_id)
        .await?
        .ok_or(BackendError::NotFound("refund"))
}

/// The tickets and amount a selection means, from the order's current state.
async fn choose(
    state: &AppState,
    order: &OrderRecord,
    selection: &Selection,
) -> BackendResult<(Vec<TicketId>, i64)> {
    let all = tickets::list_for_order(state.store.primary(), order.id).await?;
    let valid: Vec<_> = all
        .iter()
        .filter(|t| t.status == TicketStatus::Valid)
        .collect();
    let chosen: Vec<TicketId> = match selection {
        Selection::Everything => valid.iter().map(|t| t.id).collect(),
        Selection::Lines(lines) => {
            let mut chosen = Vec::new();
            for (ticket_type, quantity) in lines {
                let mut of_type: Vec<TicketId> = valid
                    .iter()
                    .filter(|t| t.ticket_type_id == *ticket_type)
                    .map(|t| t.id)
                    .collect();
                of_type.sort();
                if (of_type.len() as i64) < *quantity {
                    return Err(exceeds_remaining(format!(
                        "Only {} ticket(s) of this type are left to refund.",
                        of_type.len()
                    )));
                }
                chosen.extend(of_type.into_iter().take(*quantity as usize));
            }
            chosen
        }
        Selection::Tickets(ids) => {
            for (i, id) in ids.iter().enumerate() {
                match all.iter().find(|t| t.id == *id) {
                    None => {
                        return Err(BackendError::field(
                            &format!("ticket_ids[{i}]"),
                            "not_in_order",
                            "This order has no such ticket.",
                        ))
                    }
                    Some(t) if t.status != TicketStatus::Valid => {
                        return Err(exceeds_remaining(format!(
                            "Ticket {id} was already refunded or canceled."
                        )))
                    }
                    Some(_) => {}
                }
            }
            ids.clone()
        }
    };
    let refunded = store::refunded_minor(state.store.primary(), order.id).await?;
    let remaining = order.total_minor - refunded;
    // Everything left gets all the money left, so refunds always add up to the total exactly
    // (line totals may carry a discount that per-ticket division would round).
    let amount = if chosen.len() == valid.len() {
        remaining
    } else {
        chosen
            .iter()
            .filter_map(|id| all.iter().find(|t| t.id == *id))
            .filter_map(|t| {
                order
                    .lines
                    .iter()
                    .find(|l| l.ticket_type_id == t.ticket_type_id)
            })
            .map(|line| line.total_minor / line.quantity.max(1))
            .sum::<i64>()
            .min(remaining)
    };
    if chosen.is_empty() && amount == 0 {
        return Err(exceeds_remaining(
            "Nothing is left to refund on this order.",
        ));
    }
    Ok((chosen, amount))
}

/// Step 1: everything but the payout, in one transaction.
async fn take(
    state: &AppState,
    order_id: OrderId,
    selection: &Selection,
    cause: Cause,
) -> BackendResult<RefundId> {
    let order = orders::find_order(state.store.primary(), order_id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    if !order
        .status
        .can_transition_to(OrderStatus::PartiallyRefunded)
    {
        return Err(not_refundable());
    }
    let (chosen, amount) = choose(state, &order, selection).await?;
    let payment = payments::list_for_order(state.store.primary(), order.id)
        .await?
        .into_iter()
        .find(|p| p.status == PaymentStatus::Succeeded);
    if amount > 0 && payment.is_none() {
        return Err(BackendError::Internal(format!(
            "order {} is paid but has no succeeded payment",
            order.id
        )));
    }
    let event_title = order_event_title(state, &order).await?;
    let now = Utc::now();
    let refund_id = RefundId::new();
    let mut tx = state.store.begin().await?;
    match take_in(
        &mut tx,
        &order,
        &chosen,
        amount,
        payment.as_ref(),
        refund_id,
        cause,
        now,
    )
    .await
    {
        Ok(()) => {}
        Err(error) => {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(error);
        }
    }
    if amount == 0 {
        // Nothing to pay out: settled here, mail included.
        store::mark_succeeded(&mut *tx, refund_id, RefundStatus::succeed(), None, now).await?;
        enqueue_mail(
            &event_title,
            &mut tx,
            &order,
            refund_id,
            cause.reason,
            0,
            chosen.len(),
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    state.mail_waker.notify_one();
    Ok(refund_id)
}

#[expect(
    clippy::too_many_arguments,
    reason = "one transaction's inputs, all needed"
)]
pub(super) async fn take_in(
    tx: &mut Tx,
    order: &OrderRecord,
    chosen: &[TicketId],
    amount: i64,
    payment: Option<&PaymentRecord>,
    refund_id: RefundId,
    cause: Cause,
    now: DateTime<Utc>,
) -> BackendResult<()> {
    // The order row first (every writer of an existing order takes it first), then tickets,
    // ticket types by id, quotas by id, the buyer counter: the same order as purchases,
    // completions and hold releases, so none of them can deadlock with a refund.
    if !store::reserve_amount(&mut **tx, order.id, amount, now).await? {
        let refundable = orders::find_order(&mut **tx, order.id)
            .await?
            .is_some_and(|o| o.status.can_transition_to(OrderStatus::PartiallyRefunded));
        return Err(if refundable {
            exceeds_remaining("This would refund more than remains paid on the order.")
        } else {
            not_refundable()
        });
    }
    let canceled =
        tickets::cancel_tickets(tx, chosen, TicketStatus::cancel(), cause.revocation, now).await?;
    if canceled.len() != chosen.len() {
        return Err(exceeds_remaining(
            "Some of these tickets were refunded or canceled meanwhile.",
        ));
    }
    let rows = tickets::list_for_order(&mut **tx, order.id).await?;
    let mut per_type: BTreeMap<TicketTypeId, i64> = BTreeMap::new();
    for ticket in rows.iter().filter(|t| canceled.contains(&t.id)) {
        *per_type.entry(ticket.ticket_type_id).or_default() += 1;
    }
    // Tickets sold from an inventory lease are still counted as held until the lease is
    // settled: settle these types' leases first (locking the types), so `sold` counts them.
    let types: Vec<TicketTypeId> = per_type.keys().copied().collect();
    leases::settle(tx, Which::TicketTypes(&types), now, Counters::Lock).await?;
    // Ticket types first, then the quota memberships (read only now that the types are
    // locked, so a quota created meanwhile is either seen or already counts these tickets).
    for (id, n) in &per_type {
        unsell(tx, Counter::TicketType(*id), *n).await?;
    }
    for (id, n) in inventory::quota_shares(&mut **tx, order.event_id, &per_type).await? {
        unsell(tx, Counter::Quota(id), n).await?;
    }
    store::uncount_buyer(
        &mut **tx,
        order.event_id,
        &order.buyer_key,
        canceled.len() as i64,
    )
    .await?;
    store::insert(
        &mut **tx,
        &NewRefund {
            id: refund_id,
            order_id: order.id,
            payment_id: payment.filter(|_| amount > 0).map(|p| p.id),
            provider: payment.filter(|_| amount > 0).map(|p| p.provider),
            amount_minor: amount,
            currency: &order.currency,
            reason: cause.reason,
            requested_by: cause.requested_by,
            now,
        },
    )
    .await?;
    for ticket in &canceled {
        store::add_ticket(&mut **tx, refund_id, *ticket).await?;
    }
    let status = store::settle_order_status(
        &mut **tx,
        order.id,
        OrderStatus::refund_part(),
        OrderStatus::refund_all(),
        now,
    )
    .await?;
    // A fully refunded order no longer uses its promo code: give the use back in the same
    // transaction (only the refund that ends the order gets here, under the order's row lock).
    if status == OrderStatus::Refunded {
        if let Some(promo_code) = order.promo_code_id {
            bilten_store::promo::release_use(&mut **tx, promo_code).await?;
        }
    }
    Ok(())
}

/// Gives `n` sold tickets back to a counter. A refusal means a counter that does not count
/// what was sold: roll back rather than drift further.
async fn unsell(tx: &mut Tx, counter: Counter, n: i64) -> BackendResult<()> {
    if inventory::shift(&mut **tx, counter, Movement::Unsell, n).await? {
        Ok(())
    } else {
        Err(BackendError::Internal(format!(
            "{counter:?} has fewer than {n} sold"
        )))
    }
}
