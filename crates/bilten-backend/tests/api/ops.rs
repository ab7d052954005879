use bilten_test_support::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn health_ready_and_metrics_answer() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/health", None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, body) = app.get("/ready", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["checks"]["database"], "ok");

    app.get("/api/v1/me", None).await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .contains(r#"http_requests_total{endpoint="/api/v1/me",method="GET",status="401"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"));
    for name in [
        "bilten_orders_total",
        "bilten_db_pool_connections",
        "bilten_outbox_pending",
        "bilten_build_info",
    ] {
        assert!(metrics.contains(name), "{name} missing");
    }
}

#[tokio::test]
async fn metrics_label_by_route_template_not_raw_path() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/admin/users/usr_x/whatever", None).await;
    app.get("/does/not/exist/123", None).await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!metrics.contains("/does/not/exist"));
    assert!(metrics.contains(r#"endpoint="unmatched""#));
}

#[tokio::test]
async fn ready_reports_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.store.close().await;
    let (status, body) = app.get("/ready", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body["checks"]["database"]
        .as_str()
        .unwrap()
        .starts_with("error"));
    // And API calls that need it answer 503, not 500.
    let (status, body) = app.login("a@b.co", "whatever whatever").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "service_unavailable");
}
