//! No oversell across processes: three `bilten backend` replicas on one fresh PostgreSQL
//! database (and one Redis), with buyers spread round-robin over them, racing for the last 50
//! tickets of a type, the last 50 places of a shared quota, the last 50 uses of a promo code,
//! and one buyer racing their own per-buyer cap. Inventory is decided by conditional updates
//! in the database, so which process a buyer reaches must not matter.
//!
//! Needs `TEST_DATABASE_URL` and `TEST_REDIS_URL` (the PostgreSQL pass of `.ci/run` sets
//! both) and `psql`: ignored by plain `cargo test`, a failure when run without them.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::time::Duration;

use serde_json::{json, Value};

use crate::processes::api::{db_id, Api, Call};
use crate::processes::{
    data_dir, free_port, fresh_database, psql, services, spawn_role, wait_ready, Process,
};

const BUYERS: usize = 200;

/// Fires `bodies` as concurrent `POST /orders`, buyer `i` on replica `i % 3`; returns
/// `(created, refused with 409 and `code`)` and panics on anything else.
async fn race(
    api: &std::sync::Arc<Api>,
    label: &str,
    bodies: Vec<(Option<String>, Value)>,
    code: &'static str,
) -> (usize, usize) {
    let tasks: Vec<_> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, (token, body))| {
            let api = api.clone();
            let key = format!("{label}-{i}");
            tokio::spawn(async move {
                api.send(
                    i,
                    reqwest::Method::POST,
                    "/orders",
                    Call {
                        token: token.as_deref(),
                        idempotency_key: Some(&key),
                        body: Some(&body),
                        ..Call::default()
                    },
                )
                .await
            })
        })
        .collect();
    let (mut won, mut lost) = (0, 0);
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => won += 1,
            409 if body["error"]["code"] == code => lost += 1,
            other => panic!("{label}: unexpected {other}: {body}"),
        }
    }
    (won, lost)
}

fn guest(event: &str, ticket_type: &str, email: &str) -> Value {
    json!({
        "event_id": event,
        "items": [{ "ticket_type_id": ticket_type, "quantity": 1 }],
        "buyer": { "email": email, "name": "Racing Buyer" },
    })
}

