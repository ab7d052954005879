use std::time::Duration;

use super::*;

#[tokio::test]
async fn memory_values_expire() {
    let cache = Cache::memory("t:");
    cache.set("a", "1", Duration::from_millis(50)).await;
    assert_eq!(cache.get("a").await.as_deref(), Some("1"));
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(cache.get("a").await, None);
}

#[tokio::test]
async fn memory_windows_count_and_reset() {
    let cache = Cache::memory("t:");
    let window = Duration::from_millis(100);
    assert_eq!(cache.hit("k", window).await.count, 1);
    assert_eq!(cache.hit("k", window).await.count, 2);
    assert_eq!(cache.add("k", 0, window).await.count, 2);
    tokio::time::sleep(Duration::from_millis(130)).await;
    assert_eq!(cache.hit("k", window).await.count, 1);
}

#[tokio::test]
async fn an_unreachable_redis_falls_back_to_memory_and_counts_errors() {
    // Port 1 on loopback refuses connections at once.
    let settings = RedisSettings {
        url: "redis://127.0.0.1:1".to_owned(),
        password: None,
        op_timeout: Duration::from_millis(200),
    };
    let cache = Cache::redis(&settings, "t:").unwrap();
    cache.set("a", "1", Duration::from_secs(5)).await;
    assert_eq!(cache.get("a").await.as_deref(), Some("1"));
    assert_eq!(cache.hit("w", Duration::from_secs(5)).await.count, 1);
    assert!(cache.ping().await.is_err());
    assert!(cache.inner.errors.get() >= 3);
}

/// Runs against the Redis named by `TEST_REDIS_URL` (`.ci/run` sets it); run without one it
/// fails, it never passes without testing anything.
#[tokio::test]
#[ignore = "needs Redis (TEST_REDIS_URL)"]
async fn redis_windows_are_shared_between_cache_instances() {
    let url = match std::env::var("TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "this test needs Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379 (.ci/run does)"
        ),
    };
    let settings = RedisSettings {
        url,
        password: None,
        op_timeout: Duration::from_millis(500),
    };
    let prefix = format!("bilten-test:{}:", std::process::id());
    let a = Cache::redis(&settings, prefix.clone()).unwrap();
    let b = Cache::redis(&settings, prefix).unwrap();
    a.ping().await.expect("TEST_REDIS_URL answers");
    let window = Duration::from_secs(30);
    let key = format!(
        "shared-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    for _ in 0..5 {
        a.hit(&key, window).await;
        b.hit(&key, window).await;
    }
    let reading = a.add(&key, 0, window).await;
    assert_eq!(reading.count, 10);
    assert!(reading.resets_in <= window && reading.resets_in > Duration::from_secs(20));
    a.set("v", "x", window).await;
    assert_eq!(b.get("v").await.as_deref(), Some("x"));
    b.delete("v").await;
    assert_eq!(a.get("v").await, None);
    assert_eq!(a.inner.errors.get(), 0);
}
