//! `POST /webhooks/stripe`: what Stripe tells us about payments.
//!
//! 1. The `Stripe-Signature` header is checked over the **raw** body with
//!    `STRIPE_WEBHOOK_SECRET` (HMAC-SHA256 of `"{t}.{body}"`, any `v1`, ±300 s, constant time);
//!    anything else is refused with 400 `invalid_signature` before the body is even parsed.
//! 2. Stripe delivers at least once, possibly twice and in any order. Each event id is claimed
//!    in `webhook_events` **in the same transaction as the event's effect**: a duplicate finds
//!    the claim and is acknowledged (200) without effect; an effect that fails rolls its claim
//!    back, so Stripe's retry applies it later.
//! 3. Handled events:
//!    - `checkout.session.completed` (paid): the payment completes its order through
//!      [`crate::checkout::completion`] — tickets issued and the confirmation enqueued in that same
//!      transaction — including the late-payment path (hold already released: tickets if the
//!      stock is still there, otherwise an automatic refund);
//!    - `checkout.session.expired`: the buyer can no longer pay, so a still-pending order's
//!      hold is released and the payment canceled;
//!    - `charge.refunded`: refunds we made are already recorded; money given back outside
//!      Bilten (Stripe's dashboard) is recorded as an `external` refund, and a fully refunded
//!      charge cancels the order's remaining tickets.
//!
//!    Any other type is acknowledged and ignored, as Stripe recommends.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use bilten_api::orders::{WebhookOutcome as Outcome, WebhookReceived};
use bilten_http::ErrorCode;
use bilten_http::{ApiError, Json};
use bilten_store::{payments, webhook_events, StoreError};
use bilten_stripe::{
    verify_webhook, Event, CHARGE_REFUNDED, CHECKOUT_SESSION_COMPLETED, CHECKOUT_SESSION_EXPIRED,
    DEFAULT_TOLERANCE_SECS,
};
use chrono::Utc;
use secrecy::ExposeSecret;

use crate::checkout::completion::{self, Completion, WebhookClaim};
use crate::error::BackendError;
use crate::orders::holds as orders;
use crate::refunds::reconcile as refunds;
use crate::AppState;

const PROVIDER: &str = "stripe";
const PROVIDER_KIND: bilten_domain::PaymentProvider = bilten_domain::PaymentProvider::Stripe;

/// The answer Stripe sees: 2xx stops its retries, anything else makes it retry.
type WebhookResult = Result<Json<WebhookReceived>, ApiError>;

fn acknowledged(event: &Event, outcome: Outcome) -> Json<WebhookReceived> {
    Json(WebhookReceived {
        received: true,
        event_id: event.id.as_str().to_owned(),
        outcome,
    })
}

