//! The `stripe` provider against the local fake Stripe: Checkout Sessions, signed webhooks
//! (duplicates, disorder, forgeries, stale replays), late payments, refunds both ways.

use bilten_stripe::{
    signature_header, CheckoutSessionId, CreateRefund, StripeClient, CHARGE_REFUNDED,
    CHECKOUT_SESSION_COMPLETED,
};
use bilten_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::refund_helpers::{
    checkout, mail_subjects, order_of, pending_order, refund, revocations, sold_of, stripe_app,
    STRIPE_KEY, STRIPE_WHSEC,
};
use crate::ticketing_helpers::event_on_sale;

fn confirmations(subjects: &[String]) -> usize {
    subjects
        .iter()
        .filter(|s| !s.starts_with("Refund") && !s.contains("canceled"))
        .count()
}

/// Starts a Stripe checkout for a fresh order: `(order, key, session id)`.
async fn stripe_checkout(
    app: &TestApp,
    event: &str,
    ticket_type: &str,
    quantity: i64,
    email: &str,
) -> (String, String, String) {
    let (order, key) = pending_order(app, event, ticket_type, quantity, email).await;
    let (status, body) = checkout(app, &order, &key, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["payment"]["provider"], "stripe");
    let url = body["redirect_url"].as_str().unwrap();
    let session = url.rsplit('/').next().unwrap().to_owned();
    assert!(session.starts_with("cs_"), "{url}");
    (order, key, session)
}

