//! Auth at the edge, security headers, CORS, body limits and slow clients.

use std::time::{Duration, Instant};

use bilten_http::jwt::AccessTokens;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{env_for, header, http_client, now, tokens, with, Gateway, Upstream};

struct Site {
    gateway: Gateway,
    backend: Upstream,
    other: Upstream,
}

async fn site(extra: &[(&str, &str)]) -> Site {
    let backend = Upstream::start("backend").await;
    let other = Upstream::start("other").await;
    let env = with(env_for(&[&backend], &[&other], &[&other]), extra);
    Site {
        gateway: Gateway::start(&env).await,
        backend,
        other,
    }
}

async fn error_code(response: reqwest::Response) -> String {
    let body: serde_json::Value = response.json().await.unwrap();
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn protected_routes_turn_away_missing_bad_and_expired_tokens() {
    let site = site(&[]).await;
    let client = http_client();
    let me = || client.get(site.gateway.url("/api/v1/me"));

    let response = me().send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        header(response.headers(), "www-authenticate"),
        Some("Bearer")
    );
    assert_eq!(error_code(response).await, "unauthenticated");

    let response = me().bearer_auth("not.a.token").send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        header(response.headers(), "www-authenticate"),
        Some(r#"Bearer error="invalid_token""#)
    );
    assert_eq!(error_code(response).await, "invalid_token");

    let foreign = AccessTokens::new(b"another-secret-another-secret-xx", Duration::from_mins(15))
        .issue("usr_1", "ses_1", "admin", now());
    let response = me().bearer_auth(foreign).send().await.unwrap();
    assert_eq!(error_code(response).await, "invalid_token");

    let expired = tokens().issue("usr_1", "ses_1", "user", now() - 3600);
    let response = me().bearer_auth(expired).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(error_code(response).await, "token_expired");

    assert_eq!(
        site.backend.hits(),
        0,
        "a refused request reached the backend"
    );
    let valid = tokens().issue("usr_1", "ses_1", "user", now());
    let response = me().bearer_auth(valid).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(site.backend.hits(), 1);
}

