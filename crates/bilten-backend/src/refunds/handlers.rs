//! Refunds: `POST /orders/{id}/refund` (managers and owners), and the refund machinery event
//! cancellation and Stripe's `charge.refunded` webhook reuse.
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
//!    the provider cannot be reached the refund stays `pending` and [`RefundRetryWorker`] pays
//!    it out later with the same key, so the money goes back exactly once.
//!
//! Free orders (and free tickets) have nothing to pay out: step 2 is done inside step 1.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::orders::WebhookOutcome;
use bilten_api::refunds::{Refund, RefundRequest, RefundResponse};
use bilten_domain::{
    Currency, Money, OrderId, OrderStatus, PaymentProvider, PaymentStatus, RefundId, RefundReason,
    RefundStatus, RevocationReason, StateMachine, TicketId, TicketStatus, TicketTypeId, UserId,
};
use bilten_http::ErrorCode;
use bilten_http::Json;
use bilten_store::inventory::{self, Counter, Movement};
use bilten_store::leases::{self, Counters, Which};
use bilten_store::orders::{self, OrderRecord};
use bilten_store::payments::{self, PaymentRecord};
use bilten_store::refunds::{self as store, NewRefund, RefundRecord};
use bilten_store::tickets;
use bilten_store::{webhook_events, StoreError, Tx};
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::authz::{authorize_in, Action};
use crate::checkout::completion::WebhookClaim;
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::events::lookup::load_event;
use crate::idempotency::{self, Scope};
use crate::orders::views::order_view;
use crate::payments::refund_mail;
use crate::payments::RefundRequest as ProviderRefund;
use crate::views::money;
use crate::AppState;

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

// ---------------------------------------------------------------------------------------
// HTTP

fn parse_selection(input: RefundRequest, order: &OrderRecord) -> BackendResult<Selection> {
    let mut errors = bilten_domain::FieldErrors::default();
    let selection = match (input.lines, input.ticket_ids) {
        (Some(_), Some(_)) => {
            return Err(BackendError::field(
                "ticket_ids",
                "conflicting_fields",
                "Send either lines or ticket_ids, not both.",
            ))
        }
        (None, None) => Selection::Everything,
        (Some(lines), None) => {
            if lines.is_empty() {
                errors.add(
                    "lines",
                    bilten_domain::FieldError::new("required", "List at least one line."),
                );
            }
            let mut parsed: Vec<(TicketTypeId, i64)> = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let id = line
                    .ticket_type_id
                    .as_deref()
                    .and_then(|t| t.parse::<TicketTypeId>().ok())
                    .filter(|t| order.lines.iter().any(|l| l.ticket_type_id == *t));
                match id {
                    Some(id) if parsed.iter().any(|(p, _)| *p == id) => errors.add(
                        format!("lines[{i}].ticket_type_id"),
                        bilten_domain::FieldError::new(
                            "duplicate",
                            "This ticket type is listed twice.",
                        ),
                    ),
                    Some(id) => match line.quantity {
                        Some(q) if q >= 1 => parsed.push((id, q)),
                        _ => errors.add(
                            format!("lines[{i}].quantity"),
                            bilten_domain::FieldError::new(
                                "invalid",
                                "The quantity must be at least 1.",
                            ),
                        ),
                    },
                    None => errors.add(
                        format!("lines[{i}].ticket_type_id"),
                        bilten_domain::FieldError::new(
                            "not_in_order",
                            "This order has no line of this ticket type.",
                        ),
                    ),
                }
            }
            Selection::Lines(parsed)
        }
        (None, Some(ids)) => {
            if ids.is_empty() {
                errors.add(
                    "ticket_ids",
                    bilten_domain::FieldError::new("required", "List at least one ticket."),
                );
            }
            let mut parsed = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                match id.parse::<TicketId>() {
                    Ok(id) if !parsed.contains(&id) => parsed.push(id),
                    Ok(_) => errors.add(
                        format!("ticket_ids[{i}]"),
                        bilten_domain::FieldError::new("duplicate", "This ticket is listed twice."),
                    ),
                    Err(_) => errors.add(
                        format!("ticket_ids[{i}]"),
                        bilten_domain::FieldError::new(
                            "not_in_order",
                            "This order has no such ticket.",
                        ),
                    ),
                }
            }
            Selection::Tickets(parsed)
        }
    };
    if errors.is_empty() {
        Ok(selection)
    } else {
        Err(BackendError::Validation(errors))
    }
}

