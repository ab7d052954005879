use bilten_test_support::{TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn register_then_login_then_me_returns_the_account() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .register("Ada@Example.com", PASSWORD, "Ada Lovelace")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["role"], "user");
    assert_eq!(body["user"]["email_verified"], false);
    assert!(body["user"].get("password_hash").is_none());

    let (status, tokens) = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let access = tokens["access_token"].as_str().unwrap();

    let (status, me) = app.get("/api/v1/me", Some(access)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["name"], "Ada Lovelace");
}

#[tokio::test]
async fn a_second_registration_with_the_same_email_is_a_conflict() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.register("dup@example.com", PASSWORD, "One").await.0,
        StatusCode::CREATED
    );
    let (status, body) = app.register("DUP@example.com", PASSWORD, "Two").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "email_taken");
}

#[tokio::test]
async fn concurrent_registrations_with_one_email_create_one_account() {
    let app = TestApp::spawn().await;
    let names: Vec<String> = (0..8).map(|i| format!("Racer {i}")).collect();
    let attempts = names
        .iter()
        .map(|name| app.register("race@example.com", PASSWORD, name));
    let results = futures::future::join_all(attempts).await;
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let conflicts = results
        .iter()
        .filter(|(s, b)| *s == StatusCode::CONFLICT && b["error"]["code"] == "email_taken")
        .count();
    assert_eq!((created, conflicts), (1, 7), "{results:?}");
}

#[tokio::test]
async fn password_rules_are_reported_per_field() {
    let app = TestApp::spawn().await;
    for (password, code) in [
        ("short", "too_short"),
        ("password123", "too_common"),
        (&*"x".repeat(129), "too_long"),
    ] {
        let (status, body) = app.register("rules@example.com", password, "Rule").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(body["error"]["fields"]["password"]["code"], code);
    }
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "not-an-email" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &body["error"]["fields"];
    assert_eq!(fields["email"]["code"], "invalid_email");
    assert_eq!(fields["password"]["code"], "required");
    assert_eq!(fields["name"]["code"], "required");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Grace").await;
    let wrong = app.login(&user.email, "not the password at all").await;
    let unknown = app
        .login("nobody@example.com", "not the password at all")
        .await;
    let malformed = app.login("not an email", "not the password at all").await;
    for (status, body) in [&wrong, &unknown, &malformed] {
        assert_eq!(*status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, &wrong.1);
    }
    assert_eq!(wrong.1["error"]["code"], "invalid_credentials");
}

#[tokio::test]
async fn the_name_can_be_changed_but_not_the_role() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Linus").await;
    let (status, body) = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&user.access_token),
            Some(json!({ "name": "  Linus T. " })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["name"], "Linus T.");
    let (status, body) = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&user.access_token),
            Some(json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["role"]["code"], "invalid");
    let (_, me) = app.get("/api/v1/me", Some(&user.access_token)).await;
    assert_eq!(me["user"]["role"], "user");
}

#[tokio::test]
async fn the_cli_admin_bootstrap_creates_or_promotes_an_admin() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Future Admin").await;
    let outcome =
        bilten_backend::admin::create_admin(&app.store, &user.email, "ignored password x", None)
            .await
            .unwrap();
    assert!(matches!(
        outcome,
        bilten_backend::admin::AdminOutcome::Promoted(_)
    ));
    let (_, me) = app.get("/api/v1/me", Some(&user.access_token)).await;
    assert_eq!(me["user"]["role"], "admin");

    let outcome = bilten_backend::admin::create_admin(
        &app.store,
        "root@example.com",
        "a fine admin password",
        Some("Root"),
    )
    .await
    .unwrap();
    assert!(matches!(
        outcome,
        bilten_backend::admin::AdminOutcome::Created(_)
    ));
    let (status, _) = app.login("root@example.com", "a fine admin password").await;
    assert_eq!(status, StatusCode::OK);
}
