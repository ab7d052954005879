use bilten_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn refresh_rotates_and_reuse_of_an_old_token_ends_the_whole_family() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Rotor").await;

    let (status, second) = app.refresh(&user.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    let second_access = second["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, user.refresh_token);
    assert_eq!(
        app.get("/api/v1/me", Some(&second_access)).await.0,
        StatusCode::OK
    );

    // Replaying the first token: refused, and the family is revoked.
    let (status, body) = app.refresh(&user.refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "refresh_token_reused");

    // The newer refresh token dies with it, and so do the session's access tokens.
    let (status, body) = app.refresh(&second_refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_refresh_token");
    let (status, body) = app.get("/api/v1/me", Some(&second_access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "session_ended");
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_let_at_most_one_through() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Racer").await;
    let attempts = (0..10).map(|_| app.refresh(&user.refresh_token));
    let results = futures::future::join_all(attempts).await;
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert!(ok <= 1, "{ok} refreshes succeeded: {results:?}");
    assert!(results
        .iter()
        .all(|(s, _)| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn logout_ends_the_session_and_its_refresh_token() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Leaver").await;
    let (status, _) = app
        .post("/api/v1/auth/logout", Some(&user.access_token), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", Some(&user.access_token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh(&user.refresh_token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logout_everywhere_ends_every_session() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Everywhere").await;
    let (_, other) = app.login(&user.email, &user.password).await;
    let other_access = other["access_token"].as_str().unwrap();
    let (_, sessions) = app.get("/api/v1/me/sessions", Some(other_access)).await;
    assert_eq!(sessions["items"].as_array().unwrap().len(), 2);
    let (status, _) = app
        .post("/api/v1/auth/logout-all", Some(other_access), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", Some(other_access)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&user.access_token)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_the_others() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Changer").await;
    let (_, other) = app.login(&user.email, &user.password).await;
    let other_access = other["access_token"].as_str().unwrap();

    let (status, body) = app
        .post("/api/v1/auth/password", Some(&user.access_token), json!({ "current_password": "wrong wrong wrong", "new_password": "brand new passphrase" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"]["fields"]["current_password"]["code"],
        "incorrect"
    );

    let (status, body) = app
        .post(
            "/api/v1/auth/password",
            Some(&user.access_token),
            json!({ "current_password": user.password, "new_password": "brand new passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.get("/api/v1/me", Some(&user.access_token)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/me", Some(other_access)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&user.email, &user.password).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&user.email, "brand new passphrase").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_bearer_tokens_are_refused_with_distinct_codes() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/v1/me", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (status, body) = app.get("/api/v1/me", Some("garbage")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );

    // A token signed with another secret, and an expired one with ours.
    let foreign = bilten_http::jwt::AccessTokens::new(
        b"some-other-secret-some-other-secret!",
        std::time::Duration::from_secs(60),
    );
    let user = app.signed_up_user("Tokens").await;
    let (_, me) = app.get("/api/v1/me", Some(&user.access_token)).await;
    let id = me["user"]["id"].as_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let forged = foreign.issue(id, "ses_00000000000000000000000000000000", "admin", now);
    assert_eq!(
        app.get("/api/v1/me", Some(&forged)).await.1["error"]["code"],
        "invalid_token"
    );
    let expired = app.state.access_tokens.issue(
        id,
        "ses_00000000000000000000000000000000",
        "user",
        now - 3600,
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&expired)).await.1["error"]["code"],
        "token_expired"
    );
}
