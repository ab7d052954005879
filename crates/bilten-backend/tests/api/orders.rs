use std::sync::Arc;

use bilten_domain::{OrderId, QuotaId, TicketTypeId};
use bilten_test_support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::ticketing_helpers::{
    add_ticket_type, available_of, create_event, create_org, event_body, event_on_sale,
    guest_order, place_order, publish, verified_user,
};

async fn ledger(app: &TestApp, ticket_type: &str) -> (i64, i64, i64, i64) {
    let id: TicketTypeId = ticket_type.parse().unwrap();
    bilten_store::orders::ticket_type_ledger(app.store.primary(), id)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_guest_order_holds_its_tickets_until_expiry_and_lowers_availability() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (status, body) = place_order(
        &app,
        None,
        "key-1",
        &guest_order(&sale.event, &sale.ticket_type, 3, "guest@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order = &body["order"];
    assert_eq!(order["status"], "pending");
    assert_eq!(order["total"], json!({ "amount": 7500, "currency": "EUR" }));
    assert_eq!(order["lines"][0]["quantity"], 3);
    assert_eq!(order["buyer"]["email"], "guest@example.com");
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(order["expires_at"].clone()).unwrap();
    let minutes = (expires - chrono::Utc::now()).num_minutes();
    assert!(
        (14..=15).contains(&minutes),
        "default hold is 15 minutes, got {minutes}"
    );

    let (_, event) = app
        .get(&format!("/api/v1/events/{}", sale.event), None)
        .await;
    assert_eq!(available_of(&event, &sale.ticket_type), 7);
    assert_eq!(ledger(&app, &sale.ticket_type).await, (3, 0, 3, 0));
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_returns_the_same_order_and_a_different_body_is_refused()
{
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let body = guest_order(&sale.event, &sale.ticket_type, 2, "retry@example.com");
    let (status, first) = place_order(&app, None, "same-key", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = place_order(&app, None, "same-key", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["order"]["id"], first["order"]["id"]);
    assert_eq!(
        ledger(&app, &sale.ticket_type).await.0,
        2,
        "the retry took nothing more"
    );

    let different = guest_order(&sale.event, &sale.ticket_type, 3, "retry@example.com");
    let (status, refused) = place_order(&app, None, "same-key", &different).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused")
        )
    );

    // Concurrent retries of one request create one order.
    let app = Arc::new(app);
    let body = guest_order(&sale.event, &sale.ticket_type, 1, "burst@example.com");
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (app, body) = (app.clone(), body.clone());
            tokio::spawn(async move { place_order(&app, None, "burst-key", &body).await })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.insert(body["order"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(ledger(&app, &sale.ticket_type).await.0, 3);
}

#[tokio::test]
async fn an_order_without_an_idempotency_key_or_with_bad_items_is_refused() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let body = guest_order(&sale.event, &sale.ticket_type, 1, "a@example.com");
    let (status, response) = app.post("/api/v1/orders", None, body).await;
    assert_eq!(
        (status, response["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("idempotency_key_required"))
    );

    let bad = json!({ "event_id": sale.event, "items": [{ "ticket_type_id": "tty_nope", "quantity": 0 }], "buyer": { "email": "x" } });
    let (status, response) = place_order(&app, None, "bad-1", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{response}");
    let fields = response["error"]["fields"].as_object().unwrap();
    for field in [
        "items[0].ticket_type_id",
        "items[0].quantity",
        "buyer.email",
        "buyer.name",
    ] {
        assert!(fields.contains_key(field), "{field} missing: {response}");
    }
    let over = guest_order(&sale.event, &sale.ticket_type, 11, "a@example.com");
    let (status, response) = place_order(&app, None, "bad-2", &over).await;
    assert_eq!(
        (status, response["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("limit_exceeded"))
    );
    assert!(response["error"]["fields"]["items[0]"].is_object());
    assert_eq!(
        ledger(&app, &sale.ticket_type).await,
        (0, 0, 0, 0),
        "nothing half-written"
    );
}

#[tokio::test]
async fn sales_windows_and_the_per_buyer_cap_are_enforced() {
    let app = TestApp::spawn().await;
    let owner = verified_user(&app, "Owner").await;
    let org = create_org(&app, &owner).await;
    let mut body = event_body("Windows");
    body["buyer_cap"] = json!(4);
    let event = create_event(&app, &owner.access_token, &org, body).await;
    let token = owner.access_token.as_str();
    let early = add_ticket_type(&app, token, &event, json!({ "name": "Early", "price": 1000, "capacity": 10, "sales_end": "2020-01-01T00:00:00Z" })).await;
    let later = add_ticket_type(&app, token, &event, json!({ "name": "Later", "price": 1000, "capacity": 10, "sales_start": "2029-01-01T00:00:00Z" })).await;
    let now = add_ticket_type(
        &app,
        token,
        &event,
        json!({ "name": "Now", "price": 1000, "capacity": 100 }),
    )
    .await;
    publish(&app, token, &event).await;

    let (status, body) = place_order(
        &app,
        None,
        "w-1",
        &guest_order(&event, &early, 1, "b@example.com"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("sales_closed"))
    );
    let (status, body) = place_order(
        &app,
        None,
        "w-2",
        &guest_order(&event, &later, 1, "b@example.com"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("sales_not_open"))
    );
    assert!(body["error"]["fields"]["items[0]"].is_object());

    // The cap counts what the buyer already holds for the event, across orders.
    let buyer = app.signed_up_user("Buyer").await;
    let mine = json!({ "event_id": event, "items": [{ "ticket_type_id": now, "quantity": 3 }] });
    let (status, body) = place_order(&app, Some(&buyer.access_token), "cap-1", &mine).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let first = body["order"]["id"].as_str().unwrap().to_owned();
    let two = json!({ "event_id": event, "items": [{ "ticket_type_id": now, "quantity": 2 }] });
    let (status, body) = place_order(&app, Some(&buyer.access_token), "cap-2", &two).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("limit_exceeded")),
        "{body}"
    );
    // Canceling the first order gives the allowance back.
    let (status, body) = app
        .request(
            Method::DELETE,
            &format!("/api/v1/orders/{first}"),
            Some(&buyer.access_token),
            None,
        )
        .await;
    assert_eq!(
        (status, body["order"]["status"].as_str()),
        (StatusCode::OK, Some("canceled")),
        "{body}"
    );
    let (status, body) = place_order(&app, Some(&buyer.access_token), "cap-3", &two).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn canceling_a_pending_order_frees_its_hold_and_only_the_buyer_may_do_it() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 5).await;
    let buyer = app.signed_up_user("Buyer").await;
    let other = app.signed_up_user("Other").await;
    let body = json!({ "event_id": sale.event, "items": [{ "ticket_type_id": sale.ticket_type, "quantity": 5 }] });
    let (status, order) = place_order(&app, Some(&buyer.access_token), "c-1", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["order"]["buyer"]["email"], buyer.email.as_str());
    let path = format!("/api/v1/orders/{}", order["order"]["id"].as_str().unwrap());

    assert_eq!(
        app.get(&path, Some(&other.access_token)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.request(Method::DELETE, &path, Some(&other.access_token), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&path, Some(&sale.organizer.access_token)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.request(
            Method::DELETE,
            &path,
            Some(&sale.organizer.access_token),
            None
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    let (status, _) = place_order(
        &app,
        None,
        "c-2",
        &guest_order(&sale.event, &sale.ticket_type, 1, "late@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = app
        .request(Method::DELETE, &path, Some(&buyer.access_token), None)
        .await;
    assert_eq!(
        (status, body["order"]["status"].as_str()),
        (StatusCode::OK, Some("canceled"))
    );
    let (status, body) = app
        .request(Method::DELETE, &path, Some(&buyer.access_token), None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("order_not_pending"))
    );
    assert_eq!(ledger(&app, &sale.ticket_type).await, (0, 0, 0, 0));
    let (status, _) = place_order(
        &app,
        None,
        "c-3",
        &guest_order(&sale.event, &sale.ticket_type, 5, "late@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn expired_holds_stop_counting_at_once_and_are_released_exactly_once() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 4).await;
    let (_, first) = place_order(
        &app,
        None,
        "e-1",
        &guest_order(&sale.event, &sale.ticket_type, 2, "one@example.com"),
    )
    .await;
    let (_, second) = place_order(
        &app,
        None,
        "e-2",
        &guest_order(&sale.event, &sale.ticket_type, 2, "two@example.com"),
    )
    .await;
    let (status, body) = place_order(
        &app,
        None,
        "e-3",
        &guest_order(&sale.event, &sale.ticket_type, 1, "three@example.com"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("sold_out"))
    );
    assert!(body["error"]["fields"]["items[0]"].is_object(), "{body}");

    // Both holds run out; before any worker runs, reads no longer count them.
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    for order in [&first, &second] {
        let id: OrderId = order["order"]["id"].as_str().unwrap().parse().unwrap();
        bilten_store::orders::set_expires_at(app.store.primary(), id, past)
            .await
            .unwrap();
    }
    let (_, event) = app
        .get(&format!("/api/v1/events/{}", sale.event), None)
        .await;
    assert_eq!(available_of(&event, &sale.ticket_type), 4);

    // A buyer is not refused because of a lapsed hold: the purchase releases it first.
    let (status, body) = place_order(
        &app,
        None,
        "e-4",
        &guest_order(&sale.event, &sale.ticket_type, 3, "four@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The worker (several replicas racing) finds nothing left to release twice.
    let runs = futures::future::join_all(
        (0..4).map(|_| bilten_backend::release_lapsed(&app.state, None, chrono::Utc::now())),
    )
    .await;
    let released: usize = runs.into_iter().map(Result::unwrap).sum();
    assert_eq!(
        released, 0,
        "both lapsed holds were already released by the purchase"
    );
    assert_eq!(ledger(&app, &sale.ticket_type).await, (3, 0, 3, 0));

    let buyer_view = format!("/api/v1/orders/{}", first["order"]["id"].as_str().unwrap());
    let (_, body) = app
        .get(&buyer_view, Some(&sale.organizer.access_token))
        .await;
    assert_eq!(body["order"]["status"], "expired");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("bilten_holds_expired_total 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_hold_expiry_worker_marks_lapsed_orders_expired_and_returns_their_tickets() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (_, order) = place_order(
        &app,
        None,
        "w-1",
        &guest_order(&sale.event, &sale.ticket_type, 4, "w@example.com"),
    )
    .await;
    let id: OrderId = order["order"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        bilten_backend::release_lapsed(&app.state, None, chrono::Utc::now())
            .await
            .unwrap(),
        0,
        "a live hold stays"
    );
    bilten_store::orders::set_expires_at(
        app.store.primary(),
        id,
        chrono::Utc::now() - chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    let runs = futures::future::join_all(
        (0..3).map(|_| bilten_backend::release_lapsed(&app.state, None, chrono::Utc::now())),
    )
    .await;
    assert_eq!(
        runs.into_iter().map(Result::unwrap).sum::<usize>(),
        1,
        "released exactly once"
    );
    assert_eq!(ledger(&app, &sale.ticket_type).await, (0, 0, 0, 0));
    let stored = bilten_store::orders::find_order(app.store.primary(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status.as_str(), "expired");
}

/// R1: 200 buyers at once for the last 50 tickets.
#[tokio::test]
async fn two_hundred_concurrent_buyers_for_the_last_fifty_tickets_get_exactly_fifty() {
    let app = Arc::new(TestApp::spawn().await);
    let sale = event_on_sale(&app, 50).await;
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let app = app.clone();
            let body = guest_order(
                &sale.event,
                &sale.ticket_type,
                1,
                &format!("buyer{i}@example.com"),
            );
            tokio::spawn(async move { place_order(&app, None, &format!("race-{i}"), &body).await })
        })
        .collect();
    let (mut won, mut lost) = (0, 0);
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => won += 1,
            StatusCode::CONFLICT => {
                assert_eq!(body["error"]["code"], "sold_out", "{body}");
                lost += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((won, lost), (50, 150));
    assert_eq!(
        ledger(&app, &sale.ticket_type).await,
        (50, 0, 50, 0),
        "counters equal rows"
    );
}

/// R1 on a quota shared by two ticket types: the quota is the binding limit.
#[tokio::test]
async fn two_hundred_concurrent_buyers_on_a_shared_quota_get_exactly_its_capacity() {
    let app = Arc::new(TestApp::spawn().await);
    let owner = verified_user(&app, "Owner").await;
    let org = create_org(&app, &owner).await;
    let token = owner.access_token.as_str();
    let event = create_event(&app, token, &org, event_body("Quota Night")).await;
    let standing = add_ticket_type(
        &app,
        token,
        &event,
        json!({ "name": "Standing", "price": 2000, "capacity": 200 }),
    )
    .await;
    let balcony = add_ticket_type(
        &app,
        token,
        &event,
        json!({ "name": "Balcony", "price": 3000, "capacity": 200 }),
    )
    .await;
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{event}/quotas"),
            Some(token),
            json!({ "name": "Fire limit", "capacity": 50, "ticket_type_ids": [standing, balcony] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let quota: QuotaId = body["quota"]["id"].as_str().unwrap().parse().unwrap();
    publish(&app, token, &event).await;

    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let app = app.clone();
            let tty = if i % 2 == 0 { &standing } else { &balcony };
            let body = guest_order(&event, tty, 1, &format!("q{i}@example.com"));
            tokio::spawn(async move { place_order(&app, None, &format!("quota-{i}"), &body).await })
        })
        .collect();
    let (mut won, mut lost) = (0, 0);
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => won += 1,
            StatusCode::CONFLICT => {
                assert_eq!(body["error"]["code"], "sold_out", "{body}");
                lost += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((won, lost), (50, 150));
    let (held, sold, held_rows, sold_rows) =
        bilten_store::orders::quota_ledger(app.store.primary(), quota)
            .await
            .unwrap();
    assert_eq!((held, sold, held_rows, sold_rows), (50, 0, 50, 0));
    let (a, b) = (ledger(&app, &standing).await, ledger(&app, &balcony).await);
    assert_eq!(a.0 + b.0, 50);
    assert_eq!((a.0, b.0), (a.2, b.2), "counters equal rows");
    // The public view shows both types as sold out through the quota.
    let (_, body) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(
        (
            available_of(&body, &standing),
            available_of(&body, &balcony)
        ),
        (0, 0)
    );
}

/// S12: one buyer firing many orders at once cannot pass the per-buyer cap (default 10).
#[tokio::test]
async fn one_buyer_firing_thirty_orders_at_once_gets_exactly_the_per_buyer_cap() {
    let app = Arc::new(TestApp::spawn().await);
    let sale = event_on_sale(&app, 100).await;
    let buyer = app.signed_up_user("Greedy").await;
    let body = json!({ "event_id": sale.event, "items": [{ "ticket_type_id": sale.ticket_type, "quantity": 1 }] });
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (app, body, token) = (app.clone(), body.clone(), buyer.access_token.clone());
            tokio::spawn(async move {
                place_order(&app, Some(&token), &format!("greedy-{i}"), &body).await
            })
        })
        .collect();
    let (mut won, mut capped) = (0, 0);
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match (status, body["error"]["code"].as_str()) {
            (StatusCode::CREATED, _) => won += 1,
            (StatusCode::CONFLICT, Some("limit_exceeded")) => capped += 1,
            other => panic!("unexpected {other:?}: {body}"),
        }
    }
    assert_eq!((won, capped), (10, 20));
    assert_eq!(ledger(&app, &sale.ticket_type).await, (10, 0, 10, 0));
}

/// Guests have no account: the order's access key (returned at creation and on replay) lets
/// them read and cancel that one order; without it, or with another order's key, it is 404.
#[tokio::test]
async fn a_guest_reads_and_cancels_their_order_with_its_access_key() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 5).await;
    let body = guest_order(&sale.event, &sale.ticket_type, 2, "guest@example.com");
    let (_, created) = place_order(&app, None, "guest-1", &body).await;
    let key = created["access_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("ok_"));
    let (_, replayed) = place_order(&app, None, "guest-1", &body).await;
    assert_eq!(replayed["access_key"], key.as_str());
    let (_, other) = place_order(
        &app,
        None,
        "guest-2",
        &guest_order(&sale.event, &sale.ticket_type, 1, "x@example.com"),
    )
    .await;
    let path = format!(
        "/api/v1/orders/{}",
        created["order"]["id"].as_str().unwrap()
    );

    let with_key = |method: Method, key: String| {
        let request = app
            .client
            .request(method, app.url(&path))
            .header("x-order-key", key);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (
                status,
                response
                    .json::<serde_json::Value>()
                    .await
                    .unwrap_or_default(),
            )
        }
    };
    assert_eq!(app.get(&path, None).await.0, StatusCode::NOT_FOUND);
    let wrong = other["access_key"].as_str().unwrap().to_owned();
    assert_eq!(
        with_key(Method::GET, wrong.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        with_key(Method::DELETE, wrong).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        with_key(Method::GET, "ok_00".into()).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = with_key(Method::GET, key.clone()).await;
    assert_eq!(
        (status, body["order"]["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );
    let (status, body) = with_key(Method::DELETE, key).await;
    assert_eq!(
        (status, body["order"]["status"].as_str()),
        (StatusCode::OK, Some("canceled"))
    );
    assert_eq!(ledger(&app, &sale.ticket_type).await, (1, 0, 1, 0));
}

/// Issue #12 item 5, concurrently: a quota created while buyers are ordering and paying
/// counts every ticket of its types exactly once (each sale either came before it and is in
/// its starting count, or saw it), so its counters equal its rows and every order can be
/// refunded.
#[tokio::test]
async fn a_quota_created_amid_concurrent_sales_counts_each_of_them_exactly_once() {
    use crate::refund_helpers::{checkout, refund};
    use crate::refunds::{add_quota, quota_ledger};

    let app = Arc::new(TestApp::spawn().await);
    let owner = verified_user(&app, "Owner").await;
    let org = create_org(&app, &owner).await;
    let token = owner.access_token.clone();
    let event = create_event(&app, &token, &org, event_body("Quota Night")).await;
    let mut types = Vec::new();
    for name in ["Standing", "Balcony"] {
        types.push(
            add_ticket_type(
                &app,
                &token,
                &event,
                json!({ "name": name, "price": 1000, "capacity": 100 }),
            )
            .await,
        );
    }
    publish(&app, &token, &event).await;

    let buyers: Vec<_> = (0..40)
        .map(|i| {
            let app = app.clone();
            let body = guest_order(&event, &types[i % 2], 1, &format!("qs{i}@example.com"));
            tokio::spawn(async move {
                let (status, body) = place_order(&app, None, &format!("qs-{i}"), &body).await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                let order = body["order"]["id"].as_str().unwrap().to_owned();
                let key = body["access_key"].as_str().unwrap().to_owned();
                if i % 3 != 0 {
                    let card = json!({ "test_card": "4242424242424242" });
                    let (status, body) = checkout(&app, &order, &key, Some(card)).await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    return Some(order);
                }
                None
            })
        })
        .collect();
    let quota = {
        let (app, token, event, members) =
            (app.clone(), token.clone(), event.clone(), types.clone());
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            let members: Vec<&str> = members.iter().map(String::as_str).collect();
            let (status, body) = add_quota(&app, &token, &event, 200, &members).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            body["quota"]["id"].as_str().unwrap().to_owned()
        })
    };
    let mut paid = Vec::new();
    for buyer in buyers {
        paid.extend(buyer.await.unwrap());
    }
    let quota = quota.await.unwrap();
    let (held, sold, held_rows, sold_rows) = quota_ledger(&app, &quota).await;
    assert_eq!((held, sold), (held_rows, sold_rows), "counters equal rows");
    assert_eq!((held + sold, sold), (40, paid.len() as i64));

    for order in &paid {
        let (status, body) = refund(&app, &token, order, json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert_eq!(quota_ledger(&app, &quota).await, (held, 0, held_rows, 0));
    for ticket_type in &types {
        let (_, sold, _, sold_rows) = ledger(&app, ticket_type).await;
        assert_eq!((sold, sold_rows), (0, 0));
    }
}

/// An order or purchase for an event that does not exist is a 404, not a failed batch.
#[tokio::test]
async fn an_order_for_an_event_that_does_not_exist_is_not_found() {
    let app = TestApp::spawn().await;
    let body = json!({
        "event_id": bilten_domain::EventId::new().to_string(),
        "items": [{ "ticket_type_id": bilten_domain::TicketTypeId::new().to_string(), "quantity": 1 }],
        "buyer": { "email": "ada@example.com", "name": "Ada" }
    });
    for path in ["/api/v1/orders", "/api/v1/purchases"] {
        let response = app
            .client
            .post(app.url(path))
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], "not_found");
    }
}
