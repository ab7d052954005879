//! The production topology as processes on this machine: three `bilten backend` replicas and
//! one `bilten gateway` in front of them, on one PostgreSQL and one Redis.
//! Needs `TEST_DATABASE_URL` and `TEST_REDIS_URL` (`.ci/run` sets both) and `psql`: ignored by
//! plain `cargo test`, a failure when run without them.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::processes::{
    data_dir, free_port, fresh_database, services, spawn_role, wait_ready, Process,
};

/// How many `/api/v1/me` requests one backend has served, from its own metrics.
async fn me_count(client: &reqwest::Client, base: &str) -> u64 {
    let Ok(response) = client.get(format!("{base}/metrics")).send().await else {
        return 0;
    };
    let text = response.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with("http_requests_total{") && l.contains(r#"endpoint="/api/v1/me""#))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
#[ignore = "needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL) and psql"]
async fn three_backends_behind_a_gateway_share_load_and_survive_losing_one() {
    let (admin_url, redis_url) = services();
    let data_dir = data_dir("topology");
    let (database_url, _) = fresh_database(&admin_url, &data_dir);
    let shared = vec![
        ("DATABASE_URL", database_url.clone()),
        ("REDIS_URL", redis_url.clone()),
        ("BILTEN_DATA_DIR", data_dir.display().to_string()),
    ];
    let backend_ports = [free_port(), free_port(), free_port()];
    let mut backends: Vec<Option<Process>> = backend_ports
        .iter()
        .map(|port| Some(spawn_role("backend", *port, &shared)))
        .collect();
    let upstreams = backend_ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(",");
    let (scanner_port, frontend_port, gateway_port) = (free_port(), free_port(), free_port());
    let _scanner = spawn_role("scanner", scanner_port, &shared);
    let mut frontend_env = shared.clone();
    frontend_env.push((
        "BACKEND_URL",
        format!("http://127.0.0.1:{}", backend_ports[0]),
    ));
    let _frontend = spawn_role("frontend", frontend_port, &frontend_env);
    let mut gateway_env = shared.clone();
    gateway_env.push(("GATEWAY_UPSTREAMS_BACKEND", upstreams));
    gateway_env.push((
        "GATEWAY_UPSTREAMS_SCANNER",
        format!("http://127.0.0.1:{scanner_port}"),
    ));
    gateway_env.push((
        "GATEWAY_UPSTREAMS_FRONTEND",
        format!("http://127.0.0.1:{frontend_port}"),
    ));
    gateway_env.push(("GATEWAY_HEALTH_INTERVAL", "200ms".to_owned()));
    let _gateway = spawn_role("gateway", gateway_port, &gateway_env);

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for port in backend_ports {
        wait_ready(&client, &format!("http://127.0.0.1:{port}")).await;
    }
    let gateway = format!("http://127.0.0.1:{gateway_port}");
    wait_ready(&client, &gateway).await;

    let register = client
        .post(format!("{gateway}/api/v1/auth/register"))
        .json(&json!({"email": "topology@example.com", "password": "a topology passphrase", "name": "Topo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 201);
    // Argon2 on a loaded 2-core CI machine can outlast the gateway's upstream timeout (504)
    // while replicas warm up; a client retries a gateway's 502/503/504, and so does this test,
    // but nothing else.
    let mut login = None;
    for _ in 0..5 {
        let response = client
            .post(format!("{gateway}/api/v1/auth/login"))
            .json(&json!({"email": "topology@example.com", "password": "a topology passphrase"}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        if matches!(status.as_u16(), 502..=504) {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        assert_eq!(status, 200, "{body}");
        login = Some(body);
        break;
    }
    let tokens = login.expect("login kept failing at the gateway");
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    // Spread: every backend serves some of 60 reads.
    for _ in 0..60 {
        let me = client
            .get(format!("{gateway}/api/v1/me"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200);
    }
    for port in backend_ports {
        let served = me_count(&client, &format!("http://127.0.0.1:{port}")).await;
        assert!(served > 0, "backend on {port} served nothing");
    }

    // Kill one backend mid-run: no idempotent request is lost.
    let killed = backend_ports[1];
    let mut failures = 0;
    for i in 0..150 {
        if i == 20 {
            backends[1] = None; // kill -9 via Drop
        }
        let me = client
            .get(format!("{gateway}/api/v1/me"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        if me.status() != 200 {
            failures += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        failures, 0,
        "idempotent requests failed while a backend died"
    );

    // It comes back when restarted, and the gateway sends it traffic again.
    backends[1] = Some(spawn_role("backend", killed, &shared));
    wait_ready(&client, &format!("http://127.0.0.1:{killed}")).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut served = 0;
    while Instant::now() < deadline && served == 0 {
        for _ in 0..10 {
            client
                .get(format!("{gateway}/api/v1/me"))
                .bearer_auth(&access)
                .send()
                .await
                .unwrap();
        }
        served = me_count(&client, &format!("http://127.0.0.1:{killed}")).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(served > 0, "the restarted backend never got traffic back");
    let _ = std::fs::remove_dir_all(&data_dir);
}
