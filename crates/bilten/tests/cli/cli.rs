//! The binary as a newcomer and an operator use it: real processes, real ports.

// Test code: a failed unwrap is a failed test, and the end-to-end flow reads best in one piece.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_bilten");

/// Variables that would change what the binary does; each test sets what it needs.
const CONFIG_VARS: &[&str] = &[
    "APP_ENV",
    "PORT",
    "DATABASE_URL",
    "DATABASE_READ_URL",
    "REDIS_URL",
    "REDIS_PASSWORD",
    "PUBLIC_URL",
    "REDIS_PREFIX",
    "LOG_FORMAT",
    "JWT_ACCESS_SECRET",
    "JWT_REFRESH_SECRET",
    "TICKET_SIGNING_SECRET",
    "SMTP_HOST",
    "STRIPE_SECRET_KEY",
    "PROMETHEUS_PORT",
    "SENTRY_DSN",
    "BILTEN_DATA_DIR",
];

fn bilten(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(BIN);
    for var in CONFIG_VARS {
        command.env_remove(var);
    }
    command
        .env("BILTEN_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn");
    command
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join("bilten-tests")
        .join(format!("cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{base}/health")).send().await {
            if response.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} never became healthy");
}

async fn get_text(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

#[test]
fn a_bad_setting_stops_the_process_with_one_line_naming_it() {
    let dir = temp_dir();
    for (name, value) in [
        ("PORT", "eighty"),
        ("DATABASE_URL", "mysql://x"),
        ("JWT_ACCESS_EXPIRES_IN", "soon"),
    ] {
        let output = bilten(&dir)
            .env(name, value)
            .arg("backend")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(name), "{stderr}");
    }
    let output = bilten(&dir)
        .env("APP_ENV", "production")
        .arg("backend")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL"));
}

#[test]
fn every_bad_setting_is_reported_at_once_one_per_line() {
    let dir = temp_dir();
    let output = bilten(&dir)
        .env("APP_ENV", "production")
        .env("PORT", "eighty")
        .env("JWT_ACCESS_EXPIRES_IN", "soon")
        .env("REDIS_PREFIX", "two words")
        .env("LOG_FORMAT", "xml")
        .arg("backend")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = [
        "DATABASE_URL",
        "JWT_ACCESS_SECRET",
        "JWT_REFRESH_SECRET",
        "TICKET_SIGNING_SECRET",
        "PORT",
        "JWT_ACCESS_EXPIRES_IN",
        "REDIS_PREFIX",
        "LOG_FORMAT",
    ];
    assert_eq!(stderr.lines().count(), expected.len(), "{stderr}");
    for name in expected {
        assert!(
            stderr
                .lines()
                .any(|line| line.starts_with(&format!("bilten: configuration error: {name}"))),
            "{name} missing from:\n{stderr}"
        );
    }
}

