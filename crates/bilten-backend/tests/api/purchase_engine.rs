//! `POST /purchases`: buy and pay in one request, taken in batches by the purchase engine.
//! Each race here is the same race the two-step path is held to, now through group commit.

use std::sync::Arc;

use bilten_domain::{OrderId, TicketTypeId};
use bilten_test_support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::ticketing_helpers::{
    add_ticket_type, create_event, create_org, event_body, event_on_sale, publish, verified_user,
};

const CARD: &str = "4242424242424242";

/// `POST /purchases` with an `Idempotency-Key`; status, body and whether it was a replay.
async fn purchase(app: &TestApp, key: &str, body: &Value) -> (StatusCode, Value, bool) {
    let response = app
        .client
        .request(Method::POST, app.url("/api/v1/purchases"))
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        replayed,
    )
}

fn guest(event: &str, ticket_type: &str, quantity: i64, email: &str) -> Value {
    json!({
        "event_id": event,
        "items": [{ "ticket_type_id": ticket_type, "quantity": quantity }],
        "buyer": { "email": email, "name": "Guest Buyer" },
        "test_card": CARD,
    })
}

async fn ledger(app: &TestApp, ticket_type: &str) -> (i64, i64, i64, i64) {
    let id: TicketTypeId = ticket_type.parse().unwrap();
    bilten_store::orders::ticket_type_ledger(app.store.primary(), id)
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_one(app.store.primary())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

/// Races `n` guests (one ticket each, distinct emails unless `same_email`) and counts
/// (won, sold out, other refusals by code).
async fn race(
    app: &Arc<TestApp>,
    n: usize,
    body_of: impl Fn(usize) -> Value,
) -> (usize, Vec<(StatusCode, String)>) {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let app = app.clone();
            let body = body_of(i);
            tokio::spawn(async move { purchase(&app, &format!("race-{i}"), &body).await })
        })
        .collect();
    let mut won = 0;
    let mut refused = Vec::new();
    for task in tasks {
        let (status, body, _) = task.await.unwrap();
        if status == StatusCode::CREATED {
            assert_eq!(body["order"]["status"], "paid", "{body}");
            won += 1;
        } else {
            let code = body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(
                status.is_client_error(),
                "a refusal is a 4xx with a code, got {status}: {body}"
            );
            refused.push((status, code));
        }
    }
    (won, refused)
}