/// `POST /orders/{id}/refund`: `{}` refunds everything left; `{"lines":[…]}` or
/// `{"ticket_ids":[…]}` refund part of it.
#[utoipa::path(
    post,
    path = "/orders/{id}/refund",
    tag = "refunds",
    operation_id = "refund_order",
    summary = "Refund an order or some of its tickets (managers)",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: 1–255 visible ASCII characters; the same key with the same request replays the first answer (24 hours)."),
        ("id" = String, Path, description = "The order id (`ord_…`)."),
    ),
    request_body = RefundRequest,
    responses(
        (status = 201, description = "The refund and the order after it (with `refunded`).", body = RefundResponse),
    )
)]
pub async fn refund_order(
    State(state): State<AppState>,
    actor: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(input): Json<RefundRequest>,
) -> BackendResult<Response> {
    let key = idempotency::key(&headers)?;
    let hash = idempotency::request_hash(&(actor.user_id, &id, &input));
    // Boxed: the operation's future is large, the key's bookkeeping should not carry it.
    let work = Box::pin(async {
        refund_order_now(State(state.clone()), actor, Path(id.clone()), Json(input))
            .await
            .map(IntoResponse::into_response)
    });
    idempotency::run(&state, Scope::Refund, key, || hash, work).await
}

/// The operation itself; [`refund_order`] runs it once per `Idempotency-Key`.
async fn refund_order_now(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(input): Json<RefundRequest>,
) -> BackendResult<(StatusCode, Json<RefundResponse>)> {
    let id: OrderId = id.parse().map_err(|_| BackendError::NotFound("order"))?;
    let order = orders::find_order(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    authorize_in(
        &state,
        &actor,
        order.organization_id,
        Action::RefundOrders,
        "order",
    )
    .await?;
    let selection = parse_selection(input, &order)?;
    let refund = refund(
        &state,
        order.id,
        &selection,
        Cause {
            reason: RefundReason::Requested,
            revocation: RevocationReason::Refunded,
            requested_by: Some(actor.user_id),
        },
    )
    .await?;
    let order = orders::find_order(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    let refunded = store::refunded_minor(state.store.primary(), id).await?;
    let mut order_view = order_view(&order, Utc::now())?;
    order_view.refunded = Some(money(refunded, &order.currency)?);
    Ok((
        StatusCode::CREATED,
        Json(RefundResponse {
            refund: refund_view(&refund)?,
            order: order_view,
        }),
    ))
}

pub fn refund_view(refund: &RefundRecord) -> BackendResult<Refund> {
    Ok(Refund {
        id: refund.id,
        order_id: refund.order_id,
        amount: money(refund.amount_minor, &refund.currency)?,
        reason: refund.reason,
        status: refund.status,
        provider: refund.provider,
        failure_code: refund.failure_code.clone(),
        ticket_ids: refund.ticket_ids.clone(),
        created_at: refund.created_at,
    })
}

// ---------------------------------------------------------------------------------------
// Service

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
async fn take_in(
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
async fn order_event_title(state: &AppState, order: &OrderRecord) -> BackendResult<String> {
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
async fn enqueue_mail(
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

// ---------------------------------------------------------------------------------------
// Refunds made at the provider (Stripe's `charge.refunded`)

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

// ---------------------------------------------------------------------------------------
// Retry worker

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
