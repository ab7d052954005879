use bilten_test_support::{token_from_link, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn registration_mails_a_link_that_verifies_the_email_once() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Verifier").await;
    let body = app.wait_for_mail(&user.email, "Confirm your email").await;
    let token = token_from_link(&body, "token");

    assert_eq!(app.deliver_mail().await, 1);
    let delivered = app.delivered_to(&user.email);
    assert_eq!(delivered.len(), 1);
    assert!(delivered[0].contains("Subject: Confirm your email address"));

    let (status, body) = app
        .post("/api/v1/auth/verify", None, json!({ "token": token }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email_verified"], true);
    let (status, body) = app
        .post("/api/v1/auth/verify", None, json!({ "token": token }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_or_expired_token");
}

#[tokio::test]
async fn a_password_reset_link_works_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Forgetful").await;
    let (status, _) = app
        .post("/api/v1/auth/forgot", None, json!({ "email": user.email }))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let body = app.wait_for_mail(&user.email, "Reset your password").await;
    let token = token_from_link(&body, "token");

    let (status, body) = app
        .post(
            "/api/v1/auth/reset",
            None,
            json!({ "token": token, "password": "short" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["password"]["code"], "too_short");

    let (status, body) = app
        .post(
            "/api/v1/auth/reset",
            None,
            json!({ "token": token, "password": "my new long passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.get("/api/v1/me", Some(&user.access_token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&user.email, "my new long passphrase").await.0,
        StatusCode::OK
    );

    let (status, body) = app
        .post(
            "/api/v1/auth/reset",
            None,
            json!({ "token": token, "password": "yet another passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_or_expired_token");
}

#[tokio::test]
async fn forgot_password_answers_the_same_for_unknown_emails_and_sends_nothing() {
    let app = TestApp::spawn().await;
    let (status, known) = app
        .post(
            "/api/v1/auth/forgot",
            None,
            json!({ "email": "ghost@example.com" }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let user = app.signed_up_user("Real").await;
    let (_, real) = app
        .post("/api/v1/auth/forgot", None, json!({ "email": user.email }))
        .await;
    assert_eq!(known, real);
    app.wait_for_mail(&user.email, "Reset").await;
    let ghost = bilten_store::outbox::list_for_address(app.store.primary(), "ghost@example.com")
        .await
        .unwrap();
    assert!(ghost.is_empty());
}

#[tokio::test]
async fn a_newer_reset_link_voids_the_older_one() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Twice").await;
    app.post("/api/v1/auth/forgot", None, json!({ "email": user.email }))
        .await;
    let first = token_from_link(&app.wait_for_mail(&user.email, "Reset").await, "token");
    app.post("/api/v1/auth/forgot", None, json!({ "email": user.email }))
        .await;
    let mut second = first.clone();
    for _ in 0..100 {
        let mails = bilten_store::outbox::list_for_address(app.store.primary(), &user.email)
            .await
            .unwrap();
        let resets: Vec<_> = mails
            .iter()
            .filter(|m| m.subject.contains("Reset"))
            .collect();
        if resets.len() == 2 {
            second = token_from_link(&resets[0].body_text, "token");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_ne!(first, second);
    let (status, _) = app
        .post(
            "/api/v1/auth/reset",
            None,
            json!({ "token": first, "password": "first new passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .post(
            "/api/v1/auth/reset",
            None,
            json!({ "token": second, "password": "second new passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// Accounts keep no language: the mails a request causes are written in the language it asks
/// for (the web app sends the one its visitor reads the site in). A German sign-up gets a
/// German confirmation, a Spanish reset request a Spanish reset mail, and their links work.
#[tokio::test]
async fn account_mails_are_written_in_the_language_of_the_request() {
    let app = TestApp::spawn().await;
    let email = "sprache@example.com";
    let response = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("accept-language", "de")
        .json(&json!({ "email": email, "password": "a long enough passphrase", "name": "Greta" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = app
        .wait_for_mail(email, "Bestätigen Sie Ihre E-Mail-Adresse")
        .await;
    assert!(body.starts_with("Hallo Greta,"), "{body}");
    let token = token_from_link(&body, "token");
    let (status, body) = app
        .post("/api/v1/auth/verify", None, json!({ "token": token }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let response = app
        .client
        .post(app.url("/api/v1/auth/forgot"))
        .header("accept-language", "es-ES,es;q=0.9")
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body = app.wait_for_mail(email, "Restablece tu contraseña").await;
    assert!(body.contains("/reset-password?token="), "{body}");
    // Without a language asked for, English.
    let (status, _) = app
        .post("/api/v1/auth/forgot", None, json!({ "email": email }))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    app.wait_for_mail(email, "Reset your password").await;
}
