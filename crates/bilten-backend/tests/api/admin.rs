use bilten_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn only_admins_list_and_disable_users() {
    let app = TestApp::spawn().await;
    let admin = app.signed_up_user("Admin").await;
    bilten_backend::admin::create_admin(&app.store, &admin.email, "unused unused", None)
        .await
        .unwrap();
    let user = app.signed_up_user("Regular").await;

    let (status, body) = app
        .get("/api/v1/admin/users?q=regular", Some(&user.access_token))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );

    let (status, body) = app
        .get("/api/v1/admin/users?q=regular", Some(&admin.access_token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"].as_array().unwrap().len(), 1);

    let path = format!("/api/v1/admin/users/{}/disabled", user.id);
    let (status, _) = app
        .post(&path, Some(&user.access_token), json!({ "disabled": true }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .post(
            &path,
            Some(&admin.access_token),
            json!({ "disabled": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Disabled: current sessions end, and logging in fails like a wrong password.
    assert_eq!(
        app.get("/api/v1/me", Some(&user.access_token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&user.email, &user.password).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (status, _) = app
        .post(
            "/api/v1/admin/users/usr_nope/disabled",
            Some(&admin.access_token),
            json!({ "disabled": true }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
