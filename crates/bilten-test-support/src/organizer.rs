//! What an organizer sets up through the API before a test can buy, scan or look at pages:
//! a confirmed account, an organization, an event, ticket types, publishing. Each helper
//! asserts the API's success answer and returns the new object's id.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{TestApp, TestUser};

/// A signed-up user whose email is confirmed (creating an organization needs one).
pub async fn verified_user(app: &TestApp, name: &str) -> TestUser {
    let user = app.signed_up_user(name).await;
    bilten_store::users::mark_email_verified(
        app.store.primary(),
        user.id.parse().expect("the API returns valid user ids"),
        chrono::Utc::now(),
    )
    .await
    .expect("marking the email confirmed");
    user
}

/// `POST` that must answer 201; the created object (`body[object]`)'s id.
async fn created_id(app: &TestApp, path: &str, token: &str, body: Value, object: &str) -> String {
    let (status, body) = app.post(path, Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {body}");
    body[object]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{path}: no {object}.id in {body}"))
        .to_owned()
}

pub async fn create_org(app: &TestApp, owner: &TestUser, name: &str) -> String {
    created_id(
        app,
        "/api/v1/organizations",
        &owner.access_token,
        json!({ "name": name }),
        "organization",
    )
    .await
}

pub async fn create_event(app: &TestApp, token: &str, org: &str, body: Value) -> String {
    let path = format!("/api/v1/organizations/{org}/events");
    created_id(app, &path, token, body, "event").await
}

pub async fn add_ticket_type(app: &TestApp, token: &str, event: &str, body: Value) -> String {
    let path = format!("/api/v1/events/{event}/ticket-types");
    created_id(app, &path, token, body, "ticket_type").await
}

pub async fn publish(app: &TestApp, token: &str, event: &str) {
    let path = format!("/api/v1/events/{event}/publish");
    let (status, body) = app.post(&path, Some(token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
}
