//! `kill -9` of a backend that holds inventory leases in the middle of a sale. The places in
//! its leases must not be lost (the other replica sells them when it runs short) nor sold
//! twice; when the dust settles every place is sold or free, the leases are gone, and the
//! ledger balances with one valid ticket per sold place.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::ledger::assert_ledger_balanced;
use crate::processes::api::{Api, Call, GOOD_CARD};
use crate::processes::{
    data_dir, free_port, fresh_database, psql, services, spawn_role, wait_ready,
};

const CAPACITY: i64 = 300;

fn purchase(event: &str, ticket_type: &str, email: &str) -> Value {
    json!({
        "event_id": event,
        "items": [{ "ticket_type_id": ticket_type, "quantity": 1 }],
        "buyer": { "email": email, "name": "Lease Buyer" },
        "test_card": GOOD_CARD,
    })
}

fn number(database: &str, sql: &str) -> i64 {
    psql(database, sql)[0].parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL) and psql"]
async fn a_backend_killed_while_holding_leases_strands_no_place_and_sells_none_twice() {
    let (admin_url, redis_url) = services();
    let data = data_dir("kill-lease");
    let (database, _) = fresh_database(&admin_url, &data);
    let shared = vec![
        ("DATABASE_URL", database.clone()),
        ("REDIS_URL", redis_url),
        ("BILTEN_DATA_DIR", data.display().to_string()),
    ];
    let (victim_port, survivor_port) = (free_port(), free_port());
    let mut victim = Some(spawn_role("backend", victim_port, &shared));
    let _survivor = spawn_role("backend", survivor_port, &shared);
    let bases = vec![
        format!("http://127.0.0.1:{victim_port}"),
        format!("http://127.0.0.1:{survivor_port}"),
    ];
    let api = Arc::new(Api::new(bases.clone(), Duration::from_secs(60)));
    wait_ready(&api.client, &bases[0]).await;
    wait_ready(&api.client, &bases[1]).await;
    let sale = api
        .event_on_sale(&database, &[("Standing", 2500, CAPACITY)], json!({}))
        .await;
    let (event, ticket_type) = (sale.event.clone(), sale.ticket_types[0].clone());

    // Both replicas sell until the victim holds a lease with places left in it; then it dies.
    let mut sold = 0_i64;
    let mut buyer = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let wave: Vec<_> = (0..20)
            .map(|i| {
                let (api, body) = (
                    api.clone(),
                    purchase(&event, &ticket_type, &format!("k{}@example.com", buyer + i)),
                );
                let key = format!("kill-lease-{}", buyer + i);
                tokio::spawn(async move {
                    api.send(
                        i % 2,
                        reqwest::Method::POST,
                        "/purchases",
                        Call {
                            idempotency_key: Some(&key),
                            body: Some(&body),
                            ..Call::default()
                        },
                    )
                    .await
                })
            })
            .collect();
        buyer += 20;
        for task in wave {
            let (status, body) = task.await.unwrap();
            assert_eq!(status, 201, "{body}");
            sold += 1;
        }
        let holders = number(
            &database,
            "SELECT COUNT(DISTINCT holder) FROM inventory_leases WHERE remaining > 0",
        );
        if holders >= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replicas never both held a lease"
        );
    }
    let leased_before_kill = number(
        &database,
        "SELECT COALESCE(SUM(remaining), 0) FROM inventory_leases",
    );
    drop(victim.take()); // kill -9 (SIGKILL on drop)

    // The survivor sells everything that is left, the dead replica's leased places included,
    // long before the dead lease would expire.
    let started = Instant::now();
    let mut refused = 0;
    while refused < 3 {
        let key = format!("kill-lease-{buyer}");
        let body = purchase(&event, &ticket_type, &format!("k{buyer}@example.com"));
        buyer += 1;
        let (status, answer) = api
            .send(
                1,
                reqwest::Method::POST,
                "/purchases",
                Call {
                    idempotency_key: Some(&key),
                    body: Some(&body),
                    ..Call::default()
                },
            )
            .await;
        match status {
            201 => sold += 1,
            409 => {
                assert_eq!(answer["error"]["code"], "sold_out", "{answer}");
                refused += 1;
            }
            other => panic!("{other}: {answer}"),
        }
    }
    eprintln!(
        "kill -9 of a lease holder: {leased_before_kill} places were in leases at the kill; \
         sold out after {sold} purchases in {:?} more",
        started.elapsed()
    );
    assert_eq!(sold, CAPACITY, "every place was sold exactly once");
    assert_eq!(
        number(
            &database,
            "SELECT COUNT(*) FROM tickets WHERE status = 'valid'"
        ),
        CAPACITY
    );
    assert_eq!(
        number(&database, "SELECT COUNT(DISTINCT code) FROM tickets"),
        CAPACITY
    );
    assert_ledger_balanced(&database);

    // Whatever leases are left (sold out, not yet settled) are settled by the sweep.
    let deadline = Instant::now() + Duration::from_secs(30);
    while number(&database, "SELECT COUNT(*) FROM inventory_leases") > 0 {
        assert!(Instant::now() < deadline, "leases were never settled");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        psql(&database, "SELECT held, sold FROM ticket_types"),
        ["0", &CAPACITY.to_string()]
    );
    assert_ledger_balanced(&database);
    let _ = std::fs::remove_dir_all(&data);
}