#[tokio::test]
async fn public_routes_need_no_token() {
    let site = site(&[("GATEWAY_PUBLIC_ROUTES", "GET /api/v1/venues")]).await;
    let client = http_client();
    let cases = [
        (reqwest::Method::GET, "/api/v1/events", 200),
        (
            reqwest::Method::GET,
            "/api/v1/events/evt_1/ticket-types",
            200,
        ),
        (reqwest::Method::POST, "/api/v1/events", 401),
        (reqwest::Method::POST, "/api/v1/auth/login", 200),
        (reqwest::Method::POST, "/api/v1/auth/register", 200),
        (reqwest::Method::POST, "/api/v1/checkin/scan", 200),
        (reqwest::Method::POST, "/webhooks/stripe", 200),
        (reqwest::Method::GET, "/api/v1/openapi.json", 200),
        (reqwest::Method::GET, "/api/v1/venues/ven_1", 200),
        (reqwest::Method::POST, "/api/v1/venues", 401),
        (reqwest::Method::GET, "/events/rock-night", 200),
    ];
    for (method, path, expected) in cases {
        let response = client
            .request(method.clone(), site.gateway.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected, "{method} {path}");
    }
    // A bad token on a public route is the backend's business (it may treat it as anonymous).
    let response = client
        .get(site.gateway.url("/api/v1/events"))
        .bearer_auth("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn security_headers_are_added_and_hsts_only_over_https() {
    let site = site(&[("GATEWAY_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let client = http_client();
    let page = client.get(site.gateway.url("/")).send().await.unwrap();
    let h = page.headers();
    assert_eq!(header(h, "x-content-type-options"), Some("nosniff"));
    assert_eq!(
        header(h, "referrer-policy"),
        Some("strict-origin-when-cross-origin")
    );
    assert_eq!(header(h, "x-frame-options"), Some("DENY"));
    assert!(h.get("strict-transport-security").is_none());

    let api = client
        .get(site.gateway.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert!(api.headers().get("x-frame-options").is_none());
    assert_eq!(
        header(api.headers(), "x-content-type-options"),
        Some("nosniff")
    );

    // Behind a trusted TLS-terminating balancer.
    let secure = client
        .get(site.gateway.url("/api/v1/events/headers"))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-for", "198.51.100.4")
        .send()
        .await
        .unwrap();
    assert!(header(secure.headers(), "strict-transport-security")
        .unwrap()
        .starts_with("max-age="));
    let seen: serde_json::Value = secure.json().await.unwrap();
    assert_eq!(seen["headers"]["x-forwarded-proto"][0], "https");
    assert_eq!(seen["headers"]["x-real-ip"][0], "198.51.100.4");
    assert_eq!(
        seen["headers"]["x-forwarded-for"][0],
        "198.51.100.4, 127.0.0.1"
    );

    let refused = client
        .get(site.gateway.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        header(refused.headers(), "x-content-type-options"),
        Some("nosniff")
    );
}

#[tokio::test]
async fn cors_allows_the_configured_origins_on_the_api_only() {
    let site = site(&[("GATEWAY_CORS_ORIGINS", "https://app.example.com")]).await;
    let client = http_client();
    let preflight = |path: &str, origin: &str| {
        client
            .request(reqwest::Method::OPTIONS, site.gateway.url(path))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };

    let allowed = preflight("/api/v1/orders", "https://app.example.com")
        .await
        .unwrap();
    assert!(allowed.status().is_success());
    let h = allowed.headers();
    assert_eq!(
        header(h, "access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(header(h, "access-control-allow-credentials"), Some("true"));
    assert!(header(h, "access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    assert!(header(h, "access-control-allow-headers")
        .unwrap()
        .contains("authorization"));

    let other = preflight("/api/v1/orders", "https://evil.example")
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let page = preflight("/events", "https://app.example.com")
        .await
        .unwrap();
    assert!(page.headers().get("access-control-allow-origin").is_none());
    assert_eq!(
        site.backend.hits(),
        0,
        "preflights are answered by the gateway"
    );

    let simple = client
        .get(site.gateway.url("/api/v1/events"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    let h = simple.headers();
    assert_eq!(
        header(h, "access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert!(header(h, "access-control-expose-headers")
        .unwrap()
        .contains("x-request-id"));
    assert!(header(h, "vary").unwrap().contains("origin"));

    // Without `Origin` the CORS middleware is skipped, but the answer still says it varies by
    // origin, so a shared cache never hands it to a cross-origin caller.
    let plain = client
        .get(site.gateway.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    let h = plain.headers();
    assert!(h.get("access-control-allow-origin").is_none());
    assert_eq!(
        header(h, "vary"),
        Some("origin, access-control-request-method, access-control-request-headers")
    );
}

/// Issue #12 item 12a: a guest's order calls carry `X-Order-Key` (and purchases an
/// `Idempotency-Key`); a browser on an allowed origin sends them only if the preflight lists
/// them, and reads `Idempotent-Replayed` only if it is exposed.
#[tokio::test]
async fn the_cors_preflight_allows_the_order_key_and_idempotency_key_headers() {
    let site = site(&[("GATEWAY_CORS_ORIGINS", "https://app.example.com")]).await;
    let client = http_client();
    let response = client
        .request(
            reqwest::Method::OPTIONS,
            site.gateway.url("/api/v1/orders/ord_x/checkout"),
        )
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,idempotency-key,x-order-key",
        )
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let allowed: Vec<String> = header(response.headers(), "access-control-allow-headers")
        .unwrap()
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for requested in ["content-type", "idempotency-key", "x-order-key"] {
        assert!(
            allowed.iter().any(|h| h == requested),
            "{requested} not in {allowed:?}"
        );
    }
    let simple = client
        .get(site.gateway.url("/api/v1/events"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert!(header(simple.headers(), "access-control-expose-headers")
        .unwrap()
        .contains("idempotent-replayed"));
}

/// Sends `head` (and `body`) on a raw connection and reads until the gateway closes it or
/// `within` passes.
async fn raw_exchange(
    gateway: &Gateway,
    head: &str,
    body: &[u8],
    within: Duration,
) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(gateway.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(within, stream.read_to_end(&mut response)).await;
    (
        String::from_utf8_lossy(&response).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_413() {
    let site = site(&[("GATEWAY_MAX_BODY", "1MiB")]).await;
    let limit = 1024 * 1024;

    // Declared too large: refused before a byte of the body is read (a client that waits
    // for 100-continue never sends it).
    let (response, _) = raw_exchange(
        &site.gateway,
        &format!(
            "POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
            limit + 1
        ),
        b"",
        Duration::from_secs(5),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"payload_too_large\""));
    assert_eq!(site.backend.hits() + site.other.hits(), 0);

    // Chunked, so only counting while streaming can catch it. The chunk is sent without its
    // closing CRLF so the gateway has read every byte when it answers.
    let mut chunk = format!("{:x}\r\n", limit + 1).into_bytes();
    chunk.extend(std::iter::repeat_n(b'x', limit + 1));
    let (response, _) = raw_exchange(
        &site.gateway,
        "POST /count HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        &chunk,
        Duration::from_secs(5),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");

    // Exactly the limit passes.
    let body = vec![b'y'; limit];
    let response = http_client()
        .post(site.gateway.url("/count"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response
        .text()
        .await
        .unwrap()
        .starts_with(&format!("{limit} ")));
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    let site = site(&[
        ("GATEWAY_HEADER_TIMEOUT", "300ms"),
        ("GATEWAY_BODY_TIMEOUT", "300ms"),
    ])
    .await;

    // Headers that never finish: the connection is closed.
    let (response, elapsed) = raw_exchange(
        &site.gateway,
        "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ",
        b"",
        Duration::from_secs(5),
    )
    .await;
    assert!(elapsed < Duration::from_secs(3), "held for {elapsed:?}");
    assert!(!response.contains("200 OK"), "{response}");

    // A body that stops arriving: 408.
    let (response, elapsed) = raw_exchange(
        &site.gateway,
        "POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n",
        b"only ten b",
        Duration::from_secs(5),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"request_timeout\""));
    assert!(elapsed < Duration::from_secs(3), "held for {elapsed:?}");
}
