//! Bodies, methods, query strings, headers and routing pass through intact.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    checksum, env_for, header, http_client, now, pattern, tokens, Gateway, Upstream,
};

struct Site {
    gateway: Gateway,
    backend: Upstream,
    scanner: Upstream,
    frontend: Upstream,
}

async fn site() -> Site {
    let backend = Upstream::start("backend-1").await;
    let scanner = Upstream::start("scanner-1").await;
    let frontend = Upstream::start("frontend-1").await;
    let gateway = Gateway::start(&env_for(&[&backend], &[&scanner], &[&frontend])).await;
    Site {
        gateway,
        backend,
        scanner,
        frontend,
    }
}

/// Sends raw bytes and reads until the gateway closes the connection.
async fn raw(gateway: &Gateway, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(gateway.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

fn json_body(response: &str) -> serde_json::Value {
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn ten_megabyte_bodies_pass_through_byte_exact_both_ways() {
    let site = site().await;
    let client = http_client();
    let payload = pattern(10_000_000);

    // Streamed up and straight back down.
    let response = client
        .post(site.gateway.url("/echo"))
        .header("content-type", "application/octet-stream")
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let echoed = response.bytes().await.unwrap();
    assert_eq!(echoed.len(), payload.len());
    assert!(echoed == payload, "echoed body differs");

    // A chunked upload (no Content-Length) arrives whole.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        payload.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let response = client
        .post(site.gateway.url("/count"))
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.text().await.unwrap(),
        format!("{} {}", payload.len(), checksum(&payload))
    );

    // A large download.
    let response = client
        .get(site.gateway.url("/big?size=10000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.content_length(), Some(10_000_000));
    let downloaded = response.bytes().await.unwrap();
    assert!(downloaded == payload, "downloaded body differs");
}

#[tokio::test]
async fn chunked_responses_stream_through_without_a_length() {
    let site = site().await;
    let response = http_client()
        .get(site.gateway.url("/chunked"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), None);
    assert_eq!(
        header(response.headers(), "transfer-encoding"),
        Some("chunked")
    );
    let body = response.bytes().await.unwrap();
    let expected: Vec<u8> = (0..10u8)
        .flat_map(|i| std::iter::repeat_n(b'a' + i, 1000))
        .collect();
    assert!(body == expected, "chunked body differs");
}

#[tokio::test]
async fn methods_queries_and_end_to_end_headers_pass_through() {
    let site = site().await;
    let response = http_client()
        .patch(site.gateway.url("/headers?a=1&b=two%20words&c=%2Fx"))
        .header("x-custom", "kept")
        .header("cookie", "session=abc")
        .header("accept-language", "tr-TR")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies.len(), 2, "both Set-Cookie headers arrive");
    assert_eq!(
        header(response.headers(), "x-upstream-custom"),
        Some("passed")
    );
    let seen: serde_json::Value = response.json().await.unwrap();
    assert_eq!(seen["upstream"], "frontend-1");
    assert_eq!(seen["method"], "PATCH");
    assert_eq!(seen["uri"], "/headers?a=1&b=two%20words&c=%2Fx");
    assert_eq!(seen["body_len"], 5);
    assert_eq!(seen["headers"]["x-custom"][0], "kept");
    assert_eq!(seen["headers"]["cookie"][0], "session=abc");
    assert_eq!(seen["headers"]["accept-language"][0], "tr-TR");
    assert_eq!(
        seen["headers"]["host"][0],
        site.gateway.addr.to_string(),
        "the client's Host is kept"
    );
}

#[tokio::test]
async fn hop_by_hop_headers_stay_on_their_own_connection() {
    let site = site().await;
    let response = raw(
        &site.gateway,
        "GET /headers HTTP/1.1\r\n\
         Host: tickets.example.com\r\n\
         Connection: close, X-Hop-Req\r\n\
         X-Hop-Req: secret\r\n\
         Keep-Alive: timeout=5\r\n\
         TE: trailers\r\n\
         Proxy-Authorization: Basic YTpi\r\n\
         Upgrade: websocket\r\n\
         X-End-To-End: yes\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let seen = json_body(&response);
    let received = seen["headers"].as_object().unwrap();
    for dropped in [
        "x-hop-req",
        "keep-alive",
        "te",
        "proxy-authorization",
        "upgrade",
    ] {
        assert!(
            !received.contains_key(dropped),
            "{dropped} reached the upstream"
        );
    }
    // The gateway's own connection to the upstream is keep-alive, whatever the client said.
    assert!(received
        .get("connection")
        .is_none_or(|v| !v.to_string().contains("X-Hop-Req")));
    assert_eq!(received["x-end-to-end"][0], "yes");

    let response = http_client()
        .get(site.gateway.url("/hop"))
        .send()
        .await
        .unwrap();
    let h = response.headers();
    assert!(h.get("x-hop-resp").is_none());
    assert!(h.get("keep-alive").is_none());
    assert!(h.get("proxy-authenticate").is_none());
    assert_eq!(header(h, "x-end-to-end"), Some("1"));
}

#[tokio::test]
async fn forwarding_headers_are_the_gateways_and_request_ids_are_kept_or_made() {
    let site = site().await;
    let client = http_client();
    let response = client
        .get(site.gateway.url("/headers"))
        .header("x-forwarded-for", "6.6.6.6")
        .header("x-real-ip", "6.6.6.6")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let id = header(response.headers(), "x-request-id")
        .unwrap()
        .to_owned();
    let seen: serde_json::Value = response.json().await.unwrap();
    let h = &seen["headers"];
    assert_eq!(h["x-forwarded-for"], serde_json::json!(["127.0.0.1"]));
    assert_eq!(h["x-real-ip"], serde_json::json!(["127.0.0.1"]));
    assert_eq!(h["x-forwarded-proto"], serde_json::json!(["http"]));
    assert_eq!(h["x-forwarded-host"][0], site.gateway.addr.to_string());
    assert_eq!(
        h["x-request-id"][0], id,
        "the upstream sees the id the client gets"
    );
    assert!(id.len() >= 16);

    let response = client
        .get(site.gateway.url("/headers"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(response.headers(), "x-request-id"),
        Some("trace-abc-123")
    );
    let seen: serde_json::Value = response.json().await.unwrap();
    assert_eq!(seen["headers"]["x-request-id"][0], "trace-abc-123");
}

#[tokio::test]
async fn each_prefix_goes_to_its_group() {
    let site = site().await;
    let client = http_client();
    let token = tokens().issue("usr_1", "ses_1", "user", now());
    let name = |path: &'static str| {
        let request = client.get(site.gateway.url(path)).bearer_auth(&token);
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(name("/api/v1/checkin/whoami").await, "scanner-1");
    assert_eq!(name("/api/v1/whoami").await, "backend-1");
    assert_eq!(name("/api/v1/").await, "backend-1");
    assert_eq!(name("/webhooks/stripe").await, "backend-1");
    assert_eq!(name("/").await, "frontend-1");
    assert_eq!(name("/events/rock-night").await, "frontend-1");
    assert_eq!(name("/api/v10").await, "frontend-1");
    assert_eq!(site.scanner.hits(), 1);
    assert_eq!(site.backend.hits(), 3);
    assert_eq!(site.frontend.hits(), 3);
}

#[tokio::test]
async fn the_gateway_answers_health_ready_and_metrics_itself() {
    let site = site().await;
    let client = http_client();
    let health: serde_json::Value = client
        .get(site.gateway.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["service"], "gateway");
    site.gateway.wait_ready().await;
    client
        .get(site.gateway.url("/whoami"))
        .send()
        .await
        .unwrap();

    let metrics = client
        .get(site.gateway.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let frontend = site.frontend.addr;
    for expected in [
        format!("bilten_upstream_healthy{{group=\"frontend\",upstream=\"{frontend}\"}} 1"),
        format!(
            "bilten_gateway_upstream_requests_total{{group=\"frontend\",status=\"200\",upstream=\"{frontend}\"}} 1"
        ),
        "http_requests_total{endpoint=\"/{*rest}\",method=\"GET\",status=\"200\"} 1".to_owned(),
        "bilten_gateway_upstream_duration_seconds_bucket".to_owned(),
    ] {
        assert!(metrics.contains(&expected), "missing {expected}\n{metrics}");
    }
    assert_eq!(
        site.frontend.hits(),
        1,
        "/health, /ready, /metrics are the gateway's own"
    );
}
