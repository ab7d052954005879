//! Paying for orders and the tickets that come out: checkout with the test provider, the
//! hosted page, completion (also racing the hold-expiry worker and itself), late payments,
//! signed codes that verify against the published keys, ticket views, QR, PDF, re-issue and
//! the confirmation mail over real SMTP.

use base64::Engine as _;
use bilten_domain::ticket_code::{verify, PublicKeyEntry};
use bilten_domain::{OrderId, TicketId, TicketTypeId};
use bilten_test_support::{TestApp, TestUser};
use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::smtp::{delivered, real_smtp};
use crate::ticketing_helpers::{
    add_ticket_type, create_event, create_org, event_body, event_on_sale, guest_order, place_order,
    publish, verified_user,
};

const GOOD_CARD: &str = "4242424242424242";

/// Sends a request with an optional bearer token, `X-Order-Key` and JSON body.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    order_key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = order_key {
        request = request.header("x-order-key", key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A guest order of `quantity` tickets; returns `(order id, access key)`.
async fn guest_buys(
    app: &TestApp,
    event: &str,
    ticket_type: &str,
    quantity: i64,
) -> (String, String) {
    let email = format!("guest-{}@example.com", uuid::Uuid::new_v4().simple());
    let (status, body) = place_order(
        app,
        None,
        &uuid::Uuid::new_v4().to_string(),
        &guest_order(event, ticket_type, quantity, &email),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["order"]["id"].as_str().unwrap().to_owned(),
        body["access_key"].as_str().unwrap().to_owned(),
    )
}

async fn checkout(
    app: &TestApp,
    order: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call(
        app,
        Method::POST,
        &format!("/api/v1/orders/{order}/checkout"),
        None,
        Some(key),
        body,
    )
    .await
}

/// Starts a hosted checkout; returns `(payment id, page path)`.
async fn start_hosted(app: &TestApp, order: &str, key: &str) -> (String, String) {
    let (status, body) = checkout(app, order, key, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let url = body["redirect_url"].as_str().unwrap();
    let path = url[url.find("/api/v1/").unwrap()..].to_owned();
    (body["payment"]["id"].as_str().unwrap().to_owned(), path)
}

async fn submit_card(app: &TestApp, page: &str, card: &str) -> (StatusCode, String) {
    let response = app
        .client
        .post(app.url(page))
        .form(&[("card_number", card)])
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The published keys of an event, decoded as a verifier holds them.
pub(crate) async fn published_keys(app: &TestApp, event: &str) -> Vec<PublicKeyEntry> {
    let (status, body) = app
        .get(&format!("/api/v1/events/{event}/ticket-keys"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(k["public_key"].as_str().unwrap())
                .unwrap();
            let entry = PublicKeyEntry::from_bytes(&bytes.try_into().unwrap()).unwrap();
            assert_eq!(entry.key_id().to_hex(), k["key_id"].as_str().unwrap());
            entry
        })
        .collect()
}

/// Checks every ticket's code against the event's published keys.
fn assert_codes_verify(tickets: &[Value], keys: &[PublicKeyEntry]) {
    for ticket in tickets {
        let claims = verify(ticket["code"].as_str().unwrap(), keys)
            .unwrap_or_else(|e| panic!("{ticket}: {e}"));
        let id: TicketId = ticket["id"].as_str().unwrap().parse().unwrap();
        let kind: TicketTypeId = ticket["ticket_type_id"].as_str().unwrap().parse().unwrap();
        assert_eq!((claims.ticket_id, claims.ticket_type_id), (id, kind));
    }
}

async fn ledger(app: &TestApp, ticket_type: &str) -> (i64, i64, i64, i64) {
    let id: TicketTypeId = ticket_type.parse().unwrap();
    bilten_store::orders::ticket_type_ledger(app.store.primary(), id)
        .await
        .unwrap()
}

async fn ticket_count(app: &TestApp, order: &str) -> (i64, i64) {
    let id: OrderId = order.parse().unwrap();
    bilten_store::tickets::count_for_order(app.store.primary(), id)
        .await
        .unwrap()
}

async fn confirmations(app: &TestApp, order: &str) -> i64 {
    bilten_store::outbox::count_with_dedupe_key(
        app.store.primary(),
        &format!("order-confirmation:{order}"),
    )
    .await
    .unwrap()
}

async fn order_status(app: &TestApp, order: &str, key: &str) -> String {
    let (status, body) = call(
        app,
        Method::GET,
        &format!("/api/v1/orders/{order}"),
        None,
        Some(key),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["order"]["status"].as_str().unwrap().to_owned()
}

/// Makes a hold lapse now and lets the expiry worker release it.
async fn expire_and_release(app: &TestApp, order: &str) {
    let id: OrderId = order.parse().unwrap();
    bilten_store::orders::set_expires_at(
        app.store.primary(),
        id,
        Utc::now() - chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    bilten_backend::release_lapsed(&app.state, None, Utc::now())
        .await
        .unwrap();
}

/// The base64 body of the first MIME part with `content_type`, decoded.
fn mime_part(mail: &str, content_type: &str) -> Vec<u8> {
    let start = mail
        .find(&format!("Content-Type: {content_type}"))
        .unwrap_or_else(|| panic!("no {content_type} part in {mail}"));
    let mut lines = mail[start..].lines().skip_while(|l| !l.trim().is_empty());
    let body: String = lines
        .by_ref()
        .skip(1)
        .take_while(|l| !l.starts_with("--") && !l.trim().is_empty())
        .map(str::trim)
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// The text of a PDF's first page, as a PDF reader extracts it.
fn pdf_text(bytes: &[u8]) -> String {
    let document = lopdf::Document::load_mem(bytes).expect("a well-formed PDF");
    assert_eq!(document.get_pages().len(), 1);
    document.extract_text(&[1]).unwrap()
}

#[tokio::test]
async fn an_organizer_sells_and_a_buyer_pays_gets_verifiable_tickets_and_the_pdfs_by_mail() {
    let app = TestApp::spawn().await;
    let outbox = app.mail_dir.clone();
    sell_pay_and_get_the_mail(app, &outbox).await;
}

/// The same sale with the mail going through a real SMTP server (aiosmtpd) into a Maildir.
#[tokio::test]
#[ignore = "needs Python's aiosmtpd package (python3 -m pip install aiosmtpd)"]
async fn an_organizer_sells_and_a_buyer_pays_gets_verifiable_tickets_and_the_pdfs_by_smtp() {
    let (_server, transport, maildir) = real_smtp().await;
    let app = TestApp::spawn_with_transport(transport).await;
    sell_pay_and_get_the_mail(app, &maildir.join("new")).await;
    let _ = std::fs::remove_dir_all(&maildir);
}

/// Organizer sets up and publishes, a buyer orders and pays by test card, the codes verify,
/// and the confirmation with its PDFs arrives as a file in `delivered_dir`.
async fn sell_pay_and_get_the_mail(app: TestApp, delivered_dir: &std::path::Path) {
    // Organizer: organization → event → two ticket types + a quota → publish.
    let organizer = verified_user(&app, "Organizer").await;
    let token = organizer.access_token.as_str();
    let org = create_org(&app, &organizer).await;
    let event = create_event(&app, token, &org, event_body("Summer Jazz")).await;
    let standing = add_ticket_type(
        &app,
        token,
        &event,
        json!({ "name": "Standing", "price": 2500, "capacity": 100 }),
    )
    .await;
    let balcony = add_ticket_type(
        &app,
        token,
        &event,
        json!({ "name": "Balcony", "price": 4000, "capacity": 20 }),
    )
    .await;
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{event}/quotas"),
            Some(token),
            json!({ "name": "Hall", "capacity": 110, "ticket_type_ids": [standing, balcony] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    publish(&app, token, &event).await;

    // Buyer: orders two standing and one balcony, pays with the test card.
    let buyer = app.signed_up_user("Ada Lovelace").await;
    let (status, body) = place_order(
        &app,
        Some(&buyer.access_token),
        "e2e-order",
        &json!({
            "event_id": event,
            "items": [
                { "ticket_type_id": standing, "quantity": 2 },
                { "ticket_type_id": balcony, "quantity": 1 }
            ]
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order = body["order"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["order"]["total"]["amount"], 9000);
    let (status, body) = call(
        &app,
        Method::POST,
        &format!("/api/v1/orders/{order}/checkout"),
        Some(&buyer.access_token),
        None,
        Some(json!({ "test_card": GOOD_CARD })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["order"]["status"], "paid");
    assert_eq!(body["payment"]["status"], "succeeded");
    assert_eq!(body["payment"]["provider"], "test");
    let tickets = body["tickets"].as_array().unwrap().clone();
    assert_eq!(tickets.len(), 3);
    assert!(tickets.iter().all(|t| t["attendee_name"] == "Ada Lovelace"));

    // The codes verify against the published keys, with nothing but the public keys.
    let keys = published_keys(&app, &event).await;
    assert_codes_verify(&tickets, &keys);
    let (status, mine) = app
        .get("/api/v1/me/tickets", Some(&buyer.access_token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["items"].as_array().unwrap().len(), 3);

    // Inventory: held became sold, and the counters equal the rows.
    assert_eq!(ledger(&app, &standing).await, (0, 2, 0, 2));
    assert_eq!(ledger(&app, &balcony).await, (0, 1, 0, 1));

    // The confirmation reaches the SMTP server with three PDFs and the QR codes inline.
    // (The two account verification mails go out too.)
    assert_eq!(app.deliver_mail().await, 3);
    let mails: Vec<String> = delivered(delivered_dir, 3)
        .await
        .into_iter()
        .filter(|m| m.contains("Subject: Your tickets"))
        .collect();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.contains(&format!("To: {}", buyer.email)), "{mail}");
    assert!(
        mail.contains("Subject: Your tickets for Summer Jazz"),
        "{mail}"
    );
    assert_eq!(mail.matches("Content-Type: application/pdf").count(), 3);
    assert_eq!(mail.matches("Content-Type: image/png").count(), 3);
    assert!(mail.contains("multipart/related"), "{mail}");
    assert!(mail.contains("cid:qr-tkt_"), "{mail}");
    let text = pdf_text(&mime_part(mail, "application/pdf"));
    assert!(text.contains("Ada Lovelace"), "{text}");
    assert!(text.contains("Summer Jazz"), "{text}");
    assert!(text.contains("Skenderija"), "{text}");
    // 19:00 UTC is 21:00 in Sarajevo in June.
    assert!(text.contains("21:00"), "{text}");
    assert_eq!(app.deliver_mail().await, 0);
}

#[tokio::test]
async fn declined_test_cards_answer_402_with_the_decline_code_and_the_order_stays_payable() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) = guest_buys(&app, &sale.event, &sale.ticket_type, 1).await;
    for (card, code) in [
        ("4000000000000002", "card_declined"),
        ("4000 0000 0000 9995", "insufficient_funds"),
        ("4000000000000069", "expired_card"),
    ] {
        let (status, body) = checkout(&app, &order, &key, Some(json!({ "test_card": card }))).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
        assert_eq!(body["error"]["code"], "payment_declined");
        assert_eq!(body["error"]["fields"]["test_card"]["code"], code);
    }
    let (status, body) = checkout(
        &app,
        &order,
        &key,
        Some(json!({ "test_card": "4111111111111111" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["fields"]["test_card"]["code"],
        "unknown_test_card"
    );
    let (status, body) = checkout(&app, &order, &key, Some(json!({ "card": 1 }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(order_status(&app, &order, &key).await, "pending");
    assert_eq!(ticket_count(&app, &order).await, (0, 0));
    // Only the buyer may pay: without the key the order does not exist.
    let (status, _) = checkout(&app, &order, "ok_wrong", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // And it still can be paid.
    let (status, body) =
        checkout(&app, &order, &key, Some(json!({ "test_card": GOOD_CARD }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        checkout(&app, &order, &key, Some(json!({ "test_card": GOOD_CARD }))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "order_already_paid");
}

#[tokio::test]
async fn the_hosted_test_page_takes_a_card_and_completes_the_order_once() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) = guest_buys(&app, &sale.event, &sale.ticket_type, 2).await;
    let (payment, page) = start_hosted(&app, &order, &key).await;
    assert!(page.ends_with(&payment), "{page}");
    let html = app.client.get(app.url(&page)).send().await.unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    let html = html.text().await.unwrap();
    assert!(html.contains("name=\"card_number\""), "{html}");
    assert!(html.contains("50.00"), "{html}");

    let (status, html) = submit_card(&app, &page, "4000000000009995").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert!(html.contains("insufficient funds"), "{html}");
    assert!(
        !html.contains("4000000000009995\" "),
        "the number is not echoed into the form"
    );
    assert_eq!(order_status(&app, &order, &key).await, "pending");

    // Eight submissions of a good card at once: one completion, one set, one mail.
    let submissions = (0..8).map(|_| submit_card(&app, &page, GOOD_CARD));
    let results = futures::future::join_all(submissions).await;
    assert!(
        results.iter().all(|(s, _)| *s == StatusCode::OK),
        "{results:?}"
    );
    assert_eq!(order_status(&app, &order, &key).await, "paid");
    assert_eq!(ticket_count(&app, &order).await, (2, 2));
    assert_eq!(confirmations(&app, &order).await, 1);
    assert_eq!(ledger(&app, &sale.ticket_type).await, (0, 2, 0, 2));
    // A guest sees the tickets on the order.
    let (_, body) = call(
        &app,
        Method::GET,
        &format!("/api/v1/orders/{order}"),
        None,
        Some(&key),
        None,
    )
    .await;
    assert_eq!(body["tickets"].as_array().unwrap().len(), 2);
    let (status, html) = submit_card(&app, &page, GOOD_CARD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Payment received"));
    let (status, _) = submit_card(&app, "/api/v1/pay/test/pay_nope", GOOD_CARD).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Both checkouts share the order's one payment attempt (claimed before the provider is
/// asked), so the card is charged once and nothing is refunded; the later one either gets the
/// same completed order or is told it is already paid.
#[tokio::test]
async fn two_checkouts_racing_on_one_order_charge_one_attempt_and_complete_it_once() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    for _ in 0..5 {
        let (order, key) = guest_buys(&app, &sale.event, &sale.ticket_type, 2).await;
        let (first, second) = tokio::join!(
            checkout(&app, &order, &key, Some(json!({ "test_card": GOOD_CARD }))),
            checkout(&app, &order, &key, Some(json!({ "test_card": GOOD_CARD }))),
        );
        for (status, body) in [&first, &second] {
            match *status {
                StatusCode::OK => assert_eq!(body["order"]["status"], "paid"),
                StatusCode::CONFLICT => {
                    assert_eq!(body["error"]["code"], "order_already_paid");
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert!(
            first.0 == StatusCode::OK || second.0 == StatusCode::OK,
            "{first:?} {second:?}"
        );
        assert_eq!(ticket_count(&app, &order).await, (2, 2));
        assert_eq!(confirmations(&app, &order).await, 1);
        let id: OrderId = order.parse().unwrap();
        let payments = bilten_store::payments::list_for_order(app.store.primary(), id)
            .await
            .unwrap();
        assert_eq!(payments.len(), 1, "{payments:?}");
        assert_eq!(payments[0].status.as_str(), "succeeded");
    }
    let (held, sold, held_rows, sold_rows) = ledger(&app, &sale.ticket_type).await;
    assert_eq!((held, sold), (held_rows, sold_rows));
    assert_eq!(sold, 10);
}

#[tokio::test]
async fn the_hold_expiry_worker_racing_payments_never_leaves_an_order_paid_without_tickets() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 50).await;
    let mut pages = Vec::new();
    for _ in 0..12 {
        let (order, key) = guest_buys(&app, &sale.event, &sale.ticket_type, 2).await;
        let (_, page) = start_hosted(&app, &order, &key).await;
        let id: OrderId = order.parse().unwrap();
        bilten_store::orders::set_expires_at(
            app.store.primary(),
            id,
            Utc::now() - chrono::Duration::seconds(1),
        )
        .await
        .unwrap();
        pages.push((order, key, page));
    }
    // Every hold has lapsed; the worker and the payments go at the same moment.
    let payments = futures::future::join_all(
        pages
            .iter()
            .map(|(_, _, page)| submit_card(&app, page, GOOD_CARD)),
    );
    let worker = bilten_backend::release_lapsed(&app.state, None, Utc::now());
    let (results, released) = tokio::join!(payments, worker);
    released.unwrap();
    for ((order, key, _), (status, html)) in pages.iter().zip(&results) {
        // Stock was there throughout, so every payment ends in tickets, whoever won.
        assert_eq!(*status, StatusCode::OK, "{html}");
        assert_eq!(order_status(&app, order, key).await, "paid");
        assert_eq!(ticket_count(&app, order).await, (2, 2));
        assert_eq!(confirmations(&app, order).await, 1);
    }
    let (held, sold, held_rows, sold_rows) = ledger(&app, &sale.ticket_type).await;
    assert_eq!((held, sold, held_rows, sold_rows), (0, 24, 0, 24));
    let (_, body) = app
        .get(&format!("/api/v1/events/{}", sale.event), None)
        .await;
    assert_eq!(
        crate::ticketing_helpers::available_of(&body, &sale.ticket_type),
        26
    );
}

#[tokio::test]
async fn a_payment_after_the_hold_expired_issues_tickets_if_stock_remains_or_is_refunded() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 2).await;
    // Stock still there: the late payment takes it again and completes.
    let (late, late_key) = guest_buys(&app, &sale.event, &sale.ticket_type, 1).await;
    let (_, page) = start_hosted(&app, &late, &late_key).await;
    expire_and_release(&app, &late).await;
    assert_eq!(order_status(&app, &late, &late_key).await, "expired");
    let (status, html) = submit_card(&app, &page, GOOD_CARD).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(order_status(&app, &late, &late_key).await, "paid");
    assert_eq!(ticket_count(&app, &late).await, (1, 1));

    // Stock gone: the hold lapses, someone else buys the last ticket, then the money comes.
    let (unlucky, unlucky_key) = guest_buys(&app, &sale.event, &sale.ticket_type, 1).await;
    let (payment, page) = start_hosted(&app, &unlucky, &unlucky_key).await;
    expire_and_release(&app, &unlucky).await;
    let (other, other_key) = guest_buys(&app, &sale.event, &sale.ticket_type, 1).await;
    let (status, body) = checkout(
        &app,
        &other,
        &other_key,
        Some(json!({ "test_card": GOOD_CARD })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, html) = submit_card(&app, &page, GOOD_CARD).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("refunded"), "{html}");
    assert_eq!(order_status(&app, &unlucky, &unlucky_key).await, "refunded");
    assert_eq!(ticket_count(&app, &unlucky).await, (0, 0));
    assert_eq!(confirmations(&app, &unlucky).await, 0);
    let payment = bilten_store::payments::find(app.store.primary(), payment.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payment.status.as_str(), "refunded");
    assert_eq!(ledger(&app, &sale.ticket_type).await, (0, 2, 0, 2));
    // The buyer is told the money is coming back, once; a late payment that did get its
    // tickets is not.
    let key = format!("payment-returned:{}", payment.id);
    let returned = || bilten_store::outbox::count_with_dedupe_key(app.store.primary(), &key);
    assert_eq!(returned().await.unwrap(), 1);
    let (status, _) = submit_card(&app, &page, GOOD_CARD).await;
    assert!(status.is_client_error());
    assert_eq!(returned().await.unwrap(), 1);
}

#[tokio::test]
async fn a_free_order_completes_at_checkout_without_a_provider() {
    let app = TestApp::spawn().await;
    let organizer = verified_user(&app, "Organizer").await;
    let org = create_org(&app, &organizer).await;
    let event = create_event(&app, &organizer.access_token, &org, event_body("Open Day")).await;
    let free = add_ticket_type(
        &app,
        &organizer.access_token,
        &event,
        json!({ "name": "Free entry", "price": 0, "capacity": 5 }),
    )
    .await;
    publish(&app, &organizer.access_token, &event).await;
    let (order, key) = guest_buys(&app, &event, &free, 2).await;
    let (status, body) = checkout(&app, &order, &key, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["order"]["status"], "paid");
    assert!(body["payment"].is_null());
    assert_eq!(body["tickets"].as_array().unwrap().len(), 2);
    assert_codes_verify(
        body["tickets"].as_array().unwrap(),
        &published_keys(&app, &event).await,
    );
    assert_eq!(confirmations(&app, &order).await, 1);
}

/// A paid guest order of one ticket; returns (order, key, ticket json).
async fn paid_ticket(app: &TestApp, event: &str, ticket_type: &str) -> (String, String, Value) {
    let (order, key) = guest_buys(app, event, ticket_type, 1).await;
    let (status, body) = checkout(app, &order, &key, Some(json!({ "test_card": GOOD_CARD }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (order, key, body["tickets"][0].clone())
}

#[tokio::test]
async fn a_ticket_is_seen_by_its_buyer_and_organization_only_as_json_qr_and_pdf() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (_, key, ticket) = paid_ticket(&app, &sale.event, &sale.ticket_type).await;
    let id = ticket["id"].as_str().unwrap();
    let stranger: TestUser = app.signed_up_user("Stranger").await;
    for suffix in ["", "/qr.svg", "/pdf"] {
        let path = format!("/api/v1/tickets/{id}{suffix}");
        let (status, _) = call(&app, Method::GET, &path, None, Some(&key), None).await;
        assert_eq!(status, StatusCode::OK, "{path} with the order key");
        let (status, _) = call(
            &app,
            Method::GET,
            &path,
            Some(&sale.organizer.access_token),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path} as the organizer");
        let (status, _) = call(
            &app,
            Method::GET,
            &path,
            Some(&stranger.access_token),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path} as a stranger");
        let (status, _) = call(&app, Method::GET, &path, None, None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path} anonymously");
    }
    let svg = app
        .client
        .get(app.url(&format!("/api/v1/tickets/{id}/qr.svg")))
        .header("x-order-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().starts_with("<svg"));
    let pdf = app
        .client
        .get(app.url(&format!("/api/v1/tickets/{id}/pdf")))
        .header("x-order-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let text = pdf_text(&pdf.bytes().await.unwrap());
    assert!(text.contains("Guest Buyer"), "{text}");
    assert!(text.contains("Standing"), "{text}");
    assert!(text.contains("Summer Jazz"), "{text}");
}

#[tokio::test]
async fn renaming_the_attendee_reissues_the_code_and_revokes_the_old_one() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (_, key, ticket) = paid_ticket(&app, &sale.event, &sale.ticket_type).await;
    let old_id = ticket["id"].as_str().unwrap().to_owned();
    let old_code = ticket["code"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/tickets/{old_id}");
    // The organization may look but not rename.
    let (status, _) = call(
        &app,
        Method::PATCH,
        &path,
        Some(&sale.organizer.access_token),
        None,
        Some(json!({ "attendee_name": "Someone" })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(
        &app,
        Method::PATCH,
        &path,
        None,
        Some(&key),
        Some(json!({ "attendee_name": "" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(
        &app,
        Method::PATCH,
        &path,
        None,
        Some(&key),
        Some(json!({ "attendee_name": "Grace Hopper" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new = &body["ticket"];
    assert_eq!(body["replaces"], old_id.as_str());
    assert_eq!(new["attendee_name"], "Grace Hopper");
    assert_ne!(new["id"], old_id.as_str());
    assert_ne!(new["code"], old_code.as_str());
    assert_codes_verify(
        std::slice::from_ref(new),
        &published_keys(&app, &sale.event).await,
    );
    let (_, old) = call(&app, Method::GET, &path, None, Some(&key), None).await;
    assert_eq!(old["ticket"]["status"], "revoked");
    // The old one cannot be renamed again.
    let (status, body) = call(
        &app,
        Method::PATCH,
        &path,
        None,
        Some(&key),
        Some(json!({ "attendee_name": "Third" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "ticket_not_valid");

    // The revocation list has the old code, and a cursor to ask from next time.
    let revoked_path = format!("/api/v1/events/{}/revoked", sale.event);
    let (status, body) = app
        .get(&revoked_path, Some(&sale.organizer.access_token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["code"], old_code.as_str());
    assert_eq!(items[0]["reason"], "reissued");
    let cursor = body["next_cursor"].as_str().unwrap().to_owned();
    let (_, body) = app
        .get(
            &format!("{revoked_path}?since={cursor}"),
            Some(&sale.organizer.access_token),
        )
        .await;
    assert_eq!(body["items"].as_array().unwrap().len(), 0);
    assert_eq!(body["next_cursor"], cursor.as_str());
    let (status, _) = app
        .get(
            &format!("{revoked_path}?since=junk"),
            Some(&sale.organizer.access_token),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Not for the public.
    let stranger = app.signed_up_user("Stranger").await;
    let (status, _) = app.get(&revoked_path, Some(&stranger.access_token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn rotating_the_key_signs_new_codes_with_it_while_old_codes_keep_verifying() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (_, _, before) = paid_ticket(&app, &sale.event, &sale.ticket_type).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{}/ticket-keys/rotate", sale.event),
            Some(&sale.organizer.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["signing_version"], 2);
    let (_, _, after) = paid_ticket(&app, &sale.event, &sale.ticket_type).await;
    assert_eq!(after["key_version"], 2);
    let keys = published_keys(&app, &sale.event).await;
    assert_eq!(keys.len(), 2);
    assert_codes_verify(&[before.clone(), after.clone()], &keys);
    // The new code is signed by the new key only.
    assert!(verify(after["code"].as_str().unwrap(), &keys[..1]).is_err());
    assert!(verify(before["code"].as_str().unwrap(), &keys[..1]).is_ok());
    // Concurrent rotations each add one version.
    let rotate_path = format!("/api/v1/events/{}/ticket-keys/rotate", sale.event);
    let rotate = || app.post(&rotate_path, Some(&sale.organizer.access_token), json!({}));
    let (a, b) = tokio::join!(rotate(), rotate());
    assert_eq!((a.0, b.0), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(published_keys(&app, &sale.event).await.len(), 4);
}

#[tokio::test]
async fn two_renames_racing_on_one_ticket_reissue_it_once() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key, ticket) = paid_ticket(&app, &sale.event, &sale.ticket_type).await;
    let path = format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap());
    let rename = |name: &'static str| {
        call(
            &app,
            Method::PATCH,
            &path,
            None,
            Some(&key),
            Some(json!({ "attendee_name": name })),
        )
    };
    let (a, b) = tokio::join!(rename("First Name"), rename("Second Name"));
    let statuses = [a.0, b.0];
    assert!(statuses.contains(&StatusCode::OK), "{a:?} {b:?}");
    assert!(statuses.contains(&StatusCode::CONFLICT), "{a:?} {b:?}");
    // One valid ticket (the replacement) and the revoked original; one revocation.
    assert_eq!(ticket_count(&app, &order).await, (1, 2));
    let (_, body) = app
        .get(
            &format!("/api/v1/events/{}/revoked", sale.event),
            Some(&sale.organizer.access_token),
        )
        .await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn names_given_at_checkout_go_on_the_tickets_and_the_rest_carry_the_buyers() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let order_with = |attendees: Value| {
        json!({
            "event_id": sale.event,
            "items": [{ "ticket_type_id": sale.ticket_type, "quantity": 3, "attendees": attendees }],
            "buyer": { "email": "ada@example.com", "name": "Ada Buyer" }
        })
    };

    // More names than tickets, or a name that is not one, is refused on its field.
    let (status, body) = place_order(
        &app,
        None,
        "names-1",
        &order_with(json!(["A", "B", "C", "D"])),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["fields"]["items[0].attendees"]["code"],
        "too_many"
    );
    let (status, body) = place_order(
        &app,
        None,
        "names-2",
        &order_with(json!(["Bob", "x".repeat(101)])),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["items[0].attendees[1]"].is_object(),
        "{body}"
    );

    // A blank name in between is "no name": that ticket carries the buyer's.
    let body_ok = order_with(json!(["Bob Attendee", " ", "Cleo Attendee"]));
    let (status, body) = place_order(&app, None, "names-3", &body_ok).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order = body["order"]["id"].as_str().unwrap().to_owned();
    let key = body["access_key"].as_str().unwrap().to_owned();
    // The names are part of the request: the same key with other names is another request.
    let (status, body) =
        place_order(&app, None, "names-3", &order_with(json!(["Someone Else"]))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "idempotency_key_reused");

    let (status, body) =
        checkout(&app, &order, &key, Some(json!({ "test_card": GOOD_CARD }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut names: Vec<&str> = body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["attendee_name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Ada Buyer", "Bob Attendee", "Cleo Attendee"]);
}
