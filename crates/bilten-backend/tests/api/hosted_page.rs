//! The test provider's hosted payment page as a browser meets it (its security headers), and
//! the links that lead a buyer back to the order: on the page and in the confirmation mail.

use reqwest::StatusCode;

use bilten_test_support::TestApp;

use crate::ticketing_helpers::{event_on_sale, guest_order, place_order};

/// A guest order of one ticket, checked out on the test provider: `(order, key, page path)`.
async fn guest_at_the_payment_page(app: &TestApp, email: &str) -> (String, String, String) {
    let sale = event_on_sale(app, 10).await;
    let (status, body) = place_order(
        app,
        None,
        &uuid::Uuid::new_v4().to_string(),
        &guest_order(&sale.event, &sale.ticket_type, 1, email),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order = body["order"]["id"].as_str().unwrap().to_owned();
    let key = body["access_key"].as_str().unwrap().to_owned();
    let checkout = app
        .client
        .post(app.url(&format!("/api/v1/orders/{order}/checkout")))
        .header("x-order-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(checkout.status(), StatusCode::CREATED);
    let body: serde_json::Value = checkout.json().await.unwrap();
    let url = body["redirect_url"].as_str().unwrap();
    let page = url[url.find("/api/v1/").unwrap()..].to_owned();
    (order, key, page)
}

#[tokio::test]
async fn the_payment_page_forbids_scripts_framing_and_posting_elsewhere() {
    let app = TestApp::spawn().await;
    let (_, _, page) = guest_at_the_payment_page(&app, "csp@example.com").await;
    let shown = app.client.get(app.url(&page)).send().await.unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    let refused = app
        .client
        .post(app.url(&page))
        .form(&[("card_number", "1234")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = app
        .client
        .get(app.url("/api/v1/pay/test/pay_nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    for response in [shown, refused, unknown] {
        let csp = response
            .headers()
            .get("content-security-policy")
            .expect("a Content-Security-Policy")
            .to_str()
            .unwrap()
            .to_owned();
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        for wanted in [
            "default-src 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(directives.contains(&wanted), "{wanted} in {csp}");
        }
        assert!(
            !csp.contains("script-src"),
            "no script source at all: {csp}"
        );
        assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    }
}

#[tokio::test]
async fn the_links_back_to_the_order_carry_its_key() {
    let app = TestApp::spawn().await;
    let email = format!("link-{}@example.com", uuid::Uuid::new_v4().simple());
    let (order, key, page) = guest_at_the_payment_page(&app, &email).await;
    let paid = app
        .client
        .post(app.url(&page))
        .form(&[("card_number", "4242424242424242")])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), StatusCode::OK);
    let link = format!("http://bilten.test/orders/{order}?key={key}");
    let html = paid.text().await.unwrap();
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");

    let mail = app.wait_for_mail(&email, "Your tickets").await;
    let mailed = mail
        .lines()
        .find_map(|l| l.strip_prefix("Your order online: "))
        .unwrap_or_else(|| panic!("no order link in {mail}"));
    assert_eq!(mailed, link);
}
