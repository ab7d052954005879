use bilten_test_support::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn the_openapi_document_is_served_as_generated() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["openapi"], "3.1.0");
    let generated = serde_json::to_value(bilten_backend::openapi::openapi()).unwrap();
    assert_eq!(body, generated);
    assert!(body["paths"]["/api/v1/orders"]["post"].is_object());
}

#[tokio::test]
async fn the_reference_is_rendered_at_api_docs_without_anything_from_elsewhere() {
    let app = TestApp::spawn().await;
    let page = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    // Every script and stylesheet comes from us: no CDN.
    for marker in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(!html.contains(marker), "{marker} in {html}");
    }
    let config = app
        .client
        .get(app.url("/api/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(config.status(), StatusCode::OK);
    let script = config.text().await.unwrap();
    assert!(script.contains("/api/v1/openapi.json"), "{script}");
    // The check-in API's own document is offered beside it (served by the scanner).
    assert!(script.contains("/api/v1/checkin/openapi.json"), "{script}");
    let bundle = app
        .client
        .get(app.url("/api/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), StatusCode::OK);
}
