//! An order's payment attempt: claimed in the database before the provider is asked, shared by
//! every other checkout of the order while it is open, and closed by the worker when nobody
//! can pay it any more.
//!
//! **Claim.** In one transaction the order's row is locked while it is payable (pending, hold
//! live) and a `pending` payment is inserted; `payments_one_open_per_order` lets exactly one
//! such row exist per order. Only the request that inserted it calls the provider, with the
//! idempotency key `checkout:{payment id}`. Every other checkout of the order (a double
//! submit, twenty at once, a reload) finds that open attempt and answers with its page, so
//! the provider is asked for one checkout and the buyer can be charged once. A checkout that
//! arrives while the claimer is still waiting for the provider waits for it (up to
//! [`WAIT`]), then answers `409 checkout_in_progress`.
//!
//! **Orphans.** A process that dies between the claim and the provider's answer leaves an
//! open attempt the provider may or may not know. After [`ORPHAN_AFTER`] (longer than any
//! provider call may take) anyone may finish it: the worker ([`upkeep`]), or the buyer's next
//! checkout. Both repeat the provider call with the same idempotency key and the same
//! parameters (time limits derive from the claim's time), so the provider answers with the
//! checkout it already made, or makes it if it never saw the call, or refuses; a refusal
//! closes the attempt as `failed` (`checkout_not_started`).
//!
//! **Lifetime.** A checkout lives [`CHECKOUT_LIFETIME`] at the provider (Stripe's session; the
//! test page by the same rule). An attempt still open an hour after that is closed as
//! `canceled` (`expired`) by the worker: a lost `checkout.session.expired` webhook or an
//! abandoned test page leaves nothing `pending` for ever. If the provider later reports it
//! paid after all, completion still completes or refunds it
//! (`bilten_store::payments::mark_succeeded` accepts `canceled`).

use bilten_http::ErrorCode;
use std::time::Duration;

use bilten_domain::{Currency, Money, PaymentId, PaymentStatus};
use bilten_store::orders::{self, OrderRecord};
use bilten_store::payments::{self, NewPayment, PaymentRecord};
use bilten_store::StoreError;
use chrono::{DateTime, Utc};

use crate::error::{BackendError, BackendResult};
use crate::payments::{CheckoutRequest, PaymentError};
use crate::AppState;

/// How long a checkout can be paid at the provider, from its claim (the providers' floor
/// declares it: Stripe's session is told the same lifetime).
pub use crate::payments::CHECKOUT_LIFETIME;

/// How long a checkout waits for another request's claim to get the provider's answer: as
/// long as any retry waits for a first request ([`crate::idempotency::WAIT`]).
pub const WAIT: Duration = crate::idempotency::WAIT;

const POLL: Duration = Duration::from_millis(50);

/// An attempt without the provider's answer after this long is an orphan: the provider call
/// (30 s timeout at most) is over, so its process died or gave up.
pub const ORPHAN_AFTER: Duration = Duration::from_secs(2 * 60);

/// Open attempts older than this are closed: the checkout's lifetime plus an hour for a
/// delayed webhook.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(31 * 60 + 60 * 60);

fn chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

/// The order's open attempt, started at the provider.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub payment: PaymentRecord,
    /// Where the buyer pays it.
    pub redirect_url: String,
}

/// What the order's checkout found.
#[derive(Debug)]
pub enum Claim {
    Open(Box<Attempt>),
    /// The order is not payable (any more): not pending, or its hold ran out.
    NotPayable,
}

