//! Guest orders join the account that proves it owns their buyer email (issue #12, item 4).

use bilten_test_support::{token_from_link, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::refund_helpers::{paid_order, pending_order};
use crate::ticketing_helpers::{event_on_sale, guest_order, place_order};

fn unique_email(label: &str) -> String {
    format!("{label}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Registers `email` and logs in; returns the access token.
async fn register_and_login(app: &TestApp, email: &str) -> String {
    let (status, body) = app.register(email, PASSWORD, "Former Guest").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, tokens) = app.login(email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn verify_from_mail(app: &TestApp, email: &str) {
    let mail = app.wait_for_mail(email, "Confirm your email").await;
    let token = token_from_link(&mail, "token");
    let (status, body) = app
        .post("/api/v1/auth/verify", None, json!({ "token": token }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email_verified"], true);
}

/// The order ids of the caller's tickets (`GET /me/tickets`).
async fn my_ticket_orders(app: &TestApp, token: &str) -> Vec<String> {
    let (status, body) = app.get("/api/v1/me/tickets", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["order_id"].as_str().unwrap().to_owned())
        .collect()
}

/// `GET /orders/{id}` with the account's bearer token only (no order key).
async fn order_as_account(app: &TestApp, order: &str, token: &str) -> (StatusCode, Value) {
    app.get(&format!("/api/v1/orders/{order}"), Some(token))
        .await
}

#[tokio::test]
async fn a_guest_who_registers_and_verifies_the_same_email_sees_their_orders_and_tickets() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 50).await;
    let email = unique_email("guest");
    let (paid, _) = paid_order(&app, &sale.event, &sale.ticket_type, 2, &email).await;
    let (pending, _) = pending_order(&app, &sale.event, &sale.ticket_type, 1, &email).await;
    let stranger = unique_email("stranger");
    let (strangers, _) = paid_order(&app, &sale.event, &sale.ticket_type, 1, &stranger).await;

    // The same mailbox, typed with other capitals: emails are normalised, so it matches.
    let token = register_and_login(&app, &email.to_uppercase()).await;

    // Unverified, the account sees nothing of the guest's: anyone can type an email.
    assert!(my_ticket_orders(&app, &token).await.is_empty());
    assert_eq!(
        order_as_account(&app, &paid, &token).await.0,
        StatusCode::NOT_FOUND
    );

    verify_from_mail(&app, &email).await;

    let tickets = my_ticket_orders(&app, &token).await;
    assert_eq!(tickets, vec![paid.clone(), paid.clone()], "{tickets:?}");
    let (status, body) = order_as_account(&app, &paid, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tickets"].as_array().unwrap().len(), 2, "{body}");
    let (status, body) = order_as_account(&app, &pending, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["order"]["status"], "pending");
    // Another guest's order stays out of reach.
    assert_eq!(
        order_as_account(&app, &strangers, &token).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_order_bought_by_an_account_stays_with_that_account() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 50).await;
    let buyer = app.signed_up_user("Gift Giver").await;
    // A logged-in buyer orders with a friend's email as the buyer email.
    let friend = unique_email("friend");
    let (status, body) = place_order(
        &app,
        Some(&buyer.access_token),
        &uuid::Uuid::new_v4().to_string(),
        &guest_order(&sale.event, &sale.ticket_type, 1, &friend),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order = body["order"]["id"].as_str().unwrap().to_owned();

    let token = register_and_login(&app, &friend).await;
    verify_from_mail(&app, &friend).await;
    assert_eq!(
        order_as_account(&app, &order, &token).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = order_as_account(&app, &order, &buyer.access_token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_password_reset_proves_the_email_and_claims_the_guest_orders_too() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 50).await;
    let email = unique_email("resetter");
    let (paid, _) = paid_order(&app, &sale.event, &sale.ticket_type, 1, &email).await;
    register_and_login(&app, &email).await;
    let (status, _) = app
        .post("/api/v1/auth/forgot", None, json!({ "email": email }))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mail = app.wait_for_mail(&email, "Reset your password").await;
    let (status, body) = app
        .post(
            "/api/v1/auth/reset",
            None,
            json!({ "token": token_from_link(&mail, "token"), "password": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, tokens) = app.login(&email, "a brand new passphrase").await;
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(my_ticket_orders(&app, token).await, vec![paid]);
}
