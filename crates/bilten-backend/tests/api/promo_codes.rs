use std::sync::Arc;

use bilten_domain::{OrderId, PromoCodeId, TicketTypeId};
use bilten_test_support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::ticketing_helpers::{
    add_ticket_type, create_event, create_org, event_body, event_on_sale, guest_order, place_order,
    publish, verified_user, OnSale,
};

async fn create_promo(app: &TestApp, token: &str, event: &str, body: Value) -> Value {
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{event}/promo-codes"),
            Some(token),
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["promo_code"].clone()
}

fn with_promo(mut order: Value, code: &str) -> Value {
    order["promo_code"] = json!(code);
    order
}

async fn promo_ledger(app: &TestApp, promo: &Value) -> (i64, i64) {
    let id: PromoCodeId = promo["id"].as_str().unwrap().parse().unwrap();
    bilten_store::promo::ledger(app.store.primary(), id)
        .await
        .unwrap()
}

async fn held(app: &TestApp, ticket_type: &str) -> i64 {
    let id: TicketTypeId = ticket_type.parse().unwrap();
    bilten_store::orders::ticket_type_ledger(app.store.primary(), id)
        .await
        .unwrap()
        .0
}

fn error_code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

/// An event with two paid ticket types: "Standing" at 25.00 and "Seated" at 10.00.
async fn two_types(app: &TestApp) -> (OnSale, String) {
    let sale = event_on_sale(app, 100).await;
    let seated = add_ticket_type(
        app,
        &sale.organizer.access_token,
        &sale.event,
        json!({ "name": "Seated", "price": 1000, "capacity": 100 }),
    )
    .await;
    (sale, seated)
}

#[tokio::test]
async fn a_percent_code_discounts_only_its_ticket_types_and_ignores_case() {
    let app = TestApp::spawn().await;
    let (sale, seated) = two_types(&app).await;
    let token = sale.organizer.access_token.as_str();
    let promo = create_promo(
        &app,
        token,
        &sale.event,
        json!({
            "code": "Summer-25",
            "discount": { "kind": "percent", "basis_points": 2500 },
            "max_uses": 10,
            "ticket_type_ids": [sale.ticket_type],
        }),
    )
    .await;
    assert_eq!(promo["code"], "SUMMER-25");
    assert_eq!(
        (promo["uses"].as_i64(), promo["remaining"].as_i64()),
        (Some(0), Some(10))
    );

    let order = json!({
        "event_id": sale.event,
        "items": [
            { "ticket_type_id": sale.ticket_type, "quantity": 3 },
            { "ticket_type_id": seated, "quantity": 1 },
        ],
        "promo_code": "summer-25",
        "buyer": { "email": "p@example.com", "name": "Promo Buyer" },
    });
    let (status, body) = place_order(&app, None, "p-1", &order).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order_view = &body["order"];
    // 25 % of 75.00 (Standing only) = 18.75; Seated pays in full.
    assert_eq!(order_view["subtotal"]["amount"], 8500);
    assert_eq!(order_view["discount"]["amount"], 1875);
    assert_eq!(order_view["total"]["amount"], 6625);
    assert_eq!(order_view["promo_code"], "SUMMER-25");
    let lines = order_view["lines"].as_array().unwrap();
    let line = |id: &str| lines.iter().find(|l| l["ticket_type_id"] == id).unwrap();
    assert_eq!(line(&sale.ticket_type)["discount"]["amount"], 1875);
    assert_eq!(line(&sale.ticket_type)["total"]["amount"], 5625);
    assert_eq!(line(&seated)["discount"]["amount"], 0);
    assert_eq!(line(&seated)["total"]["amount"], 1000);

    // The same key and body is the same order (no second use); another code is another body.
    let (status, again) = place_order(&app, None, "p-1", &order).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["order"]["id"], order_view["id"]);
    let (status, body) = place_order(&app, None, "p-1", &with_promo(order.clone(), "OTHER")).await;
    assert_eq!(
        (status, error_code(&body)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused")
        )
    );
    assert_eq!(promo_ledger(&app, &promo).await, (1, 1));

    let (status, list) = app
        .get(
            &format!("/api/v1/events/{}/promo-codes", sale.event),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"][0]["uses"], 1);
    assert_eq!(
        list["items"][0]["discount"],
        json!({ "kind": "percent", "basis_points": 2500 })
    );
}

