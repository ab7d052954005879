//! `POST /events/{id}/cancel`: every paid order refunded, every pending order canceled,
//! every ticket revoked, every buyer mailed once; a second call changes nothing.

use bilten_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::refund_helpers::{
    mail_subjects, order_of, paid_order, paid_order_with_stripe, pending_order, revocations,
    sold_of, stripe_app,
};
use crate::ticketing_helpers::{
    available_of, create_org, event_on_sale, guest_order, place_order, verified_user,
};

async fn cancel(app: &TestApp, token: &str, event: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/events/{event}/cancel"),
        Some(token),
        json!({}),
    )
    .await
}

fn canceled_mails(subjects: &[String]) -> usize {
    subjects
        .iter()
        .filter(|s| s.ends_with("is canceled"))
        .count()
}

#[tokio::test]
async fn canceling_an_event_refunds_paid_orders_cancels_pending_ones_and_mails_each_buyer_once() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 20).await;
    let token = sale.organizer.access_token.clone();
    let (paid_a, key_a) =
        paid_order(&app, &sale.event, &sale.ticket_type, 2, "a@example.com").await;
    let (paid_b, key_b) =
        paid_order(&app, &sale.event, &sale.ticket_type, 3, "b@example.com").await;
    // One of B's tickets was already refunded before the event was called off.
    let (status, _) = crate::refund_helpers::refund(
        &app,
        &token,
        &paid_b,
        json!({ "lines": [{ "ticket_type_id": sale.ticket_type, "quantity": 1 }] }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (pending, pending_key) =
        pending_order(&app, &sale.event, &sale.ticket_type, 4, "p@example.com").await;

    let (status, body) = cancel(&app, &token, &sale.event).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["event"]["status"], "canceled");
    assert_eq!(body["canceled_now"], true);
    assert_eq!(body["orders_refunded"], 2);
    assert_eq!(body["orders_canceled"], 1);
    assert_eq!(body["refunds_pending"], 0);

    for (order, key) in [(&paid_a, &key_a), (&paid_b, &key_b)] {
        let after = order_of(&app, order, key).await;
        assert_eq!(after["order"]["status"], "refunded");
        assert!(after["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "canceled"));
    }
    assert_eq!(
        order_of(&app, &pending, &pending_key).await["order"]["status"],
        "canceled"
    );
    let reasons: Vec<String> = revocations(&app, &sale.event)
        .await
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    assert_eq!(reasons.iter().filter(|r| *r == "event_canceled").count(), 4);
    assert_eq!(reasons.iter().filter(|r| *r == "refunded").count(), 1);
    assert_eq!(sold_of(&app, &sale.ticket_type).await, 0);
    let (_, event_body) = app
        .get(&format!("/api/v1/events/{}", sale.event), Some(&token))
        .await;
    assert_eq!(available_of(&event_body, &sale.ticket_type), 20);
    for email in ["a@example.com", "b@example.com", "p@example.com"] {
        assert_eq!(
            canceled_mails(&mail_subjects(&app, email).await),
            1,
            "{email}"
        );
    }
    let refunds: Vec<i64> = {
        let mut conn = app.store.primary().acquire().await.unwrap();
        let mut all = Vec::new();
        for order in [&paid_a, &paid_b] {
            for r in bilten_store::refunds::list_for_order(&mut conn, order.parse().unwrap())
                .await
                .unwrap()
            {
                all.push(r.amount_minor);
            }
        }
        all
    };
    assert_eq!(refunds.iter().sum::<i64>(), 5 * 2500);

    // Again: nothing left to do, nobody mailed twice.
    let (status, body) = cancel(&app, &token, &sale.event).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["canceled_now"], false);
    assert_eq!(body["orders_refunded"], 0);
    assert_eq!(body["orders_canceled"], 0);
    for email in ["a@example.com", "b@example.com", "p@example.com"] {
        assert_eq!(
            canceled_mails(&mail_subjects(&app, email).await),
            1,
            "{email}"
        );
    }
    // And the event sells nothing any more.
    let (status, body) = place_order(
        &app,
        None,
        "after-cancel",
        &guest_order(&sale.event, &sale.ticket_type, 1, "late@example.com"),
    )
    .await;
    assert!(status.is_client_error(), "{status} {body}");
}

#[tokio::test]
async fn canceling_an_event_sold_on_stripe_refunds_through_stripe() {
    let (app, fake) = stripe_app().await;
    let sale = event_on_sale(&app, 10).await;
    let (order, key) = paid_order_with_stripe(&app, &fake, &sale.event, &sale.ticket_type, 2).await;
    let (status, body) = cancel(&app, &sale.organizer.access_token, &sale.event).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["orders_refunded"], 1);
    let refunds = fake.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount, 5000);
    assert_eq!(
        order_of(&app, &order, &key).await["order"]["status"],
        "refunded"
    );
}

#[tokio::test]
async fn only_managers_of_the_organization_may_cancel_an_event() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let outsider = verified_user(&app, "Other Organizer").await;
    create_org(&app, &outsider).await;
    let (status, _) = cancel(&app, &outsider.access_token, &sale.event).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let buyer = verified_user(&app, "Buyer").await;
    let (status, _) = cancel(&app, &buyer.access_token, &sale.event).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(
            &format!("/api/v1/events/{}/cancel", sale.event),
            None,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, event_body) = app
        .get(&format!("/api/v1/events/{}", sale.event), None)
        .await;
    assert_eq!(event_body["event"]["status"], "published");
}

/// Issue #12 item 5: with a quota added after sales, canceling the event answered 500 and
/// left the orders paid.
#[tokio::test]
async fn canceling_an_event_whose_quota_came_after_its_sales_refunds_every_order() {
    use crate::refunds::{add_quota, quota_ledger};

    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 20).await;
    let token = sale.organizer.access_token.clone();
    let (before, before_key) =
        paid_order(&app, &sale.event, &sale.ticket_type, 2, "qa@example.com").await;
    let (status, body) = add_quota(&app, &token, &sale.event, 10, &[&sale.ticket_type]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let quota = body["quota"]["id"].as_str().unwrap().to_owned();
    let (after, after_key) =
        paid_order(&app, &sale.event, &sale.ticket_type, 3, "qb@example.com").await;
    let (pending, pending_key) =
        pending_order(&app, &sale.event, &sale.ticket_type, 1, "qc@example.com").await;
    assert_eq!(quota_ledger(&app, &quota).await, (1, 5, 1, 5));

    let (status, body) = cancel(&app, &token, &sale.event).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["orders_refunded"].as_i64(),
            body["orders_canceled"].as_i64()
        ),
        (Some(2), Some(1))
    );
    for (order, key) in [(&before, &before_key), (&after, &after_key)] {
        assert_eq!(
            order_of(&app, order, key).await["order"]["status"],
            "refunded"
        );
    }
    assert_eq!(
        order_of(&app, &pending, &pending_key).await["order"]["status"],
        "canceled"
    );
    assert_eq!(sold_of(&app, &sale.ticket_type).await, 0);
    assert_eq!(quota_ledger(&app, &quota).await, (0, 0, 0, 0));
}
