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

#[tokio::test]
async fn memory_delete_clears_a_window_counter_too() {
    let cache = Cache::memory("t:");
    let window = Duration::from_secs(30);
    cache.hit("k", window).await;
    cache.hit("k", window).await;
    cache.delete("k").await;
    assert_eq!(cache.hit("k", window).await.count, 1);
}

#[tokio::test]
async fn memory_claims_are_exclusive_until_they_expire() {
    let cache = Cache::memory("t:");
    let ttl = Duration::from_millis(100);
    assert_eq!(cache.claim("gate", ttl).await, Ok(()));
    let left = cache.claim("gate", ttl).await.unwrap_err();
    assert!(left <= ttl && left > Duration::ZERO, "{left:?}");
    tokio::time::sleep(Duration::from_millis(130)).await;
    assert_eq!(cache.claim("gate", ttl).await, Ok(()));
    cache.delete("gate").await;
    assert_eq!(cache.claim("gate", ttl).await, Ok(()));
}

#[tokio::test]
async fn memory_release_gives_back_a_hit_but_never_below_zero() {
    let cache = Cache::memory("t:");
    let window = Duration::from_secs(30);
    cache.hit("k", window).await;
    cache.hit("k", window).await;
    cache.release("k").await;
    assert_eq!(cache.add("k", 0, window).await.count, 1);
    cache.release("k").await;
    cache.release("k").await;
    assert_eq!(cache.add("k", 0, window).await.count, 0);
    // Releasing a window that does not exist does not start one.
    cache.release("absent").await;
    assert_eq!(cache.hit("absent", window).await.count, 1);
}

#[tokio::test]
async fn the_prefix_separates_deployments_in_memory() {
    // One process with two deployments' caches (as `REDIS_PREFIX` would split them).
    let a = Cache::memory("bilten-a:");
    let b = Cache::memory("bilten-b:");
    let window = Duration::from_secs(30);
    a.hit("login", window).await;
    assert_eq!(a.add("login", 0, window).await.count, 1);
    assert_eq!(b.add("login", 0, window).await.count, 0);
}

fn redis_settings() -> RedisSettings {
    let url = std::env::var("TEST_REDIS_URL")
        .expect("this test needs Redis: set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379)");
    RedisSettings {
        url,
        password: None,
        op_timeout: Duration::from_millis(500),
    }
}

fn unique(label: &str) -> String {
    format!("{label}-{}", rand_suffix())
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Keys land in Redis under the configured prefix (what `REDIS_PREFIX` sets), and caches
/// with other prefixes do not see each other's counters.
#[tokio::test]
#[ignore = "needs Redis (TEST_REDIS_URL)"]
async fn redis_keys_carry_the_prefix_and_prefixes_do_not_share_counters() {
    let settings = redis_settings();
    let prefix_a = unique("bilten-test-a") + ":";
    let prefix_b = unique("bilten-test-b") + ":";
    let a = Cache::redis(&settings, prefix_a.clone()).unwrap();
    let b = Cache::redis(&settings, prefix_b.clone()).unwrap();
    a.ping().await.expect("TEST_REDIS_URL answers");
    let window = Duration::from_secs(30);
    for _ in 0..3 {
        a.hit("rl:login", window).await;
    }
    b.hit("rl:login", window).await;
    assert_eq!(a.add("rl:login", 0, window).await.count, 3);
    assert_eq!(b.add("rl:login", 0, window).await.count, 1);

    // Read the raw keys with a plain client: the prefix is really in front.
    let client = redis::Client::open(settings.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let raw_a: Option<i64> = redis::AsyncCommands::get(&mut conn, format!("{prefix_a}rl:login"))
        .await
        .unwrap();
    let raw_b: Option<i64> = redis::AsyncCommands::get(&mut conn, format!("{prefix_b}rl:login"))
        .await
        .unwrap();
    let unprefixed: Option<i64> = redis::AsyncCommands::get(&mut conn, "rl:login")
        .await
        .unwrap();
    assert_eq!((raw_a, raw_b), (Some(3), Some(1)));
    assert_eq!(unprefixed, None);
    assert_eq!(a.inner.errors.get() + b.inner.errors.get(), 0);
}

#[tokio::test]
#[ignore = "needs Redis (TEST_REDIS_URL)"]
async fn redis_claims_and_releases_are_shared_between_cache_instances() {
    let settings = redis_settings();
    let prefix = unique("bilten-test-claim") + ":";
    let a = Cache::redis(&settings, prefix.clone()).unwrap();
    let b = Cache::redis(&settings, prefix).unwrap();
    a.ping().await.expect("TEST_REDIS_URL answers");
    let ttl = Duration::from_secs(5);
    // Many concurrent claimants on two "replicas": exactly one wins.
    let attempts = (0..20).map(|i| {
        let cache = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move { cache.claim("gate", ttl).await }
    });
    let outcomes = futures::future::join_all(attempts).await;
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes
        .iter()
        .filter_map(|o| o.err())
        .all(|left| left <= ttl && left > Duration::from_secs(3)));
    b.delete("gate").await;
    assert_eq!(a.claim("gate", ttl).await, Ok(()));

    let window = Duration::from_secs(30);
    a.hit("w", window).await;
    b.hit("w", window).await;
    b.release("w").await;
    assert_eq!(a.add("w", 0, window).await.count, 1);
    a.release("w").await;
    a.release("w").await;
    assert_eq!(b.add("w", 0, window).await.count, 0);
    a.release("never-started").await;
    assert_eq!(a.add("never-started", 0, window).await.resets_in, window);
    assert_eq!(a.inner.errors.get() + b.inner.errors.get(), 0);
}
