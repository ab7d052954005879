//! Running `bilten` roles as real processes, for the tests that prove the production shape
//! (several replicas on one PostgreSQL and Redis) rather than one in-process app.
//!
//! Shared by the process-level tests (`topology`, `replicas` and the fault battery),
//! modules of the same test binary.
#![expect(
    clippy::expect_used,
    reason = "test support: a failed setup is a failed test, with its message"
)]
#![expect(
    clippy::unwrap_used,
    reason = "test support: a failed unwrap is a failed test"
)]

pub mod api;
pub mod cluster;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bilten_test_support::needs;

pub const BIN: &str = env!("CARGO_BIN_EXE_bilten");

/// A child process killed (and reaped) when dropped, so a failing test leaves nothing behind.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `(TEST_DATABASE_URL, TEST_REDIS_URL)`, and `psql` to set up and check databases with.
/// Panics naming what is missing: the tests using it are `#[ignore = "needs …"]`.
pub fn services() -> (String, String) {
    let services = needs::postgres_and_redis();
    require_psql();
    services
}

/// `psql`, which sets databases up and checks them ([`psql`], [`fresh_database`]).
pub fn require_psql() {
    needs::program("psql", "apt-get install postgresql-client");
}

/// A fresh, empty directory for one test's data (`BILTEN_DATA_DIR`).
pub fn data_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("bilten-tests")
        .join(format!("{test}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One SQL statement through `psql`, unaligned; the first row's fields.
pub fn psql(url: &str, sql: &str) -> Vec<String> {
    let output = Command::new("psql")
        .args([url, "-Atc", sql])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .split('|')
        .map(ToOwned::to_owned)
        .collect()
}

/// A fresh database on the test server, migrated by `bilten migrate` as the migration Job
/// would: `(url, name)`.
pub fn fresh_database(admin_url: &str, data_dir: &Path) -> (String, String) {
    let name = format!("bilten_test_{}", uuid::Uuid::new_v4().simple());
    psql(admin_url, &format!("CREATE DATABASE {name}"));
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
    (url, name)
}

/// `bilten <role>` as its container would run it: production settings from the environment,
/// fixed test secrets, `envs` on top.
pub fn spawn_role(role: &str, port: u16, envs: &[(&str, String)]) -> Process {
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
            "processes-access-secret-0123456789abcdef",
        )
        .env(
            "JWT_REFRESH_SECRET",
            "processes-refresh-secret-0123456789abcd",
        )
        .env(
            "TICKET_SIGNING_SECRET",
            "processes-ticket-signing-secret-0123456789",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (key, value) in envs {
        command.env(key, value);
    }
    // `BILTEN_TEST_LOGS=DIR` keeps each process's log (at info) for a failure's post-mortem.
    if let Ok(dir) = std::env::var("BILTEN_TEST_LOGS") {
        std::fs::create_dir_all(&dir).unwrap();
        let log = std::fs::File::create(format!("{dir}/{role}-{port}.log")).unwrap();
        command.env("RUST_LOG", "info").stdout(log);
    }
    Process(command.spawn().unwrap())
}

/// Waits (up to 20 s) until `base/ready` answers 2xx.
pub async fn wait_ready(client: &reqwest::Client, base: &str) {
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
