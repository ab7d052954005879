//! Redis going away must not take the API down: the cache degrades to in-process. Needs
//! `redis-server` (a private one is started and killed), so it is ignored by plain
//! `cargo test` and run by `.ci/run`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bilten_cache::{Cache, RedisSettings};
use bilten_test_support::{needs, test_store, TestApp};
use reqwest::StatusCode;

struct RedisServer(Child);

impl Drop for RedisServer {
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

/// Starts a private redis-server so killing it cannot disturb other tests.
fn start_redis(port: u16) -> RedisServer {
    let program = needs::program("redis-server", "apt-get install redis-server");
    let child = Command::new(program)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    RedisServer(child)
}

#[tokio::test]
#[ignore = "needs redis-server"]
async fn me_keeps_working_when_redis_dies_mid_run() {
    let port = free_port();
    let redis = start_redis(port);
    let settings = RedisSettings {
        url: format!("redis://127.0.0.1:{port}"),
        password: None,
        op_timeout: Duration::from_millis(200),
    };
    let cache = Cache::redis(&settings, "outage:").unwrap();
    let mut up = false;
    for _ in 0..50 {
        if cache.ping().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "private redis-server did not start");

    let (store, database) = test_store().await;
    let app = TestApp::spawn_with(store, database, cache).await;
    let user = app.signed_up_user("Survivor").await;
    assert_eq!(app.get("/ready", None).await.0, StatusCode::OK);

    drop(redis);
    tokio::time::sleep(Duration::from_millis(100)).await;

    for _ in 0..5 {
        let (status, body) = app.get("/api/v1/me", Some(&user.access_token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Login uses the cache for throttling: it degrades to local counters and still works.
    assert_eq!(
        app.login(&user.email, &user.password).await.0,
        StatusCode::OK
    );
    // Readiness tells operators Redis is gone, but keeps the replica in rotation: it still
    // sells on the in-process fallback.
    let (status, body) = app.get("/ready", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["degraded"], true, "{body}");
    assert!(body["checks"]["cache"]
        .as_str()
        .unwrap()
        .starts_with("error"));
}
