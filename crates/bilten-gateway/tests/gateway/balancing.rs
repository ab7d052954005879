//! Load balancing, health checks, ejection, retries and the 502/503/504 answers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::{env_for, eventually, http_client, now, tokens, with, Gateway, Upstream};

fn bearer() -> String {
    tokens().issue("usr_lb", "ses_lb", "user", now())
}

async fn error_code(response: reqwest::Response) -> String {
    let body: serde_json::Value = response.json().await.unwrap();
    body["error"]["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn requests_spread_over_every_backend() {
    let backends = [
        Upstream::start("b1").await,
        Upstream::start("b2").await,
        Upstream::start("b3").await,
    ];
    let other = Upstream::start("other").await;
    let refs: Vec<&Upstream> = backends.iter().collect();
    let gateway = Gateway::start(&env_for(&refs, &[&other], &[&other])).await;
    gateway.wait_ready().await;
    let client = http_client();
    let token = bearer();
    for _ in 0..60 {
        let response = client
            .get(gateway.url("/api/v1/whoami"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let hits: Vec<usize> = backends.iter().map(Upstream::hits).collect();
    assert_eq!(hits.iter().sum::<usize>(), 60);
    assert!(hits.iter().all(|h| *h >= 10), "uneven spread {hits:?}");
}

/// The issue's scenario: kill one of three backends mid-run under steady GET traffic. No
/// request fails, the gateway stops trying the dead one within a few seconds, and sends to it
/// again once it is back.
#[tokio::test]
async fn a_killed_backend_loses_no_idempotent_request_and_rejoins_when_restarted() {
    let mut backends = [
        Upstream::start("b1").await,
        Upstream::start("b2").await,
        Upstream::start("b3").await,
    ];
    let other = Upstream::start("other").await;
    let refs: Vec<&Upstream> = backends.iter().collect();
    let env = with(
        env_for(&refs, &[&other], &[&other]),
        &[("GATEWAY_EJECT_FOR", "1s")],
    );
    let gateway = Arc::new(Gateway::start(&env).await);
    gateway.wait_ready().await;

    let stop = Arc::new(AtomicBool::new(false));
    let statuses: Arc<Mutex<HashMap<u16, usize>>> = Arc::default();
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (gateway, stop, statuses) = (gateway.clone(), stop.clone(), statuses.clone());
        workers.push(tokio::spawn(async move {
            let client = http_client();
            let token = bearer();
            while !stop.load(Ordering::SeqCst) {
                let status = match client
                    .get(gateway.url("/api/v1/whoami"))
                    .bearer_auth(&token)
                    .send()
                    .await
                {
                    Ok(response) => response.status().as_u16(),
                    Err(_) => 0,
                };
                *statuses.lock().unwrap().entry(status).or_default() += 1;
            }
        }));
    }

    tokio::time::sleep(Duration::from_millis(400)).await;
    let victim = backends[1].addr;
    backends[1].kill();
    let killed_at = Instant::now();

    let healthy = format!("bilten_upstream_healthy{{group=\"backend\",upstream=\"{victim}\"}}");
    assert!(
        eventually(Duration::from_secs(3), || gateway.metric(&healthy)
            == Some(0))
        .await,
        "the dead backend is still marked healthy"
    );
    let attempts = || {
        ["connect_error", "error", "timeout"]
            .iter()
            .filter_map(|status| {
                gateway.metric(&format!(
                    "bilten_gateway_upstream_requests_total{{group=\"backend\",status=\"{status}\",upstream=\"{victim}\"}}"
                ))
            })
            .sum::<u64>()
    };
    // The ejection (1s) runs out meanwhile; the failed health checks keep it out.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let settled = attempts();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        attempts(),
        settled,
        "the gateway still sends to the dead backend"
    );
    assert!(killed_at.elapsed() < Duration::from_secs(8));

    let before = backends[1].hits();
    backends[1].restart().await;
    assert!(
        eventually(Duration::from_secs(5), || backends[1].hits() > before).await,
        "the restarted backend gets no traffic"
    );

    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }
    let statuses = statuses.lock().unwrap().clone();
    let total: usize = statuses.values().sum();
    assert_eq!(
        statuses.get(&200).copied(),
        Some(total),
        "lost requests: {statuses:?}"
    );
    assert!(total > 100, "too little traffic to mean anything: {total}");
    assert!(backends[0].hits() > 0 && backends[2].hits() > 0);
}

#[tokio::test]
async fn a_backend_failing_its_ready_check_gets_no_traffic_until_it_passes() {
    let backends = [Upstream::start("b1").await, Upstream::start("b2").await];
    let other = Upstream::start("other").await;
    let refs: Vec<&Upstream> = backends.iter().collect();
    let gateway = Gateway::start(&env_for(&refs, &[&other], &[&other])).await;
    gateway.wait_ready().await;
    let client = http_client();
    let token = bearer();
    let send = |n: usize| {
        let (client, url, token) = (client.clone(), gateway.url("/api/v1/whoami"), token.clone());
        async move {
            for _ in 0..n {
                let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
                assert_eq!(response.status(), 200);
            }
        }
    };

    backends[1].set_ready(false);
    let gauge = format!(
        "bilten_upstream_healthy{{group=\"backend\",upstream=\"{}\"}}",
        backends[1].addr
    );
    assert!(eventually(Duration::from_secs(3), || gateway.metric(&gauge) == Some(0)).await);
    let before = backends[1].hits();
    send(10).await;
    assert_eq!(backends[1].hits(), before, "an unready backend got traffic");

    backends[1].set_ready(true);
    assert!(eventually(Duration::from_secs(3), || gateway.metric(&gauge) == Some(1)).await);
    send(10).await;
    assert!(backends[1].hits() > before);
}

/// How a misbehaving replica answers everything but `/ready`.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// Closes the connection after reading the request headers, without an answer.
    Drop,
    /// Promises 100 bytes and closes after 10.
    Truncate,
}

