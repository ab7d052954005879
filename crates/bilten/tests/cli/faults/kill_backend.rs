//! `kill -9` of a backend while 80 buyers are in the middle of paying. Some payments commit
//! before the kill, some die with it; buyers left without an answer either try again on the
//! other replica (as behind a gateway) or give up. The killed backend is restarted, the
//! one-minute holds of the buyers who gave up run out, and then the ledger must balance:
//! no paid order without its tickets, no ticket without a paid order, every counter equal to
//! the rows it counts, and every acknowledged payment kept.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::ledger::{assert_ledger_balanced, assert_nothing_lost};
use super::load::Acknowledged;
use crate::processes::api::{guest_order, Api, Call, GOOD_CARD};
use crate::processes::{
    data_dir, free_port, fresh_database, psql, services, spawn_role, wait_ready,
};

const BUYERS: usize = 80;
const FIRST_WAVE: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL) and psql"]
async fn a_backend_killed_mid_checkout_leaves_no_paid_order_without_tickets_and_counters_equal_rows(
) {
    let (admin_url, redis_url) = services();
    let data = data_dir("kill-9");
    let (database, _) = fresh_database(&admin_url, &data);
    let shared = vec![
        ("DATABASE_URL", database.clone()),
        ("REDIS_URL", redis_url),
        ("BILTEN_DATA_DIR", data.display().to_string()),
    ];
    let (victim_port, survivor_port) = (free_port(), free_port());
    let mut victim = Some(spawn_role("backend", victim_port, &shared));
    let _survivor = spawn_role("backend", survivor_port, &shared);
    let (victim_base, survivor_base) = (
        format!("http://127.0.0.1:{victim_port}"),
        format!("http://127.0.0.1:{survivor_port}"),
    );
    // Replica 0 is the victim, replica 1 the survivor.
    let api = Arc::new(Api::new(
        vec![victim_base.clone(), survivor_base.clone()],
        Duration::from_secs(60),
    ));
    wait_ready(&api.client, &victim_base).await;
    wait_ready(&api.client, &survivor_base).await;

    // Two ticket types under one quota; holds last the shortest time allowed, one minute.
    let sale = api
        .event_on_sale(
            &database,
            &[("Standing", 2500, 400), ("Balcony", 4000, 200)],
            json!({ "hold_minutes": 1 }),
        )
        .await;
    let (event, types) = (sale.event, sale.ticket_types);
    api.post(
        1,
        &format!("/events/{event}/quotas"),
        Some(&sale.organizer),
        json!({ "name": "Hall", "capacity": 500, "ticket_type_ids": types }),
    )
    .await;
    let orders_made = Instant::now();
    let mut orders = Vec::new();
    for i in 0..BUYERS {
        let body = guest_order(
            &event,
            &types[i % 2],
            (i % 3 + 1) as i64,
            &format!("kill-buyer-{i}@example.com"),
        );
        let key = format!("kill-order-{i}");
        let (status, body) = api
            .send(
                1,
                reqwest::Method::POST,
                "/orders",
                Call {
                    idempotency_key: Some(&key),
                    body: Some(&body),
                    ..Call::default()
                },
            )
            .await;
        assert_eq!(status, 201, "{body}");
        orders.push((
            body["order"]["id"].as_str().unwrap().to_owned(),
            body["access_key"].as_str().unwrap().to_owned(),
        ));
    }

    // Everybody pays on the victim, in two waves: the first 20 are let through until one of
    // them is answered (so some payments are committed, and some of those not yet answered),
    // then the other 60 start, and the victim dies as soon as 10 of theirs have begun (their
    // payment rows exist) — the rest are cut at every step between request and answer.
    let answered = Arc::new(AtomicUsize::new(0));
    let pay = |(order, key): (String, String)| {
        let (api, answered) = (api.clone(), answered.clone());
        tokio::spawn(async move {
            let result = api
                .try_send(
                    0,
                    reqwest::Method::POST,
                    &format!("/orders/{order}/checkout"),
                    Call {
                        order_key: Some(&key),
                        body: Some(&json!({ "test_card": GOOD_CARD })),
                        ..Call::default()
                    },
                )
                .await;
            if result.is_ok() {
                answered.fetch_add(1, Ordering::SeqCst);
            }
            result
        })
    };
    let mut checkouts: Vec<_> = orders[..FIRST_WAVE].iter().cloned().map(pay).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no checkout was answered");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    checkouts.extend(orders[FIRST_WAVE..].iter().cloned().map(pay));
    tokio::task::block_in_place(|| loop {
        let started: usize = psql(&database, "SELECT COUNT(*) FROM payments")[0]
            .parse()
            .unwrap();
        if started >= FIRST_WAVE + 10 {
            break;
        }
        assert!(Instant::now() < deadline, "the second wave never started");
        std::thread::sleep(Duration::from_millis(2));
    });
    drop(victim.take()); // kill -9 (SIGKILL on drop)
    let answered_before_kill = answered.load(Ordering::SeqCst);
    assert!(
        BUYERS - answered_before_kill >= 50,
        "only {} buyers were mid-checkout at the kill",
        BUYERS - answered_before_kill
    );

    let mut acknowledged = Vec::new();
    let mut unanswered = Vec::new();
    for (i, checkout) in checkouts.into_iter().enumerate() {
        let (order, key) = orders[i].clone();
        match checkout.await.unwrap() {
            Ok(answer) => {
                assert!(
                    answer.status == 200 || answer.status == 503,
                    "{}: {}",
                    answer.status,
                    answer.body
                );
                acknowledged.push(Acknowledged {
                    order,
                    paid: answer.status == 200,
                });
            }
            Err(_) => unanswered.push((i, order, key)),
        }
    }
    assert!(
        unanswered.len() >= 10,
        "the kill cut only {} checkouts",
        unanswered.len()
    );

    // Half of those left without an answer try again on the other replica: either their
    // payment had committed (409 order_already_paid) or it goes through now.
    for (i, order, key) in &unanswered {
        if i % 2 == 1 {
            acknowledged.push(Acknowledged {
                order: order.clone(),
                paid: false,
            });
            continue;
        }
        let (status, body) = api
            .send(
                1,
                reqwest::Method::POST,
                &format!("/orders/{order}/checkout"),
                Call {
                    order_key: Some(key),
                    body: Some(&json!({ "test_card": GOOD_CARD })),
                    ..Call::default()
                },
            )
            .await;
        match (status, body["error"]["code"].as_str()) {
            // Paid now, or the cut payment had committed after all.
            (200, _) | (409, Some("order_already_paid")) => acknowledged.push(Acknowledged {
                order: order.clone(),
                paid: true,
            }),
            // Refused for another reason (e.g. a payment still open): the buyer gives up.
            (409, _) => acknowledged.push(Acknowledged {
                order: order.clone(),
                paid: false,
            }),
            other => panic!("retry of {order}: {other:?} {body}"),
        }
    }

    // The killed backend comes back and serves.
    victim.replace(spawn_role("backend", victim_port, &shared));
    wait_ready(&api.client, &victim_base).await;
    let (status, body) = api
        .send(
            0,
            reqwest::Method::GET,
            &format!("/events/{event}"),
            Call::default(),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The holds of the buyers who gave up run out (one minute, then the expiry worker).
    let deadline = orders_made + Duration::from_secs(150);
    loop {
        let live = psql(
            &database,
            "SELECT COUNT(*) FROM orders WHERE status = 'pending' AND released_at IS NULL",
        );
        if live[0] == "0" {
            break;
        }
        assert!(Instant::now() < deadline, "{} holds never expired", live[0]);
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let outcome = psql(
        &database,
        "SELECT (SELECT COUNT(*) FROM orders WHERE status = 'paid'),
                (SELECT COUNT(*) FROM orders WHERE status = 'expired'),
                (SELECT COUNT(*) FROM orders WHERE status NOT IN ('paid', 'expired'))",
    );
    assert_eq!(
        outcome[2], "0",
        "orders neither paid nor expired: {outcome:?}"
    );
    eprintln!(
        "kill -9 with {} of {BUYERS} checkouts unanswered; {} retried elsewhere; \
         orders paid, expired: {}, {}",
        BUYERS - answered_before_kill,
        unanswered.len().div_ceil(2),
        outcome[0],
        outcome[1]
    );
    assert_ne!(outcome[0], "0", "nobody paid: {outcome:?}");
    assert_ne!(outcome[1], "0", "no hold ran out: {outcome:?}");

    assert_nothing_lost(&database, &acknowledged);
    assert_ledger_balanced(&database);
    drop(victim);
    let _ = std::fs::remove_dir_all(&data);
}
