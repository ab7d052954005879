use bilten_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path)).body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn malformed_bodies_get_stable_codes_never_500() {
    let app = TestApp::spawn().await;
    let json = Some("application/json");
    let cases: Vec<(Option<&str>, Vec<u8>, StatusCode, &str)> = vec![
        (
            json,
            b"{\"email\":".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            json,
            b"not json at all".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            json,
            vec![0xff, 0xfe, 0x00],
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            json,
            b"[]".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json,
            b"{\"email\": 5, \"password\": true}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json,
            b"{\"email\":\"a@b.co\",\"password\":\"x\",\"admin\":true}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Some("text/plain"),
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            None,
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            json,
            vec![b' '; 2 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let (got, value) = raw(
            &app,
            reqwest::Method::POST,
            "/api/v1/auth/login",
            content_type,
            body,
        )
        .await;
        assert_eq!(got, status, "{content_type:?}: {value}");
        assert_eq!(value["error"]["code"], code, "{value}");
        assert!(value["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_format() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/v1/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = raw(&app, reqwest::Method::PUT, "/api/v1/me", None, Vec::new()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn strange_but_valid_input_is_handled() {
    let app = TestApp::spawn().await;
    // Unicode names and emails with plus addressing; overlong refresh tokens; empty strings.
    let (status, body) = app
        .register(
            "zoë+tickets@example.com",
            "ünïcødé passphrase",
            "Zoë Ñandú 🎟️",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app.refresh(&"rt_".repeat(1000)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_refresh_token"))
    );
    let (status, body) = app.refresh("").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["refresh_token"]["code"], "required");
    let (status, _) = app.login("a@b.co", &"p".repeat(100_000)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
