use bilten_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn refresh_rotates_the_token_and_the_new_one_works() {
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
    let (status, third) = app.refresh(&second_refresh).await;
    assert_eq!(status, StatusCode::OK, "{third}");
    assert_ne!(third["refresh_token"], second["refresh_token"]);
    // Reuse of a spent token after the grace period ends the family: see
    // `a_refresh_token_reused_after_the_grace_period_still_ends_the_session`.
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_all_get_the_same_successor_and_the_session_lives() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Two Tabs").await;
    let attempts = (0..10).map(|_| app.refresh(&user.refresh_token));
    let results = futures::future::join_all(attempts).await;
    assert!(
        results.iter().all(|(s, _)| *s == StatusCode::OK),
        "{results:?}"
    );
    let successors: std::collections::BTreeSet<&str> = results
        .iter()
        .map(|(_, body)| body["refresh_token"].as_str().unwrap())
        .collect();
    assert_eq!(successors.len(), 1, "{successors:?}");
    let successor = successors.into_iter().next().unwrap().to_owned();
    assert_ne!(successor, user.refresh_token);

    // Every tab's access token works, and the successor refreshes on.
    for (_, body) in &results {
        let access = body["access_token"].as_str().unwrap();
        assert_eq!(app.get("/api/v1/me", Some(access)).await.0, StatusCode::OK);
    }
    let (status, next) = app.refresh(&successor).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    let access = next["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/me", Some(access)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_refresh_token_reused_after_the_grace_period_still_ends_the_session() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Replayer").await;
    let (status, first) = app.refresh(&user.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    // Within the grace period: the same successor again.
    let (status, again) = app.refresh(&user.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["refresh_token"], first["refresh_token"]);

    // The grace period is 10 s: a replay after it is reuse.
    tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
    let (status, body) = app.refresh(&user.refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "refresh_token_reused");
    let successor = first["refresh_token"].as_str().unwrap();
    assert_eq!(app.refresh(successor).await.0, StatusCode::UNAUTHORIZED);
    let access = first["access_token"].as_str().unwrap();
    let (status, body) = app.get("/api/v1/me", Some(access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "session_ended");
}

#[tokio::test]
async fn an_access_token_valid_only_in_the_future_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Time Traveller").await;
    let (_, me) = app.get("/api/v1/me", Some(&user.access_token)).await;
    let id = me["user"]["id"].as_str().unwrap();
    let (_, sessions) = app
        .get("/api/v1/me/sessions", Some(&user.access_token))
        .await;
    let session = sessions["items"][0]["id"].as_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Signed with the server's own key for a live session, but not valid for another hour.
    let early = app
        .state
        .access_tokens
        .issue(id, session, "user", now + 3600);
    let (status, body) = app.get("/api/v1/me", Some(&early)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "invalid_token");
    let current = app.state.access_tokens.issue(id, session, "user", now);
    assert_eq!(
        app.get("/api/v1/me", Some(&current)).await.0,
        StatusCode::OK
    );
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