#[utoipa::path(
    post,
    path = "/webhooks/stripe",
    tag = "webhooks",
    operation_id = "stripe_webhook",
    summary = "Stripe events",
    params(
        ("Stripe-Signature" = String, Header, description = "Stripe's signature over the raw body."),
    ),
    request_body = serde_json::Value,
    responses(
        (status = 200, description = "Received (2xx stops the provider's retries).", body = WebhookReceived),
    )
)]
pub async fn stripe(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> WebhookResult {
    let Some(secret) = state.stripe_webhook_secret.clone() else {
        tracing::error!("a Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set");
        return Err(ApiError::not_found("No such webhook endpoint."));
    };
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let event = verify_webhook(
        secret.expose_secret(),
        header,
        &body,
        Utc::now().timestamp(),
        DEFAULT_TOLERANCE_SECS,
    )
    .map_err(|e| {
        tracing::warn!(reason = e.code(), "Stripe webhook refused");
        ApiError::bad_request(
            ErrorCode::InvalidSignature,
            format!("The Stripe-Signature header does not verify: {e}."),
        )
    })?;
    let outcome = match event.kind.as_str() {
        CHECKOUT_SESSION_COMPLETED => session_completed(&state, &event).await,
        CHECKOUT_SESSION_EXPIRED => session_expired(&state, &event).await,
        CHARGE_REFUNDED => charge_refunded(&state, &event).await,
        _ => record_only(&state, &event, Outcome::Ignored).await,
    };
    match outcome {
        Ok(outcome) => {
            tracing::info!(event = %event.id, kind = %event.kind, %outcome, "Stripe webhook");
            Ok(acknowledged(&event, outcome))
        }
        Err(error) => {
            // Not acknowledged: nothing was recorded, and Stripe will deliver it again.
            tracing::warn!(event = %event.id, kind = %event.kind, %error, "Stripe webhook failed; Stripe will retry");
            Err(ApiError::from(error))
        }
    }
}

/// Claims the event with no other effect (unknown types, events about someone else's
/// sessions). Returns `duplicate` when it was already claimed.
async fn record_only(
    state: &AppState,
    event: &Event,
    outcome: Outcome,
) -> Result<Outcome, BackendError> {
    let mut tx = state.store.begin().await?;
    let first = webhook_events::claim(
        &mut *tx,
        PROVIDER,
        event.id.as_str(),
        &event.kind,
        Utc::now(),
    )
    .await?;
    if first {
        webhook_events::set_outcome(&mut *tx, PROVIDER, event.id.as_str(), outcome.as_str())
            .await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(if first { outcome } else { Outcome::Duplicate })
}

fn malformed(event: &Event, error: &serde_json::Error) -> BackendError {
    BackendError::field(
        "data.object",
        "invalid_event_object",
        format!(
            "The {} event's object is not what Stripe documents: {error}",
            event.kind
        ),
    )
}

async fn session_completed(state: &AppState, event: &Event) -> Result<Outcome, BackendError> {
    let session = event.checkout_session().map_err(|e| malformed(event, &e))?;
    if !session.is_paid() {
        // Delayed payment methods complete later (`checkout.session.async_payment_succeeded`);
        // Bilten only offers cards, so this is not expected.
        return record_only(state, event, Outcome::NotPaid).await;
    }
    let Some(payment) =
        payments::find_by_reference(state.store.primary(), PROVIDER_KIND, session.id.as_str())
            .await?
    else {
        // A session another integration on the same Stripe account created.
        return record_only(state, event, Outcome::UnknownSession).await;
    };
    if let Some(intent) = &session.payment_intent {
        bilten_store::refunds::set_payment_reference(
            state.store.primary(),
            payment.id,
            intent.as_str(),
        )
        .await?;
    }
    let claim = WebhookClaim {
        provider: PROVIDER,
        event_id: event.id.as_str(),
        event_type: &event.kind,
    };
    let completion =
        completion::complete_claimed(state, payment.order_id, Some(&payment), &claim).await?;
    let outcome = match completion {
        Completion::Completed => Outcome::OrderCompleted,
        Completion::AlreadyCompleted => Outcome::AlreadyCompleted,
        Completion::Refunded(_) => Outcome::PaymentRefunded,
        Completion::NotCompleted => Outcome::NotCompleted,
        Completion::Duplicate => return Ok(Outcome::Duplicate),
    };
    // Outcomes other than `Completed` wrote their claim-free effects idempotently (the
    // refund carries its idempotency key); record the event now so it reads as handled.
    if completion == Completion::Completed {
        Ok(outcome)
    } else {
        record_only(state, event, outcome).await
    }
}

async fn session_expired(state: &AppState, event: &Event) -> Result<Outcome, BackendError> {
    let session = event.checkout_session().map_err(|e| malformed(event, &e))?;
    let Some(payment) =
        payments::find_by_reference(state.store.primary(), PROVIDER_KIND, session.id.as_str())
            .await?
    else {
        return record_only(state, event, Outcome::UnknownSession).await;
    };
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    if !webhook_events::claim(&mut *tx, PROVIDER, event.id.as_str(), &event.kind, now).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return Ok(Outcome::Duplicate);
    }
    // The session (30 min at least) usually outlives the hold, which the expiry worker has
    // already released; a longer hold is ended now, since nobody can pay it any more.
    bilten_store::refunds::end_hold_now(&mut *tx, payment.order_id, now).await?;
    let released = orders::release_hold_in(
        &mut tx,
        payment.order_id,
        bilten_domain::OrderStatus::expire(),
        now,
    )
    .await?;
    payments::cancel_pending_for_order(
        &mut *tx,
        payment.order_id,
        bilten_domain::PaymentStatus::cancel(),
        now,
    )
    .await?;
    let outcome = if released {
        Outcome::HoldReleased
    } else {
        Outcome::NothingToRelease
    };
    webhook_events::set_outcome(&mut *tx, PROVIDER, event.id.as_str(), outcome.as_str()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(outcome)
}

async fn charge_refunded(state: &AppState, event: &Event) -> Result<Outcome, BackendError> {
    let charge = event.charge().map_err(|e| malformed(event, &e))?;
    let Some(intent) = &charge.payment_intent else {
        return record_only(state, event, Outcome::UnknownCharge).await;
    };
    let Some(payment) = refunds::payment_by_intent(state, intent.as_str()).await? else {
        return record_only(state, event, Outcome::UnknownCharge).await;
    };
    let claim = WebhookClaim {
        provider: PROVIDER,
        event_id: event.id.as_str(),
        event_type: &event.kind,
    };
    refunds::reconcile_provider_refunds(
        state,
        &payment,
        charge.amount_refunded,
        charge.refunded,
        &claim,
    )
    .await
}
