//! PostgreSQL restarted, then hung, under a `bilten backend` selling tickets — on a throwaway
//! cluster this test starts itself (never the machine's shared server).
//!
//! While the database is away, every request is answered within 3 s: `503` with
//! `Retry-After` (or a success that needed no database), never another 5xx and never a hang.
//! Within 5 s of the database returning, requests succeed again. Nothing the backend
//! acknowledged is lost, and the ledger balances.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::ledger::{assert_ledger_balanced, assert_nothing_lost};
use super::load::{Attempt, Load};
use crate::processes::api::Api;
use crate::processes::cluster::Cluster;
use crate::processes::{data_dir, free_port, fresh_database, spawn_role, wait_ready};

/// Longest a request may take to be answered while the database is away.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);
/// Longest until requests succeed again once the database is back.
const RECOVER_WITHIN: Duration = Duration::from_secs(5);
const OUTAGE: Duration = Duration::from_secs(5);

/// A span of time, as measured by the test.
#[derive(Clone, Copy)]
struct Window {
    from: Instant,
    until: Instant,
}

impl Window {
    fn sent_in(self, attempt: &Attempt) -> bool {
        attempt.sent >= self.from && attempt.sent < self.until
    }
}

/// While away: every request sent was answered in time, with 503 + `Retry-After` or a
/// success; at least some got the 503 (the outage was real).
fn assert_answered_while_away(what: &str, attempts: &[Attempt], away: Window) {
    let during: Vec<&Attempt> = attempts.iter().filter(|a| away.sent_in(a)).collect();
    assert!(
        during.len() >= 4,
        "{what}: only {} requests during the outage",
        during.len()
    );
    let mut unavailable = 0;
    for attempt in &during {
        let answer = attempt
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{what}: {:?} got no answer: {e}", attempt.step));
        assert!(
            attempt.latency() <= ANSWER_WITHIN,
            "{what}: {:?} answered {} after {:?}",
            attempt.step,
            answer.status,
            attempt.latency()
        );
        match answer.status {
            200..=299 => {}
            503 => {
                assert!(
                    answer.retry_after.is_some(),
                    "{what}: 503 without Retry-After: {}",
                    answer.body
                );
                assert_eq!(answer.body["error"]["code"], "service_unavailable");
                unavailable += 1;
            }
            other => panic!(
                "{what}: {:?} answered {other}: {}",
                attempt.step, answer.body
            ),
        }
    }
    assert!(unavailable > 0, "{what}: nothing noticed the outage");
}

/// After `back` (the database answers again): a success within `RECOVER_WITHIN`, and from
/// then on nothing but successes — among the requests answered before `until` (the next
/// fault; a request caught by it is judged with it).
fn assert_recovered(what: &str, attempts: &[Attempt], back: Instant, until: Instant) {
    let first_success = attempts
        .iter()
        .filter(|a| a.sent >= back && a.succeeded())
        .map(|a| a.answered)
        .min()
        .unwrap_or_else(|| panic!("{what}: no request succeeded after the database returned"));
    assert!(
        first_success - back <= RECOVER_WITHIN,
        "{what}: first success {:?} after the database returned",
        first_success - back
    );
    let settled = back + RECOVER_WITHIN;
    let later: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| a.sent >= settled && a.answered < until)
        .collect();
    assert!(!later.is_empty(), "{what}: no requests after recovery");
    for attempt in later {
        assert!(
            attempt.succeeded(),
            "{what}: {:?} after recovery: {:?}",
            attempt.step,
            attempt.result
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL's server programs (initdb, pg_ctl) and psql"]
async fn postgres_restarted_or_hung_gets_503_with_retry_after_in_3s_and_recovers_in_5s_losing_nothing(
) {
    let cluster = Cluster::start();
    crate::processes::require_psql();
    let data = data_dir("pg-outage");
    let (database, _) = fresh_database(&cluster.admin_url(), &data);
    let port = free_port();
    let backend = spawn_role(
        "backend",
        port,
        &[
            ("DATABASE_URL", database.clone()),
            ("BILTEN_DATA_DIR", data.display().to_string()),
        ],
    );
    let base = format!("http://127.0.0.1:{port}");
    let api = Arc::new(Api::new(vec![base.clone()], Duration::from_secs(60)));
    wait_ready(&api.client, &base).await;
    let sale = api
        .event_on_sale(&database, &[("Standing", 2500, 100_000)], json!({}))
        .await;

    let load = Load::start(
        &api,
        "pg",
        &sale.event,
        &sale.ticket_types[0],
        Duration::from_millis(150),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    // 1. A clean restart (`pg_ctl stop -m fast`, then start).
    let stopping = tokio::task::block_in_place(|| {
        cluster.stop();
        cluster.wait_refusing();
        Instant::now()
    });
    tokio::time::sleep(OUTAGE).await;
    let restart = Window {
        from: stopping,
        until: Instant::now(),
    };
    let restarted = tokio::task::block_in_place(|| {
        cluster.start_again();
        Instant::now()
    });
    tokio::time::sleep(RECOVER_WITHIN + Duration::from_secs(3)).await;

    // 2. A hang: the server and all its processes stopped with SIGSTOP, then continued.
    let hung_from = tokio::task::block_in_place(|| {
        cluster.freeze();
        Instant::now()
    });
    tokio::time::sleep(OUTAGE).await;
    let hang = Window {
        from: hung_from,
        until: Instant::now(),
    };
    let thawed = tokio::task::block_in_place(|| {
        cluster.thaw();
        Instant::now()
    });
    tokio::time::sleep(RECOVER_WITHIN + Duration::from_secs(3)).await;
    let record = load.finish().await;
    let end = Instant::now();

    for attempt in &record.attempts {
        if let Ok(answer) = &attempt.result {
            assert!(
                answer.status < 500 || answer.status == 503,
                "{:?} answered {}: {}",
                attempt.step,
                answer.status,
                answer.body
            );
        }
    }
    assert_answered_while_away("restart", &record.attempts, restart);
    assert_recovered("restart", &record.attempts, restarted, hung_from);
    // Requests already inside the database when it froze wait for it: they are answered
    // after the thaw, and must then succeed or answer 503.
    assert_answered_while_away(
        "hang",
        &record.attempts,
        Window {
            from: hang.from + Duration::from_millis(100),
            until: hang.until,
        },
    );
    assert_recovered("hang", &record.attempts, thawed, end);
    assert!(
        record.attempts.iter().all(|a| a.result.is_ok()),
        "every request got an HTTP answer"
    );

    let mut backend = backend;
    assert!(
        backend.0.try_wait().unwrap().is_none(),
        "the backend survived both outages"
    );
    assert_nothing_lost(&database, &record.acknowledged);
    assert_ledger_balanced(&database);
    let _ = std::fs::remove_dir_all(&data);
}
