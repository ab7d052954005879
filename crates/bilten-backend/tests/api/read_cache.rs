//! Public event reads served from serialized copies: `ETag` / `304`, and a write through the
//! process shows at once.

use reqwest::{header, StatusCode};

use crate::ticketing_helpers::{available_of, event_on_sale, guest_order, place_order};

#[tokio::test]
async fn event_pages_carry_an_etag_answer_304_and_show_a_sale_at_once() {
    let app = bilten_test_support::TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let url = app.url(&format!("/api/v1/events/{}", sale.event));
    let first = app.client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()[header::ETAG].clone();
    let body: serde_json::Value = first.json().await.unwrap();
    assert_eq!(available_of(&body, &sale.ticket_type), 10);

    let again = app
        .client
        .get(&url)
        .header(header::IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[header::ETAG], etag);
    assert!(again.bytes().await.unwrap().is_empty(), "a 304 has no body");

    let (status, _) = place_order(
        &app,
        None,
        "cache-1",
        &guest_order(&sale.event, &sale.ticket_type, 3, "reader@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let after = app
        .client
        .get(&url)
        .header(header::IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::OK, "the sale changed the page");
    assert_ne!(after.headers()[header::ETAG], etag);
    let body: serde_json::Value = after.json().await.unwrap();
    assert_eq!(available_of(&body, &sale.ticket_type), 7);

    // The listing is cached the same way.
    let listing = app
        .client
        .get(app.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(listing.status(), StatusCode::OK);
    assert!(listing.headers().contains_key(header::ETAG));
}
