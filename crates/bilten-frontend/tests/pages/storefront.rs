//! The storefront as a buyer sees it without JavaScript: the event page's cover, organizer,
//! date and venue, calendar file, running total on the "Review total" step and sold-out
//! states; the organizer's public page; the embeddable checkout and its framing headers.

use reqwest::StatusCode;
use serde_json::json;

use crate::fixtures::{add_ticket_type, concert, create_event, event_on_sale, publish};
use crate::helpers::{TestSite, PASSWORD};

/// Holds `quantity` tickets of `ticket_type` with a guest order through the API.
async fn hold(site: &TestSite, event: &str, ticket_type: &str, quantity: i64) {
    let created = site
        .backend
        .client
        .post(site.backend.url("/api/v1/orders"))
        .header("idempotency-key", format!("hold-{ticket_type}-{quantity}"))
        .json(&json!({
            "event_id": event,
            "items": [{ "ticket_type_id": ticket_type, "quantity": quantity }],
            "buyer": { "email": "holder@example.com", "name": "Holder" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_event_page_shows_cover_organizer_date_venue_and_a_calendar_file() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let token = sale.organizer.access_token.clone();
    let mut body = concert("Cover Night");
    body["image_url"] = json!("https://images.example.com/cover.jpg");
    let event = create_event(&site.backend, &token, &sale.organization, body).await;
    add_ticket_type(
        &site.backend,
        &token,
        &event,
        json!({ "name": "Standing", "price": 2500, "capacity": 10 }),
    )
    .await;
    publish(&site.backend, &token, &event).await;

    let page = site.get(&format!("/events/{event}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    assert!(
        html.contains(&format!(
            r#"<img class="cover" src="/events/{event}/cover" width="1200" height="600" decoding="async" alt="Cover image of “Cover Night”">"#
        )),
        "the cover, sized before it loads, with alt text, from our own site: {html}"
    );
    assert!(
        html.contains(&format!(
            r#"Organized by <a href="/o/{}">Kino Meeting Point</a>"#,
            sale.organization
        )),
        "{html}"
    );
    assert!(html.contains("Date and venue"), "{html}");
    assert!(html.contains("19:00"), "local time in Berlin: {html}");
    assert!(html.contains("Tempodrom"), "{html}");
    assert!(
        html.contains(&format!(r#"href="/events/{event}/calendar.ics" download"#)),
        "{html}"
    );
    // The first event has no image: no cover, no empty box.
    let plain = site.get(&format!("/events/{}", sale.event)).await;
    assert!(!plain.body.contains(r#"class="cover""#));

    let ics = site.get(&format!("/events/{event}/calendar.ics")).await;
    assert_eq!(ics.status, StatusCode::OK);
    assert_eq!(
        ics.headers["content-type"].to_str().unwrap(),
        "text/calendar; charset=utf-8"
    );
    assert!(ics.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let text = &ics.body;
    assert!(
        text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nBEGIN:VEVENT\r\n"), "{text}");
    assert!(text.contains("\r\nSUMMARY:Cover Night\r\n"), "{text}");
    assert!(text.contains("\r\nDTSTART:20301212T180000Z\r\n"), "{text}");
    assert!(text.contains("\r\nDTEND:20301212T220000Z\r\n"), "{text}");
    assert!(
        text.contains("\r\nLOCATION:Tempodrom\\, Möckernstraße 10\\, Berlin\\, DE\r\n"),
        "{text}"
    );
    assert!(text.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"), "{text}");
    assert!(text.split("\r\n").all(|line| line.len() <= 75), "{text}");
    let missing = site.get("/events/evt_nope/calendar.ics").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_review_step_shows_the_running_total_without_javascript() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let page = format!("/events/{}", sale.event);
    let first = site.get(&page).await;
    assert!(
        first.body.contains("<dd data-total-amount>€0.00</dd>"),
        "{}",
        first.body
    );
    assert!(
        first.body.contains(r#"data-price-minor="2500""#),
        "{}",
        first.body
    );
    let standing = format!("qty-{}", sale.standing);
    let guest = format!("qty-{}", sale.guest_list);
    let reviewed = site
        .submit(
            &page,
            &format!("/events/{}/review", sale.event),
            &[
                (&standing, "3"),
                (&guest, "1"),
                ("name", "Ada"),
                ("email", "ada@example.com"),
            ],
        )
        .await;
    assert_eq!(reviewed.status, StatusCode::OK, "{}", reviewed.body);
    let html = &reviewed.body;
    assert!(html.contains("<dd data-total-count>4</dd>"), "{html}");
    assert!(html.contains("<dd data-total-amount>€75.00</dd>"), "{html}");
    assert!(html.contains("Booking fees"), "{html}");
    assert!(
        html.contains(r#"<option value="3" selected>3</option>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"value="ada@example.com""#),
        "typed details stay: {html}"
    );
    // Nothing is held by reviewing.
    let again = site.get(&page).await;
    assert!(again.body.contains("50 available"), "{}", again.body);
    // "Continue" still comes first, so Enter in a field continues to the checkout.
    let continue_at = html.find(">Continue</button>").unwrap();
    let review_at = html.find(">Review total</button>").unwrap();
    assert!(continue_at < review_at);
}

#[tokio::test]
async fn sold_out_shows_per_ticket_type_and_for_the_whole_event() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let token = sale.organizer.access_token.clone();
    let event = create_event(
        &site.backend,
        &token,
        &sale.organization,
        concert("Tiny Night"),
    )
    .await;
    let only = add_ticket_type(
        &site.backend,
        &token,
        &event,
        json!({ "name": "Standing", "price": 2500, "capacity": 2 }),
    )
    .await;
    publish(&site.backend, &token, &event).await;
    hold(&site, &event, &only, 2).await;

    let page = site.get(&format!("/events/{event}")).await;
    let html = &page.body;
    assert!(
        html.contains(r#"<span class="tag sold-out">Sold out</span>"#),
        "{html}"
    );
    assert!(html.contains("This event is sold out."), "{html}");
    assert!(!html.contains(">Continue</button>"), "{html}");
    // One type sold out of two: only that one says so.
    hold(&site, &sale.event, &sale.standing, 4).await;
    let mixed = site.get(&format!("/events/{}", sale.event)).await;
    assert!(!mixed.body.contains("This event is sold out."));
}

#[tokio::test]
async fn the_organizer_page_lists_its_upcoming_events() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let page = site.get(&format!("/o/{}", sale.organization)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    assert!(html.contains("<h1>Kino Meeting Point</h1>"), "{html}");
    assert!(html.contains("Upcoming events"), "{html}");
    assert!(
        html.contains(&format!(
            r#"<a href="/events/{}">Winter Jazz Night</a>"#,
            sale.event
        )),
        "{html}"
    );
    let german = site
        .client
        .get(site.url(&format!("/o/{}", sale.organization)))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(german.contains("Kommende Veranstaltungen"), "{german}");
    let missing = site.get("/o/org_nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_the_embedded_checkout_may_be_framed_and_it_links_through() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let embed = site.get(&format!("/embed/events/{}", sale.event)).await;
    assert_eq!(embed.status, StatusCode::OK);
    let policy = embed.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.ends_with("frame-ancestors *"), "{policy}");
    assert!(embed.headers.get("x-frame-options").is_none());
    let html = &embed.body;
    assert!(!html.contains("site-header"), "no site chrome: {html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains(r#"target="_blank""#), "{html}");
    assert!(
        html.contains(&format!(
            r#"method="get" action="{}/events/{}" target="_blank""#,
            "http://bilten.test", sale.event
        )),
        "{html}"
    );
    assert!(html.contains("Open the event page"), "{html}");

    // The rest of the site still refuses to be framed.
    let event = site.get(&format!("/events/{}", sale.event)).await;
    assert_eq!(event.headers["x-frame-options"], "DENY");
    assert!(event.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));

    // The embed's form arrives on the event page with the quantities chosen and the total.
    let linked = site
        .get(&format!(
            "/events/{}?qty-{}=2&qty-nope=9",
            sale.event, sale.standing
        ))
        .await;
    assert_eq!(linked.status, StatusCode::OK);
    assert!(
        linked.body.contains("<dd data-total-amount>€50.00</dd>"),
        "{}",
        linked.body
    );

    // The organizer copies the snippet from the event's overview.
    let login = site
        .submit(
            "/login",
            "/login",
            &[("email", &sale.organizer.email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let overview = site.get(&format!("/organize/events/{}", sale.event)).await;
    assert!(
        overview.body.contains(&format!(
            "&lt;iframe src=&quot;{}/embed/events/{}&quot; title=&quot;Tickets: Winter Jazz Night&quot;",
            "http://bilten.test",
            sale.event
        )),
        "{}",
        overview.body
    );
    assert!(overview.body.contains("&lt;a href=&quot;"), "a link inside");
}
