//! `Idempotency-Key` on the operations that move money or create things (besides orders and
//! purchases, tested with them): the same key and request replay the first answer with
//! `Idempotent-Replayed: true` and do nothing again; the same key with another request is
//! `422 idempotency_key_reused`; keys are kept a day.

use bilten_test_support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::refund_helpers::paid_order;
use crate::ticketing_helpers::{create_org, event_body, event_on_sale, verified_user};

/// `POST path` with a token, an `Idempotency-Key` and a body: status, whether it was a
/// replay, and the JSON answer.
async fn post_with_key(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, bool, Value) {
    let response = app
        .client
        .request(Method::POST, app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let text = response.text().await.unwrap();
    (
        status,
        replayed,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Sends `first` twice and `other` once under one key: the second is the first's answer
/// replayed, the third is refused. Returns the first answer.
async fn replays_and_refuses(
    app: &TestApp,
    path: &str,
    token: &str,
    first: &Value,
    other: &Value,
    created: StatusCode,
) -> Value {
    let key = uuid::Uuid::new_v4().to_string();
    let (status, replayed, answer) = post_with_key(app, path, token, &key, first).await;
    assert_eq!(status, created, "{answer}");
    assert!(!replayed);
    let (status, replayed, again) = post_with_key(app, path, token, &key, first).await;
    assert_eq!(status, created, "{again}");
    assert!(replayed, "the retry is a replay");
    assert_eq!(again, answer, "the retry gets the first answer");
    let (status, _, refused) = post_with_key(app, path, token, &key, other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency_key_reused");
    answer
}

async fn count(app: &TestApp, sql: &str, id: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .bind(id)
        .fetch_one(app.store.primary())
        .await
        .unwrap()
}

#[tokio::test]
async fn creating_an_organization_twice_with_one_key_creates_one() {
    let app = TestApp::spawn().await;
    let owner = verified_user(&app, "Owner").await;
    let answer = replays_and_refuses(
        &app,
        "/api/v1/organizations",
        &owner.access_token,
        &json!({ "name": "Night Owls" }),
        &json!({ "name": "Early Birds" }),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(answer["organization"]["name"], "Night Owls");
    let (_, mine) = app
        .get("/api/v1/me/organizations", Some(&owner.access_token))
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
}

#[tokio::test]
async fn another_caller_with_the_same_key_is_refused_not_replayed() {
    let app = TestApp::spawn().await;
    let one = verified_user(&app, "One").await;
    let two = verified_user(&app, "Two").await;
    let body = json!({ "name": "Shared Key Club" });
    let (status, _, _) = post_with_key(
        &app,
        "/api/v1/organizations",
        &one.access_token,
        "k-1",
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, replayed, answer) = post_with_key(
        &app,
        "/api/v1/organizations",
        &two.access_token,
        "k-1",
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(!replayed, "nobody sees another caller's answer");
    assert_eq!(answer["error"]["code"], "idempotency_key_reused");
}

#[tokio::test]
async fn creating_an_event_and_a_ticket_type_twice_with_one_key_creates_one_each() {
    let app = TestApp::spawn().await;
    let organizer = verified_user(&app, "Organizer").await;
    let org = create_org(&app, &organizer).await;
    let event = replays_and_refuses(
        &app,
        &format!("/api/v1/organizations/{org}/events"),
        &organizer.access_token,
        &event_body("Summer Jazz"),
        &event_body("Winter Jazz"),
        StatusCode::CREATED,
    )
    .await;
    let event = event["event"]["id"].as_str().unwrap().to_owned();
    let (_, events) = app
        .get(
            &format!("/api/v1/organizations/{org}/events"),
            Some(&organizer.access_token),
        )
        .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "{events}");
    replays_and_refuses(
        &app,
        &format!("/api/v1/events/{event}/ticket-types"),
        &organizer.access_token,
        &json!({ "name": "Standing", "price": 2500, "capacity": 100 }),
        &json!({ "name": "Standing", "price": 3000, "capacity": 100 }),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM ticket_types WHERE event_id = $1",
            &event.parse::<bilten_domain::EventId>().unwrap().to_db(),
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_refund_retried_with_its_key_refunds_once() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, _) = paid_order(&app, &sale.event, &sale.ticket_type, 2, "buyer@example.com").await;
    let path = format!("/api/v1/orders/{order}/refund");
    let line = |quantity: i64| json!({ "lines": [{ "ticket_type_id": sale.ticket_type, "quantity": quantity }] });
    let answer = replays_and_refuses(
        &app,
        &path,
        &sale.organizer.access_token,
        &line(1),
        &line(2),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(answer["order"]["status"], "partially_refunded", "{answer}");
    assert_eq!(answer["order"]["refunded"]["amount"], 2500);
    // One refund of one ticket, however often the request came.
    let (_, again) = app
        .get(
            &format!("/api/v1/events/{}/sales-summary", sale.event),
            Some(&sale.organizer.access_token),
        )
        .await;
    assert_eq!(again["totals"]["refunds"]["amount"], 2500, "{again}");
}

#[tokio::test]
async fn an_event_cancellation_retried_with_its_key_is_answered_the_same() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    paid_order(&app, &sale.event, &sale.ticket_type, 1, "buyer@example.com").await;
    let path = format!("/api/v1/events/{}/cancel", sale.event);
    let key = "cancel-once";
    let (status, replayed, first) =
        post_with_key(&app, &path, &sale.organizer.access_token, key, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert!(!replayed);
    assert_eq!(first["canceled_now"], true);
    assert_eq!(first["orders_refunded"], 1);
    let (status, replayed, again) =
        post_with_key(&app, &path, &sale.organizer.access_token, key, &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(replayed);
    assert_eq!(
        again, first,
        "a replay, not a second sweep reporting nothing done"
    );
    // Without a key the call is still idempotent by itself, and says what it did now.
    let (status, plain) = app
        .post(&path, Some(&sale.organizer.access_token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(plain["canceled_now"], false);
    // Another event under the same key is another request.
    let other = event_on_sale(&app, 5).await;
    let (status, _, refused) = post_with_key(
        &app,
        &format!("/api/v1/events/{}/cancel", other.event),
        &sale.organizer.access_token,
        key,
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency_key_reused");
}

#[tokio::test]
async fn a_key_older_than_a_day_may_be_used_again() {
    let app = TestApp::spawn().await;
    let owner = verified_user(&app, "Owner").await;
    let path = "/api/v1/organizations";
    let (status, _, _) = post_with_key(
        &app,
        path,
        &owner.access_token,
        "daily",
        &json!({ "name": "Monday" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // A day and a minute pass.
    let day_ago = chrono::Utc::now() - chrono::Duration::minutes(24 * 60 + 1);
    sqlx::query("UPDATE idempotency_requests SET created_at = $1")
        .bind(day_ago.timestamp_millis())
        .execute(app.store.primary())
        .await
        .unwrap();
    let (status, replayed, answer) = post_with_key(
        &app,
        path,
        &owner.access_token,
        "daily",
        &json!({ "name": "Tuesday" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert!(!replayed);
    assert_eq!(answer["organization"]["name"], "Tuesday");
}