#[tokio::test]
async fn one_request_buys_pays_and_issues_verifiable_tickets_and_the_mail_follows() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (status, body, replayed) = purchase(
        &app,
        "one-1",
        &guest(&sale.event, &sale.ticket_type, 2, "ada@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(!replayed);
    assert_eq!(body["order"]["status"], "paid");
    assert_eq!(body["order"]["total"]["amount"], 5000);
    assert_eq!(body["payment"]["status"], "succeeded");
    assert_eq!(body["payment"]["amount"]["amount"], 5000);
    let tickets = body["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 2);
    // The answer is the order as stored: the two-step API reads the same order and tickets.
    let order = body["order"]["id"].as_str().unwrap();
    let key = body["access_key"].as_str().unwrap();
    let stored = app
        .client
        .get(app.url(&format!("/api/v1/orders/{order}")))
        .header("x-order-key", key)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(stored["order"]["status"], "paid");
    let mut stored_codes: Vec<&str> = stored["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    let mut codes: Vec<&str> = tickets
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    stored_codes.sort_unstable();
    codes.sort_unstable();
    assert_eq!(codes, stored_codes);
    // Each code verifies with the event's published key.
    let keys = crate::purchase::published_keys(&app, &sale.event).await;
    for code in &codes {
        bilten_domain::ticket_code::verify(code, &keys)
            .unwrap_or_else(|e| panic!("{code} does not verify: {e}"));
    }
    assert_eq!(ledger(&app, &sale.ticket_type).await, (0, 2, 0, 2));
    // The confirmation is composed by the worker, from the database, with a PDF per ticket.
    assert_eq!(
        app.deliver_mail().await,
        2,
        "the organizer's verification and this one"
    );
    let mails = app.delivered_to("ada@example.com");
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(
        mail.contains("Subject: Your tickets for Summer Jazz"),
        "{mail}"
    );
    assert_eq!(
        mail.matches("Content-Type: application/pdf").count(),
        2,
        "a PDF per ticket"
    );
    assert!(mail.contains(order), "the mail names the order");
}

#[tokio::test]
async fn two_hundred_concurrent_buyers_for_the_last_fifty_tickets_get_exactly_fifty() {
    let app = Arc::new(TestApp::spawn().await);
    let sale = event_on_sale(&app, 50).await;
    let (won, refused) = race(&app, 200, |i| {
        guest(
            &sale.event,
            &sale.ticket_type,
            1,
            &format!("b{i}@example.com"),
        )
    })
    .await;
    assert_eq!(won, 50);
    assert!(refused
        .iter()
        .all(|(s, c)| *s == StatusCode::CONFLICT && c == "sold_out"));
    assert_eq!(
        ledger(&app, &sale.ticket_type).await,
        (0, 50, 0, 50),
        "counters equal rows"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 50);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM payments WHERE status = 'succeeded'"
        )
        .await,
        50
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox_emails WHERE template = 'order_confirmation'"
        )
        .await,
        50
    );
    // The late crowd is answered from the sold-out flag, still with the same code.
    let (status, body, _) = purchase(
        &app,
        "late",
        &guest(&sale.event, &sale.ticket_type, 1, "late@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "sold_out");
}

#[tokio::test]
async fn a_shared_quota_is_exact_under_batching() {
    let app = Arc::new(TestApp::spawn().await);
    let owner = verified_user(&app, "Owner").await;
    let org = create_org(&app, &owner).await;
    let token = owner.access_token.as_str();
    let event = create_event(&app, token, &org, event_body("Quota Night")).await;
    let mut types = Vec::new();
    for name in ["Standing", "Balcony"] {
        types.push(
            add_ticket_type(
                &app,
                token,
                &event,
                json!({ "name": name, "price": 1000, "capacity": 100 }),
            )
            .await,
        );
    }
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{event}/quotas"),
            Some(token),
            json!({ "name": "House", "capacity": 30, "ticket_type_ids": types }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    publish(&app, token, &event).await;
    let (won, _) = race(&app, 120, |i| {
        guest(&event, &types[i % 2], 1, &format!("q{i}@example.com"))
    })
    .await;
    assert_eq!(won, 30);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 30);
    let quota: bilten_domain::QuotaId = body["quota"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        bilten_store::orders::quota_ledger(app.store.primary(), quota)
            .await
            .unwrap(),
        (0, 30, 0, 30),
        "the quota's counters equal its rows"
    );
}

#[tokio::test]
async fn the_per_buyer_cap_is_exact_when_one_buyer_races_in_one_batch() {
    let app = Arc::new(TestApp::spawn().await);
    let sale = event_on_sale(&app, 100).await;
    // The event's default cap is 10 per buyer: 30 purchases of one ticket by one buyer.
    let (won, refused) = race(&app, 30, |_| {
        guest(&sale.event, &sale.ticket_type, 1, "same@example.com")
    })
    .await;
    assert_eq!(won, 10);
    assert!(
        refused.iter().all(|(_, c)| c == "limit_exceeded"),
        "{refused:?}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT quantity FROM buyer_event_counts WHERE buyer_key = 'email:same@example.com'"
        )
        .await,
        10
    );
}

#[tokio::test]
async fn the_last_promo_uses_are_exact_under_batching() {
    let app = Arc::new(TestApp::spawn().await);
    let sale = event_on_sale(&app, 100).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{}/promo-codes", sale.event),
            Some(&sale.organizer.access_token),
            json!({ "code": "LAST5", "discount": { "kind": "percent", "basis_points": 5000 }, "max_uses": 5 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (won, refused) = race(&app, 40, |i| {
        let mut body = guest(
            &sale.event,
            &sale.ticket_type,
            1,
            &format!("p{i}@example.com"),
        );
        body["promo_code"] = json!("LAST5");
        body
    })
    .await;
    assert_eq!(won, 5);
    assert!(
        refused.iter().all(|(_, c)| c == "promo_code_exhausted"),
        "{refused:?}"
    );
    assert_eq!(count(&app, "SELECT uses FROM promo_codes").await, 5);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 5);
    assert_eq!(
        count(&app, "SELECT CAST(SUM(total_minor) AS BIGINT) FROM orders").await,
        5 * 1250
    );
}

#[tokio::test]
async fn the_same_key_sent_at_once_buys_once_and_replays_the_rest() {
    let app = Arc::new(TestApp::spawn().await);
    let sale = event_on_sale(&app, 100).await;
    let body = guest(&sale.event, &sale.ticket_type, 1, "twice@example.com");
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let app = app.clone();
            let body = body.clone();
            tokio::spawn(async move { purchase(&app, "same-key", &body).await })
        })
        .collect();
    let mut orders = std::collections::HashSet::new();
    let mut replays = 0;
    for task in tasks {
        let (status, body, replayed) = task.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        orders.insert(body["order"]["id"].as_str().unwrap().to_owned());
        replays += usize::from(replayed);
    }
    assert_eq!(orders.len(), 1, "one order for one key");
    assert_eq!(replays, 9);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 1);
    // The same key with another body is refused.
    let other = guest(&sale.event, &sale.ticket_type, 2, "twice@example.com");
    let (status, body, _) = purchase(&app, "same-key", &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn payment_rules_free_completes_paid_needs_a_card_and_a_decline_writes_nothing() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let mut no_card = guest(&sale.event, &sale.ticket_type, 1, "nocard@example.com");
    no_card.as_object_mut().unwrap().remove("test_card");
    let (status, body, _) = purchase(&app, "no-card", &no_card).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["fields"]["test_card"]["code"],
        "payment_required"
    );

    let mut declined = guest(&sale.event, &sale.ticket_type, 1, "declined@example.com");
    declined["test_card"] = json!("4000000000000002");
    let (status, body, _) = purchase(&app, "declined", &declined).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM orders").await,
        0,
        "nothing written"
    );
    assert_eq!(ledger(&app, &sale.ticket_type).await, (0, 0, 0, 0));

    let free = add_ticket_type(
        &app,
        &sale.organizer.access_token,
        &sale.event,
        json!({ "name": "Free entry", "price": 0, "capacity": 5 }),
    )
    .await;
    let mut body = guest(&sale.event, &free, 1, "free@example.com");
    body.as_object_mut().unwrap().remove("test_card");
    let (status, body, _) = purchase(&app, "free", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["order"]["status"], "paid");
    assert!(body["payment"].is_null());
    assert_eq!(body["tickets"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_batch_whose_transaction_fails_answers_every_buyer_and_writes_nothing() {
    let app = Arc::new(TestApp::spawn().await);
    let sale = event_on_sale(&app, 100).await;
    // Break the batch's ticket insert (the table is gone), so its transaction fails midway.
    sqlx::query("ALTER TABLE tickets RENAME TO tickets_away")
        .execute(app.store.primary())
        .await
        .unwrap();
    let (won, refused) = race_any(&app, 20, |i| {
        guest(
            &sale.event,
            &sale.ticket_type,
            1,
            &format!("f{i}@example.com"),
        )
    })
    .await;
    assert_eq!(won, 0);
    assert!(
        refused.iter().all(StatusCode::is_server_error),
        "{refused:?}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM buyer_event_counts").await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox_emails WHERE template IS NOT NULL"
        )
        .await,
        0
    );
    assert_eq!(count(&app, "SELECT sold + held FROM ticket_types").await, 0);
    sqlx::query("ALTER TABLE tickets_away RENAME TO tickets")
        .execute(app.store.primary())
        .await
        .unwrap();
    let (won, _) = race_any(&app, 5, |i| {
        guest(
            &sale.event,
            &sale.ticket_type,
            1,
            &format!("g{i}@example.com"),
        )
    })
    .await;
    assert_eq!(won, 5, "the engine sells again once the database is whole");
    let order = OrderId::from_db(&count_text(&app, "SELECT id FROM orders LIMIT 1").await).unwrap();
    assert!(bilten_store::orders::find_order(app.store.primary(), order)
        .await
        .unwrap()
        .is_some());
}

