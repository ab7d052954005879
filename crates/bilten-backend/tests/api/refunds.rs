//! `POST /orders/{id}/refund`: full and partial refunds through the provider, tickets revoked,
//! inventory back on sale, the buyer mailed, and never more money back than was paid.

use bilten_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::refund_helpers::{
    mail_subjects, order_of, paid_order, pending_order, refund, revocations, sold_of,
};
use crate::ticketing_helpers::{create_org, event_on_sale, verified_user};

fn ticket_ids(order: &Value) -> Vec<String> {
    order["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

fn amount(body: &Value) -> i64 {
    body["refund"]["amount"]["amount"].as_i64().unwrap()
}

#[tokio::test]
async fn a_full_refund_revokes_every_ticket_frees_the_inventory_and_mails_the_buyer() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) =
        paid_order(&app, &sale.event, &sale.ticket_type, 2, "buyer@example.com").await;
    let tickets = ticket_ids(&order_of(&app, &order, &key).await);
    assert_eq!(tickets.len(), 2);
    assert_eq!(sold_of(&app, &sale.ticket_type).await, 2);

    let (status, body) = refund(&app, &sale.organizer.access_token, &order, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(amount(&body), 5000);
    assert_eq!(body["refund"]["status"], "succeeded");
    assert_eq!(body["refund"]["reason"], "requested");
    assert_eq!(body["order"]["status"], "refunded");
    assert_eq!(body["order"]["refunded"]["amount"], 5000);

    let after = order_of(&app, &order, &key).await;
    assert!(after["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["status"] == "canceled"));
    let mut revoked = revocations(&app, &sale.event).await;
    revoked.sort();
    let mut expected: Vec<_> = tickets
        .iter()
        .map(|t| (t.clone(), "refunded".to_owned()))
        .collect();
    expected.sort();
    assert_eq!(revoked, expected);
    assert_eq!(sold_of(&app, &sale.ticket_type).await, 0);
    let refund_mails = mail_subjects(&app, "buyer@example.com")
        .await
        .into_iter()
        .filter(|s| s.starts_with("Refund for"))
        .count();
    assert_eq!(refund_mails, 1);

    // Nothing is left: a second refund is refused and changes nothing.
    let (status, body) = refund(&app, &sale.organizer.access_token, &order, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "order_not_refundable");
}

#[tokio::test]
async fn partial_refunds_by_line_and_by_ticket_add_up_to_the_total_and_no_more() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.clone();
    let (order, key) = paid_order(&app, &sale.event, &sale.ticket_type, 3, "p@example.com").await;
    let tickets = ticket_ids(&order_of(&app, &order, &key).await);

    let (status, body) = refund(
        &app,
        &token,
        &order,
        json!({ "lines": [{ "ticket_type_id": sale.ticket_type, "quantity": 1 }] }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(amount(&body), 2500);
    assert_eq!(body["order"]["status"], "partially_refunded");
    let first = body["refund"]["ticket_ids"][0].as_str().unwrap().to_owned();

    // The ticket already refunded cannot be refunded again.
    let (status, body) = refund(&app, &token, &order, json!({ "ticket_ids": [first] })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "refund_exceeds_remaining");
    // Nor more tickets of the type than remain.
    let (status, body) = refund(
        &app,
        &token,
        &order,
        json!({ "lines": [{ "ticket_type_id": sale.ticket_type, "quantity": 3 }] }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "refund_exceeds_remaining");

    let second: Vec<_> = tickets
        .iter()
        .filter(|t| **t != first)
        .take(1)
        .cloned()
        .collect();
    let (status, body) = refund(&app, &token, &order, json!({ "ticket_ids": second })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(amount(&body), 2500);
    assert_eq!(sold_of(&app, &sale.ticket_type).await, 1);

    let (status, body) = refund(&app, &token, &order, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(amount(&body), 2500);
    assert_eq!(body["order"]["status"], "refunded");
    assert_eq!(body["order"]["refunded"]["amount"], 7500);
    assert_eq!(sold_of(&app, &sale.ticket_type).await, 0);
    assert_eq!(revocations(&app, &sale.event).await.len(), 3);
}

#[tokio::test]
async fn concurrent_refunds_of_one_order_never_give_back_more_than_was_paid() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.clone();
    let (order, key) = paid_order(&app, &sale.event, &sale.ticket_type, 4, "c@example.com").await;
    let tickets = ticket_ids(&order_of(&app, &order, &key).await);

    // Full refunds, partial refunds of overlapping tickets and line refunds all at once.
    let mut bodies = Vec::new();
    for i in 0..6 {
        bodies.push(json!({}));
        bodies.push(json!({ "ticket_ids": [tickets[i % 4], tickets[(i + 1) % 4]] }));
        bodies.push(json!({ "lines": [{ "ticket_type_id": sale.ticket_type, "quantity": 1 }] }));
    }
    let results = futures::future::join_all(
        bodies
            .into_iter()
            .map(|body| refund(&app, &token, &order, body)),
    )
    .await;
    let mut refunded = 0;
    let mut refunded_tickets = Vec::new();
    for (status, body) in &results {
        match *status {
            StatusCode::CREATED => {
                refunded += amount(body);
                for t in body["refund"]["ticket_ids"].as_array().unwrap() {
                    refunded_tickets.push(t.as_str().unwrap().to_owned());
                }
            }
            StatusCode::CONFLICT => assert!(
                matches!(
                    body["error"]["code"].as_str(),
                    Some("refund_exceeds_remaining" | "order_not_refundable")
                ),
                "{body}"
            ),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(refunded <= 10_000, "refunded {refunded} of 10000");
    let count = refunded_tickets.len();
    refunded_tickets.sort();
    refunded_tickets.dedup();
    assert_eq!(refunded_tickets.len(), count, "a ticket was refunded twice");
    // Counters agree with the rows.
    let after = order_of(&app, &order, &key).await;
    let valid = after["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "valid")
        .count() as i64;
    assert_eq!(sold_of(&app, &sale.ticket_type).await, valid);
    assert_eq!(valid, 4 - count as i64);
    assert_eq!(refunded, 2500 * count as i64);
}

#[tokio::test]
async fn only_managers_of_the_organization_may_refund() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, _) = paid_order(&app, &sale.event, &sale.ticket_type, 1, "x@example.com").await;

    let outsider = verified_user(&app, "Other Organizer").await;
    create_org(&app, &outsider).await;
    let (status, body) = refund(&app, &outsider.access_token, &order, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // A staff member sees the order but may not give money back.
    let staff = verified_user(&app, "Staff Member").await;
    let org: String = {
        let (_, body) = app
            .get(
                "/api/v1/me/organizations",
                Some(&sale.organizer.access_token),
            )
            .await;
        body["items"][0]["id"].as_str().unwrap().to_owned()
    };
    let (status, body) = app
        .post(
            &format!("/api/v1/organizations/{org}/members"),
            Some(&sale.organizer.access_token),
            json!({ "email": staff.email, "role": "staff" }),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = refund(&app, &staff.access_token, &order, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let (status, _) = app
        .post(&format!("/api/v1/orders/{order}/refund"), None, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_refund_requests_get_clear_errors_and_change_nothing() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.clone();
    let (order, _) = paid_order(&app, &sale.event, &sale.ticket_type, 2, "b@example.com").await;

    let cases = [
        json!({ "lines": [], "ticket_ids": [] }),
        json!({ "lines": [{ "ticket_type_id": "tty_00000000000000000000000000000000", "quantity": 1 }] }),
        json!({ "lines": [{ "ticket_type_id": sale.ticket_type, "quantity": 0 }] }),
        json!({ "ticket_ids": ["not-a-ticket"] }),
        json!({ "ticket_ids": [] }),
        json!({ "amount": 5 }),
    ];
    for body in cases {
        let (status, answer) = refund(&app, &token, &order, body.clone()).await;
        assert!(
            status.is_client_error() && status != StatusCode::CONFLICT,
            "{body} → {status} {answer}"
        );
        assert!(answer["error"]["code"].is_string(), "{answer}");
    }
    assert_eq!(sold_of(&app, &sale.ticket_type).await, 2);
    assert!(revocations(&app, &sale.event).await.is_empty());

    let (pending, _) =
        pending_order(&app, &sale.event, &sale.ticket_type, 1, "q@example.com").await;
    let (status, body) = refund(&app, &token, &pending, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "order_not_refundable");
    let (status, _) = refund(
        &app,
        &token,
        "ord_00000000000000000000000000000000",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The test provider, except that refunds fail while `down` is set; counts refund calls.
struct FlakyRefunds {
    down: std::sync::atomic::AtomicBool,
    calls: std::sync::atomic::AtomicUsize,
    keys: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl bilten_backend::payments::PaymentProvider for FlakyRefunds {
    fn kind(&self) -> bilten_backend::payments::ProviderKind {
        bilten_backend::payments::ProviderKind::Test
    }

    async fn start_checkout(
        &self,
        request: &bilten_backend::payments::CheckoutRequest<'_>,
    ) -> Result<bilten_backend::payments::CheckoutSession, bilten_backend::payments::PaymentError>
    {
        bilten_backend::payments::TestProvider
            .start_checkout(request)
            .await
    }

    async fn refund(
        &self,
        request: &bilten_backend::payments::RefundRequest<'_>,
    ) -> Result<bilten_backend::payments::RefundReceipt, bilten_backend::payments::PaymentError>
    {
        use std::sync::atomic::Ordering;
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.keys
            .lock()
            .unwrap()
            .push(request.idempotency_key.clone());
        if self.down.load(Ordering::SeqCst) {
            return Err(bilten_backend::payments::PaymentError::Unavailable(
                "connection refused".into(),
            ));
        }
        bilten_backend::payments::TestProvider.refund(request).await
    }

    fn accepts_test_cards(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn a_refund_the_provider_could_not_take_is_paid_out_later_exactly_once() {
    use std::sync::atomic::Ordering;
    let provider = std::sync::Arc::new(FlakyRefunds {
        down: true.into(),
        calls: 0.into(),
        keys: std::sync::Mutex::new(Vec::new()),
    });
    let installed = provider.clone();
    let app = TestApp::spawn_configured(move |state| state.with_payment_provider(installed)).await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) = paid_order(&app, &sale.event, &sale.ticket_type, 2, "r@example.com").await;

    let (status, body) = refund(&app, &sale.organizer.access_token, &order, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["refund"]["status"], "pending");
    assert_eq!(body["refund"]["failure_code"], "provider_unavailable");
    // Tickets and inventory are settled at once; only the money waits.
    assert_eq!(body["order"]["status"], "refunded");
    assert_eq!(sold_of(&app, &sale.ticket_type).await, 0);
    let after = order_of(&app, &order, &key).await;
    assert!(after["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["status"] == "canceled"));
    let refund_mails = |subjects: Vec<String>| {
        subjects
            .iter()
            .filter(|s| s.starts_with("Refund for"))
            .count()
    };
    assert_eq!(refund_mails(mail_subjects(&app, "r@example.com").await), 0);

    // Too early for the worker, and still down: nothing happens.
    let now = chrono::Utc::now();
    assert_eq!(
        bilten_backend::retry_pending_refunds(&app.state, now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        bilten_backend::retry_pending_refunds(&app.state, now + chrono::Duration::minutes(2))
            .await
            .unwrap(),
        1
    );
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);

    // The provider is back: the worker pays out, once, with the same idempotency key.
    provider.down.store(false, Ordering::SeqCst);
    let later = now + chrono::Duration::minutes(3);
    assert_eq!(
        bilten_backend::retry_pending_refunds(&app.state, later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        bilten_backend::retry_pending_refunds(&app.state, later)
            .await
            .unwrap(),
        0
    );
    assert_eq!(provider.calls.load(Ordering::SeqCst), 3);
    let keys = provider.keys.lock().unwrap().clone();
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    assert_eq!(refund_mails(mail_subjects(&app, "r@example.com").await), 1);
    let mut conn = app.store.primary().acquire().await.unwrap();
    let refunds = bilten_store::refunds::list_for_order(&mut conn, order.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].status.as_str(), "succeeded");
}

/// `POST /events/{id}/quotas` as the organizer: `(status, body)`.
pub async fn add_quota(
    app: &TestApp,
    token: &str,
    event: &str,
    capacity: i64,
    members: &[&str],
) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/events/{event}/quotas"),
        Some(token),
        json!({ "name": "Fire limit", "capacity": capacity, "ticket_type_ids": members }),
    )
    .await
}

/// `(held, sold, held_rows, sold_rows)` of a quota: its counters and what its rows say.
pub async fn quota_ledger(app: &TestApp, quota: &str) -> (i64, i64, i64, i64) {
    bilten_store::orders::quota_ledger(app.store.primary(), quota.parse().unwrap())
        .await
        .unwrap()
}

/// Issue #12 item 5: a quota added over a ticket type that had already sold started at zero,
/// so refunding one of those sales answered 500 and the order stayed paid.
#[tokio::test]
async fn a_quota_added_after_sales_counts_them_so_their_refund_still_goes_through() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.clone();
    let (order, key) =
        paid_order(&app, &sale.event, &sale.ticket_type, 2, "early@example.com").await;
    let (pending, pending_key) = pending_order(
        &app,
        &sale.event,
        &sale.ticket_type,
        1,
        "holding@example.com",
    )
    .await;

    // Below what is already sold and held: refused, nothing created.
    let (status, body) = add_quota(&app, &token, &sale.event, 2, &[&sale.ticket_type]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "capacity_below_taken");
    let (status, body) = add_quota(&app, &token, &sale.event, 5, &[&sale.ticket_type]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (
            body["quota"]["sold"].as_i64(),
            body["quota"]["held"].as_i64(),
            body["quota"]["available"].as_i64()
        ),
        (Some(2), Some(1), Some(2))
    );
    let quota = body["quota"]["id"].as_str().unwrap().to_owned();
    assert_eq!(quota_ledger(&app, &quota).await, (1, 2, 1, 2));

    let (status, body) = refund(&app, &token, &order, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["order"]["status"], "refunded");
    assert_eq!(
        order_of(&app, &order, &key).await["order"]["status"],
        "refunded"
    );
    assert_eq!(sold_of(&app, &sale.ticket_type).await, 0);
    assert_eq!(quota_ledger(&app, &quota).await, (1, 0, 1, 0));
    // The pending order bought before the quota completes, and counts in it.
    let (status, body) = crate::refund_helpers::checkout(
        &app,
        &pending,
        &pending_key,
        Some(json!({ "test_card": "4242424242424242" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(quota_ledger(&app, &quota).await, (0, 1, 0, 1));
}

/// A buyer who ordered in German is told about the refund in German, whatever language the
/// organizer uses; an order placed in English still gets the English mail.
#[tokio::test]
async fn the_refund_mail_is_written_in_the_language_the_order_was_placed_in() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let mut german = crate::ticketing_helpers::guest_order(
        &sale.event,
        &sale.ticket_type,
        1,
        "kaeuferin@example.com",
    );
    german["locale"] = json!("de");
    let (status, body) = crate::ticketing_helpers::place_order(
        &app,
        None,
        &uuid::Uuid::new_v4().to_string(),
        &german,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order = body["order"]["id"].as_str().unwrap().to_owned();
    let key = body["access_key"].as_str().unwrap().to_owned();
    let (status, body) = crate::refund_helpers::checkout(
        &app,
        &order,
        &key,
        Some(json!({ "test_card": "4242424242424242" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (english, _) =
        paid_order(&app, &sale.event, &sale.ticket_type, 1, "buyer@example.com").await;

    for order in [&order, &english] {
        let (status, body) = refund(&app, &sale.organizer.access_token, order, json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let subjects = mail_subjects(&app, "kaeuferin@example.com").await;
    assert!(
        subjects.iter().any(|s| s.starts_with("Erstattung für ")),
        "{subjects:?}"
    );
    assert!(
        !subjects.iter().any(|s| s.starts_with("Refund for")),
        "{subjects:?}"
    );
    let texts: Vec<String> =
        bilten_store::outbox::list_for_address(app.store.primary(), "kaeuferin@example.com")
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.subject.starts_with("Erstattung"))
            .map(|m| m.body_text)
            .collect();
    assert!(texts[0].starts_with("Hallo "), "{}", texts[0]);
    assert!(
        texts[0].contains("Ihre Bestellung erstattet"),
        "{}",
        texts[0]
    );
    let english_subjects = mail_subjects(&app, "buyer@example.com").await;
    assert!(
        english_subjects.iter().any(|s| s.starts_with("Refund for")),
        "{english_subjects:?}"
    );
}
