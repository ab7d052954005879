//! The money side of an organizer's event pages: the dashboard's sales (gross, refunds, net;
//! tickets per day over every order) and canceling the event, which first says what it
//! refunds.

use bilten_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::json;

use crate::fixtures::{event_on_sale, OnSale};
use crate::helpers::{TestSite, PASSWORD};

/// A guest order of `quantity` tickets of `ticket_type`, paid with the test card (or free).
async fn paid_order(backend: &TestApp, sale: &OnSale, ticket_type: &str, quantity: i64) -> String {
    let email = format!("buyer-{}@example.com", uuid_like());
    let created = backend
        .client
        .post(backend.url("/api/v1/orders"))
        .header("idempotency-key", uuid_like())
        .json(&json!({
            "event_id": sale.event,
            "items": [{ "ticket_type_id": ticket_type, "quantity": quantity }],
            "buyer": { "email": email, "name": "Buyer" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: serde_json::Value = created.json().await.unwrap();
    let order = body["order"]["id"].as_str().unwrap().to_owned();
    let key = body["access_key"].as_str().unwrap();
    let total = body["order"]["total"]["amount"].as_i64().unwrap_or(0);
    let mut checkout = backend
        .client
        .post(backend.url(&format!("/api/v1/orders/{order}/checkout")))
        .header("x-order-key", key);
    if total > 0 {
        checkout = checkout.json(&json!({ "test_card": "4242424242424242" }));
    }
    let response = checkout.send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    order
}

/// Unique enough for emails and idempotency keys within a test run.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

async fn organizer_logs_in(site: &TestSite, sale: &OnSale) {
    let login = site
        .submit(
            "/login",
            "/login",
            &[("email", &sale.organizer.email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
}

/// The text of `<dd>` after `<dt>{label}</dt>` on a page.
fn stat<'a>(body: &'a str, label: &str) -> &'a str {
    let marker = format!("<dt>{label}</dt><dd>");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {label} on {body}"))
        + marker.len();
    &body[start..start + body[start..].find("</dd>").unwrap()]
}

#[tokio::test]
async fn the_dashboard_chart_counts_every_order_and_agrees_with_sold() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Busy Night", 50).await;
    // More orders than one page of the orders list (100): free and paid ones.
    for n in 0..103 {
        let kind = if n < 90 {
            &sale.guest_list
        } else {
            &sale.standing
        };
        paid_order(&site.backend, &sale, kind, 1).await;
    }
    organizer_logs_in(&site, &sale).await;
    let page = site.get(&format!("/organize/events/{}", sale.event)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(stat(&page.body, "Sold"), "103 of 150");
    let marker = r#"id="chart-total">"#;
    let start = page.body.find(marker).expect("the chart's total") + marker.len();
    let total: String = page.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert_eq!(total, "103", "the chart's total is Sold");
    assert!(
        page.body.contains("103 tickets sold in all"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_dashboard_shows_gross_refunds_and_net() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Refund Night", 50).await;
    let refunded = paid_order(&site.backend, &sale, &sale.standing, 2).await;
    paid_order(&site.backend, &sale, &sale.standing, 1).await;
    let (status, body) = site
        .backend
        .post(
            &format!("/api/v1/orders/{refunded}/refund"),
            Some(&sale.organizer.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    organizer_logs_in(&site, &sale).await;
    let page = site.get(&format!("/organize/events/{}", sale.event)).await;
    assert_eq!(stat(&page.body, "Gross"), "€75.00");
    assert_eq!(stat(&page.body, "Refunds"), "€50.00");
    assert_eq!(stat(&page.body, "Net"), "€25.00");
    assert_eq!(stat(&page.body, "Sold"), "1 of 150");
}

#[tokio::test]
async fn canceling_an_event_first_says_what_it_refunds_then_does_it() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Storm Night", 50).await;
    paid_order(&site.backend, &sale, &sale.standing, 2).await;
    paid_order(&site.backend, &sale, &sale.standing, 1).await;
    paid_order(&site.backend, &sale, &sale.guest_list, 1).await;
    organizer_logs_in(&site, &sale).await;
    let dashboard = format!("/organize/events/{}", sale.event);
    let confirm_page = format!("{dashboard}/cancel");

    // The dashboard only links to the confirmation; it has no form that cancels.
    let page = site.get(&dashboard).await;
    assert!(
        page.body.contains(&format!(r#"href="{confirm_page}""#)),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(&format!(r#"action="{confirm_page}""#)),
        "no one-click cancel on the dashboard"
    );

    let page = site.get(&confirm_page).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("This cannot be undone."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("3 paid orders are refunded in full: €75.00 goes back to the buyers."),
        "{}",
        page.body
    );
    assert!(page.body.contains("Cancel the event and refund €75.00"));
    assert!(
        page.body.contains(&format!(r#"href="{dashboard}""#)),
        "a way back"
    );

    // A post without the page's confirmation cancels nothing.
    let token = page.csrf_token();
    let stray = site
        .post_raw(&confirm_page, &[("csrf_token", &token)])
        .await;
    assert_eq!(stray.status, StatusCode::SEE_OTHER);
    assert_eq!(stray.location(), confirm_page);
    let (_, event) = site
        .backend
        .get(&format!("/api/v1/events/{}", sale.event), None)
        .await;
    assert_eq!(event["event"]["status"], "published", "{event}");

    let done = site
        .submit(&confirm_page, &confirm_page, &[("confirm", "yes")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location(),
        format!("{dashboard}?notice=event_canceled")
    );
    let (_, summary) = site
        .backend
        .get(
            &format!("/api/v1/events/{}/sales-summary", sale.event),
            Some(&sale.organizer.access_token),
        )
        .await;
    assert_eq!(summary["totals"]["paid_orders"], 0, "{summary}");
    assert_eq!(summary["totals"]["refunds"]["amount"], 7_500, "{summary}");
    // The page of a canceled event sends the organizer back to the dashboard.
    let again = site.get(&confirm_page).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
}
