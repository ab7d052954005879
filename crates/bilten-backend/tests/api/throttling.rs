//! Login budgets (issue #12, item 9): every attempt is counted before its password is checked,
//! so parallel guesses cannot outrun the budget, and a stranger's failures slow the owner
//! down only briefly (see `auth::throttle` and docs/API.md).

use std::time::Duration;

use bilten_cache::{Cache, RedisSettings};
use bilten_test_support::{test_store, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Password checks per account and address per window (`auth::throttle::PAIR_BUDGET`).
const PAIR_BUDGET: usize = 10;
const WRONG: &str = "definitely wrong password";

/// `POST /auth/login` as if from `ip` (the test server trusts `X-Forwarded-For` from
/// loopback, as it does from the gateway): status, body and `Retry-After`.
async fn login_from(
    app: &TestApp,
    email: &str,
    password: &str,
    ip: &str,
) -> (StatusCode, Value, Option<u64>) {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, retry_after)
}

/// `bilten_password_verifications_total` as the backend's `/metrics` shows it.
async fn verifications(app: &TestApp) -> u64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("bilten_password_verifications_total "))
        .unwrap_or_else(|| panic!("no password verification counter in /metrics:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

/// 200 wrong passwords at once for one account from one address: at most the budget is
/// checked, every answer is 401 or 429, and a 401 is exactly a checked password.
async fn two_hundred_parallel_guesses_on(app: &TestApp) {
    let user = app.signed_up_user("Target").await;
    let before = verifications(app).await;
    let guesses = (0..200).map(|_| login_from(app, &user.email, WRONG, "198.51.100.7"));
    let answers = futures::future::join_all(guesses).await;
    let checked = verifications(app).await - before;
    let refused = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = answers
        .iter()
        .filter(|(s, b, _)| {
            *s == StatusCode::TOO_MANY_REQUESTS && b["error"]["code"] == "too_many_attempts"
        })
        .count();
    assert_eq!(refused + limited, 200, "{answers:?}");
    assert!(
        checked as usize <= PAIR_BUDGET,
        "{checked} password checks for 200 parallel guesses"
    );
    assert_eq!(checked as usize, refused);
    assert!(refused >= 1);
    // The owner, from elsewhere, is not locked out.
    let (status, body, _) = login_from(app, &user.email, &user.password, "203.0.113.9").await;
    assert!(
        status == StatusCode::OK || status == StatusCode::TOO_MANY_REQUESTS,
        "{status}: {body}"
    );
}

#[tokio::test]
async fn parallel_wrong_passwords_get_at_most_the_budget_checked() {
    // The shared cache of the run: Redis in CI (`TEST_REDIS_URL`), else in-process.
    let app = TestApp::spawn().await;
    two_hundred_parallel_guesses_on(&app).await;
}

#[tokio::test]
async fn parallel_wrong_passwords_get_at_most_the_budget_checked_on_the_in_process_cache() {
    let (store, database) = test_store().await;
    let cache = Cache::memory(format!("bilten-test:{}:", uuid::Uuid::new_v4().simple()));
    let app = TestApp::spawn_with(store, database, cache).await;
    two_hundred_parallel_guesses_on(&app).await;
}

/// Two replicas, each with its own connection to one Redis: the budget is shared, so 100
/// guesses at each still get at most the budget checked in total.
#[tokio::test]
#[ignore = "needs Redis (TEST_REDIS_URL)"]
async fn replicas_sharing_redis_share_one_budget() {
    let url = bilten_test_support::needs::redis();
    let settings = RedisSettings {
        url,
        password: None,
        op_timeout: Duration::from_millis(500),
    };
    let prefix = format!("bilten-test:{}:", uuid::Uuid::new_v4().simple());
    let mut apps = Vec::new();
    for _ in 0..2 {
        let (store, database) = test_store().await;
        let cache = Cache::redis(&settings, prefix.clone()).unwrap();
        cache.ping().await.expect("TEST_REDIS_URL answers");
        apps.push(TestApp::spawn_with(store, database, cache).await);
    }
    // An email with no account: the dummy hash is checked, and counted, all the same.
    let email = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());
    let before = verifications(&apps[0]).await + verifications(&apps[1]).await;
    let guesses = (0..200).map(|i| login_from(&apps[i % 2], &email, WRONG, "198.51.100.8"));
    let answers = futures::future::join_all(guesses).await;
    let checked = verifications(&apps[0]).await + verifications(&apps[1]).await - before;
    assert!(answers
        .iter()
        .all(|(s, _, _)| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS));
    assert!(
        checked as usize <= PAIR_BUDGET,
        "{checked} checks over two replicas"
    );
}

#[tokio::test]
async fn an_address_that_spent_its_budget_gets_429_even_with_the_right_password() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Target").await;
    let mut statuses = Vec::new();
    for _ in 0..PAIR_BUDGET {
        statuses.push(
            login_from(&app, &user.email, WRONG, "198.51.100.20")
                .await
                .0,
        );
    }
    // Failures first, then the account's back-off answers 429 between checks.
    assert_eq!(statuses[..5], [StatusCode::UNAUTHORIZED; 5], "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let (status, body, retry_after) =
        login_from(&app, &user.email, &user.password, "198.51.100.20").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many_attempts");
    assert!(retry_after.is_some_and(|s| s > 60), "{retry_after:?}");

    // An unknown email is throttled the same way, so 429 reveals nothing.
    for _ in 0..PAIR_BUDGET {
        login_from(&app, "ghost@example.com", WRONG, "198.51.100.21").await;
    }
    assert_eq!(
        login_from(&app, "ghost@example.com", "x y z w v u", "198.51.100.21")
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_strangers_failures_do_not_lock_the_owner_out() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Owner").await;
    let home = "192.0.2.10";
    assert_eq!(
        login_from(&app, &user.email, &user.password, home).await.0,
        StatusCode::OK
    );

    // A stranger hammers the account until refused.
    for _ in 0..30 {
        login_from(&app, &user.email, WRONG, "198.51.100.30").await;
    }
    assert_eq!(
        login_from(&app, &user.email, &user.password, "198.51.100.30")
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The owner at an address they logged in from before: straight in.
    let (status, body, _) = login_from(&app, &user.email, &user.password, home).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Another stranger; then the owner from a new address waits out at most the back-off.
    for _ in 0..30 {
        login_from(&app, &user.email, WRONG, "198.51.100.31").await;
    }
    let mut waited = 0;
    let mut answer = StatusCode::TOO_MANY_REQUESTS;
    for _ in 0..5 {
        let (status, body, retry_after) =
            login_from(&app, &user.email, &user.password, "192.0.2.99").await;
        answer = status;
        if status != StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(status, StatusCode::OK, "{body}");
            break;
        }
        let wait = retry_after.expect("429 says when to retry");
        assert!(wait <= 60, "the owner is asked to wait {wait} s");
        waited += wait;
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
    assert_eq!(
        answer,
        StatusCode::OK,
        "still refused after waiting {waited} s"
    );
}

#[tokio::test]
async fn a_successful_login_resets_the_account_counter() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Sloppy").await;
    for _ in 0..4 {
        app.login(&user.email, WRONG).await;
    }
    assert_eq!(
        app.login(&user.email, &user.password).await.0,
        StatusCode::OK
    );
    for _ in 0..4 {
        app.login(&user.email, WRONG).await;
    }
    assert_eq!(
        app.login(&user.email, &user.password).await.0,
        StatusCode::OK
    );
}