/// Claims the order's attempt and starts it at the provider, or finds the open one.
/// `api_origin`: where the buyer reached the API (the test provider's page lives there).
pub async fn claim(
    state: &AppState,
    order: &OrderRecord,
    api_origin: &str,
) -> BackendResult<Claim> {
    let provider = state.payments.kind();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = Utc::now();
        let candidate = NewPayment {
            id: PaymentId::new(),
            order_id: order.id,
            provider,
            amount_minor: order.total_minor,
            currency: &order.currency,
            now,
        };
        let mut tx = state.store.begin().await?;
        if !payments::lock_payable_order(&mut *tx, order.id, now).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return Ok(Claim::NotPayable);
        }
        let claimed = payments::claim(&mut *tx, &candidate).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let open = payments::open_attempt(state.store.primary(), order.id).await?;
        let Some(open) = open else {
            // Closed between our claim attempt and this read: claim again.
            continue;
        };
        if open.provider != provider {
            return Err(BackendError::Unavailable(format!(
                "order {} has an open payment with provider {}, which is not configured",
                order.id, open.provider
            )));
        }
        if let Some(redirect_url) = open.redirect_url.clone() {
            return Ok(Claim::Open(Box::new(Attempt {
                payment: open,
                redirect_url,
            })));
        }
        let ours = claimed && open.id == candidate.id;
        let orphaned = open.created_at < now - chrono(ORPHAN_AFTER);
        if ours || orphaned {
            return match start(state, order, &open, api_origin).await? {
                Ok(redirect_url) => {
                    let payment = payments::find(state.store.primary(), open.id)
                        .await?
                        .ok_or(BackendError::NotFound("payment"))?;
                    Ok(Claim::Open(Box::new(Attempt {
                        payment,
                        redirect_url,
                    })))
                }
                Err(error) => Err(BackendError::Unavailable(error.to_string())),
            };
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(BackendError::conflict(
                ErrorCode::CheckoutInProgress,
                "A checkout of this order is being started; try again in a moment.",
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The description (one line for the provider's page and statement) and the return URL (the
/// web app's order page) of an order's checkout.
pub fn describe(state: &AppState, order: &OrderRecord) -> (String, String) {
    (
        format!("{} ticket(s), order {}", order.quantity, order.id),
        format!("{}/orders/{}", state.public_url, order.id),
    )
}

/// What the provider is asked for an attempt. Every value derives from the order, the
/// attempt and the configuration, so asking again (after a crash) is the same request.
pub fn checkout_request<'a>(
    order: &'a OrderRecord,
    payment: &PaymentRecord,
    description: &'a str,
    api_origin: &'a str,
    return_url: &'a str,
) -> BackendResult<CheckoutRequest<'a>> {
    let currency =
        Currency::parse(&payment.currency).map_err(|e| BackendError::Internal(e.to_string()))?;
    Ok(CheckoutRequest {
        payment_id: payment.id,
        order_id: order.id,
        amount: Money::new(payment.amount_minor, currency),
        description,
        buyer_email: &order.buyer_email,
        api_origin,
        return_url,
        idempotency_key: format!("checkout:{}", payment.id),
        claimed_at: payment.created_at,
    })
}

/// Asks the provider for the attempt's checkout (the same request, however often) and records
/// its answer. A refusal closes the attempt as `failed`; an unreachable provider leaves it
/// open for a later try.
async fn start(
    state: &AppState,
    order: &OrderRecord,
    payment: &PaymentRecord,
    api_origin: &str,
) -> BackendResult<Result<String, PaymentError>> {
    let (description, return_url) = describe(state, order);
    let request = checkout_request(order, payment, &description, api_origin, &return_url)?;
    let now = Utc::now();
    match state.payments.start_checkout(&request).await {
        Ok(session) => {
            payments::set_started(
                state.store.primary(),
                payment.id,
                &session.provider_reference,
                &session.redirect_url,
                now,
            )
            .await?;
            Ok(Ok(session.redirect_url))
        }
        Err(error @ PaymentError::Refused(_)) => {
            tracing::warn!(payment = %payment.id, %error, "the provider refused to start a checkout");
            payments::close(
                state.store.primary(),
                payment.id,
                PaymentStatus::fail(),
                "checkout_not_started",
                now,
            )
            .await?;
            Ok(Err(error))
        }
        Err(error) => Ok(Err(error)),
    }
}

/// What one [`upkeep`] pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Upkeep {
    /// Orphans the provider answered for: open attempts again, with their page.
    pub reconciled: usize,
    /// Orphans closed as `failed` (the provider refused, or stayed unreachable too long).
    pub failed: usize,
    /// Attempts past their lifetime closed as `canceled`.
    pub expired: usize,
}

/// One pass of the worker over open attempts: finishes orphans with the provider and closes
/// attempts past their lifetime. Safe on any number of replicas at once: every change is
/// conditional on the attempt being open, and the provider call is idempotent.
pub async fn upkeep(state: &AppState, now: DateTime<Utc>) -> BackendResult<Upkeep> {
    let mut done = Upkeep::default();
    let abandoned_before = now - chrono(ABANDONED_AFTER);
    let orphans =
        payments::open_before(state.store.primary(), now - chrono(ORPHAN_AFTER), true, 100).await?;
    for orphan in orphans.iter().filter(|p| p.created_at >= abandoned_before) {
        let Some(order) = orders::find_order(state.store.primary(), orphan.order_id).await? else {
            continue;
        };
        if orphan.provider != state.payments.kind() {
            continue;
        }
        match start(state, &order, orphan, &state.public_url).await? {
            Ok(_) => {
                tracing::info!(payment = %orphan.id, "orphaned payment attempt reconciled with its provider");
                done.reconciled += 1;
            }
            Err(PaymentError::Refused(_)) => done.failed += 1,
            Err(error) => {
                tracing::warn!(payment = %orphan.id, %error, "orphaned payment attempt: provider unreachable; will retry");
            }
        }
    }
    for stale in payments::open_before(state.store.primary(), abandoned_before, false, 100).await? {
        // Never started at the provider: it could not be made. Started: nobody paid it.
        let (end, code) = if stale.provider_reference.is_none() {
            (PaymentStatus::fail(), "checkout_not_started")
        } else {
            (PaymentStatus::cancel(), "expired")
        };
        if payments::close(state.store.primary(), stale.id, end, code, now).await? {
            if end.to() == PaymentStatus::Failed {
                done.failed += 1;
            } else {
                done.expired += 1;
            }
        }
    }
    Ok(done)
}
