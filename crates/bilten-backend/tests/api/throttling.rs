use bilten_test_support::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn repeated_failures_on_one_account_end_in_429_even_with_the_right_password() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Target").await;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(app.login(&user.email, "definitely wrong password").await.0);
    }
    assert!(
        statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    let (status, body) = app.login(&user.email, &user.password).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many_attempts");
    // An unknown email is throttled the same way, so 429 reveals nothing.
    for _ in 0..10 {
        app.login("ghost@example.com", "definitely wrong password")
            .await;
    }
    assert_eq!(
        app.login("ghost@example.com", "x y z w v u").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_successful_login_resets_the_account_counter() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Sloppy").await;
    for _ in 0..4 {
        app.login(&user.email, "definitely wrong password").await;
    }
    assert_eq!(
        app.login(&user.email, &user.password).await.0,
        StatusCode::OK
    );
    for _ in 0..4 {
        app.login(&user.email, "definitely wrong password").await;
    }
    assert_eq!(
        app.login(&user.email, &user.password).await.0,
        StatusCode::OK
    );
}
