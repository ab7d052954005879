//! Team invitations to people without an account: the mail and its link, joining by signing up
//! with the invited address, and the refusals (another address, a used or replaced link).

use bilten_test_support::{token_from_link, TestApp, TestUser, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::ticketing_helpers::{create_org, verified_user};

async fn invite(app: &TestApp, owner: &TestUser, org: &str, email: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/organizations/{org}/members"),
        Some(&owner.access_token),
        json!({ "email": email, "role": "manager" }),
    )
    .await
}

async fn accept(app: &TestApp, token: &str, invitation: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/invitations/accept",
        Some(token),
        json!({ "token": invitation }),
    )
    .await
}

/// The token of the newest invitation mail to `email`, and the mail's text.
async fn invitation_mail(app: &TestApp, email: &str) -> (String, String) {
    let text = app.wait_for_mail(email, "invited you").await;
    (token_from_link(&text, "token"), text)
}

#[tokio::test]
async fn an_email_without_an_account_is_invited_by_mail_and_joins_after_signing_up() {
    let app = TestApp::spawn().await;
    let owner = verified_user(&app, "Olive Owner").await;
    let org = create_org(&app, &owner).await;
    let email = format!("newcomer-{}@example.com", uuid::Uuid::new_v4().simple());

    let (status, body) = invite(&app, &owner, &org, &email).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["invitation"]["email"], email.as_str());
    assert_eq!(body["invitation"]["role"], "manager");
    let subjects = crate::refund_helpers::mail_subjects(&app, &email).await;
    assert_eq!(
        subjects,
        ["Olive Owner invited you to Kino Meeting Point on Bilten"]
    );
    let (token, text) = invitation_mail(&app, &email).await;
    assert!(token.starts_with("inv_"), "{text}");
    assert!(
        text.contains("join Kino Meeting Point on Bilten as Manager"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "http://bilten.test/invitations/accept?token={token}"
        )),
        "{text}"
    );
    assert!(text.contains("7 days"));
    let (status, list) = app
        .get(
            &format!("/api/v1/organizations/{org}/invitations"),
            Some(&owner.access_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"][0]["email"], email.as_str());

    // Someone else's account cannot use the link.
    let other = app.signed_up_user("Other Person").await;
    let (status, body) = accept(&app, &other.access_token, &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "invitation_for_another_email");

    // The invited person signs up with the address and accepts.
    assert_eq!(
        app.register(&email, PASSWORD, "Nina Newcomer").await.0,
        StatusCode::CREATED
    );
    let (_, tokens) = app.login(&email, PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    let (status, body) = accept(&app, access, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["organization"]["id"], org.as_str());
    assert_eq!(body["organization"]["role"], "manager");
    // The link came by mail, so the address is confirmed.
    assert_eq!(
        app.get("/api/v1/me", Some(access)).await.1["user"]["email_verified"],
        true
    );
    let (_, members) = app
        .get(
            &format!("/api/v1/organizations/{org}/members"),
            Some(access),
        )
        .await;
    let emails: Vec<&str> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&email.as_str()), "{members}");
    // Used once; no longer listed.
    let (status, body) = accept(&app, access, &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_or_expired_token");
    let (_, list) = app
        .get(
            &format!("/api/v1/organizations/{org}/invitations"),
            Some(&owner.access_token),
        )
        .await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn a_new_invitation_to_the_same_email_replaces_the_old_link() {
    let app = TestApp::spawn().await;
    let owner = verified_user(&app, "Owner").await;
    let org = create_org(&app, &owner).await;
    let email = format!("twice-{}@example.com", uuid::Uuid::new_v4().simple());
    assert_eq!(
        invite(&app, &owner, &org, &email).await.0,
        StatusCode::ACCEPTED
    );
    let (first, _) = invitation_mail(&app, &email).await;
    assert_eq!(
        invite(&app, &owner, &org, &email).await.0,
        StatusCode::ACCEPTED
    );
    let mails = bilten_store::outbox::list_for_address(app.store.primary(), &email)
        .await
        .unwrap();
    assert_eq!(mails.len(), 2);
    let second = token_from_link(
        &mails
            .iter()
            .map(|m| m.body_text.clone())
            .find(|t| !t.contains(&first))
            .unwrap(),
        "token",
    );
    app.register(&email, PASSWORD, "Twice").await;
    let (_, tokens) = app.login(&email, PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        accept(&app, access, &first).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(accept(&app, access, &second).await.0, StatusCode::OK);
}