#[tokio::test]
async fn a_fixed_discount_larger_than_the_price_makes_the_order_free_not_negative() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    create_promo(
        &app,
        &sale.organizer.access_token,
        &sale.event,
        json!({ "code": "GIFT", "discount": { "kind": "fixed", "amount": { "amount": 10000, "currency": "EUR" } } }),
    )
    .await;
    let order = with_promo(
        guest_order(&sale.event, &sale.ticket_type, 2, "f@example.com"),
        "gift",
    );
    let (status, body) = place_order(&app, None, "f-1", &order).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["order"]["discount"]["amount"], 5000);
    assert_eq!(body["order"]["total"]["amount"], 0);
    assert_eq!(body["order"]["lines"][0]["total"]["amount"], 0);
}

#[tokio::test]
async fn unknown_inactive_out_of_window_and_inapplicable_codes_are_refused_and_nothing_is_taken() {
    let app = TestApp::spawn().await;
    let (sale, seated) = two_types(&app).await;
    let token = sale.organizer.access_token.as_str();
    let promo = create_promo(
        &app,
        token,
        &sale.event,
        json!({ "code": "SEATS", "discount": { "kind": "percent", "basis_points": 1000 }, "ticket_type_ids": [seated] }),
    )
    .await;
    create_promo(
        &app,
        token,
        &sale.event,
        json!({ "code": "LATER", "discount": { "kind": "percent", "basis_points": 1000 }, "valid_from": "2029-12-01T00:00:00Z" }),
    )
    .await;
    create_promo(
        &app,
        token,
        &sale.event,
        json!({ "code": "OVER", "discount": { "kind": "percent", "basis_points": 1000 }, "valid_until": "2020-01-01T00:00:00Z" }),
    )
    .await;
    let standing = guest_order(&sale.event, &sale.ticket_type, 1, "x@example.com");
    let refusals = [
        ("u-1", "NOPE", "promo_code_invalid"),
        ("u-2", "bad code!", "promo_code_invalid"),
        ("u-3", "later", "promo_code_invalid"),
        ("u-4", "over", "promo_code_invalid"),
        ("u-5", "seats", "promo_code_not_applicable"),
    ];
    for (key, code, expected) in refusals {
        let (got, body) = place_order(&app, None, key, &with_promo(standing.clone(), code)).await;
        assert_eq!(
            (got, error_code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(expected)),
            "{code}"
        );
        assert_eq!(body["error"]["fields"]["promo_code"]["code"], expected);
    }
    // Deactivated: invalid too; reactivated: usable again.
    let path = format!("/api/v1/promo-codes/{}", promo["id"].as_str().unwrap());
    let seats = with_promo(
        guest_order(&sale.event, &seated, 1, "y@example.com"),
        "SEATS",
    );
    let (status, body) = app
        .request(
            Method::PATCH,
            &path,
            Some(token),
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(
        (status, body["promo_code"]["active"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    let (status, body) = place_order(&app, None, "u-6", &seats).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("promo_code_invalid"))
    );
    assert_eq!(
        (
            held(&app, &sale.ticket_type).await,
            held(&app, &seated).await
        ),
        (0, 0),
        "refused orders take nothing"
    );
    app.request(
        Method::PATCH,
        &path,
        Some(token),
        Some(json!({ "active": true })),
    )
    .await;
    let (status, body) = place_order(&app, None, "u-7", &seats).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["order"]["total"]["amount"], 900);
}

#[tokio::test]
async fn hidden_ticket_types_are_shown_and_sold_only_with_a_code_that_reveals_them() {
    let app = TestApp::spawn().await;
    let owner = verified_user(&app, "Owner").await;
    let org = create_org(&app, &owner).await;
    let token = owner.access_token.as_str();
    let event = create_event(&app, token, &org, event_body("Secret Show")).await;
    add_ticket_type(
        &app,
        token,
        &event,
        json!({ "name": "Public", "price": 2000, "capacity": 10 }),
    )
    .await;
    let hidden = add_ticket_type(
        &app,
        token,
        &event,
        json!({ "name": "Crew", "price": 500, "capacity": 10, "visibility": "hidden" }),
    )
    .await;
    publish(&app, token, &event).await;
    create_promo(
        &app,
        token,
        &event,
        json!({ "code": "CREW", "discount": { "kind": "percent", "basis_points": 10000 }, "reveals_hidden": true, "ticket_type_ids": [hidden] }),
    )
    .await;
    create_promo(
        &app,
        token,
        &event,
        json!({ "code": "PLAIN", "discount": { "kind": "percent", "basis_points": 1000 } }),
    )
    .await;

    let shown = |body: &Value| {
        body["ticket_types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == hidden.as_str())
    };
    let (_, body) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert!(!shown(&body));
    assert!(body.get("promo_code").is_none());
    let (_, body) = app
        .get(&format!("/api/v1/events/{event}?promo_code=plain"), None)
        .await;
    assert!(
        !shown(&body),
        "a code that does not reveal shows nothing new"
    );
    let (_, body) = app
        .get(&format!("/api/v1/events/{event}?promo_code=crew"), None)
        .await;
    assert!(shown(&body), "{body}");
    assert_eq!(body["promo_code"]["code"], "CREW");
    let (_, body) = app
        .get(&format!("/api/v1/events/{event}?promo_code=WRONG"), None)
        .await;
    assert!(!shown(&body));
    assert!(body["promo_code"].is_null());

    let crew = guest_order(&event, &hidden, 1, "c@example.com");
    for (key, code) in [("h-1", None), ("h-2", Some("PLAIN"))] {
        let body = code.map_or_else(|| crew.clone(), |c| with_promo(crew.clone(), c));
        let (status, body) = place_order(&app, None, key, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            body["error"]["fields"]["items[0].ticket_type_id"]["code"],
            "not_found"
        );
    }
    let (status, body) = place_order(&app, None, "h-3", &with_promo(crew, "Crew")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["order"]["total"]["amount"], 0);
}

#[tokio::test]
async fn a_use_comes_back_when_the_hold_is_canceled_or_expires() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let promo = create_promo(
        &app,
        &sale.organizer.access_token,
        &sale.event,
        json!({ "code": "ONCE", "discount": { "kind": "percent", "basis_points": 5000 }, "max_uses": 1 }),
    )
    .await;
    let order = |email: &str| {
        with_promo(
            guest_order(&sale.event, &sale.ticket_type, 1, email),
            "ONCE",
        )
    };
    let (status, first) = place_order(&app, None, "o-1", &order("a@example.com")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, body) = place_order(&app, None, "o-2", &order("b@example.com")).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, Some("promo_code_exhausted"))
    );

    // Canceled: the use is back.
    let id = first["order"]["id"].as_str().unwrap();
    let key = first["access_key"].as_str().unwrap();
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/orders/{id}")))
        .header("x-order-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(promo_ledger(&app, &promo).await, (0, 0));
    let (status, second) = place_order(&app, None, "o-3", &order("b@example.com")).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");

    // Lapsed (not yet released by the worker): the next buyer releases it and gets the use.
    let second_id: OrderId = second["order"]["id"].as_str().unwrap().parse().unwrap();
    bilten_store::orders::set_expires_at(
        app.store.primary(),
        second_id,
        chrono::Utc::now() - chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    let (status, third) = place_order(&app, None, "o-4", &order("c@example.com")).await;
    assert_eq!(status, StatusCode::CREATED, "{third}");
    assert_eq!(promo_ledger(&app, &promo).await, (1, 1));
    let stored = bilten_store::orders::find_order(app.store.primary(), second_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status.as_str(), "expired");
}

#[tokio::test]
async fn promo_code_input_is_checked_and_the_limit_cannot_drop_below_the_uses() {
    let app = TestApp::spawn().await;
    let (sale, _) = two_types(&app).await;
    let token = sale.organizer.access_token.as_str();
    let path = format!("/api/v1/events/{}/promo-codes", sale.event);
    let (status, body) = app
        .post(
            &path,
            Some(token),
            json!({
                "code": "x",
                "discount": { "kind": "percent", "basis_points": 0 },
                "max_uses": -1,
                "valid_from": "2030-01-02T00:00:00Z",
                "valid_until": "2030-01-01T00:00:00Z",
                "ticket_type_ids": ["tty_nope"],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = body["error"]["fields"].as_object().unwrap();
    for field in [
        "code",
        "discount",
        "max_uses",
        "valid_until",
        "ticket_type_ids",
    ] {
        assert!(fields.contains_key(field), "{field} missing: {body}");
    }
    let (status, body) = app
        .post(
            &path,
            Some(token),
            json!({ "code": "USD", "discount": { "kind": "fixed", "amount": { "amount": 100, "currency": "USD" } } }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["fields"]["discount"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("currency_mismatch"))
    );

    let promo = create_promo(
        &app,
        token,
        &sale.event,
        json!({ "code": "TWICE", "discount": { "kind": "percent", "basis_points": 500 }, "max_uses": 2 }),
    )
    .await;
    let order = with_promo(
        guest_order(&sale.event, &sale.ticket_type, 1, "t@example.com"),
        "TWICE",
    );
    assert_eq!(
        place_order(&app, None, "t-1", &order).await.0,
        StatusCode::CREATED
    );
    let promo_path = format!("/api/v1/promo-codes/{}", promo["id"].as_str().unwrap());
    let (status, body) = app
        .request(
            Method::PATCH,
            &promo_path,
            Some(token),
            Some(json!({ "max_uses": 0 })),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, Some("max_uses_below_used"))
    );
    let (status, body) = app
        .request(
            Method::PATCH,
            &promo_path,
            Some(token),
            Some(json!({ "max_uses": null, "valid_until": "2031-01-01T00:00:00Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["promo_code"]["max_uses"].is_null());
    assert!(body["promo_code"]["valid_until"].is_string());
    let (status, body) = app
        .request(
            Method::PATCH,
            &promo_path,
            Some(token),
            Some(json!({ "discount": { "kind": "percent", "basis_points": 9000 } })),
        )
        .await;
    assert_eq!(
        (status, body["error"]["fields"]["discount"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("immutable"))
    );
}

#[tokio::test]
async fn a_code_is_unique_per_event_whatever_its_case() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.as_str();
    let path = format!("/api/v1/events/{}/promo-codes", sale.event);
    create_promo(
        &app,
        token,
        &sale.event,
        json!({ "code": "TWICE", "discount": { "kind": "percent", "basis_points": 500 } }),
    )
    .await;
    let (status, body) = app
        .post(
            &path,
            Some(token),
            json!({ "code": "twice", "discount": { "kind": "percent", "basis_points": 500 } }),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, Some("promo_code_taken"))
    );

    // Another event may use the same text.
    let other = event_on_sale(&app, 10).await;
    create_promo(
        &app,
        &other.organizer.access_token,
        &other.event,
        json!({ "code": "twice", "discount": { "kind": "percent", "basis_points": 500 } }),
    )
    .await;
}

/// R1 for promo codes: 200 buyers at once for a code's last 50 uses (plenty of tickets).
#[tokio::test]
async fn two_hundred_concurrent_buyers_for_a_codes_last_fifty_uses_get_exactly_fifty() {
    let app = Arc::new(TestApp::spawn().await);
    let sale = event_on_sale(&app, 500).await;
    let promo = create_promo(
        &app,
        &sale.organizer.access_token,
        &sale.event,
        json!({ "code": "RUSH", "discount": { "kind": "percent", "basis_points": 2000 }, "max_uses": 60 }),
    )
    .await;
    // Ten uses already gone: the race is for the last fifty.
    for i in 0..10 {
        let body = with_promo(
            guest_order(
                &sale.event,
                &sale.ticket_type,
                1,
                &format!("early{i}@example.com"),
            ),
            "RUSH",
        );
        assert_eq!(
            place_order(&app, None, &format!("early-{i}"), &body)
                .await
                .0,
            StatusCode::CREATED
        );
    }
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let app = app.clone();
            let body = with_promo(
                guest_order(
                    &sale.event,
                    &sale.ticket_type,
                    1,
                    &format!("rush{i}@example.com"),
                ),
                "rush",
            );
            tokio::spawn(async move { place_order(&app, None, &format!("rush-{i}"), &body).await })
        })
        .collect();
    let (mut won, mut lost) = (0, 0);
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => {
                assert_eq!(body["order"]["discount"]["amount"], 500);
                won += 1;
            }
            StatusCode::CONFLICT => {
                assert_eq!(error_code(&body), Some("promo_code_exhausted"), "{body}");
                lost += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((won, lost), (50, 150));
    assert_eq!(
        promo_ledger(&app, &promo).await,
        (60, 60),
        "uses equal live orders carrying the code"
    );
    assert_eq!(
        held(&app, &sale.ticket_type).await,
        60,
        "losers took no tickets"
    );
}

/// Starts a hosted checkout for an order (guest, by its access key); returns the payment id.
async fn start_checkout(app: &TestApp, created: &Value) -> String {
    let id = created["order"]["id"].as_str().unwrap();
    let response = app
        .client
        .post(app.url(&format!("/api/v1/orders/{id}/checkout")))
        .header("x-order-key", created["access_key"].as_str().unwrap())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["payment"]["id"].as_str().unwrap().to_owned()
}

/// Pays on the test provider's hosted page, as a buyer returning late would; the page's status
/// (200 paid, 409 refunded).
async fn pay_on_hosted_page(app: &TestApp, payment: &str) -> StatusCode {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/pay/test/{payment}")))
        .form(&[("card_number", "4242424242424242")])
        .send()
        .await
        .unwrap();
    response.status()
}

async fn lapse(app: &TestApp, created: &Value) -> OrderId {
    let id: OrderId = created["order"]["id"].as_str().unwrap().parse().unwrap();
    bilten_store::orders::set_expires_at(
        app.store.primary(),
        id,
        chrono::Utc::now() - chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    id
}

async fn status_of(app: &TestApp, id: OrderId) -> String {
    bilten_store::orders::find_order(app.store.primary(), id)
        .await
        .unwrap()
        .unwrap()
        .status
        .as_str()
        .to_owned()
}

/// A payment that arrives after the hold was released takes the promo use again, like its
/// tickets; if the code was used up meanwhile, the payment is refunded (never an over-use).
#[tokio::test]
async fn a_late_payment_takes_the_use_again_or_is_refunded_when_the_code_is_used_up() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 2).await;
    let promo = create_promo(
        &app,
        &sale.organizer.access_token,
        &sale.event,
        json!({ "code": "LATE", "discount": { "kind": "percent", "basis_points": 5000 }, "max_uses": 1 }),
    )
    .await;
    let with_code = |email: &str| {
        with_promo(
            guest_order(&sale.event, &sale.ticket_type, 1, email),
            "LATE",
        )
    };

    // Use still free when the late payment arrives: paid, use taken again.
    let (_, first) = place_order(&app, None, "late-1", &with_code("a@example.com")).await;
    let payment = start_checkout(&app, &first).await;
    let first_id = lapse(&app, &first).await;
    // Two tickets wanted, one left: the purchase releases the lapsed hold (and its use).
    let (status, other) = place_order(
        &app,
        None,
        "late-2",
        &guest_order(&sale.event, &sale.ticket_type, 2, "b@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    assert_eq!(promo_ledger(&app, &promo).await, (0, 0));
    let response = app
        .client
        .delete(app.url(&format!(
            "/api/v1/orders/{}",
            other["order"]["id"].as_str().unwrap()
        )))
        .header("x-order-key", other["access_key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(pay_on_hosted_page(&app, &payment).await, StatusCode::OK);
    assert_eq!(status_of(&app, first_id).await, "paid");
    assert_eq!(promo_ledger(&app, &promo).await, (1, 1));

    // Used up by someone else meanwhile: refunded, the use stays with the other order.
    let sale = event_on_sale(&app, 10).await;
    let promo = create_promo(
        &app,
        &sale.organizer.access_token,
        &sale.event,
        json!({ "code": "LATE", "discount": { "kind": "percent", "basis_points": 5000 }, "max_uses": 1 }),
    )
    .await;
    let with_code = |email: &str| {
        with_promo(
            guest_order(&sale.event, &sale.ticket_type, 1, email),
            "LATE",
        )
    };
    let (_, first) = place_order(&app, None, "late-3", &with_code("c@example.com")).await;
    let payment = start_checkout(&app, &first).await;
    let first_id = lapse(&app, &first).await;
    let (status, body) = place_order(&app, None, "late-4", &with_code("d@example.com")).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the lapsed hold's use was freed: {body}"
    );
    assert_eq!(
        pay_on_hosted_page(&app, &payment).await,
        StatusCode::CONFLICT
    );
    assert_eq!(status_of(&app, first_id).await, "refunded");
    assert_eq!(promo_ledger(&app, &promo).await, (1, 1));
}

#[tokio::test]
async fn a_full_refund_gives_the_use_back_and_a_partial_one_does_not() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let organizer = sale.organizer.access_token.clone();
    let promo = create_promo(
        &app,
        &organizer,
        &sale.event,
        json!({ "code": "TWICE", "discount": { "kind": "percent", "basis_points": 1000 }, "max_uses": 2 }),
    )
    .await;
    let pay = |key: &'static str, email: &'static str| {
        let app = &app;
        let sale = &sale;
        async move {
            let body = with_promo(
                guest_order(&sale.event, &sale.ticket_type, 2, email),
                "TWICE",
            );
            let (status, created) = place_order(app, None, key, &body).await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            let id = created["order"]["id"].as_str().unwrap().to_owned();
            let access = created["access_key"].as_str().unwrap().to_owned();
            let response = app
                .client
                .post(app.url(&format!("/api/v1/orders/{id}/checkout")))
                .header("x-order-key", &access)
                .json(&json!({ "test_card": "4242424242424242" }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let paid: Value = response.json().await.unwrap();
            (id, paid["tickets"][0]["id"].as_str().unwrap().to_owned())
        }
    };
    let (first, first_ticket) = pay("r-1", "a@example.com").await;
    let (second, _) = pay("r-2", "b@example.com").await;
    assert_eq!(promo_ledger(&app, &promo).await, (2, 2));

    // One ticket of the first order back: the order still uses the code.
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{first}/refund"),
            Some(&organizer),
            json!({ "ticket_ids": [first_ticket] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(promo_ledger(&app, &promo).await, (2, 2));
    // The whole second order back: its use is free again, and another buyer can take it.
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{second}/refund"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(promo_ledger(&app, &promo).await, (1, 1));
    let (status, body) = place_order(
        &app,
        None,
        "r-3",
        &with_promo(
            guest_order(&sale.event, &sale.ticket_type, 1, "c@example.com"),
            "TWICE",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
