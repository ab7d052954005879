//! Our client against the local fake Stripe, and the fake's webhooks against our verifier: the
//! two halves the backend relies on.
#![allow(clippy::unwrap_used, clippy::items_after_statements)]

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bilten_stripe::fake::{FakeStripe, FakeStripeConfig};
use bilten_stripe::{
    verify_webhook, ApiErrorType, CreateCheckoutSession, CreateRefund, Event, LineItem,
    StripeClient, StripeError, CHARGE_REFUNDED, CHECKOUT_SESSION_COMPLETED,
    CHECKOUT_SESSION_EXPIRED,
};
use secrecy::SecretString;

const KEY: &str = "sk_test_fake_key_123";
const WHSEC: &str = "whsec_fake_secret";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A webhook endpoint that verifies like the backend does and keeps what it accepted.
async fn receiver() -> (String, Arc<Mutex<Vec<Event>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    async fn handle(
        State(received): State<Arc<Mutex<Vec<Event>>>>,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        let header = headers
            .get("stripe-signature")
            .and_then(|v| v.to_str().ok());
        match verify_webhook(WHSEC, header, &body, now(), 300) {
            Ok(event) => {
                received.lock().unwrap().push(event);
                StatusCode::OK
            }
            Err(_) => StatusCode::BAD_REQUEST,
        }
    }
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(handle))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn setup() -> (FakeStripe, StripeClient, Arc<Mutex<Vec<Event>>>) {
    let fake = FakeStripe::start(FakeStripeConfig {
        secret_key: KEY.into(),
        webhook_secret: WHSEC.into(),
        webhook_url: None,
    })
    .await
    .unwrap();
    let (url, received) = receiver().await;
    fake.set_webhook_url(url);
    let client = StripeClient::new(&fake.api_base(), SecretString::from(KEY)).unwrap();
    (fake, client, received)
}

fn params(order: &str) -> CreateCheckoutSession {
    CreateCheckoutSession {
        currency: "EUR".into(),
        line_items: vec![
            LineItem {
                name: "Standing".into(),
                unit_amount: 2500,
                quantity: 2,
            },
            LineItem {
                name: "VIP & friends".into(),
                unit_amount: 9900,
                quantity: 1,
            },
        ],
        success_url: "https://bilten.test/orders/ok?s={CHECKOUT_SESSION_ID}".into(),
        cancel_url: "https://bilten.test/orders/cancel".into(),
        order_id: order.into(),
        customer_email: Some("buyer@example.com".into()),
        expires_at: now() + 31 * 60,
        metadata: [("payment_id".to_owned(), format!("pay_for_{order}"))].into(),
    }
}