async fn count_text(app: &TestApp, sql: &str) -> String {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_one(app.store.primary())
        .await
        .unwrap()
        .try_get::<String, _>(0)
        .unwrap()
}

/// Like [`race`] without judging the refusals: (won, statuses of the others).
async fn race_any(
    app: &Arc<TestApp>,
    n: usize,
    body_of: impl Fn(usize) -> Value,
) -> (usize, Vec<StatusCode>) {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let app = app.clone();
            let body = body_of(i);
            let key = format!("any-{}-{i}", uuid::Uuid::new_v4().simple());
            tokio::spawn(async move { purchase(&app, &key, &body).await })
        })
        .collect();
    let mut won = 0;
    let mut others = Vec::new();
    for task in tasks {
        let (status, _, _) = task.await.unwrap();
        if status == StatusCode::CREATED {
            won += 1;
        } else {
            others.push(status);
        }
    }
    (won, others)
}

// ---------------------------------------------------------------------------------------
// Inventory leases

/// `(held, sold)` of the ticket type's counter row as stored (leases included).
async fn raw_counters(app: &TestApp) -> (i64, i64) {
    (
        count(app, "SELECT held FROM ticket_types").await,
        count(app, "SELECT sold FROM ticket_types").await,
    )
}

/// A lease of `places` held by a process that is gone, expiring at `expires_at`.
async fn dead_process_lease(
    app: &TestApp,
    event: &str,
    ticket_type: &str,
    places: i64,
    expires_at: chrono::DateTime<chrono::Utc>,
) {
    let mut tx = app.store.begin().await.unwrap();
    let granted = bilten_store::leases::grant(
        &mut tx,
        event.parse().unwrap(),
        ticket_type.parse().unwrap(),
        &[],
        "a process that was killed",
        places,
        expires_at,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert!(granted.is_some());
    tx.commit().await.unwrap();
}

async fn available(app: &TestApp, event: &str) -> i64 {
    let (status, body) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["ticket_types"][0]["available"]
        .as_i64()
        .unwrap_or_else(|| panic!("no availability in {body}"))
}

#[tokio::test]
async fn purchases_sell_from_a_lease_without_touching_the_counter_row_and_the_books_balance() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 1000).await;
    let buy = |n: usize| {
        let body = guest(
            &sale.event,
            &sale.ticket_type,
            1,
            &format!("lease{n}@example.com"),
        );
        let app = &app;
        async move {
            let (status, body, _) = purchase(app, &format!("lease-{n}"), &body).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            body
        }
    };
    // The first purchase locks the counters, sells one and leases 2 % of what is left.
    buy(0).await;
    let leased = 999 / 50;
    assert_eq!(raw_counters(&app).await, (leased, 1));
    // The next ones sell from the lease: the counter row does not move.
    let mut bought = vec![];
    for n in 1..=4 {
        bought.push(buy(n).await);
    }
    assert_eq!(raw_counters(&app).await, (leased, 1));
    assert_eq!(
        count(&app, "SELECT remaining FROM inventory_leases").await,
        leased - 4
    );
    assert_eq!(count(&app, "SELECT sold FROM inventory_leases").await, 4);
    // Buyers and organizers see what was bought, and leased places as still for sale.
    assert_eq!(ledger(&app, &sale.ticket_type).await, (0, 5, 0, 5));
    assert_eq!(available(&app, &sale.event).await, 995);

    // A ticket sold from the lease is refunded: the lease is settled first, so the counter
    // gives back a sale it counts.
    let order = bought[3]["order"]["id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{order}/refund"),
            Some(&sale.organizer.access_token),
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM inventory_leases").await,
        0
    );
    assert_eq!(raw_counters(&app).await, (0, 4));
    assert_eq!(ledger(&app, &sale.ticket_type).await, (0, 4, 0, 4));
    assert_eq!(available(&app, &sale.event).await, 996);

    // The capacity can go down to what buyers took, whatever was leased meanwhile.
    buy(10).await;
    buy(11).await;
    let (status, body) = app
        .request(
            Method::PATCH,
            &format!("/api/v1/ticket-types/{}", sale.ticket_type),
            Some(&sale.organizer.access_token),
            Some(json!({ "capacity": 6 })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ledger(&app, &sale.ticket_type).await, (0, 6, 0, 6));
    let (status, body, _) = purchase(
        &app,
        "after-shrink",
        &guest(&sale.event, &sale.ticket_type, 1, "late@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "sold_out");
}

#[tokio::test]
async fn places_leased_to_a_dead_process_are_taken_back_before_anyone_is_told_sold_out() {
    let app = Arc::new(TestApp::spawn().await);
    let sale = event_on_sale(&app, 10).await;
    // Six places sit in a live lease of a process that will never sell them.
    let in_a_minute = chrono::Utc::now() + chrono::Duration::minutes(1);
    dead_process_lease(&app, &sale.event, &sale.ticket_type, 6, in_a_minute).await;
    assert_eq!(
        available(&app, &sale.event).await,
        10,
        "leased places are for sale"
    );
    // 30 buyers race for the 10 places: exactly 10 win, the rest are told sold out.
    let (won, refused) = race(&app, 30, |i| {
        guest(
            &sale.event,
            &sale.ticket_type,
            1,
            &format!("d{i}@example.com"),
        )
    })
    .await;
    assert_eq!(won, 10);
    assert!(refused
        .iter()
        .all(|(s, c)| *s == StatusCode::CONFLICT && c == "sold_out"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 10);
    assert_eq!(ledger(&app, &sale.ticket_type).await, (0, 10, 0, 10));
}

#[tokio::test]
async fn an_expired_lease_is_settled_by_the_sweep_and_its_places_are_back_on_sale() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (status, body, _) = purchase(
        &app,
        "before",
        &guest(&sale.event, &sale.ticket_type, 2, "before@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let gone = chrono::Utc::now() - chrono::Duration::seconds(1);
    dead_process_lease(&app, &sale.event, &sale.ticket_type, 5, gone).await;
    assert_eq!(raw_counters(&app).await, (5, 2));
    let released = bilten_backend::settle_expired_leases(&app.state, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(released, 5);
    assert_eq!(raw_counters(&app).await, (0, 2));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM inventory_leases").await,
        0
    );
    assert_eq!(available(&app, &sale.event).await, 8);
}

#[tokio::test]
async fn a_buyer_refused_for_the_cap_in_a_lease_batch_gives_the_drawn_places_back() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 1000).await;
    let buy = |key: &str, email: &str, quantity: i64| {
        let body = guest(&sale.event, &sale.ticket_type, quantity, email);
        let (app, key) = (&app, key.to_owned());
        async move { purchase(app, &key, &body).await }
    };
    // The first purchase leases 2 % of what is left; the next ones sell from the lease.
    let (status, body, _) = buy("cap-0", "first@example.com", 1).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let leased = 999 / 50;
    let (status, body, _) = buy("cap-1", "capped@example.com", 9).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(raw_counters(&app).await, (leased, 1), "sold from the lease");
    // 9 + 2 is over the event's cap of 10: the batch drew 2 from the lease, then the buyer's
    // counter refused them, and the 2 go back to the lease in the same transaction.
    let (status, body, _) = buy("cap-2", "capped@example.com", 2).await;
    assert!(status.is_client_error(), "{status}: {body}");
    assert_eq!(body["error"]["code"], "limit_exceeded", "{body}");
    assert_eq!(
        count(&app, "SELECT remaining FROM inventory_leases").await,
        leased - 9
    );
    assert_eq!(count(&app, "SELECT sold FROM inventory_leases").await, 9);
    assert_eq!(raw_counters(&app).await, (leased, 1));
    assert_eq!(ledger(&app, &sale.ticket_type).await, (0, 10, 0, 10));
}
