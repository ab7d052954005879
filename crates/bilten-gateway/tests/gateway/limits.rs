//! Rate limits: budgets per route, per user or address, shared through Redis, local when
//! Redis is gone.

use std::time::Duration;

use bilten_cache::{Cache, RedisSettings};

use crate::helpers::{env_for, header, http_client, now, tokens, unique, with, Gateway, Upstream};

struct Site {
    gateway: Gateway,
    backend: Upstream,
    _other: Upstream,
}

async fn site(limits: &str, cache: Option<Cache>) -> Site {
    let backend = Upstream::start("backend").await;
    let other = Upstream::start("other").await;
    let env = with(
        env_for(&[&backend], &[&other], &[&other]),
        &[("GATEWAY_RATE_LIMITS", limits)],
    );
    let gateway = match cache {
        Some(cache) => Gateway::start_with_cache(&env, cache).await,
        None => Gateway::start(&env).await,
    };
    Site {
        gateway,
        backend,
        _other: other,
    }
}

/// The Redis to test against: `TEST_REDIS_URL` (`.ci/run` sets it). A test that needs it is
/// `#[ignore = "needs Redis …"]` and fails without it, never passes without testing anything.
fn redis_url() -> String {
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "this test needs Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379 (.ci/run does)"
        ),
    }
}

fn redis_cache(url: &str, prefix: &str) -> Cache {
    let settings = RedisSettings {
        url: url.to_owned(),
        password: None,
        op_timeout: Duration::from_millis(500),
    };
    Cache::redis(&settings, prefix.to_owned()).unwrap()
}

async fn login(gateway: &Gateway) -> reqwest::Response {
    http_client()
        .post(gateway.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "a@example.com", "password": "guess"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_strict_budget_answers_429_with_retry_after_and_rate_limit_headers() {
    let site = site("login=3/1m", None).await;
    for remaining in ["2", "1", "0"] {
        let response = login(&site.gateway).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(response.headers(), "ratelimit-limit"), Some("3"));
        assert_eq!(
            header(response.headers(), "ratelimit-remaining"),
            Some(remaining)
        );
        assert_eq!(
            header(response.headers(), "ratelimit-policy"),
            Some("3;w=60")
        );
    }
    let refused = login(&site.gateway).await;
    assert_eq!(refused.status(), 429);
    let h = refused.headers();
    let retry_after: u64 = header(h, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(header(h, "ratelimit-remaining"), Some("0"));
    assert_eq!(
        header(h, "ratelimit-reset"),
        Some(retry_after.to_string().as_str())
    );
    assert_eq!(header(h, "x-content-type-options"), Some("nosniff"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(
        site.backend.hits(),
        3,
        "a refused request reached the backend"
    );
    assert_eq!(
        site.gateway
            .metric("bilten_rate_limited_total{route_group=\"login\",scope=\"ip\"}"),
        Some(1)
    );

    // Reads have their own, generous budget.
    let events = http_client()
        .get(site.gateway.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert_eq!(header(events.headers(), "ratelimit-limit"), Some("1200"));
}

#[tokio::test]
async fn signed_in_users_are_counted_by_user_not_by_address() {
    let site = site("orders=2/1m", None).await;
    let client = http_client();
    let order = |user: &str| {
        let token = tokens().issue(user, "ses_1", "user", now());
        client
            .post(site.gateway.url("/api/v1/orders"))
            .bearer_auth(token)
            .json(&serde_json::json!({"lines": []}))
            .send()
    };
    assert_eq!(order("usr_a").await.unwrap().status(), 200);
    assert_eq!(order("usr_a").await.unwrap().status(), 200);
    assert_eq!(order("usr_a").await.unwrap().status(), 429);
    // Same address, another person: a budget of their own.
    assert_eq!(order("usr_b").await.unwrap().status(), 200);
    assert_eq!(
        site.gateway
            .metric("bilten_rate_limited_total{route_group=\"orders\",scope=\"user\"}"),
        Some(1)
    );
}

/// A budget of N per minute is N in total across two gateways, not 2N.
#[tokio::test]
#[ignore = "needs Redis (TEST_REDIS_URL)"]
async fn two_gateways_share_one_budget_through_redis() {
    let url = redis_url();
    let prefix = format!("bilten-test:gateway:{}:", unique());
    let first = site("login=10/1m", Some(redis_cache(&url, &prefix))).await;
    let second = site("login=10/1m", Some(redis_cache(&url, &prefix))).await;
    let send = |gateway: &Gateway| {
        let gateway_url = gateway.url("/api/v1/auth/login");
        async move {
            let client = http_client();
            let mut allowed = 0;
            for _ in 0..15 {
                let response = client.post(&gateway_url).body("{}").send().await.unwrap();
                match response.status().as_u16() {
                    200 => allowed += 1,
                    429 => {}
                    other => panic!("unexpected {other}"),
                }
            }
            allowed
        }
    };
    let (a, b) = tokio::join!(send(&first.gateway), send(&second.gateway));
    assert!(
        (9..=11).contains(&(a + b)),
        "{a} + {b} allowed for a budget of 10"
    );
    assert_eq!(first.backend.hits() + second.backend.hits(), a + b);
    let refused = |gateway: &Gateway| {
        gateway
            .metric("bilten_rate_limited_total{route_group=\"login\",scope=\"ip\"}")
            .unwrap_or(0)
    };
    assert_eq!(
        refused(&first.gateway) + refused(&second.gateway),
        (30 - a - b) as u64
    );
    assert_eq!(
        first.gateway.metric("bilten_cache_errors_total"),
        Some(0),
        "Redis failed during the test"
    );
}

#[tokio::test]
async fn with_redis_unreachable_the_gateway_serves_with_local_limits() {
    // Port 1 on loopback refuses connections at once.
    let cache = redis_cache("redis://127.0.0.1:1", &format!("t:{}:", unique()));
    let site = site("login=3/1m", Some(cache)).await;
    let statuses = [
        login(&site.gateway).await.status(),
        login(&site.gateway).await.status(),
        login(&site.gateway).await.status(),
        login(&site.gateway).await.status(),
    ];
    assert_eq!(statuses.map(|s| s.as_u16()), [200, 200, 200, 429]);
    let page = http_client()
        .get(site.gateway.url("/"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(site.gateway.metric("bilten_cache_errors_total") >= Some(1));

    // Still ready (limits fall back to this process), but reported as degraded.
    let ready = http_client()
        .get(site.gateway.url("/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let report: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(report["degraded"], true, "{report}");
    assert!(report["checks"]["redis"]
        .as_str()
        .unwrap()
        .starts_with("error"));
}