fn api_error(err: StripeError) -> (u16, ApiErrorType, Option<String>, Option<String>) {
    match err {
        StripeError::Api {
            status,
            kind,
            code,
            param,
            ..
        } => (status, kind, code, param),
        other => panic!("expected a Stripe API error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_checkout_session_is_created_with_inline_prices_and_the_order_reference() {
    let (_fake, client, _) = setup().await;
    let session = client
        .create_checkout_session(&params("ord_1"), "pay_1")
        .await
        .unwrap();
    assert_eq!(session.status.as_deref(), Some("open"));
    assert_eq!(session.payment_status, "unpaid");
    assert_eq!(session.amount_total, Some(2 * 2500 + 9900));
    assert_eq!(session.currency.as_deref(), Some("eur"));
    assert_eq!(session.client_reference_id.as_deref(), Some("ord_1"));
    assert_eq!(session.metadata["order_id"], "ord_1");
    assert_eq!(session.metadata["payment_id"], "pay_for_ord_1");
    assert!(session
        .url
        .as_deref()
        .unwrap()
        .contains(session.id.as_str()));

    let fetched = client.retrieve_checkout_session(&session.id).await.unwrap();
    assert_eq!(fetched, session);
}

#[tokio::test]
async fn the_same_idempotency_key_replays_and_a_different_body_is_an_idempotency_error() {
    let (fake, client, _) = setup().await;
    let first = client
        .create_checkout_session(&params("ord_1"), "pay_1")
        .await
        .unwrap();
    let again = client
        .create_checkout_session(&params("ord_1"), "pay_1")
        .await
        .unwrap();
    assert_eq!(first.id, again.id);

    let mut other = params("ord_1");
    other.line_items[0].quantity = 3;
    let (status, kind, _, _) = api_error(
        client
            .create_checkout_session(&other, "pay_1")
            .await
            .unwrap_err(),
    );
    assert_eq!((status, kind), (400, ApiErrorType::IdempotencyError));
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_wrong_secret_key_is_refused_with_401() {
    let (fake, _, _) = setup().await;
    let client = StripeClient::new(&fake.api_base(), SecretString::from("sk_test_wrong")).unwrap();
    let (status, kind, _, _) = api_error(
        client
            .create_checkout_session(&params("ord_1"), "k")
            .await
            .unwrap_err(),
    );
    assert_eq!((status, kind), (401, ApiErrorType::InvalidRequestError));
}

#[tokio::test]
async fn parameters_stripe_would_refuse_are_refused() {
    let (_fake, client, _) = setup().await;
    let mut soon = params("ord_1");
    soon.expires_at = now() + 10 * 60;
    let (status, _, _, param) = api_error(
        client
            .create_checkout_session(&soon, "a")
            .await
            .unwrap_err(),
    );
    assert_eq!((status, param.as_deref()), (400, Some("expires_at")));

    let mut empty = params("ord_1");
    empty.line_items.clear();
    let (status, _, code, _) = api_error(
        client
            .create_checkout_session(&empty, "b")
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_deref()), (400, Some("parameter_missing")));

    let missing = client
        .retrieve_checkout_session(&bilten_stripe::CheckoutSessionId::new("cs_nope"))
        .await
        .unwrap_err();
    let (status, _, code, _) = api_error(missing);
    assert_eq!((status, code.as_deref()), (404, Some("resource_missing")));
}

#[tokio::test]
async fn paying_delivers_a_signed_completed_event_and_refunds_deliver_charge_refunded() {
    let (fake, client, received) = setup().await;
    let session = client
        .create_checkout_session(&params("ord_9"), "pay_9")
        .await
        .unwrap();
    assert_eq!(fake.pay_session(session.id.as_str()).await.unwrap(), 200);

    let event = received.lock().unwrap()[0].clone();
    assert_eq!(event.kind, CHECKOUT_SESSION_COMPLETED);
    let paid = event.checkout_session().unwrap();
    assert!(paid.is_paid());
    assert_eq!(paid.metadata["order_id"], "ord_9");
    let pi = paid.payment_intent.clone().unwrap();
    assert_eq!(
        client.retrieve_checkout_session(&session.id).await.unwrap(),
        paid
    );

    let refund = CreateRefund {
        payment_intent: pi.clone(),
        amount: 2500,
        refund_id: "rf_1".into(),
    };
    let made = client.create_refund(&refund, "rf_1").await.unwrap();
    assert_eq!(
        (made.amount, made.status.as_deref()),
        (2500, Some("succeeded"))
    );
    // A retry of the same refund is a replay, not a second refund.
    assert_eq!(
        client.create_refund(&refund, "rf_1").await.unwrap().id,
        made.id
    );

    let too_much = CreateRefund {
        payment_intent: pi.clone(),
        amount: 12_401,
        refund_id: "rf_2".into(),
    };
    let (status, _, code, _) =
        api_error(client.create_refund(&too_much, "rf_2").await.unwrap_err());
    assert_eq!((status, code.as_deref()), (400, Some("amount_too_large")));
    // The refused attempt was not saved: the same key works once the amount is right.
    let rest = CreateRefund {
        payment_intent: pi,
        amount: 12_400,
        refund_id: "rf_2".into(),
    };
    client.create_refund(&rest, "rf_2").await.unwrap();
    assert_eq!(fake.refunds().len(), 2);

    let deliveries = fake.wait_for_deliveries(CHARGE_REFUNDED, 2).await;
    assert!(
        deliveries.iter().all(|d| d.status == Some(200)),
        "{deliveries:?}"
    );
    let charges: Vec<_> = received
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.kind == CHARGE_REFUNDED)
        .map(|e| e.charge().unwrap())
        .collect();
    assert_eq!(charges.len(), 2);
    let last = charges.iter().max_by_key(|c| c.amount_refunded).unwrap();
    assert_eq!((last.amount_refunded, last.refunded), (14_900, true));
}

#[tokio::test]
async fn expiring_a_session_delivers_checkout_session_expired_and_it_can_no_longer_be_paid() {
    let (fake, client, received) = setup().await;
    let session = client
        .create_checkout_session(&params("ord_2"), "pay_2")
        .await
        .unwrap();
    let expired = client
        .expire_checkout_session(&session.id, "exp_2")
        .await
        .unwrap();
    assert_eq!(expired.status.as_deref(), Some("expired"));
    fake.wait_for_deliveries(CHECKOUT_SESSION_EXPIRED, 1).await;
    assert_eq!(received.lock().unwrap()[0].kind, CHECKOUT_SESSION_EXPIRED);
    assert!(fake.pay_session(session.id.as_str()).await.is_err());
}

#[tokio::test]
async fn a_redelivered_event_carries_the_same_id_with_a_fresh_signature() {
    let (fake, client, received) = setup().await;
    fake.set_auto_deliver(false);
    let session = client
        .create_checkout_session(&params("ord_3"), "pay_3")
        .await
        .unwrap();
    let event = fake.complete_session(session.id.as_str()).unwrap();
    assert!(
        received.lock().unwrap().is_empty(),
        "held back until delivered"
    );
    fake.deliver(&event.id).await.unwrap();
    fake.deliver(&event.id).await.unwrap();
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].id, got[1].id);
}