/// `held` of a ticket type and the tickets in its live (pending, unreleased) order lines.
fn ticket_type_ledger(database: &str, ticket_type: &str) -> (i64, i64) {
    let row = psql(
        database,
        &format!(
            // Live inventory leases count as held on the counter until they are settled.
            "SELECT t.held - {},
                    COALESCE((SELECT SUM(l.quantity) FROM order_lines l
                 JOIN orders o ON o.id = l.order_id
                 WHERE l.ticket_type_id = t.id AND o.status = 'pending'
                   AND o.released_at IS NULL), 0)
             FROM ticket_types t WHERE t.id = '{}'",
            bilten_store::leases::held_by_leases_of_type("t.id"),
            db_id(ticket_type)
        ),
    );
    (row[0].parse().unwrap(), row[1].parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL) and psql"]
async fn three_backends_on_one_postgres_never_oversell_tickets_quotas_promo_uses_or_buyer_caps() {
    let (admin_url, redis_url) = services();
    let data_dir = data_dir("replicas");
    let (database, _) = fresh_database(&admin_url, &data_dir);
    let shared = vec![
        ("DATABASE_URL", database.clone()),
        ("REDIS_URL", redis_url),
        ("BILTEN_DATA_DIR", data_dir.display().to_string()),
    ];
    let ports = [free_port(), free_port(), free_port()];
    let _backends: Vec<Process> = ports
        .iter()
        .map(|p| spawn_role("backend", *p, &shared))
        .collect();
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let api = std::sync::Arc::new(Api::new(bases, Duration::from_secs(60)));
    for base in &api.bases {
        wait_ready(&api.client, base).await;
    }

    // An organizer sets the event up, each step on another replica.
    let organizer = api.user(&database, "organizer@example.com").await;
    let token = Some(organizer.as_str());
    let org = api
        .post(
            0,
            "/organizations",
            token,
            json!({ "name": "Replica Hall" }),
        )
        .await["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = api
        .post(
            1,
            &format!("/organizations/{org}/events"),
            token,
            json!({
                "title": "Three Replicas", "starts_at": "2030-06-01T19:00:00Z",
                "ends_at": "2030-06-01T23:00:00Z", "timezone": "Europe/Sarajevo",
                "venue_name": "Zetra", "city": "Sarajevo", "country": "BA",
                "currency": "EUR", "category": "music",
            }),
        )
        .await["event"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut types = Vec::new();
    for (i, (name, capacity)) in [
        ("Last Fifty", 60),
        ("Standing", 500),
        ("Balcony", 500),
        ("Promo", 500),
        ("Capped", 500),
    ]
    .into_iter()
    .enumerate()
    {
        let created = api
            .post(
                i,
                &format!("/events/{event}/ticket-types"),
                token,
                json!({ "name": name, "price": 2000, "capacity": capacity }),
            )
            .await;
        types.push(created["ticket_type"]["id"].as_str().unwrap().to_owned());
    }
    let [last_fifty, standing, balcony, promo_type, capped] =
        <[String; 5]>::try_from(types).unwrap();
    let quota = api
        .post(
            2,
            &format!("/events/{event}/quotas"),
            token,
            json!({ "name": "Floor", "capacity": 60, "ticket_type_ids": [standing, balcony] }),
        )
        .await["quota"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let promo = api
        .post(
            0,
            &format!("/events/{event}/promo-codes"),
            token,
            json!({ "code": "REPLICA", "discount": { "kind": "percent", "basis_points": 1000 },
                    "max_uses": 60, "ticket_type_ids": [promo_type] }),
        )
        .await["promo_code"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(1, &format!("/events/{event}/publish"), token, json!({}))
        .await;

    // Ten of each already gone, so every race is for the last fifty.
    let warmup: Vec<_> = (0..10)
        .flat_map(|i| {
            let mut promo_body = guest(&event, &promo_type, &format!("early-p{i}@example.com"));
            promo_body["promo_code"] = json!("REPLICA");
            [
                (
                    None,
                    guest(&event, &last_fifty, &format!("early-t{i}@example.com")),
                ),
                (
                    None,
                    guest(&event, &standing, &format!("early-q{i}@example.com")),
                ),
                (None, promo_body),
            ]
        })
        .collect();
    assert_eq!(race(&api, "warmup", warmup, "none").await, (30, 0));

    // 1. The last 50 tickets of a type.
    let bodies = (0..BUYERS)
        .map(|i| {
            (
                None,
                guest(&event, &last_fifty, &format!("t{i}@example.com")),
            )
        })
        .collect();
    assert_eq!(
        race(&api, "tickets", bodies, "sold_out").await,
        (50, BUYERS - 50)
    );
    assert_eq!(
        ticket_type_ledger(&database, &last_fifty),
        (60, 60),
        "ticket counter equals live order lines"
    );

    // 2. The last 50 places of a quota shared by two types.
    let bodies = (0..BUYERS)
        .map(|i| {
            let tty = if i % 2 == 0 { &standing } else { &balcony };
            (None, guest(&event, tty, &format!("q{i}@example.com")))
        })
        .collect();
    assert_eq!(
        race(&api, "quota", bodies, "sold_out").await,
        (50, BUYERS - 50)
    );
    let row = psql(
        &database,
        &format!(
            "SELECT q.held - {},
                    COALESCE((SELECT SUM(l.quantity) FROM order_lines l
                 JOIN orders o ON o.id = l.order_id
                 JOIN quota_ticket_types m ON m.ticket_type_id = l.ticket_type_id
                 WHERE m.quota_id = q.id AND o.status = 'pending' AND o.released_at IS NULL), 0)
             FROM quotas q WHERE q.id = '{}'",
            bilten_store::leases::held_by_leases_of_quota("q.id"),
            db_id(&quota)
        ),
    );
    assert_eq!(row, ["60", "60"], "quota counter equals live order lines");
    let (a, b) = (
        ticket_type_ledger(&database, &standing),
        ticket_type_ledger(&database, &balcony),
    );
    assert_eq!(a.0 + b.0, 60);
    assert_eq!((a.0, b.0), (a.1, b.1));

    // 3. The last 50 uses of a promo code (tickets to spare).
    let bodies = (0..BUYERS)
        .map(|i| {
            let mut body = guest(&event, &promo_type, &format!("p{i}@example.com"));
            body["promo_code"] = json!("replica");
            (None, body)
        })
        .collect();
    assert_eq!(
        race(&api, "promo", bodies, "promo_code_exhausted").await,
        (50, BUYERS - 50)
    );
    let row = psql(
        &database,
        &format!(
            "SELECT p.uses, (SELECT COUNT(*) FROM orders o WHERE o.promo_code_id = p.id
                 AND o.status = 'pending' AND o.released_at IS NULL)
             FROM promo_codes p WHERE p.id = '{}'",
            db_id(&promo)
        ),
    );
    assert_eq!(row, ["60", "60"], "uses equal live orders with the code");
    assert_eq!(ticket_type_ledger(&database, &promo_type), (60, 60));

    // 4. One logged-in buyer firing 30 single-ticket orders across the replicas: the
    // per-buyer cap (10 per event) holds, counting what the earlier races gave nobody else.
    let buyer = api.user(&database, "greedy@example.com").await;
    let bodies = (0..30)
        .map(|_| {
            (
                Some(buyer.clone()),
                json!({ "event_id": event, "items": [{ "ticket_type_id": capped, "quantity": 1 }] }),
            )
        })
        .collect();
    assert_eq!(race(&api, "cap", bodies, "limit_exceeded").await, (10, 20));
    assert_eq!(ticket_type_ledger(&database, &capped), (10, 10));

    // The organizer's summary, from yet another replica, agrees with the rows.
    let (status, summary) = api
        .send(
            2,
            reqwest::Method::GET,
            &format!("/events/{event}/sales-summary"),
            Call {
                token,
                ..Call::default()
            },
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["totals"]["held"], 60 * 3 + 10);
    let _ = std::fs::remove_dir_all(&data_dir);
}
