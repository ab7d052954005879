//! Helpers for the ticketing tests: an organizer with an organization, a published event.

use bilten_test_support::{TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub use bilten_test_support::organizer::{add_ticket_type, create_event, publish, verified_user};

/// An organization named "Kino Meeting Point", owned by `owner`.
pub async fn create_org(app: &TestApp, owner: &TestUser) -> String {
    bilten_test_support::organizer::create_org(app, owner, "Kino Meeting Point").await
}

pub fn event_body(title: &str) -> Value {
    json!({
        "title": title,
        "description": "An evening of music",
        "starts_at": "2030-06-01T19:00:00Z",
        "ends_at": "2030-06-01T23:00:00Z",
        "timezone": "Europe/Sarajevo",
        "venue_name": "Skenderija",
        "city": "Sarajevo",
        "country": "BA",
        "currency": "EUR",
        "category": "music"
    })
}

/// An organizer, their organization and a published event with one ticket type of
/// `capacity` at 25.00 EUR (max 10 per order).
pub struct OnSale {
    pub organizer: TestUser,
    pub event: String,
    pub ticket_type: String,
}

pub async fn event_on_sale(app: &TestApp, capacity: i64) -> OnSale {
    let organizer = verified_user(app, "Organizer").await;
    let org = create_org(app, &organizer).await;
    let event = create_event(
        app,
        &organizer.access_token,
        &org,
        event_body("Summer Jazz"),
    )
    .await;
    let ticket_type = add_ticket_type(
        app,
        &organizer.access_token,
        &event,
        json!({ "name": "Standing", "price": 2500, "capacity": capacity }),
    )
    .await;
    publish(app, &organizer.access_token, &event).await;
    OnSale {
        organizer,
        event,
        ticket_type,
    }
}

/// `POST /orders` with an `Idempotency-Key` (and a bearer token when given).
pub async fn place_order(
    app: &TestApp,
    token: Option<&str>,
    key: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .request(Method::POST, app.url("/api/v1/orders"))
        .header("idempotency-key", key)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn guest_order(event: &str, ticket_type: &str, quantity: i64, email: &str) -> Value {
    json!({
        "event_id": event,
        "items": [{ "ticket_type_id": ticket_type, "quantity": quantity }],
        "buyer": { "email": email, "name": "Guest Buyer" }
    })
}

pub fn available_of(event_body: &Value, ticket_type: &str) -> i64 {
    event_body["ticket_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == ticket_type)
        .unwrap()["available"]
        .as_i64()
        .unwrap()
}
