//! Helpers for the payment, refund and cancellation tests: an app wired to the local fake
//! Stripe, paid orders, refunds, outbox and revocation reads.

use bilten_stripe::fake::{FakeStripe, FakeStripeConfig};
use bilten_test_support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::ticketing_helpers::{guest_order, place_order};

pub const STRIPE_KEY: &str = "sk_test_bilten_fake_key";
pub const STRIPE_WHSEC: &str = "whsec_bilten_fake_secret";

/// A backend whose payment provider is Stripe, pointed at a fresh fake Stripe that sends
/// its webhooks back to this backend.
pub async fn stripe_app() -> (TestApp, FakeStripe) {
    let fake = FakeStripe::start(FakeStripeConfig {
        secret_key: STRIPE_KEY.to_owned(),
        webhook_secret: STRIPE_WHSEC.to_owned(),
        webhook_url: None,
    })
    .await
    .unwrap();
    let config = bilten_config::StripeConfig {
        secret_key: STRIPE_KEY.to_owned().into(),
        webhook_secret: Some(STRIPE_WHSEC.to_owned().into()),
        api_base: fake.api_base(),
    };
    let app = TestApp::spawn_configured(move |state| state.with_stripe(&config).unwrap()).await;
    fake.set_webhook_url(app.url("/api/v1/webhooks/stripe"));
    (app, fake)
}

/// A placed (pending) guest order: `(order id, access key)`.
pub async fn pending_order(
    app: &TestApp,
    event: &str,
    ticket_type: &str,
    quantity: i64,
    email: &str,
) -> (String, String) {
    let (status, body) = place_order(
        app,
        None,
        &uuid::Uuid::new_v4().to_string(),
        &guest_order(event, ticket_type, quantity, email),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["order"]["id"].as_str().unwrap().to_owned(),
        body["access_key"].as_str().unwrap().to_owned(),
    )
}

/// `POST /orders/{id}/checkout` as the buyer (by access key).
pub async fn checkout(
    app: &TestApp,
    order: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .request(
            Method::POST,
            app.url(&format!("/api/v1/orders/{order}/checkout")),
        )
        .header("x-order-key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A guest order paid with the test provider's succeeding card.
pub async fn paid_order(
    app: &TestApp,
    event: &str,
    ticket_type: &str,
    quantity: i64,
    email: &str,
) -> (String, String) {
    let (order, key) = pending_order(app, event, ticket_type, quantity, email).await;
    let (status, body) = checkout(
        app,
        &order,
        &key,
        Some(json!({ "test_card": "4242424242424242" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (order, key)
}

/// `GET /orders/{id}` as the buyer: `{order, tickets}`.
pub async fn order_of(app: &TestApp, order: &str, key: &str) -> Value {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/orders/{order}")))
        .header("x-order-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

pub async fn refund(app: &TestApp, token: &str, order: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/orders/{order}/refund"), Some(token), body)
        .await
}

/// Subjects of the mails queued for `to`.
pub async fn mail_subjects(app: &TestApp, to: &str) -> Vec<String> {
    bilten_store::outbox::list_for_address(app.store.primary(), to)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.subject)
        .collect()
}

/// `(ticket id, reason)` of every revocation of an event.
pub async fn revocations(app: &TestApp, event: &str) -> Vec<(String, String)> {
    let event: bilten_domain::EventId = event.parse().unwrap();
    bilten_store::tickets::revocations_since(app.store.primary(), event, None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.ticket_id.to_string(), r.reason.as_str().to_owned()))
        .collect()
}

/// `sold` of a ticket type, straight from the database.
pub async fn sold_of(app: &TestApp, ticket_type: &str) -> i64 {
    let id: bilten_domain::TicketTypeId = ticket_type.parse().unwrap();
    bilten_store::events::find_ticket_type(app.store.primary(), id, chrono::Utc::now())
        .await
        .unwrap()
        .unwrap()
        .sold
}

/// A guest order paid on the fake Stripe (the completed webhook delivered): `(order, key)`.
pub async fn paid_order_with_stripe(
    app: &TestApp,
    fake: &FakeStripe,
    event: &str,
    ticket_type: &str,
    quantity: i64,
) -> (String, String) {
    let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
    let (order, key) = pending_order(app, event, ticket_type, quantity, &email).await;
    let (status, body) = checkout(app, &order, &key, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let session = body["redirect_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(fake.pay_session(&session).await.unwrap(), 200);
    assert_eq!(order_of(app, &order, &key).await["order"]["status"], "paid");
    (order, key)
}