async fn post_webhook(app: &TestApp, header: Option<&str>, body: &[u8]) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(app.url("/api/v1/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(header) = header {
        request = request.header("stripe-signature", header);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_stripe_checkout_session_is_created_for_the_order_with_an_idempotency_key() {
    let (app, fake) = stripe_app().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key, session) =
        stripe_checkout(&app, &sale.event, &sale.ticket_type, 2, "s@example.com").await;
    let created = fake.session(&session).unwrap();
    assert_eq!(created.amount_total, Some(5000));
    assert_eq!(created.currency.as_deref(), Some("eur"));
    assert_eq!(created.client_reference_id.as_deref(), Some(order.as_str()));
    assert_eq!(created.metadata["order_id"], order);
    assert!(created.metadata["payment_id"].starts_with("pay_"));
    let request = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/checkout/sessions")
        .unwrap();
    assert!(request
        .idempotency_key
        .unwrap()
        .contains(&created.metadata["payment_id"]));
    // Test cards are the test provider's business only.
    let (status, body) = checkout(
        &app,
        &order,
        &key,
        Some(json!({ "test_card": "4242424242424242" })),
    )
    .await;
    assert!(status.is_client_error(), "{status} {body}");
}

#[tokio::test]
async fn paying_on_stripe_completes_the_order_once_however_often_the_webhook_comes() {
    let (app, fake) = stripe_app().await;
    fake.set_auto_deliver(false);
    let sale = event_on_sale(&app, 10).await;
    let (order, key, session) =
        stripe_checkout(&app, &sale.event, &sale.ticket_type, 2, "w@example.com").await;
    let event = fake.complete_session(&session).unwrap();

    // The same event five times at once, then twice more later.
    let first = futures::future::join_all((0..5).map(|_| fake.deliver(&event.id))).await;
    assert!(
        first.iter().all(|r| *r.as_ref().unwrap() == 200),
        "{first:?}"
    );
    for _ in 0..2 {
        assert_eq!(fake.deliver(&event.id).await.unwrap(), 200);
    }
    let paid = order_of(&app, &order, &key).await;
    assert_eq!(paid["order"]["status"], "paid");
    assert_eq!(paid["tickets"].as_array().unwrap().len(), 2);
    assert_eq!(sold_of(&app, &sale.ticket_type).await, 2);
    assert_eq!(
        confirmations(&mail_subjects(&app, "w@example.com").await),
        1
    );
    let outcome =
        bilten_store::webhook_events::outcome(app.store.primary(), "stripe", event.id.as_str())
            .await
            .unwrap();
    assert_eq!(outcome.as_deref(), Some("order_completed"));
}

#[tokio::test]
async fn forged_tampered_and_stale_deliveries_are_refused_without_effect() {
    let (app, fake) = stripe_app().await;
    fake.set_auto_deliver(false);
    let sale = event_on_sale(&app, 10).await;
    let (order, key, session) =
        stripe_checkout(&app, &sale.event, &sale.ticket_type, 1, "f@example.com").await;
    let event = fake.complete_session(&session).unwrap();
    let body = fake.event_body(&event.id).unwrap();
    let now = chrono::Utc::now().timestamp();

    let forged = signature_header("whsec_attacker", now, &body);
    let too_old = signature_header(STRIPE_WHSEC, now - 301, &body);
    let tampered_body = String::from_utf8(body.clone())
        .unwrap()
        .replace("\"paid\"", "\"paid\" ");
    let good_for_original = signature_header(STRIPE_WHSEC, now, &body);
    for (header, payload) in [
        (None, body.clone()),
        (Some("t=garbage"), body.clone()),
        (Some(forged.as_str()), body.clone()),
        (Some(too_old.as_str()), body.clone()),
        (Some(good_for_original.as_str()), tampered_body.into_bytes()),
    ] {
        let (status, answer) = post_webhook(&app, header, &payload).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{header:?} {answer}");
        assert_eq!(answer["error"]["code"], "invalid_signature");
    }
    assert_eq!(
        order_of(&app, &order, &key).await["order"]["status"],
        "pending"
    );
    assert!(bilten_store::webhook_events::outcome(
        app.store.primary(),
        "stripe",
        event.id.as_str()
    )
    .await
    .unwrap()
    .is_none());

    // The genuine delivery still works afterwards.
    assert_eq!(fake.deliver(&event.id).await.unwrap(), 200);
    assert_eq!(
        order_of(&app, &order, &key).await["order"]["status"],
        "paid"
    );
}

#[tokio::test]
async fn unknown_event_types_are_acknowledged_and_ignored() {
    let (app, _fake) = stripe_app().await;
    let body = br#"{"id":"evt_unknown_1","object":"event","type":"customer.created","created":1,"data":{"object":{"id":"cus_1"}}}"#;
    let header = signature_header(STRIPE_WHSEC, chrono::Utc::now().timestamp(), body);
    let (status, answer) = post_webhook(&app, Some(&header), body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "ignored");
    let (status, answer) = post_webhook(&app, Some(&header), body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["outcome"], "duplicate");
}

#[tokio::test]
async fn a_payment_after_the_hold_expired_issues_tickets_when_stock_remains_and_refunds_when_not() {
    let (app, fake) = stripe_app().await;
    fake.set_auto_deliver(false);
    let sale = event_on_sale(&app, 1).await;
    let (order, key, session) =
        stripe_checkout(&app, &sale.event, &sale.ticket_type, 1, "late@example.com").await;
    // The hold runs out and the worker releases it.
    let id: bilten_domain::OrderId = order.parse().unwrap();
    bilten_store::orders::set_expires_at(
        app.store.primary(),
        id,
        chrono::Utc::now() - chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    bilten_backend::release_lapsed(&app.state, None, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        order_of(&app, &order, &key).await["order"]["status"],
        "expired"
    );

    // Stock is still there: the late payment gets its ticket.
    let event = fake.complete_session(&session).unwrap();
    assert_eq!(fake.deliver(&event.id).await.unwrap(), 200);
    let paid = order_of(&app, &order, &key).await;
    assert_eq!(paid["order"]["status"], "paid");
    assert_eq!(paid["tickets"].as_array().unwrap().len(), 1);

    // A second order's hold lapses too, but now the only ticket is sold: refunded at Stripe.
    let sale2 = event_on_sale(&app, 1).await;
    let (order2, key2, session2) = stripe_checkout(
        &app,
        &sale2.event,
        &sale2.ticket_type,
        1,
        "late2@example.com",
    )
    .await;
    let id2: bilten_domain::OrderId = order2.parse().unwrap();
    bilten_store::orders::set_expires_at(
        app.store.primary(),
        id2,
        chrono::Utc::now() - chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    bilten_backend::release_lapsed(&app.state, None, chrono::Utc::now())
        .await
        .unwrap();
    crate::refund_helpers::paid_order_with_stripe(&app, &fake, &sale2.event, &sale2.ticket_type, 1)
        .await;
    let event2 = fake.complete_session(&session2).unwrap();
    assert_eq!(fake.deliver(&event2.id).await.unwrap(), 200);
    let refunded = order_of(&app, &order2, &key2).await;
    assert_eq!(refunded["order"]["status"], "refunded");
    assert!(refunded["tickets"].as_array().unwrap().is_empty());
    let refunds = fake.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount, 2500);
    // Its `charge.refunded` echo changes nothing further.
    let echo = fake
        .events()
        .into_iter()
        .find(|e| e.kind == CHARGE_REFUNDED)
        .unwrap();
    assert_eq!(fake.deliver(&echo.id).await.unwrap(), 200);
    assert_eq!(
        order_of(&app, &order2, &key2).await["order"]["status"],
        "refunded"
    );
}

#[tokio::test]
async fn an_expired_checkout_session_releases_a_hold_still_pending() {
    let (app, fake) = stripe_app().await;
    fake.set_auto_deliver(false);
    let sale = event_on_sale(&app, 5).await;
    let (order, key, session) =
        stripe_checkout(&app, &sale.event, &sale.ticket_type, 3, "e@example.com").await;
    let event = fake.expire_session(&session).unwrap();
    assert_eq!(fake.deliver(&event.id).await.unwrap(), 200);
    assert_eq!(fake.deliver(&event.id).await.unwrap(), 200);
    assert_eq!(
        order_of(&app, &order, &key).await["order"]["status"],
        "expired"
    );
    let (_, event_body) = app
        .get(&format!("/api/v1/events/{}", sale.event), None)
        .await;
    assert_eq!(
        crate::ticketing_helpers::available_of(&event_body, &sale.ticket_type),
        5
    );
}

#[tokio::test]
async fn an_organizer_refund_goes_through_stripe_and_its_webhook_echo_is_harmless() {
    let (app, fake) = stripe_app().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) = crate::refund_helpers::paid_order_with_stripe(
        &app,
        &fake,
        &sale.event,
        &sale.ticket_type,
        2,
    )
    .await;
    let (status, body) = refund(
        &app,
        &sale.organizer.access_token,
        &order,
        json!({ "lines": [{ "ticket_type_id": sale.ticket_type, "quantity": 1 }] }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["refund"]["status"], "succeeded");
    assert_eq!(body["refund"]["provider"], "stripe");
    let refunds = fake.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount, 2500);
    let refund_request = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/refunds")
        .unwrap();
    assert_eq!(
        refund_request.idempotency_key.unwrap(),
        format!("refund:{}", body["refund"]["id"].as_str().unwrap())
    );
    // Stripe's `charge.refunded` for our own refund arrives and changes nothing.
    let deliveries = fake.wait_for_deliveries(CHARGE_REFUNDED, 1).await;
    assert_eq!(deliveries[0].status, Some(200));
    let after = order_of(&app, &order, &key).await;
    assert_eq!(after["order"]["status"], "partially_refunded");
    let valid = after["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "valid")
        .count();
    assert_eq!(valid, 1);
    let outcome = bilten_store::webhook_events::outcome(
        app.store.primary(),
        "stripe",
        deliveries[0].event_id.as_str(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.as_deref(), Some("already_recorded"));
}

#[tokio::test]
async fn a_refund_made_in_the_stripe_dashboard_cancels_the_tickets() {
    let (app, fake) = stripe_app().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) = crate::refund_helpers::paid_order_with_stripe(
        &app,
        &fake,
        &sale.event,
        &sale.ticket_type,
        2,
    )
    .await;
    // Someone refunds the whole charge at Stripe directly.
    let session_id = fake
        .events()
        .into_iter()
        .find(|e| e.kind == CHECKOUT_SESSION_COMPLETED)
        .unwrap()
        .checkout_session()
        .unwrap()
        .id;
    let client = StripeClient::new(&fake.api_base(), STRIPE_KEY.to_owned().into()).unwrap();
    let session = client
        .retrieve_checkout_session(&CheckoutSessionId::new(session_id.as_str()))
        .await
        .unwrap();
    client
        .create_refund(
            &CreateRefund {
                payment_intent: session.payment_intent.unwrap(),
                amount: 5000,
                refund_id: "dashboard".into(),
            },
            "dashboard-refund",
        )
        .await
        .unwrap();
    let deliveries = fake.wait_for_deliveries(CHARGE_REFUNDED, 1).await;
    assert_eq!(deliveries[0].status, Some(200));
    let after = order_of(&app, &order, &key).await;
    assert_eq!(after["order"]["status"], "refunded");
    assert!(after["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["status"] == "canceled"));
    assert_eq!(revocations(&app, &sale.event).await.len(), 2);
    assert_eq!(sold_of(&app, &sale.ticket_type).await, 0);
}
