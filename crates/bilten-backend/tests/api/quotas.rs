//! `PATCH /events/{id}/quotas/{quota}`: renaming a quota and changing its capacity, never below
//! what its ticket types sold and hold, and only by the event's managers.

use bilten_test_support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::refund_helpers::{paid_order, pending_order};
use crate::ticketing_helpers::{event_on_sale, verified_user};

async fn patch_quota(
    app: &TestApp,
    token: &str,
    event: &str,
    quota: &str,
    body: Value,
) -> (StatusCode, Value) {
    app.request(
        Method::PATCH,
        &format!("/api/v1/events/{event}/quotas/{quota}"),
        Some(token),
        Some(body),
    )
    .await
}

async fn add_quota(app: &TestApp, token: &str, event: &str, tty: &str) -> String {
    let (status, body) = crate::refunds::add_quota(app, token, event, 8, &[tty]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["quota"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_manager_renames_a_quota_and_changes_its_capacity() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.clone();
    let quota = add_quota(&app, &token, &sale.event, &sale.ticket_type).await;

    let (status, body) = patch_quota(
        &app,
        &token,
        &sale.event,
        &quota,
        json!({ "name": "Balcony limit", "capacity": 6 }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["quota"]["name"], "Balcony limit");
    assert_eq!(body["quota"]["capacity"], 6);
    assert_eq!(body["quota"]["available"], 6);
    assert_eq!(body["quota"]["ticket_type_ids"], json!([sale.ticket_type]));

    // A field left out stays.
    let (status, body) =
        patch_quota(&app, &token, &sale.event, &quota, json!({ "capacity": 9 })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["quota"]["name"], &body["quota"]["capacity"]),
        (&json!("Balcony limit"), &json!(9))
    );
    let (_, list) = app
        .get(
            &format!("/api/v1/events/{}/quotas", sale.event),
            Some(&token),
        )
        .await;
    assert_eq!(list["items"][0]["name"], "Balcony limit");
    assert_eq!(list["items"][0]["capacity"], 9);
}

#[tokio::test]
async fn a_capacity_below_what_is_sold_and_held_is_refused_with_a_conflict() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.clone();
    let quota = add_quota(&app, &token, &sale.event, &sale.ticket_type).await;
    paid_order(&app, &sale.event, &sale.ticket_type, 2, "paid@example.com").await;
    pending_order(&app, &sale.event, &sale.ticket_type, 1, "held@example.com").await;

    let (status, body) =
        patch_quota(&app, &token, &sale.event, &quota, json!({ "capacity": 2 })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "capacity_below_taken");
    // Exactly what is taken is allowed: nothing left.
    let (status, body) = patch_quota(
        &app,
        &token,
        &sale.event,
        &quota,
        json!({ "name": "Exact", "capacity": 3 }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["quota"]["sold"].as_i64(),
            body["quota"]["held"].as_i64(),
            body["quota"]["available"].as_i64()
        ),
        (Some(2), Some(1), Some(0))
    );
}

#[tokio::test]
async fn bad_quota_edits_get_field_errors_or_not_found() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.clone();
    let quota = add_quota(&app, &token, &sale.event, &sale.ticket_type).await;

    let (status, body) = patch_quota(
        &app,
        &token,
        &sale.event,
        &quota,
        json!({ "name": "  ", "capacity": -1 }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["name"].is_object(), "{body}");
    assert!(body["error"]["fields"]["capacity"].is_object(), "{body}");
    let (status, _) = patch_quota(
        &app,
        &token,
        &sale.event,
        "quo_nope",
        json!({ "capacity": 5 }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = patch_quota(
        &app,
        &token,
        &sale.event,
        &quota,
        json!({ "ticket_type_ids": [] }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Someone outside the organization does not learn that the quota exists.
    let stranger = verified_user(&app, "Stranger").await;
    let (status, _) = patch_quota(
        &app,
        &stranger.access_token,
        &sale.event,
        &quota,
        json!({ "capacity": 5 }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
