//! The production topology as processes on this machine: three `bilten backend` replicas and
//! one `bilten gateway` in front of them, on one PostgreSQL and one Redis.
//! Needs `TEST_DATABASE_URL` and `TEST_REDIS_URL` (CI sets both); skipped without them.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_bilten");

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn services() -> Option<(String, String)> {
    match (
        std::env::var("TEST_DATABASE_URL"),
        std::env::var("TEST_REDIS_URL"),
    ) {
        (Ok(db), Ok(redis)) => Some((db, redis)),
        _ => {
            assert!(
                std::env::var("BILTEN_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "BILTEN_REQUIRE_SERVICES=1 but TEST_DATABASE_URL/TEST_REDIS_URL are not set"
            );
            None
        }
    }
}

/// A fresh database on the test server, migrated by `bilten migrate`.
fn fresh_database(admin_url: &str, data_dir: &std::path::Path) -> String {
    let name = format!("bilten_test_{}", uuid::Uuid::new_v4().simple());
    let created = Command::new("psql")
        .args([admin_url, "-qc", &format!("CREATE DATABASE {name}")])
        .status()
        .unwrap();
    assert!(created.success());
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let migrate = Command::new(BIN)
        .env("DATABASE_URL", &url)
        .env("BILTEN_DATA_DIR", data_dir)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    url
}

fn spawn_role(role: &str, port: u16, envs: &[(&str, String)]) -> Process {
    let mut command = Command::new(BIN);
    command
        .arg(role)
        .env("PORT", port.to_string())
        .env("APP_ENV", "production")
        .env("BIND_HOST", "127.0.0.1")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .env(
            "JWT_ACCESS_SECRET",
            "topology-access-secret-0123456789abcdef",
        )
        .env(
            "JWT_REFRESH_SECRET",
            "topology-refresh-secret-0123456789abcde",
        )
        .env(
            "TICKET_SIGNING_SECRET",
            "topology-ticket-signing-secret-0123456789",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (key, value) in envs {
        command.env(key, value);
    }
    Process(command.spawn().unwrap())
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(response) = client.get(format!("{base}/ready")).send().await {
            if response.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} never became ready");
}

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
async fn three_backends_behind_a_gateway_share_load_and_survive_losing_one() {
    let Some((admin_url, redis_url)) = services() else {
        eprintln!("skipped: TEST_DATABASE_URL and TEST_REDIS_URL are not set");
        return;
    };
    let data_dir = std::env::temp_dir()
        .join("bilten-tests")
        .join(format!("topology-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let database_url = fresh_database(&admin_url, &data_dir);
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
