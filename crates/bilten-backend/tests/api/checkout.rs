//! `POST /orders/{id}/checkout` under double submits and crashes: one payment attempt per
//! order whatever the concurrency (one charge, nothing to refund), `Idempotency-Key` replays,
//! and orphaned attempts closed by the worker.

use bilten_backend::checkout::attempts::{self, Upkeep};
use bilten_domain::{OrderId, PaymentId};
use bilten_store::payments::{self, NewPayment, PaymentRecord};
use bilten_test_support::TestApp;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::refund_helpers::{mail_subjects, order_of, pending_order, stripe_app, STRIPE_KEY};
use crate::ticketing_helpers::event_on_sale;

const GOOD_CARD: &str = "4242424242424242";

/// `POST /orders/{id}/checkout` as the buyer, with an `Idempotency-Key` when given:
/// `(status, replayed, body)`.
async fn checkout(
    app: &TestApp,
    order: &str,
    key: &str,
    idempotency_key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, bool, Value) {
    let mut request = app
        .client
        .post(app.url(&format!("/api/v1/orders/{order}/checkout")))
        .header("x-order-key", key);
    if let Some(idempotency_key) = idempotency_key {
        request = request.header("idempotency-key", idempotency_key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let text = response.text().await.unwrap();
    (
        status,
        replayed,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn payments_of(app: &TestApp, order: &str) -> Vec<PaymentRecord> {
    let id: OrderId = order.parse().unwrap();
    payments::list_for_order(app.store.primary(), id)
        .await
        .unwrap()
}

async fn refunds_of(app: &TestApp, order: &str) -> usize {
    let id: OrderId = order.parse().unwrap();
    let mut conn = app.store.primary().acquire().await.unwrap();
    bilten_store::refunds::list_for_order(&mut conn, id)
        .await
        .unwrap()
        .len()
}

/// Mails telling the buyer money went back.
async fn refund_mails(app: &TestApp, email: &str) -> usize {
    mail_subjects(app, email)
        .await
        .iter()
        .filter(|s| s.contains("refund") || s.starts_with("Refund"))
        .count()
}

/// What a process that died right after claiming the order's attempt leaves behind: the
/// claimed `pending` row, the provider never asked (or its answer never recorded).
async fn claim_and_die(app: &TestApp, order: &str, provider: &str) -> PaymentRecord {
    let order: OrderId = order.parse().unwrap();
    let record = bilten_store::orders::find_order(app.store.primary(), order)
        .await
        .unwrap()
        .unwrap();
    let now = Utc::now();
    let mut tx = app.store.begin().await.unwrap();
    assert!(payments::lock_payable_order(&mut *tx, order, now)
        .await
        .unwrap());
    let id = PaymentId::new();
    assert!(payments::claim(
        &mut *tx,
        &NewPayment {
            id,
            order_id: order,
            provider: bilten_domain::PaymentProvider::parse(provider).unwrap(),
            amount_minor: record.total_minor,
            currency: &record.currency,
            now,
        },
    )
    .await
    .unwrap());
    tx.commit().await.unwrap();
    payments::find(app.store.primary(), id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn twenty_concurrent_card_checkouts_of_one_order_charge_once_and_refund_nothing() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) = pending_order(
        &app,
        &sale.event,
        &sale.ticket_type,
        2,
        "twenty@example.com",
    )
    .await;
    let submits = (0..20).map(|_| {
        checkout(
            &app,
            &order,
            &key,
            None,
            Some(json!({ "test_card": GOOD_CARD })),
        )
    });
    let answers = futures::future::join_all(submits).await;
    let mut ok = 0;
    for (status, _, body) in &answers {
        match *status {
            StatusCode::OK => {
                ok += 1;
                assert_eq!(body["order"]["status"], "paid", "{body}");
                assert_eq!(body["tickets"].as_array().unwrap().len(), 2, "{body}");
            }
            // Arrived after the order was paid: told so, nothing charged.
            StatusCode::CONFLICT => assert_eq!(body["error"]["code"], "order_already_paid"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(ok >= 1, "{answers:?}");
    let attempts = payments_of(&app, &order).await;
    assert_eq!(attempts.len(), 1, "one attempt, one charge: {attempts:?}");
    assert_eq!(attempts[0].status.as_str(), "succeeded");
    assert_eq!(refunds_of(&app, &order).await, 0);
    assert_eq!(refund_mails(&app, "twenty@example.com").await, 0);
    assert_eq!(
        order_of(&app, &order, &key).await["tickets"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn twenty_concurrent_checkouts_on_stripe_open_one_session_and_charge_once() {
    let (app, fake) = stripe_app().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) = pending_order(
        &app,
        &sale.event,
        &sale.ticket_type,
        1,
        "stripe20@example.com",
    )
    .await;
    let submits = (0..20).map(|_| checkout(&app, &order, &key, None, None));
    let answers = futures::future::join_all(submits).await;
    let mut pages: Vec<&str> = answers
        .iter()
        .map(|(status, _, body)| {
            assert_eq!(*status, StatusCode::CREATED, "{body}");
            body["redirect_url"].as_str().unwrap()
        })
        .collect();
    pages.dedup();
    assert_eq!(pages.len(), 1, "every submit gets the same page: {pages:?}");
    let sessions_created = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/checkout/sessions")
        .count();
    assert_eq!(sessions_created, 1);

    let session = pages[0].rsplit('/').next().unwrap();
    assert_eq!(fake.pay_session(session).await.unwrap(), 200);
    assert_eq!(
        order_of(&app, &order, &key).await["order"]["status"],
        "paid"
    );
    assert!(fake.refunds().is_empty());
    assert_eq!(refunds_of(&app, &order).await, 0);
    assert_eq!(refund_mails(&app, "stripe20@example.com").await, 0);
    let attempts = payments_of(&app, &order).await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status.as_str(), "succeeded");
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_gets_the_same_answer_and_another_request_is_refused()
{
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) =
        pending_order(&app, &sale.event, &sale.ticket_type, 1, "idem@example.com").await;
    let (other, other_key) =
        pending_order(&app, &sale.event, &sale.ticket_type, 1, "idem2@example.com").await;

    // A declined card is an answer too: the same key gets it again, without a new attempt.
    let declined = json!({ "test_card": "4000000000000002" });
    let (status, replayed, first) = checkout(
        &app,
        &order,
        &key,
        Some("k-declined"),
        Some(declined.clone()),
    )
    .await;
    assert_eq!(
        (status, replayed),
        (StatusCode::PAYMENT_REQUIRED, false),
        "{first}"
    );
    let (status, replayed, again) =
        checkout(&app, &order, &key, Some("k-declined"), Some(declined)).await;
    assert_eq!((status, replayed), (StatusCode::PAYMENT_REQUIRED, true));
    assert_eq!(again, first);
    assert_eq!(payments_of(&app, &order).await.len(), 1);

    // Twenty submits under one key: one charge, and all get the first answer.
    let good = json!({ "test_card": GOOD_CARD });
    let submits = (0..20).map(|_| checkout(&app, &order, &key, Some("k-good"), Some(good.clone())));
    let answers = futures::future::join_all(submits).await;
    let (_, _, body) = &answers[0];
    for (status, _, answer) in &answers {
        assert_eq!(*status, StatusCode::OK, "{answer}");
        assert_eq!(answer, body);
    }
    assert_eq!(
        answers.iter().filter(|(_, replayed, _)| !replayed).count(),
        1
    );
    assert_eq!(body["order"]["status"], "paid");
    let attempts = payments_of(&app, &order).await;
    assert_eq!(
        attempts
            .iter()
            .map(|p| p.status.as_str())
            .collect::<Vec<_>>(),
        ["failed", "succeeded"]
    );
    // Later retries too.
    let (status, replayed, later) =
        checkout(&app, &order, &key, Some("k-good"), Some(good.clone())).await;
    assert_eq!((status, replayed, &later), (StatusCode::OK, true, body));

    // The same key with another body, or for another order: refused, nothing done.
    let (status, _, refused) = checkout(&app, &order, &key, Some("k-good"), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency_key_reused");
    let (status, _, refused) = checkout(&app, &other, &other_key, Some("k-good"), Some(good)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency_key_reused");
    assert!(payments_of(&app, &other).await.is_empty());
    // A malformed key is a 400, as on POST /orders.
    let (status, _, bad) = checkout(&app, &other, &other_key, Some(" "), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(bad["error"]["code"], "idempotency_key_required");
}

#[tokio::test]
async fn a_repeated_hosted_checkout_gets_the_same_page_and_a_new_one_only_after_a_decline() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) =
        pending_order(&app, &sale.event, &sale.ticket_type, 1, "again@example.com").await;
    let (status, _, first) = checkout(&app, &order, &key, None, None).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, _, second) = checkout(&app, &order, &key, None, None).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["redirect_url"], first["redirect_url"]);
    assert_eq!(second["payment"]["id"], first["payment"]["id"]);
    // A test card through the API charges that same open attempt.
    let (status, _, paid) = checkout(
        &app,
        &order,
        &key,
        None,
        Some(json!({ "test_card": GOOD_CARD })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["payment"]["id"], first["payment"]["id"]);
    assert_eq!(payments_of(&app, &order).await.len(), 1);
}

#[tokio::test]
async fn an_orphaned_stripe_attempt_is_closed_by_the_worker_or_reconciled_with_stripe() {
    let (app, fake) = stripe_app().await;
    let sale = event_on_sale(&app, 10).await;

    // The process died before Stripe heard of it: asked again under the same key, Stripe
    // refuses (the session could not live 30 minutes from the claim), so the attempt fails.
    let (order, key) = pending_order(
        &app,
        &sale.event,
        &sale.ticket_type,
        1,
        "orphan1@example.com",
    )
    .await;
    let orphan = claim_and_die(&app, &order, "stripe").await;
    // Until the worker runs, a checkout waits for the claim and then says so.
    let (status, _, body) = checkout(&app, &order, &key, None, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "checkout_in_progress");
    payments::set_created_at(
        app.store.primary(),
        orphan.id,
        Utc::now() - Duration::minutes(5),
    )
    .await
    .unwrap();
    let done = attempts::upkeep(&app.state, Utc::now()).await.unwrap();
    assert_eq!(
        done,
        Upkeep {
            reconciled: 0,
            failed: 1,
            expired: 0
        }
    );
    let closed = payments::find(app.store.primary(), orphan.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (closed.status.as_str(), closed.failure_code.as_deref()),
        ("failed", Some("checkout_not_started"))
    );
    // The order can be paid with a fresh attempt.
    let (status, _, body) = checkout(&app, &order, &key, None, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_ne!(body["payment"]["id"], orphan.id.to_string());

    // The process died after Stripe made the session: asked again under the same key, Stripe
    // answers with that session, which becomes the attempt's page.
    let (order, key) = pending_order(
        &app,
        &sale.event,
        &sale.ticket_type,
        1,
        "orphan2@example.com",
    )
    .await;
    let orphan = claim_and_die(&app, &order, "stripe").await;
    let record = bilten_store::orders::find_order(app.store.primary(), order.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let (description, return_url) = attempts::describe(&app.state, &record);
    let request = attempts::checkout_request(
        &record,
        &orphan,
        &description,
        "http://unused.test",
        &return_url,
    )
    .unwrap();
    let stripe = bilten_backend::payments::StripeProvider::new(
        bilten_stripe::StripeClient::new(&fake.api_base(), STRIPE_KEY.to_owned().into()).unwrap(),
    );
    let made = bilten_backend::payments::PaymentProvider::start_checkout(&stripe, &request)
        .await
        .unwrap();
    let sessions_before = fake.requests().len();
    let done = attempts::upkeep(&app.state, Utc::now() + Duration::minutes(3))
        .await
        .unwrap();
    assert_eq!(
        done,
        Upkeep {
            reconciled: 1,
            failed: 0,
            expired: 0
        }
    );
    assert_eq!(
        fake.requests().len(),
        sessions_before + 1,
        "one replayed call"
    );
    let (status, _, body) = checkout(&app, &order, &key, None, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["redirect_url"], made.redirect_url.as_str());
    assert_eq!(body["payment"]["id"], orphan.id.to_string());
    assert_eq!(
        fake.pay_session(&made.provider_reference).await.unwrap(),
        200
    );
    assert_eq!(
        order_of(&app, &order, &key).await["order"]["status"],
        "paid"
    );
    assert!(fake.refunds().is_empty());
}

#[tokio::test]
async fn attempts_nobody_paid_are_closed_after_their_lifetime_and_nothing_stays_pending() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) =
        pending_order(&app, &sale.event, &sale.ticket_type, 1, "gone@example.com").await;
    let (status, _, started) = checkout(&app, &order, &key, None, None).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    // An orphan of the test provider is finished at once (its "checkout" is this backend's
    // page): it gets its page.
    let (orphaned, orphan_key) =
        pending_order(&app, &sale.event, &sale.ticket_type, 1, "gone2@example.com").await;
    let orphan = claim_and_die(&app, &orphaned, "test").await;
    let done = attempts::upkeep(&app.state, Utc::now() + Duration::minutes(3))
        .await
        .unwrap();
    assert_eq!(done.reconciled, 1, "{done:?}");
    let (status, _, body) = checkout(&app, &orphaned, &orphan_key, None, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["payment"]["id"], orphan.id.to_string());

    // Past the checkout's lifetime (and an hour for late webhooks), both are closed.
    let later = Utc::now() + Duration::minutes(95);
    let done = attempts::upkeep(&app.state, later).await.unwrap();
    assert_eq!(done.expired, 2, "{done:?}");
    for order in [&order, &orphaned] {
        let attempts = payments_of(&app, order).await;
        assert_eq!(attempts.len(), 1);
        assert_eq!(
            (
                attempts[0].status.as_str(),
                attempts[0].failure_code.as_deref()
            ),
            ("canceled", Some("expired"))
        );
    }
    let page = started["redirect_url"].as_str().unwrap();
    let path = &page[page.find("/api/").unwrap()..];
    let response = app
        .client
        .post(app.url(path))
        .form(&[("card_number", GOOD_CARD)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CONFLICT,
        "a closed page takes no card"
    );
    assert_eq!(
        attempts::upkeep(&app.state, later).await.unwrap(),
        Upkeep::default()
    );
}
