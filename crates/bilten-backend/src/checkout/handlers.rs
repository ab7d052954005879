//! `POST /orders/{id}/checkout`: pay a pending order.
//!
//! - A **free** order (total 0) completes right here, without a provider: tickets are issued
//!   and the confirmation enqueued in the completion transaction. (Free orders are completed
//!   at checkout, not at creation, so every order takes the same path to `paid`.)
//! - Otherwise a `payments` row is recorded (`pending`) and the provider starts a hosted
//!   checkout; the answer is `201 {redirect_url, payment}`. The provider reports success
//!   later (the test page, a Stripe webhook) and [`crate::checkout::completion`] completes the order.
//! - With the `test` provider, `{"test_card": "4242424242424242"}` charges that test card
//!   synchronously: `200 {order, payment, tickets}` when it succeeds, `402 payment_declined`
//!   (the decline code in `fields.test_card.code`) when it does not.
//!
//! Only the buyer may check out (the account that ordered, or whoever holds the order's
//! `X-Order-Key`); organization members get 403, everyone else 404.
//!
//! **At most one charge.** The payment row is claimed in the database before the provider is
//! called, and an order has one open attempt at a time ([`crate::checkout::attempts`]):
//! repeated or concurrent checkouts of one order get that attempt's page again instead of a
//! second checkout at the provider, so a double submit charges once and refunds nothing.
//! `Idempotency-Key` (optional) makes a retry get the first request's answer
//! ([`crate::idempotency`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::orders::{CheckoutRequest, CompletedCheckout, Payment, StartedCheckout};
use bilten_domain::{OrderId, PaymentId};
use bilten_http::ErrorCode;
use bilten_http::Json;
use bilten_store::orders::{self, OrderRecord};
use bilten_store::payments::{self, PaymentRecord};
use bilten_store::tickets;
use chrono::{DateTime, Utc};

use crate::checkout::attempts::{self, Claim};
use crate::checkout::completion::{self, Completion, RefundCause};
use crate::current_user::MaybeUser;
use crate::error::{BackendError, BackendResult};
use crate::idempotency::{self, Scope};
use crate::orders::access::visible_order;
use crate::orders::views::order_view;
use crate::orders::views::ticket_view;
use crate::payments::test_card::{self, CardOutcome};
use crate::views::money;
use crate::AppState;

/// A digest of the request for `Idempotency-Key`: the order and the body as parsed.
fn request_hash(input: &CheckoutRequest, order: OrderId) -> String {
    idempotency::request_hash(&(order.to_string(), input))
}

/// The body is optional: no body (or `{}`) starts a hosted checkout.
fn parse_input(body: &Bytes) -> BackendResult<CheckoutRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(CheckoutRequest::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        BackendError::field(
            "test_card",
            "invalid",
            format!("The body must be {{\"test_card\": \"…\"}} or empty ({e})."),
        )
    })
}

/// The origin the buyer reached us at, for the test provider's page URL: the gateway's
/// `X-Forwarded-Proto`/`X-Forwarded-Host`, else `Host`; the configured public URL if
/// neither is a plain host name.
fn api_origin(state: &AppState, headers: &HeaderMap) -> String {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let host = header("x-forwarded-host")
        .or_else(|| header("host"))
        .map(|h| h.split(',').next().unwrap_or_default().trim())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
    let scheme = match header("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    match host {
        Some(host) => format!("{scheme}://{host}"),
        None => state.public_url.to_string(),
    }
}

/// A payment as the API shows it.
pub fn payment_view(p: &PaymentRecord) -> BackendResult<Payment> {
    Ok(Payment {
        id: p.id,
        order_id: p.order_id,
        provider: p.provider,
        status: p.status,
        amount: money(p.amount_minor, &p.currency)?,
        failure_code: p.failure_code.clone(),
        created_at: p.created_at,
        succeeded_at: p.succeeded_at,
    })
}

