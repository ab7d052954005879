//! `POST /purchases`: buy and pay in one request, through the purchase engine.
//!
//! Where the payment completes at once — a free order, or the `test` provider's card — the
//! order, its payment, its tickets and its confirmation mail are written in **one
//! transaction**, shared with every other purchase of the event that arrived meanwhile (group
//! commit, see [`engine`]). The answer is `201 {order, access_key, payment, tickets}`, the
//! order already `paid`. Hosted payments (Stripe's page, the test provider's page) keep the
//! two-step API: `POST /orders`, then `POST /orders/{id}/checkout`.
//!
//! The body is that of `POST /orders` plus `test_card`; `Idempotency-Key` is required and
//! means what it means there (same key and body: the same order, `Idempotent-Replayed: true`;
//! same key, other body: 422). A ticket type marked sold out is answered without touching
//! the database ([`sold_out`]).

pub mod engine;
pub mod sold_out;
mod views;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::orders::{HeldOrder, Purchase as PurchaseAnswer, PurchaseRequest};
use bilten_domain::TicketTypeId;
use bilten_http::ErrorCode;
use bilten_http::Json;
use chrono::Utc;
use tokio::sync::oneshot;

use crate::current_user::MaybeUser;
use crate::error::{BackendError, BackendResult};
use crate::orders::access::order_key;
use crate::orders::handlers::replay;
use crate::orders::request::{idempotency_key, parse_purchase, Purchase};
use crate::payments::test_card::{self, CardOutcome};
use crate::promo::rules as promos;
use crate::AppState;
use engine::{Done, Job, Mode, Payment};
pub use engine::{PurchaseEngine, CONFIRMATION_TEMPLATE};

/// How the buyer pays: decided before anything is queued, so a typo costs nothing.
fn payment_of(state: &AppState, test_card: Option<&str>) -> BackendResult<Payment> {
    let Some(number) = test_card else {
        return Ok(Payment::None);
    };
    if !state.payments.accepts_test_cards() {
        return Err(BackendError::field(
            "test_card",
            "not_supported",
            "Test cards only work with the test payment provider.",
        ));
    }
    match test_card::outcome_of(number) {
        Some(CardOutcome::Succeeds) => Ok(Payment::TestCardSucceeds),
        Some(CardOutcome::Declined(code)) => Ok(Payment::TestCardDeclined(code)),
        None => Err(BackendError::field(
            "test_card",
            "unknown_test_card",
            "Not one of the test card numbers (see docs/API.md), e.g. 4242424242424242.",
        )),
    }
}

/// `POST /purchases`.
#[utoipa::path(
    post,
    path = "/purchases",
    tag = "orders",
    operation_id = "purchase",
    summary = "Buy and pay in one request (free orders, test cards)",
    params(
        ("Idempotency-Key" = String, Header, description = "1–255 visible ASCII characters; the same key with the same request replays the first answer."),
    ),
    request_body = PurchaseRequest,
    responses(
        (status = 201, description = "The paid order, its payment and tickets; a replay answers the same with `Idempotent-Replayed: true`.", body = PurchaseAnswer),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Json(body): Json<PurchaseRequest>,
) -> BackendResult<Response> {
    let key = idempotency_key(&headers)?;
    let (input, test_card) = body.split();
    let payment = payment_of(&state, test_card.as_deref())?;
    let purchase = parse_purchase(&state, actor.as_ref(), input).await?;
    submit(&state, purchase, key, Mode::Pay(payment)).await
}

/// This process's purchase engine, made on first use in the slot `AppState` keeps for it
/// (every clone of the state shares the slot, so there is one engine per process).
#[expect(
    clippy::expect_used,
    reason = "this function is the slot's only writer and stores a PurchaseEngine"
)]
pub(crate) fn engine_of(state: &AppState) -> &PurchaseEngine {
    state
        .purchases
        .get_or_init(|| std::sync::Arc::new(PurchaseEngine::default()))
        .downcast_ref::<PurchaseEngine>()
        .expect("the purchase slot holds the purchase engine")
}

/// Capacity of `types` came back: let buyers at them again at once (see [`sold_out`]).
pub(crate) async fn capacity_returned(state: &AppState, types: &[TicketTypeId]) {
    engine_of(state).sold_out.clear(&state.cache, types).await;
}

/// Hands a parsed purchase to the engine and answers with its outcome: `201` with the order
/// (held or paid), a replay of the stored order for a repeated key, or the refusal.
pub(crate) async fn submit(
    state: &AppState,
    purchase: Purchase,
    key: String,
    mode: Mode,
) -> BackendResult<Response> {
    let hash = purchase.request_hash();
    let types: Vec<TicketTypeId> = purchase.items.iter().map(|(id, _)| *id).collect();
    if let Some(item) = engine_of(state)
        .sold_out
        .first_sold_out(&state.cache, &types)
        .await
    {
        // A replay of a purchase that won must still find its order, so look the key up
        // before saying "sold out" (one indexed read, only for the late crowd).
        if let Some(response) = replay(state, &key, &hash).await? {
            return Ok(response);
        }
        state.business.sold_out_fast.inc();
        return Err(BackendError::SoldOut {
            field: format!("items[{item}]"),
            message: "Sold out.".to_owned(),
        });
    }
    let promo = match &purchase.promo {
        Some(text) => {
            // A reused key is told so before anything about its code (as it always was).
            if let Some(response) = replay(state, &key, &hash).await? {
                return Ok(response);
            }
            Some(promos::usable_code(state, purchase.event_id, text, Utc::now()).await?)
        }
        None => None,
    };
    let (reply, answer) = oneshot::channel();
    engine_of(state).submit(
        state,
        Job {
            purchase,
            idempotency_key: key.clone(),
            request_hash: hash.clone(),
            promo,
            mode,
            reply,
        },
    )?;
    let done = answer
        .await
        .map_err(|_| BackendError::Unavailable("the purchase was dropped".to_owned()))??;
    match done {
        Done::Completed(completed) => {
            let view = PurchaseAnswer {
                access_key: order_key(state, completed.order.id),
                order: completed.order,
                payment: completed.payment,
                tickets: completed.tickets,
            };
            Ok((StatusCode::CREATED, Json(view)).into_response())
        }
        Done::Held(order) => {
            let view = HeldOrder {
                access_key: order_key(state, order.id),
                order: *order,
            };
            Ok((StatusCode::CREATED, Json(view)).into_response())
        }
        Done::Replay => replay(state, &key, &hash).await?.ok_or_else(|| {
            // The request with the same key did not win: it was answered with its reason,
            // and this copy of it is answered the same way by trying again.
            BackendError::conflict(
                ErrorCode::PurchaseInProgress,
                "A purchase with this Idempotency-Key was not completed; send it again.",
            )
        }),
    }
}