/// Accepts connections and answers `/ready`, but fails every other request: a replica that
/// dies while handling it.
async fn misbehaving_upstream(how: Misbehaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    if buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                if buffer.starts_with(b"GET /ready ") {
                    let _ = stream
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                } else if matches!(how, Misbehaviour::Truncate) {
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b")
                        .await;
                }
                // Dropping the stream closes the connection.
            });
        }
    });
    format!("http://{addr}")
}

/// A gateway whose backend group is one `how`-misbehaving replica and one good one, with
/// ejection effectively off so the broken replica keeps getting its share.
async fn behind_a_broken_backend(how: Misbehaviour) -> (Upstream, Upstream, Gateway) {
    let good = Upstream::start("good").await;
    let other = Upstream::start("other").await;
    let broken = misbehaving_upstream(how).await;
    let env = with(
        env_for(&[&good], &[&other], &[&other]),
        &[
            (
                "GATEWAY_UPSTREAMS_BACKEND",
                &format!("{broken},{}", good.url()),
            ),
            ("GATEWAY_EJECT_AFTER", "1000"),
        ],
    );
    let gateway = Gateway::start(&env).await;
    gateway.wait_ready().await;
    (good, other, gateway)
}

#[tokio::test]
async fn only_idempotent_requests_are_retried_after_the_request_was_sent() {
    let (good, _other, gateway) = behind_a_broken_backend(Misbehaviour::Drop).await;
    let client = http_client();
    let token = bearer();

    for _ in 0..6 {
        let response = client
            .get(gateway.url("/api/v1/whoami"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "a GET was lost");
    }
    assert_eq!(good.hits(), 6);
    assert!(gateway.metric("bilten_gateway_retries_total{group=\"backend\"}") >= Some(1));

    let mut bad_gateway = 0;
    for _ in 0..6 {
        let response = client
            .post(gateway.url("/api/v1/whoami"))
            .bearer_auth(&token)
            .body("{}")
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            200 => {}
            502 => {
                assert_eq!(error_code(response).await, "bad_gateway");
                bad_gateway += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(bad_gateway >= 1, "no POST went to the broken backend");
    assert_eq!(good.hits(), 6 + 6 - bad_gateway, "a sent POST was retried");
}

#[tokio::test]
async fn a_small_answer_cut_short_is_retried_or_refused_never_passed_on_truncated() {
    let (_good, _other, gateway) = behind_a_broken_backend(Misbehaviour::Truncate).await;
    let client = http_client();
    let token = bearer();
    for _ in 0..4 {
        let response = client
            .get(gateway.url("/api/v1/whoami"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "good");
    }
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = client
            .delete(gateway.url("/api/v1/whoami"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert!(
        statuses.iter().all(|s| *s == 200),
        "DELETE is idempotent: {statuses:?}"
    );
    let response = client
        .post(gateway.url("/api/v1/whoami"))
        .bearer_auth(&token)
        .body("{}")
        .send()
        .await
        .unwrap();
    let second = client
        .post(gateway.url("/api/v1/whoami"))
        .bearer_auth(&token)
        .body("{}")
        .send()
        .await
        .unwrap();
    let mut posts = [response.status().as_u16(), second.status().as_u16()];
    posts.sort_unstable();
    assert_eq!(
        posts,
        [200, 502],
        "one POST met the broken backend and was not retried"
    );
}

#[tokio::test]
async fn requests_on_refused_connections_are_retried_whatever_the_method() {
    let good = Upstream::start("good").await;
    let other = Upstream::start("other").await;
    let mut dead = Upstream::start("dead").await;
    let env = with(
        env_for(&[&dead, &good], &[&other], &[&other]),
        // No active checks after the first, and ejections that end at once: every other
        // request really tries the dead backend first.
        &[
            ("GATEWAY_HEALTH_INTERVAL", "1h"),
            ("GATEWAY_EJECT_FOR", "1ms"),
        ],
    );
    let gateway = Gateway::start(&env).await;
    gateway.wait_ready().await;
    // Let the one probe of each replica pass before the kill.
    tokio::time::sleep(Duration::from_millis(300)).await;
    dead.kill();
    let client = http_client();
    let token = bearer();
    for _ in 0..6 {
        let response = client
            .post(gateway.url("/api/v1/whoami"))
            .bearer_auth(&token)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(good.hits(), 6);
    let refused = format!(
        "bilten_gateway_upstream_requests_total{{group=\"backend\",status=\"connect_error\",upstream=\"{}\"}}",
        dead.addr
    );
    assert!(gateway.metric(&refused) >= Some(1));
}

#[tokio::test]
async fn a_slow_backend_is_answered_with_504() {
    let slow = Upstream::start("slow").await;
    let other = Upstream::start("other").await;
    let env = with(
        env_for(&[&slow], &[&other], &[&other]),
        &[("GATEWAY_UPSTREAM_TIMEOUT", "300ms")],
    );
    let gateway = Gateway::start(&env).await;
    let started = Instant::now();
    let response = http_client()
        .get(gateway.url("/api/v1/slow?ms=3000"))
        .bearer_auth(bearer())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 504);
    assert_eq!(error_code(response).await, "upstream_timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_unreachable_group_answers_502_then_503_and_the_gateway_is_not_ready() {
    let other = Upstream::start("other").await;
    let mut dead = Upstream::start("dead").await;
    dead.kill();
    let gateway = Gateway::start(&env_for(&[&dead], &[&other], &[&other])).await;
    let client = http_client();
    let token = bearer();
    let get = || {
        client
            .get(gateway.url("/api/v1/whoami"))
            .bearer_auth(&token)
            .send()
    };

    let first = get().await.unwrap();
    assert_eq!(first.status(), 502);
    assert_eq!(error_code(first).await, "bad_gateway");
    let second = get().await.unwrap();
    assert_eq!(second.status(), 503);
    assert_eq!(
        second
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2")
    );
    assert_eq!(error_code(second).await, "no_healthy_upstream");

    // Once the other groups' first probes pass, only the backend keeps the gateway unready.
    let mut report = serde_json::Value::Null;
    for _ in 0..40 {
        let ready = client.get(gateway.url("/ready")).send().await.unwrap();
        assert_eq!(ready.status(), 503);
        report = ready.json().await.unwrap();
        if report["checks"]["frontend"] == "ok" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(report["checks"]["frontend"], "ok");
    assert!(report["checks"]["backend"]
        .as_str()
        .unwrap()
        .starts_with("error"));
}