/// `200 {order, payment, tickets}` for a completed order.
async fn completed_response(
    state: &AppState,
    order: &OrderRecord,
    payment: Option<PaymentId>,
) -> BackendResult<Response> {
    let order = orders::find_order(state.store.primary(), order.id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    let issued = tickets::list_for_order(state.store.primary(), order.id).await?;
    let payment = match payment {
        Some(id) => payments::find(state.store.primary(), id)
            .await?
            .map(|p| payment_view(&p))
            .transpose()?,
        None => None,
    };
    Ok((
        StatusCode::OK,
        Json(CompletedCheckout {
            order: order_view(&order, Utc::now())?,
            payment,
            tickets: issued.iter().map(ticket_view).collect(),
        }),
    )
        .into_response())
}

/// The error for a completion that did not complete.
pub fn not_completed_error(completion: Completion) -> BackendError {
    match completion {
        Completion::Refunded(RefundCause::SoldOutAfterExpiry) => BackendError::conflict(
            ErrorCode::SoldOut,
            "The hold on these tickets ran out and they were sold meanwhile; the payment was \
             refunded.",
        ),
        Completion::Refunded(RefundCause::AlreadyPaid) => BackendError::conflict(
            ErrorCode::OrderAlreadyPaid,
            "This order was already paid; this payment was refunded.",
        ),
        Completion::Refunded(RefundCause::OrderClosed) => BackendError::conflict(
            ErrorCode::OrderNotPending,
            "This order is no longer open for payment; the payment was refunded.",
        ),
        _ => BackendError::conflict(
            ErrorCode::OrderNotPending,
            "This order is no longer open for payment.",
        ),
    }
}

/// Why an order cannot be paid now, if it cannot.
fn not_payable(order: &OrderRecord, now: DateTime<Utc>) -> Option<BackendError> {
    match order.status.as_str() {
        "pending" if order.expires_at > now => None,
        "pending" | "expired" => Some(BackendError::conflict(
            ErrorCode::OrderExpired,
            "The hold on these tickets ran out; place a new order.",
        )),
        "paid" | "partially_refunded" => Some(BackendError::conflict(
            ErrorCode::OrderAlreadyPaid,
            "This order is already paid.",
        )),
        _ => Some(BackendError::conflict(
            ErrorCode::OrderNotPending,
            "This order is no longer open for payment.",
        )),
    }
}

/// `POST /orders/{id}/checkout`.
#[utoipa::path(
    post,
    path = "/orders/{id}/checkout",
    tag = "orders",
    operation_id = "checkout",
    summary = "Pay for an order",
    params(
        ("id" = String, Path, description = "The order id (`ord_…`)."),
        ("X-Order-Key" = Option<String>, Header, description = "The order's `access_key`, for a guest without an account."),
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: 1–255 visible ASCII characters; the same key with the same request replays the first answer."),
    ),
    request_body(content = Option<CheckoutRequest>, description = "Optional: absent or `{}` starts the provider's checkout; `test_card` charges a test card at once."),
    responses(
        (status = 200, description = "Completed at once (free order or test card).", body = CompletedCheckout),
        (status = 201, description = "A hosted checkout started: send the buyer to `redirect_url`.", body = StartedCheckout),
    )
)]
pub async fn checkout(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> BackendResult<Response> {
    let (order, is_buyer) = visible_order(&state, actor.as_ref(), &headers, &id).await?;
    if !is_buyer {
        return Err(BackendError::Forbidden);
    }
    let key = idempotency::key(&headers)?;
    let input = parse_input(&body)?;
    let origin = api_origin(&state, &headers);
    let hash = || request_hash(&input, order.id);
    let work = Box::pin(pay(&state, &order, &input, &origin));
    idempotency::run(&state, Scope::Checkout, key, hash, work).await
}

/// The checkout itself.
async fn pay(
    state: &AppState,
    order: &OrderRecord,
    input: &CheckoutRequest,
    origin: &str,
) -> BackendResult<Response> {
    if let Some(refusal) = not_payable(order, Utc::now()) {
        return Err(refusal);
    }
    if order.total_minor == 0 {
        return match completion::complete(state, order.id, None).await? {
            Completion::Completed | Completion::AlreadyCompleted => {
                completed_response(state, order, None).await
            }
            other => Err(not_completed_error(other)),
        };
    }
    // Check the card before recording anything, so a typo leaves no payment behind.
    let card = match &input.test_card {
        Some(_) if !state.payments.accepts_test_cards() => {
            return Err(BackendError::field(
                "test_card",
                "not_supported",
                "Test cards only work with the test payment provider.",
            ))
        }
        Some(number) => Some(test_card::outcome_of(number).ok_or_else(|| {
            BackendError::field(
                "test_card",
                "unknown_test_card",
                "Not one of the test card numbers (see docs/API.md), e.g. 4242424242424242.",
            )
        })?),
        None => None,
    };
    let attempt = match attempts::claim(state, order, origin).await? {
        Claim::Open(attempt) => attempt,
        Claim::NotPayable => {
            // It stopped being payable since we read it (paid by another checkout, expired).
            let current = orders::find_order(state.store.primary(), order.id)
                .await?
                .ok_or(BackendError::NotFound("order"))?;
            return Err(not_payable(&current, Utc::now()).unwrap_or_else(|| {
                BackendError::conflict(
                    ErrorCode::OrderNotPending,
                    "This order is no longer open for payment.",
                )
            }));
        }
    };
    let payment_id = attempt.payment.id;
    match card {
        None => Ok((
            StatusCode::CREATED,
            Json(StartedCheckout {
                redirect_url: attempt.redirect_url,
                payment: payment_view(&attempt.payment)?,
            }),
        )
            .into_response()),
        Some(CardOutcome::Declined(code)) => {
            payments::record_decline(
                state.store.primary(),
                payment_id,
                code,
                Some(bilten_domain::PaymentStatus::fail()),
                Utc::now(),
            )
            .await?;
            Err(BackendError::PaymentDeclined {
                decline_code: code,
                message: test_card::decline_message(code).to_owned(),
            })
        }
        Some(CardOutcome::Succeeds) => {
            match completion::payment_succeeded(state, payment_id).await? {
                Completion::Completed | Completion::AlreadyCompleted => {
                    completed_response(state, order, Some(payment_id)).await
                }
                other => Err(not_completed_error(other)),
            }
        }
    }
}