#[test]
fn migrate_and_admin_create_work_on_the_embedded_default() {
    let dir = temp_dir();
    let output = bilten(&dir).arg("migrate").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Every migration this binary knows runs on a fresh database (the count grows with them).
    let first = String::from_utf8_lossy(&output.stdout);
    assert!(
        first.contains(&format!(
            "schema at version {}",
            bilten_store::migrate::latest_version()
        )) && !first.contains("migrations: 0 applied"),
        "{first}"
    );
    let again = bilten(&dir).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("migrations: 0 applied"));

    let output = bilten(&dir)
        .args([
            "admin",
            "create",
            "--email",
            "root@example.com",
            "--password",
            "an admin passphrase",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("created admin root@example.com"));

    let output = bilten(&dir)
        .args([
            "admin",
            "create",
            "--email",
            "not-an-email",
            "--password",
            "an admin passphrase",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--email"));
}

#[tokio::test]
async fn serve_runs_every_role_and_the_account_flow_works_end_to_end() {
    let dir = temp_dir();
    let ports = [free_port(), free_port(), free_port(), free_port()];
    let child = bilten(&dir)
        .args([
            "serve",
            "--backend-port",
            &ports[0].to_string(),
            "--frontend-port",
            &ports[1].to_string(),
            "--scanner-port",
            &ports[2].to_string(),
            "--gateway-port",
            &ports[3].to_string(),
            "--no-demo",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let client = reqwest::Client::new();
    for port in ports {
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&client, &base).await;
        // The gateway is ready once its first health checks of the local roles pass.
        let mut ready = false;
        for _ in 0..100 {
            let response = client.get(format!("{base}/ready")).send().await.unwrap();
            if response.status() == 200 {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "{base} never became ready");
        let metrics = get_text(&client, &format!("{base}/metrics")).await;
        assert!(metrics.contains("http_requests_total"), "{base}: {metrics}");
    }

    let api = format!("http://127.0.0.1:{}/api/v1", ports[0]);
    let post = |path: &str, body: Value| client.post(format!("{api}{path}")).json(&body).send();
    let register = post(
        "/auth/register",
        json!({"email": "new@example.com", "password": "first run passphrase", "name": "Newcomer"}),
    )
    .await
    .unwrap();
    assert_eq!(register.status(), 201);
    let login: Value = post(
        "/auth/login",
        json!({"email": "new@example.com", "password": "first run passphrase"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let access = login["access_token"].as_str().unwrap();
    let me = client
        .get(format!("{api}/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let first_refresh = login["refresh_token"].as_str().unwrap();
    let rotated: Value = post("/auth/refresh", json!({"refresh_token": first_refresh}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second_refresh = rotated["refresh_token"].as_str().unwrap();
    // Presented again at once (a second tab): the same successor, the session lives. Reuse
    // after the grace period revokes the family (tested in the backend's API tests).
    let again: Value = post("/auth/refresh", json!({"refresh_token": first_refresh}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["refresh_token"], rotated["refresh_token"], "{again}");
    let newer = post("/auth/refresh", json!({"refresh_token": second_refresh}))
        .await
        .unwrap();
    assert_eq!(newer.status(), 200);

    // The verification mail was written to the data dir (no SMTP configured).
    let outbox = dir.join("outbox");
    let mut found = false;
    for _ in 0..100 {
        if std::fs::read_dir(&outbox).is_ok_and(|d| d.count() > 0) {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(found, "no .eml in {}", outbox.display());

    // SIGTERM: graceful shutdown, exit code 0.
    #[cfg(unix)]
    {
        let pid = running.0.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let mut status = None;
        for _ in 0..200 {
            if let Some(s) = running.0.try_wait().unwrap() {
                status = Some(s);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(status.expect("exited after SIGTERM").success());
    }
}

#[tokio::test]
async fn a_single_role_honours_port_and_prometheus_port() {
    let dir = temp_dir();
    let (port, metrics_port) = (free_port(), free_port());
    let mut command = bilten(&dir);
    command
        .env("PORT", port.to_string())
        .env("PROMETHEUS_PORT", metrics_port.to_string())
        .arg("backend");
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        // Exercise the production path: a PostgreSQL database migrated by `bilten migrate`.
        let name = format!("bilten_test_{}", uuid::Uuid::new_v4().simple());
        let admin = url.clone();
        tokio::task::spawn_blocking(move || {
            let status = Command::new("psql")
                .args([&admin, "-qc", &format!("CREATE DATABASE {name}")])
                .status();
            (status, name)
        })
        .await
        .map(|(status, name)| {
            assert!(status.unwrap().success());
            let (base, _) = url.rsplit_once('/').unwrap();
            let db_url = format!("{base}/{name}");
            let migrate = bilten(&dir)
                .env("DATABASE_URL", &db_url)
                .arg("migrate")
                .output()
                .unwrap();
            assert!(
                migrate.status.success(),
                "{}",
                String::from_utf8_lossy(&migrate.stderr)
            );
            command
                .env("DATABASE_URL", &db_url)
                .env("APP_ENV", "production")
                .env("BIND_HOST", "127.0.0.1")
                .env("JWT_ACCESS_SECRET", "x".repeat(40))
                .env("JWT_REFRESH_SECRET", "y".repeat(40))
                .env("TICKET_SIGNING_SECRET", "z".repeat(40));
        })
        .unwrap();
    }
    let running = Running(command.stdout(Stdio::null()).spawn().unwrap());
    let client = reqwest::Client::new();
    wait_healthy(&client, &format!("http://127.0.0.1:{port}")).await;
    let text = get_text(&client, &format!("http://127.0.0.1:{metrics_port}/metrics")).await;
    assert!(text.contains("bilten_build_info"), "{text}");

    // The images' HEALTHCHECK (they carry no curl): the same PORT finds the server...
    let healthcheck = |port: u16| {
        bilten(&dir)
            .env("PORT", port.to_string())
            .arg("healthcheck")
            .output()
            .unwrap()
    };
    let up = healthcheck(port);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    // ...and once it is gone, the check fails and says why.
    drop(running);
    let down = healthcheck(port);
    assert_eq!(down.status.code(), Some(1));
    let said = String::from_utf8_lossy(&down.stderr);
    assert!(said.contains(&format!("127.0.0.1:{port}/health")), "{said}");
}

/// Starts `bilten serve` on free ports and returns it with its frontend port and the start-up
/// banner (stdout up to "Press Ctrl-C").
fn serve_with_banner(dir: &std::path::Path, extra: &[&str]) -> (Running, u16, u16, String) {
    use std::io::{BufRead, BufReader};
    let ports = [free_port(), free_port(), free_port(), free_port()];
    let mut args = vec![
        "serve".to_owned(),
        "--backend-port".to_owned(),
        ports[0].to_string(),
        "--frontend-port".to_owned(),
        ports[1].to_string(),
        "--scanner-port".to_owned(),
        ports[2].to_string(),
        "--gateway-port".to_owned(),
        ports[3].to_string(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let mut child = bilten(dir)
        .args(&args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut banner = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    (running, ports[0], ports[1], banner)
}

#[tokio::test]
async fn the_first_start_seeds_a_demo_once_and_prints_its_urls_and_login() {
    let dir = temp_dir();
    let (running, backend, frontend, banner) = serve_with_banner(&dir, &[]);
    assert!(banner.contains("Demo data (created now"), "{banner}");
    assert!(
        banner.contains("organizer@demo.bilten.dev / bilten-demo-organizer"),
        "{banner}"
    );
    let event_urls: Vec<&str> = banner
        .lines()
        .filter_map(|l| l.trim().strip_prefix("event:"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(event_urls.len(), 2, "{banner}");
    let client = reqwest::Client::new();
    wait_healthy(&client, &format!("http://127.0.0.1:{frontend}")).await;
    let free = get_text(&client, event_urls[0]).await;
    assert!(
        free.contains("Open Source Meetup") && free.contains("Free"),
        "{free}"
    );
    let paid = get_text(&client, event_urls[1]).await;
    assert!(
        paid.contains("Jazz by the River") && paid.contains("€25.00"),
        "{paid}"
    );
    let home = get_text(&client, &format!("http://127.0.0.1:{frontend}/")).await;
    assert!(home.contains("Open Source Meetup") && home.contains("Jazz by the River"));

    // The printed login works and owns the demo organization.
    let api = format!("http://127.0.0.1:{backend}/api/v1");
    let login: Value = client
        .post(format!("{api}/auth/login"))
        .json(&json!({"email": "organizer@demo.bilten.dev", "password": "bilten-demo-organizer"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"]
        .as_str()
        .expect("the demo login works");
    let orgs: Value = client
        .get(format!("{api}/me/organizations"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orgs["items"][0]["role"], "owner", "{orgs}");
    drop(running);

    // A restart finds the same demo; nothing is seeded twice.
    let (_running, backend, _, banner) = serve_with_banner(&dir, &[]);
    assert!(banner.contains("created on the first start"), "{banner}");
    for url in &event_urls {
        let id = url.rsplit('/').next().unwrap();
        assert!(banner.contains(id), "the same events again: {banner}");
    }
    let client = reqwest::Client::new();
    wait_healthy(&client, &format!("http://127.0.0.1:{backend}")).await;
    let listed: Value = client
        .get(format!("http://127.0.0.1:{backend}/api/v1/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");
}

#[tokio::test]
async fn no_demo_leaves_a_fresh_platform_empty() {
    let dir = temp_dir();
    let (_running, backend, _, banner) = serve_with_banner(&dir, &["--no-demo"]);
    assert!(!banner.contains("Demo data"), "{banner}");
    let client = reqwest::Client::new();
    wait_healthy(&client, &format!("http://127.0.0.1:{backend}")).await;
    let listed: Value = client
        .get(format!("http://127.0.0.1:{backend}/api/v1/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([]), "{listed}");
}

/// Starts `bilten serve` on free ports with stdout captured; returns the process, the stdout
/// reader thread and the backend's and gateway's base URLs.
fn serve_capturing_stdout(
    dir: &std::path::Path,
    vars: &[(&str, &str)],
) -> (Running, std::thread::JoinHandle<String>, String, String) {
    let ports = [free_port(), free_port(), free_port(), free_port()];
    let mut command = bilten(dir);
    command.env("RUST_LOG", "info");
    for (name, value) in vars {
        command.env(name, value);
    }
    let mut child = command
        .args([
            "serve",
            "--backend-port",
            &ports[0].to_string(),
            "--frontend-port",
            &ports[1].to_string(),
            "--scanner-port",
            &ports[2].to_string(),
            "--gateway-port",
            &ports[3].to_string(),
            "--no-demo",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    (
        Running(child),
        reader,
        format!("http://127.0.0.1:{}", ports[0]),
        format!("http://127.0.0.1:{}", ports[3]),
    )
}

/// Stops the process with SIGTERM (a clean exit flushes the log) and returns its stdout.
async fn stop_and_read(mut running: Running, reader: std::thread::JoinHandle<String>) -> String {
    let pid = running.0.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    for _ in 0..200 {
        if running.0.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = running.0.kill();
    reader.join().unwrap()
}

#[tokio::test]
async fn json_logs_put_only_json_lines_on_stdout_with_one_access_line_per_request() {
    let dir = temp_dir();
    let (running, reader, backend, _) = serve_capturing_stdout(&dir, &[("LOG_FORMAT", "json")]);
    let client = reqwest::Client::new();
    wait_healthy(&client, &backend).await;
    let ok = client
        .get(format!("{backend}/api/v1/events?limit=5"))
        .header("x-request-id", "req-json-log-test")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let missing = client
        .get(format!("{backend}/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let stdout = stop_and_read(running, reader).await;

    assert!(!stdout.contains('\u{1b}'), "ANSI escapes in:\n{stdout}");
    let lines: Vec<Value> = stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\nin:\n{stdout}"))
        })
        .collect();
    // The banner is a log event too.
    assert!(
        lines.iter().any(|l| l["message"] == "bilten is running"),
        "{stdout}"
    );
    let access: Vec<&Value> = lines.iter().filter(|l| l["target"] == "access").collect();
    let events = access
        .iter()
        .filter(|l| l["request_id"] == "req-json-log-test")
        .collect::<Vec<_>>();
    assert_eq!(events.len(), 1, "{stdout}");
    let line = events[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["route"], "/api/v1/events");
    assert_eq!(line["status"], 200);
    assert!(
        line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{line}"
    );
    assert!(
        access.iter().any(
            |l| l["status"] == 404 && l["request_id"].as_str().is_some_and(|id| !id.is_empty())
        ),
        "{stdout}"
    );
}

#[tokio::test]
async fn text_logs_have_no_colour_codes_when_stdout_is_not_a_terminal() {
    let dir = temp_dir();
    let (running, reader, backend, _) = serve_capturing_stdout(&dir, &[("LOG_FORMAT", "text")]);
    let client = reqwest::Client::new();
    wait_healthy(&client, &backend).await;
    let ok = client
        .get(format!("{backend}/api/v1/events"))
        .header("x-request-id", "req-text-log-test")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let stdout = stop_and_read(running, reader).await;
    assert!(!stdout.contains('\u{1b}'), "ANSI escapes in:\n{stdout}");
    assert!(stdout.contains("Bilten is running"), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains("req-text-log-test"))
        .unwrap_or_else(|| panic!("no access line in:\n{stdout}"));
    for part in ["GET", "/api/v1/events", "status=200", "latency_ms="] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
}

/// `REDIS_PREFIX` reaches every Redis key: the backend's login counters and the gateway's
/// rate-limit windows (both roles of one `serve`).
#[tokio::test]
#[ignore = "needs Redis (TEST_REDIS_URL)"]
async fn every_redis_key_carries_the_configured_prefix() {
    let url = bilten_test_support::needs::redis();
    let prefix = format!("bilten-cli-{}:", uuid::Uuid::new_v4().simple());
    let dir = temp_dir();
    let (running, reader, _, gateway) = serve_capturing_stdout(
        &dir,
        &[
            ("REDIS_URL", url.as_str()),
            ("REDIS_PREFIX", prefix.as_str()),
        ],
    );
    let client = reqwest::Client::new();
    wait_healthy(&client, &gateway).await;
    let email = format!("prefix-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut answered = false;
    for _ in 0..100 {
        let response = client
            .post(format!("{gateway}/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": "not the password" }))
            .send()
            .await
            .unwrap();
        if response.status() == 401 {
            answered = true;
            break;
        }
        // The gateway routes once its health checks of the backend have passed.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answered, "the login never reached the backend");
    let redis = redis::Client::open(url.as_str()).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let ours: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let unprefixed: Vec<String> = redis::cmd("KEYS")
        .arg(format!("bilten:*{email}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    stop_and_read(running, reader).await;
    assert!(
        ours.iter()
            .any(|k| k.contains("login:") && k.contains(&email)),
        "no login counter under {prefix}: {ours:?}"
    );
    assert!(
        ours.iter().any(|k| k.starts_with(&format!("{prefix}rl:"))),
        "no gateway rate-limit window under {prefix}: {ours:?}"
    );
    assert!(unprefixed.is_empty(), "{unprefixed:?}");
}

/// A mail body as text: quoted-printable soft line breaks joined and `=XX` escapes decoded.
fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The README's "ports taken?" flags and no `PUBLIC_URL`: a guest buys, and the link in the
/// confirmation mail (the `.eml` the development transport writes) opens the order on the
/// frontend's real port, on a client with no cookies at all — as on the buyer's phone.
#[tokio::test]
async fn a_guests_mail_link_opens_the_order_on_the_moved_frontend_without_cookies() {
    let dir = temp_dir();
    let (_running, backend, frontend, banner) = serve_with_banner(&dir, &[]);
    let event = banner
        .lines()
        .find(|l| l.contains("Open Source Meetup"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|url| url.rsplit('/').next())
        .unwrap_or_else(|| panic!("the free demo event: {banner}"))
        .to_owned();
    let client = reqwest::Client::new();
    let api = format!("http://127.0.0.1:{backend}/api/v1");
    wait_healthy(&client, &format!("http://127.0.0.1:{backend}")).await;
    let detail: Value = client
        .get(format!("{api}/events/{event}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket_type = detail["ticket_types"][0]["id"].as_str().unwrap();
    let created = client
        .post(format!("{api}/orders"))
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .json(&json!({
            "event_id": event,
            "items": [{ "ticket_type_id": ticket_type, "quantity": 1 }],
            "buyer": { "email": "guest@example.com", "name": "Grace Guest" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let order = created["order"]["id"].as_str().unwrap();
    let key = created["access_key"].as_str().unwrap();
    let checkout = client
        .post(format!("{api}/orders/{order}/checkout"))
        .header("x-order-key", key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(checkout.status().is_success(), "{}", checkout.status());

    // The confirmation, as the development transport wrote it.
    let outbox = dir.join("outbox");
    let mut mail = None;
    for _ in 0..200 {
        mail = std::fs::read_dir(&outbox)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(|raw| quoted_printable(&raw))
            .find(|text| text.contains("Your order online:"));
        if mail.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mail = mail.unwrap_or_else(|| panic!("no confirmation in {}", outbox.display()));
    let link = mail
        .lines()
        .find_map(|l| l.trim().strip_prefix("Your order online: "))
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        link.starts_with(&format!("http://localhost:{frontend}/orders/{order}?key=")),
        "the link names the frontend that was started: {link}"
    );

    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = stranger.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200, "{link}");
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Open Source Meetup") && page.contains("Grace Guest"),
        "{page}"
    );
}
