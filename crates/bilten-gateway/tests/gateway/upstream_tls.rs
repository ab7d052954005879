//! `https://` upstreams: TLS to the replica, verified against its host name, and the replica's
//! own host name as `Host` (App Service routes by it), with the client's in
//! `X-Forwarded-Host`. Plain upstreams keep the client's `Host`.

use serde_json::json;

use crate::helpers::{
    checksum, env_for, http_client, now, pattern, tokens, unique, with, Gateway, Upstream, SNI_SEEN,
};

/// A PEM file for `GATEWAY_UPSTREAM_CA_FILE`, removed when dropped.
struct CaFile(std::path::PathBuf);

impl CaFile {
    fn new(pem: &str) -> Self {
        let path = std::env::temp_dir().join(format!("bilten-gateway-ca-{}.pem", unique()));
        std::fs::write(&path, pem).unwrap();
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for CaFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn an_https_upstream_is_sent_its_own_host_over_tls_and_the_clients_in_forwarded_headers() {
    let (backend, pem) = Upstream::start_tls("backend-tls").await;
    let scanner = Upstream::start("scanner-1").await;
    let frontend = Upstream::start("frontend-1").await;
    let ca = CaFile::new(&pem);
    let env = with(
        env_for(&[&backend], &[&scanner], &[&frontend]),
        &[("GATEWAY_UPSTREAM_CA_FILE", ca.path())],
    );
    let gateway = Gateway::start(&env).await;
    // Ready only once the checks of `/ready` passed, over TLS for the backend.
    gateway.wait_ready().await;
    let client = http_client();

    let response = client
        .get(gateway.url("/api/v1/events/headers?page=2"))
        .header("host", "tickets.example.com")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let seen: serde_json::Value = response.json().await.unwrap();
    assert_eq!(seen["upstream"], "backend-tls");
    assert_eq!(seen["uri"], "/api/v1/events/headers?page=2");
    let h = &seen["headers"];
    let own = format!("localhost:{}", backend.addr.port());
    assert_eq!(h["host"], json!([own]), "the replica's own host name");
    assert_eq!(h[SNI_SEEN], json!(["localhost"]), "SNI names the replica");
    assert_eq!(h["x-forwarded-host"], json!(["tickets.example.com"]));
    assert_eq!(h["x-forwarded-proto"], json!(["http"]));
    assert_eq!(h["x-forwarded-for"], json!(["127.0.0.1"]));
    assert_eq!(h["x-real-ip"], json!(["127.0.0.1"]));
    assert!(h["x-request-id"][0]
        .as_str()
        .is_some_and(|id| id.len() >= 16));

    // A body goes up and comes back byte-exact through the TLS connection.
    let payload = pattern(1_000_000);
    let token = tokens().issue("usr_1", "ses_1", "user", now());
    let echoed = client
        .post(gateway.url("/api/v1/echo"))
        .bearer_auth(&token)
        .body(payload.clone())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(checksum(&echoed), checksum(&payload));
    assert_eq!(backend.hits(), 2);

    // The plain upstream beside it still gets the client's Host.
    let seen: serde_json::Value = client
        .get(gateway.url("/headers"))
        .header("host", "tickets.example.com")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["upstream"], "frontend-1");
    assert_eq!(seen["headers"]["host"], json!(["tickets.example.com"]));
    assert!(seen["headers"].get(SNI_SEEN).is_none());
}

#[tokio::test]
async fn an_https_upstream_with_an_untrusted_certificate_gets_no_request() {
    let (backend, _pem) = Upstream::start_tls("backend-tls").await;
    let scanner = Upstream::start("scanner-1").await;
    let frontend = Upstream::start("frontend-1").await;
    let gateway = Gateway::start(&env_for(&[&backend], &[&scanner], &[&frontend])).await;
    let response = http_client()
        .get(gateway.url("/api/v1/events/headers"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_gateway");
    assert_eq!(backend.hits(), 0);
}
