//! `bilten bench`, run tiny: each scenario starts the platform, drives its load, and reports
//! numbers that add up — every ticket sold exactly once (read back from the database), every
//! scan admitted once, every page answered — and writes its section of the Markdown file
//! without touching the rest.
//!
//! The embedded default needs nothing but Rust; the PostgreSQL run needs `TEST_DATABASE_URL`
//! (a server where the user may `CREATE DATABASE`) and uses `TEST_REDIS_URL` when set.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_bilten");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("bilten-tests")
        .join(format!("bench-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `bilten bench ARGS --out … --json …` and returns (report, Markdown, stdout).
fn bench(dir: &Path, args: &[&str]) -> (Value, String, String) {
    let markdown = dir.join("BENCHMARKS.md");
    std::fs::write(&markdown, "# Benchmarks\n\nHand-written text stays.\n").unwrap();
    let json = dir.join("report.json");
    let output = Command::new(BIN)
        .arg("bench")
        .args(args)
        .arg("--out")
        .arg(&markdown)
        .arg("--json")
        .arg(&json)
        .env_remove("DATABASE_URL")
        .env("BILTEN_DATA_DIR", dir.join("caller-data"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "bilten bench {args:?} failed\n--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let markdown = std::fs::read_to_string(&markdown).unwrap();
    assert!(markdown.starts_with("# Benchmarks\n\nHand-written text stays.\n"));
    (report, markdown, stdout)
}

fn phase<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no phase {name} in {report:#}"))
}

fn count(phase: &Value) -> f64 {
    phase["count"].as_f64().unwrap()
}

/// Latency, CPU and statements of a phase that did `expected` units of work without errors,
/// each of which reads the database at least once.
fn assert_sane(phase: &Value, expected: u64) {
    assert_answered(phase, expected);
    let usage = &phase["usage"];
    let statements = usage["statements"].as_f64().unwrap();
    assert!(statements >= count(phase), "{usage}");
}

/// Latency and CPU of a phase that did `expected` units of work without errors.
fn assert_answered(phase: &Value, expected: u64) {
    assert_eq!(phase["count"], expected, "{phase:#}");
    assert_eq!(phase["errors"], 0, "{phase:#}");
    let latency = &phase["latency"];
    let (p50, p99) = (
        latency["p50_ms"].as_f64().unwrap(),
        latency["p99_ms"].as_f64().unwrap(),
    );
    assert!(p50 > 0.0 && p50 <= p99 && p99 < 60_000.0, "{latency}");
    assert!(phase["seconds"].as_f64().unwrap() > 0.0);
    let usage = &phase["usage"];
    // CPU is read in 10 ms ticks: some work always shows.
    assert!(usage["server_cpu_ms"].as_f64().unwrap() > 0.0, "{usage}");
}

fn assert_checks_pass(report: &Value) {
    let checks = report["checks"].as_array().unwrap();
    assert!(!checks.is_empty());
    for check in checks {
        assert_eq!(check["ok"], true, "{check}");
    }
}

#[test]
fn flash_on_the_embedded_default_sells_exactly_the_quota_and_measures_it() {
    let dir = scratch("flash");
    let (report, markdown, _) = bench(
        &dir,
        &[
            "flash",
            "--flow",
            "one-step",
            "--quota",
            "50",
            "--concurrency",
            "5",
            "--sold-out-seconds",
            "1",
        ],
    );
    let sale = phase(&report, "sale");
    assert_sane(sale, 50);
    let sold_out = phase(&report, "sold-out answers");
    assert_eq!(sold_out["errors"], 0);
    assert!(count(sold_out) > 0.0);
    assert_checks_pass(&report);
    let oversold = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with("oversold"))
        .unwrap();
    assert_eq!(oversold["actual"], "0");
    let serve = &report["processes"][0];
    assert_eq!(serve["name"], "serve");
    assert!(serve["peak_rss_mib"].as_f64().unwrap() > 1.0);
    assert!(markdown
        .contains("<!-- bench: flash | embedded default (SQLite), one-step purchase | C=5 -->"));
    assert!(
        markdown.contains("| sale (purchases) | 50 | 0 |"),
        "{markdown}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn checkin_through_the_embedded_gateway_admits_every_ticket_once() {
    let dir = scratch("checkin");
    // Through the gateway: purchases and scans from one address pass its rate limits.
    let (report, markdown, _) = bench(
        &dir,
        &[
            "checkin",
            "--quota",
            "40",
            "--concurrency",
            "5",
            "--gateway",
        ],
    );
    assert_sane(phase(&report, "issue"), 40);
    assert_sane(phase(&report, "redeem"), 40);
    assert_checks_pass(&report);
    assert!(
        markdown.contains("| redeem (scans) | 40 | 0 |"),
        "{markdown}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reads_on_the_embedded_default_answer_every_page() {
    let dir = scratch("reads");
    let (report, markdown, _) = bench(
        &dir,
        &[
            "reads",
            "--requests",
            "100",
            "--concurrency",
            "5",
            "--gateway",
        ],
    );
    // Public event reads are served from the backend's serialized copies (a second each),
    // so most of them read no database at all.
    for page in ["API listing", "API event", "web listing", "web event page"] {
        assert_answered(phase(&report, page), 100);
    }
    assert_checks_pass(&report);
    assert!(markdown.contains("### reads · embedded default (SQLite), through the gateway · C=5"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs PostgreSQL (TEST_DATABASE_URL)"]
fn flash_on_postgres_with_two_backends_sells_exactly_the_quota_and_drops_its_database() {
    let admin = std::env::var("TEST_DATABASE_URL")
        .expect("TEST_DATABASE_URL names a PostgreSQL server for this test");
    let dir = scratch("flash-pg");
    let mut args = vec![
        "flash",
        "--database-url",
        &admin,
        "--replicas",
        "2",
        "--quota",
        "60",
        "--concurrency",
        "6",
        "--sold-out-seconds",
        "1",
    ];
    let redis = std::env::var("TEST_REDIS_URL").ok();
    if let Some(redis) = &redis {
        args.extend(["--redis-url", redis]);
    }
    let (report, markdown, stdout) = bench(&dir, &args);
    let sale = phase(&report, "sale");
    assert_sane(sale, 60);
    let pg = &sale["usage"]["postgres"];
    // The holds go through the purchase engine, which moves the counter row once per batch
    // (or not at all, selling from an inventory lease); each payment then commits and moves
    // it from held to sold on its own: at least one commit and one counter update per purchase.
    let commits = pg["commits"].as_f64().unwrap();
    let counter_updates = pg["counter_row_updates"].as_f64().unwrap();
    assert!(commits > 60.0, "{pg}");
    assert!(counter_updates > 60.0, "{pg}");
    assert!(pg["backend_cpu_ms"].as_f64().unwrap() > 0.0, "{pg}");
    assert!(sale["usage"]["transaction_statements"].as_f64().unwrap() > 0.0);
    assert_checks_pass(&report);
    let names: Vec<&str> = report["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["backend-1", "backend-2"]);
    assert!(
        markdown.contains("| sale (purchases) | 60 | 0 |"),
        "{markdown}"
    );

    // The scratch database named at the start is gone.
    let database = stdout
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|word| word.starts_with("bench_"))
        .unwrap_or_else(|| panic!("no database name in {stdout}"));
    let output = Command::new("psql")
        .args([
            &admin,
            "-Atc",
            &format!("SELECT count(*) FROM pg_database WHERE datname = '{database}'"),
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "0");
    let _ = std::fs::remove_dir_all(&dir);
}
