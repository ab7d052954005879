//! `POST /events/{id}/cancel` (managers and owners): the event is called off.
//!
//! 1. The event goes `draft|published → canceled` (conditional), so no new order can start.
//! 2. Every pending order is canceled and its hold released (one transaction per order, with
//!    its open payments canceled and the buyer's notice enqueued).
//! 3. Every paid or partially refunded order is refunded in full through the provider
//!    ([`crate::refunds::take`]): its remaining tickets are canceled and revoked with reason
//!    `event_canceled`, their inventory released, and the buyer mailed once the money is on
//!    its way.
//!
//! Each buyer's notice has the dedupe key `event-canceled:{order}`, so however often the
//! sweep runs, each order's buyer is mailed once.
//!
//! **Idempotent:** calling it again on a canceled event answers 200 and sweeps again, which
//! finds nothing left to do (or finishes what a crash interrupted). A payment completing a
//! pending order while the sweep runs is caught by the next round: the sweep repeats until a
//! round finds nothing, and completion itself refunds payments for orders already canceled.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bilten_api::refunds::{CanceledEvent, EventCancellation};
use bilten_domain::order::ADMITTING;
use bilten_domain::{
    EventId, EventStatus, OrderId, OrderStatus, PaymentStatus, RefundReason, RefundStatus,
    RevocationReason,
};
use bilten_http::Json;
use bilten_store::refunds as store;
use bilten_store::{orders, payments, StoreError};
use chrono::Utc;

use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::events::lookup::{load_event, parse_event_id};
use crate::idempotency::{self, Scope};
use crate::payments::refund_mail;
use crate::refunds::take::{self as refunds, Cause, Selection};
use crate::AppState;

/// Rounds of the sweep before giving up on a moving target (each round is cheap).
const MAX_ROUNDS: usize = 5;

#[derive(Debug, Default)]
struct Sweep {
    pending_canceled: usize,
    paid_refunded: usize,
    refunds_pending: usize,
}

#[utoipa::path(
    post,
    path = "/events/{id}/cancel",
    tag = "refunds",
    operation_id = "cancel_event",
    summary = "Cancel an event and refund its orders (managers)",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: 1–255 visible ASCII characters; the same key with the same request replays the first answer (24 hours)."),
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "What this call did; calling again finishes what an earlier call left.", body = EventCancellation),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    actor: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> BackendResult<Response> {
    let key = idempotency::key(&headers)?;
    let hash = idempotency::request_hash(&(actor.user_id, &id));
    // Boxed: the operation's future is large, the key's bookkeeping should not carry it.
    let work = Box::pin(async {
        cancel_now(State(state.clone()), actor, Path(id.clone()))
            .await
            .map(IntoResponse::into_response)
    });
    idempotency::run(&state, Scope::CancelEvent, key, || hash, work).await
}

/// The operation itself; [`cancel`] runs it once per `Idempotency-Key`.
async fn cancel_now(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<EventCancellation>> {
    let event = load_event(&state, parse_event_id(&id)?).await?;
    authorize_in(
        &state,
        &actor,
        event.organization_id,
        Action::ManageEvents,
        "event",
    )
    .await?;
    let canceled_now = store::cancel_event(
        state.store.primary(),
        event.id,
        EventStatus::cancel(),
        Utc::now(),
    )
    .await?;
    if canceled_now {
        tracing::info!(event = %event.id, "event canceled");
    }
    let sweep = sweep(&state, event.id, &event.fields.title, &actor).await?;
    let event = load_event(&state, event.id).await?;
    Ok(Json(EventCancellation {
        event: CanceledEvent {
            id: event.id,
            status: event.status,
        },
        canceled_now,
        orders_canceled: sweep.pending_canceled as u64,
        orders_refunded: sweep.paid_refunded as u64,
        refunds_pending: sweep.refunds_pending as u64,
    }))
}

async fn sweep(
    state: &AppState,
    event: EventId,
    title: &str,
    actor: &CurrentUser,
) -> BackendResult<Sweep> {
    let mut sweep = Sweep::default();
    for _ in 0..MAX_ROUNDS {
        let pending =
            store::orders_of_event(state.store.primary(), event, &[OrderStatus::Pending]).await?;
        for order in &pending {
            if cancel_pending(state, *order, title).await? {
                sweep.pending_canceled += 1;
            }
        }
        let paid = store::orders_of_event(state.store.primary(), event, &ADMITTING).await?;
        for order in &paid {
            let cause = Cause {
                reason: RefundReason::EventCanceled,
                revocation: RevocationReason::EventCanceled,
                requested_by: Some(actor.user_id),
            };
            match refunds::refund(state, *order, &Selection::Everything, cause).await {
                Ok(refund) => {
                    sweep.paid_refunded += 1;
                    if refund.status == RefundStatus::Pending {
                        sweep.refunds_pending += 1;
                    }
                }
                // Someone refunded it meanwhile (or nothing was left): nothing to do.
                Err(BackendError::Conflict { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        if pending.is_empty() && paid.is_empty() {
            break;
        }
    }
    Ok(sweep)
}

/// Cancels one pending order of the canceled event and releases its hold, in one
/// transaction with its payments' cancellation and the buyer's notice. False if the order
/// was no longer pending.
async fn cancel_pending(state: &AppState, id: OrderId, title: &str) -> BackendResult<bool> {
    let Some(order) = orders::find_order(state.store.primary(), id).await? else {
        return Ok(false);
    };
    // In the order's language, like the rest of the notice (read before the transaction).
    let locale = refund_mail::order_locale(&order.locale);
    let title =
        crate::events::views::title_in(state.store.primary(), order.event_id, title, locale)
            .await?;
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    if !crate::orders::holds::release_hold_in(&mut tx, id, OrderStatus::cancel_pending(), now)
        .await?
    {
        tx.rollback().await.map_err(StoreError::from)?;
        return Ok(false);
    }
    payments::cancel_pending_for_order(&mut *tx, id, PaymentStatus::cancel(), now).await?;
    let mail =
        refund_mail::event_canceled(locale, &order.buyer_name, &title, 0, &order.currency, false);
    bilten_mail::enqueue(
        &mut *tx,
        &order.buyer_email,
        &format!("event-canceled:{id}"),
        &mail,
        now,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    state.mail_waker.notify_one();
    Ok(true)
}
