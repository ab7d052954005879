//! Redis killed (`kill -9`) under load: a gateway and two backends share a private
//! `redis-server` for rate-limit windows and caches while buyers keep arriving through the
//! gateway. Redis dies mid-sale and comes back later; every purchase attempt is answered
//! (never a 5xx, never a dropped connection) and every purchase completes: sales continue.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bilten_test_support::needs;
use serde_json::json;

use super::ledger::{assert_ledger_balanced, assert_nothing_lost};
use super::load::Load;
use crate::processes::api::Api;
use crate::processes::{
    data_dir, free_port, fresh_database, require_psql, spawn_role, wait_ready, Process,
};

/// A private redis-server on `port`, killed with SIGKILL when dropped.
fn start_redis(port: u16) -> Process {
    let program = needs::program("redis-server", "apt-get install redis-server");
    let child = Command::new(program)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let process = Process(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return process;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("redis-server did not listen on {port}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (TEST_DATABASE_URL), redis-server and psql"]
async fn sales_continue_through_the_gateway_when_redis_is_killed_and_comes_back() {
    let admin_url = needs::postgres();
    require_psql();
    let redis_port = free_port();
    let mut redis = Some(start_redis(redis_port));
    let data = data_dir("redis-outage");
    let (database, _) = fresh_database(&admin_url, &data);
    let shared = vec![
        ("DATABASE_URL", database.clone()),
        ("REDIS_URL", format!("redis://127.0.0.1:{redis_port}")),
        ("BILTEN_DATA_DIR", data.display().to_string()),
    ];
    let backend_ports = [free_port(), free_port()];
    let _backends: Vec<Process> = backend_ports
        .iter()
        .map(|p| spawn_role("backend", *p, &shared))
        .collect();
    let gateway_port = free_port();
    let mut gateway_env = shared.clone();
    gateway_env.push((
        "GATEWAY_UPSTREAMS_BACKEND",
        backend_ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(","),
    ));
    // Budgets large enough never to refuse this load, so every request is still counted
    // in Redis's shared windows (the part that loses its store).
    gateway_env.push((
        "GATEWAY_RATE_LIMITS",
        "orders=100000/1m,api_write=100000/1m,api_read=100000/1m,login=1000/1m,register=1000/1m"
            .to_owned(),
    ));
    // Only `/api/v1` is used here; the scanner and frontend groups point at a backend too,
    // so that the gateway (ready when every group has a healthy replica) becomes ready.
    for group in ["GATEWAY_UPSTREAMS_SCANNER", "GATEWAY_UPSTREAMS_FRONTEND"] {
        gateway_env.push((group, format!("http://127.0.0.1:{}", backend_ports[0])));
    }
    gateway_env.push(("GATEWAY_HEALTH_INTERVAL", "200ms".to_owned()));
    let _gateway = spawn_role("gateway", gateway_port, &gateway_env);
    let gateway = format!("http://127.0.0.1:{gateway_port}");
    let api = Arc::new(Api::new(vec![gateway.clone()], Duration::from_secs(30)));
    for port in backend_ports {
        wait_ready(&api.client, &format!("http://127.0.0.1:{port}")).await;
    }
    wait_ready(&api.client, &gateway).await;
    let sale = api
        .event_on_sale(&database, &[("Standing", 2500, 100_000)], json!({}))
        .await;

    let load = Load::start(
        &api,
        "redis",
        &sale.event,
        &sale.ticket_types[0],
        Duration::from_millis(40),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(redis.take()); // kill -9
    tokio::time::sleep(Duration::from_secs(4)).await;
    // Still ready (Redis is advisory), reported as degraded.
    let ready: serde_json::Value = api
        .client
        .get(format!("{gateway}/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["degraded"], true, "{ready}");
    redis.replace(start_redis(redis_port));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let record = load.finish().await;

    let purchases = record.acknowledged.len();
    assert!(purchases >= 50, "only {purchases} purchases under load");
    for attempt in &record.attempts {
        let answer = attempt
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{:?} got no answer: {e}", attempt.step));
        assert!(
            attempt.succeeded(),
            "{:?} answered {}: {}",
            attempt.step,
            answer.status,
            answer.body
        );
    }
    assert!(
        record.acknowledged.iter().all(|a| a.paid),
        "every purchase completed"
    );
    // The outage was real: the gateway's shared rate-limit windows lost their store.
    let metrics = api
        .client
        .get(format!("{gateway}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let cache_errors: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("bilten_cache_errors_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(cache_errors >= 1.0, "the gateway never missed Redis");
    eprintln!("{purchases} purchases, all paid; the gateway missed Redis {cache_errors} times");
    assert_nothing_lost(&database, &record.acknowledged);
    assert_ledger_balanced(&database);
    drop(redis);
    let _ = std::fs::remove_dir_all(&data);
}
