//! Finding an event, its page, and buying tickets as a guest or with an account.

use reqwest::StatusCode;

use crate::fixtures::{add_ticket_type, concert, create_event, event_on_sale, publish};
use crate::helpers::TestSite;

/// The `/orders/...` location of a successful checkout, split into path and key.
fn order_location(location: &str) -> (String, String) {
    assert!(location.starts_with("/orders/ord_"), "{location}");
    let key = location.split("key=").nth(1).expect("a key in the link");
    (location.to_owned(), key.to_owned())
}

#[tokio::test]
async fn the_home_page_lists_upcoming_events_and_searches_them() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let token = &on_sale.organizer.access_token;
    let mut workshop = concert("Pottery for beginners");
    workshop["category"] = "workshop".into();
    workshop["description"] = "Throw your first bowl.".into();
    workshop["city"] = "Hamburg".into();
    workshop["starts_at"] = "2031-03-01T10:00:00Z".into();
    workshop["ends_at"] = "2031-03-01T12:00:00Z".into();
    let pottery = create_event(&site.backend, token, &on_sale.organization, workshop).await;
    add_ticket_type(
        &site.backend,
        token,
        &pottery,
        serde_json::json!({ "name": "Seat", "price": 4000, "capacity": 8 }),
    )
    .await;
    publish(&site.backend, token, &pottery).await;

    let home = site.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Winter Jazz Night"));
    assert!(home.body.contains("Pottery for beginners"));
    assert!(
        home.body.contains("Thu, 12 Dec 2030, 19:00 CET"),
        "start shown in the event's zone: {}",
        home.body
    );
    assert!(home.body.contains(r#"role="search""#));

    let by_text = site.get("/?q=jazz").await;
    assert!(by_text.body.contains("Winter Jazz Night"));
    assert!(!by_text.body.contains("Pottery for beginners"));
    assert!(
        by_text.body.contains(r#"value="jazz""#),
        "the search keeps its input"
    );

    let by_city = site.get("/?city=hamburg&category=workshop").await;
    assert!(by_city.body.contains("Pottery for beginners"));
    assert!(!by_city.body.contains("Winter Jazz Night"));

    let by_dates = site.get("/?from=2031-02-01&to=2031-03-01").await;
    assert!(by_dates.body.contains("Pottery for beginners"));
    assert!(!by_dates.body.contains("Winter Jazz Night"));

    // The jazz night has a free ticket type too, so it counts as paid (one paid type).
    let free = site.get("/?price=free").await;
    assert!(
        free.body.contains("No events match your search."),
        "{}",
        free.body
    );

    let nothing = site.get("/?q=opera").await;
    assert!(nothing.body.contains("No events match your search."));
}

#[tokio::test]
async fn a_bad_date_in_the_search_is_shown_next_to_its_field() {
    let site = TestSite::spawn().await;
    let page = site.get("/?from=2031-05-01&to=2031-04-01").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains(r#"id="field-to-error""#),
        "{}",
        page.body
    );
    assert!(page.body.contains("The end date is before the start date."));
    assert!(
        page.body.contains(r##"href="#field-to""##),
        "the summary links the field"
    );
    assert!(
        page.body.contains(r#"value="2031-05-01""#),
        "the input is kept"
    );
}

#[tokio::test]
async fn the_event_page_shows_details_prices_availability_and_data_for_search_engines() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let page = site.get(&format!("/events/{}", on_sale.event)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for part in [
        "<title>Winter Jazz Night · Bilten</title>",
        r#"<meta name="description" content="Four hours of jazz. Doors open at 18:30.">"#,
        r#"<meta property="og:title" content="Winter Jazz Night">"#,
        &format!(
            r#"<meta property="og:url" content="http://bilten.test/events/{}">"#,
            on_sale.event
        ),
        &format!(
            r#"<link rel="canonical" href="http://bilten.test/events/{}">"#,
            on_sale.event
        ),
        r#"<script type="application/ld+json">"#,
        r#""@type":"Event""#,
        r#""startDate":"2030-12-12T19:00:00+01:00""#,
        r#""priceCurrency":"EUR""#,
        r#""price":"25.00""#,
        "Thu, 12 Dec 2030, 19:00–23:00 CET",
        "Europe/Berlin",
        "Tempodrom",
        "Möckernstraße 10",
        "https://www.openstreetmap.org/?mlat=52.500000&amp;mlon=13.380000",
        "<p>Four hours of jazz.</p>",
        "€25.00",
        "Free",
        "50 available",
        &format!(r#"name="qty-{}""#, on_sale.standing),
        r#"<label for="field-email">"#,
    ] {
        assert!(page.body.contains(part), "missing {part}\n{}", page.body);
    }
    let missing = site.get("/events/evt_doesnotexist").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("We can't find that page"));
}

#[tokio::test]
async fn a_sold_out_ticket_type_says_so_and_offers_no_quantity() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Tiny Gig", 2).await;
    let event_page = format!("/events/{}", on_sale.event);
    let qty = format!("qty-{}", on_sale.standing);
    let bought = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&qty, "2"),
                ("name", "Grace Hopper"),
                ("email", "grace@example.com"),
                ("idempotency_key", "tiny-gig-1"),
            ],
        )
        .await;
    assert_eq!(bought.status, StatusCode::SEE_OTHER, "{}", bought.body);

    let page = site.get(&event_page).await;
    assert!(page.body.contains("Sold out"), "{}", page.body);
    assert!(!page.body.contains(&format!(r#"name="{qty}""#)));
    assert!(page.body.contains("https://schema.org/SoldOut"));
    assert!(page.body.contains("Only 100 left") || page.body.contains("100 available"));
}

#[tokio::test]
async fn a_guest_holds_tickets_sees_the_order_with_its_countdown_and_cancels_it() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let event_page = format!("/events/{}", on_sale.event);
    let created = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&format!("qty-{}", on_sale.standing), "2"),
                (&format!("qty-{}", on_sale.guest_list), "0"),
                ("name", "Grace Hopper"),
                ("email", "grace@example.com"),
                ("promo_code", ""),
                ("idempotency_key", "guest-checkout-1"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let (order_page, key) = order_location(created.location());

    let order = site.get(&order_page).await;
    assert_eq!(order.status, StatusCode::OK, "{}", order.body);
    for part in [
        "Complete your order",
        "Your tickets are held until",
        "data-countdown-until=",
        r#"<script src="/static/countdown."#,
        "Standing",
        "€50.00",
        "grace@example.com",
        "Winter Jazz Night",
    ] {
        assert!(order.body.contains(part), "missing {part}\n{}", order.body);
    }
    let event = site.get(&event_page).await;
    assert!(
        event.body.contains("48 available"),
        "the hold counts at once"
    );

    // Without the key (another browser, no account) the order does not exist.
    let id = order_page.split('?').next().unwrap();
    assert_eq!(
        TestSite::beside(&site).get(id).await.status,
        StatusCode::NOT_FOUND
    );

    let canceled = site
        .submit(&order_page, &format!("{id}/cancel"), &[("key", &key)])
        .await;
    assert_eq!(canceled.status, StatusCode::SEE_OTHER);
    let after = site.get(canceled.location()).await;
    assert!(
        after.body.contains("This order was canceled"),
        "{}",
        after.body
    );
    assert!(after.body.contains("the tickets released"));
    assert!(site.get(&event_page).await.body.contains("50 available"));
}

#[tokio::test]
async fn resubmitting_the_same_ticket_form_does_not_hold_tickets_twice() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let event_page = format!("/events/{}", on_sale.event);
    let page = site.get(&event_page).await;
    let key_marker = r#"name="idempotency_key" value=""#;
    let start = page.body.find(key_marker).unwrap() + key_marker.len();
    let key: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert_eq!(key.len(), 64, "each rendering carries a fresh key");
    let qty = format!("qty-{}", on_sale.standing);
    let fields = [
        (qty.as_str(), "3"),
        ("name", "Ada"),
        ("email", "ada@example.com"),
        ("idempotency_key", key.as_str()),
        ("csrf_token", &page.csrf_token()),
    ];
    let first = site
        .post_raw(&format!("{event_page}/checkout"), &fields)
        .await;
    let second = site
        .post_raw(&format!("{event_page}/checkout"), &fields)
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(first.location(), second.location(), "the same order again");
    assert!(site.get(&event_page).await.body.contains("47 available"));
}

#[tokio::test]
async fn checkout_problems_are_shown_next_to_the_ticket_type_or_field() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let event_page = format!("/events/{}", on_sale.event);
    let checkout = format!("{event_page}/checkout");
    let qty = format!("qty-{}", on_sale.standing);

    let nothing = site
        .submit(
            &event_page,
            &checkout,
            &[(&qty, "0"), ("name", "Ada"), ("email", "ada@example.com")],
        )
        .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.body.contains("Choose how many tickets you want."));

    let bad_email = site
        .submit(
            &event_page,
            &checkout,
            &[(&qty, "1"), ("name", "Ada"), ("email", "not-an-email")],
        )
        .await;
    assert_eq!(
        bad_email.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_email.body
    );
    assert!(
        bad_email.body.contains(r#"id="field-email-error""#),
        "{}",
        bad_email.body
    );
    assert!(
        bad_email.body.contains(r#"value="not-an-email""#),
        "input kept"
    );
    assert!(
        bad_email
            .body
            .contains(r#"<option value="1" selected>1</option>"#),
        "quantity kept"
    );

    // Over the type's per-order maximum (4): the API names the item, the page its row.
    let too_many = site
        .submit(
            &event_page,
            &checkout,
            &[(&qty, "9"), ("name", "Ada"), ("email", "ada@example.com")],
        )
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_many.body.contains(&format!(
            r#"id="field-{qty}-error" data-code="limit_exceeded""#
        )),
        "{}",
        too_many.body
    );
}

#[tokio::test]
async fn a_logged_in_buyer_checks_out_without_typing_their_details() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let email = site.signed_up_and_logged_in("Ada Lovelace").await;
    let event_page = format!("/events/{}", on_sale.event);
    let page = site.get(&event_page).await;
    assert!(
        !page.body.contains(r#"name="email""#),
        "no buyer fields when logged in"
    );
    let created = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[(&format!("qty-{}", on_sale.guest_list), "1")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    // The account reads its own order even without the key.
    let id = created.location().split('?').next().unwrap().to_owned();
    let order = site.get(&id).await;
    assert_eq!(order.status, StatusCode::OK, "{}", order.body);
    assert!(order.body.contains(&email));
    assert!(order.body.contains("Ada Lovelace"));
}

#[tokio::test]
async fn a_guest_pays_on_the_hosted_page_and_gets_tickets_with_qr_codes_and_pdfs() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let event_page = format!("/events/{}", on_sale.event);
    let created = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&format!("qty-{}", on_sale.standing), "2"),
                ("name", "Grace Hopper"),
                ("email", "grace@example.com"),
            ],
        )
        .await;
    let (order_page, _) = order_location(created.location());
    let id = order_page.split('?').next().unwrap().to_owned();
    let page = site.get(&order_page).await;
    assert!(page.body.contains("Pay €50.00"), "{}", page.body);

    // The key is not needed in this browser: it remembered it (the payment page's link back
    // carries none).
    let paying = site.submit(&id, &format!("{id}/pay"), &[]).await;
    assert_eq!(paying.status, StatusCode::SEE_OTHER, "{}", paying.body);
    let hosted = paying.location().to_owned();
    assert!(
        hosted.starts_with(&format!("{}/api/v1/pay/test/", site.backend.address)),
        "{hosted}"
    );
    let paid = site
        .client
        .post(&hosted)
        .form(&[("card_number", "4242 4242 4242 4242")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        paid.status(),
        StatusCode::OK,
        "{}",
        paid.text().await.unwrap()
    );

    let order = site.get(&id).await;
    assert_eq!(order.status, StatusCode::OK, "{}", order.body);
    assert!(order.body.contains("You're going!"), "{}", order.body);
    assert_eq!(
        order.body.matches(r#"<img class="qr""#).count(),
        2,
        "{}",
        order.body
    );
    let qr_start = order.body.find(r#"src="/tickets/"#).unwrap() + r#"src=""#.len();
    let qr: String = order.body[qr_start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let qr = qr.replace("&amp;", "&");
    let image = site.get(&qr).await;
    assert_eq!(image.status, StatusCode::OK, "{qr}");
    assert!(image.header("content-type").starts_with("image/svg+xml"));
    assert_eq!(image.header("cache-control"), "private, no-store");
    assert!(image.body.contains("<svg"));
    let pdf = site.get(&qr.replace("qr.svg", "pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.header("content-type"), "application/pdf");

    // Another browser without the key sees neither the order nor the QR codes.
    let stranger = TestSite::beside(&site);
    assert_eq!(stranger.get(&id).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        stranger.get(qr.split('?').next().unwrap()).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn free_tickets_complete_at_once_and_appear_under_my_tickets_and_orders() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    site.signed_up_and_logged_in("Ada Lovelace").await;
    let event_page = format!("/events/{}", on_sale.event);
    let created = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[(&format!("qty-{}", on_sale.guest_list), "2")],
        )
        .await;
    let id = created.location().split('?').next().unwrap().to_owned();
    let page = site.get(created.location()).await;
    assert!(page.body.contains("Get the tickets"), "{}", page.body);
    let done = site.submit(&id, &format!("{id}/pay"), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.location().contains("notice=paid"));

    let mine = site.get("/tickets").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(
        mine.body.matches(r#"<img class="qr""#).count(),
        2,
        "{}",
        mine.body
    );
    assert!(mine.body.contains("Winter Jazz Night") && mine.body.contains("Guest list"));
    let orders = site.get("/orders").await;
    assert!(
        orders.body.contains(&id.replace("/orders/", "")),
        "{}",
        orders.body
    );

    // Renaming a ticket re-issues it under the new name.
    let ticket_start = mine.body.find(r#"action="/tickets/"#).unwrap() + r#"action=""#.len();
    let action: String = mine.body[ticket_start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let renamed = site
        .submit(
            "/tickets",
            &action,
            &[
                ("attendee_name", "Charles Babbage"),
                ("order_id", &id.replace("/orders/", "")),
            ],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    let after = site.get(renamed.location()).await;
    assert!(
        after.body.contains("re-issued with the new name"),
        "{}",
        after.body
    );
    assert!(after.body.contains("Charles Babbage"));
}

#[tokio::test]
async fn names_typed_at_checkout_are_printed_on_the_tickets() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Named Night", 50).await;
    site.signed_up_and_logged_in("Ada Lovelace").await;
    let event_page = format!("/events/{}", on_sale.event);
    let form = site.get(&event_page).await;
    let first = format!(r#"name="attendee-{}-0""#, on_sale.guest_list);
    assert!(form.body.contains(&first), "{}", form.body);

    // A name too long comes back on the form, with what was typed kept.
    let long = "x".repeat(101);
    let refused = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&format!("qty-{}", on_sale.guest_list), "2"),
                (&format!("attendee-{}-0", on_sale.guest_list), &long),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains(&long), "{}", refused.body);

    // Three names typed for two tickets: only the first two are used.
    let created = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&format!("qty-{}", on_sale.guest_list), "2"),
                (
                    &format!("attendee-{}-0", on_sale.guest_list),
                    "Grace Hopper",
                ),
                (&format!("attendee-{}-1", on_sale.guest_list), "Alan Turing"),
                (
                    &format!("attendee-{}-2", on_sale.guest_list),
                    "Nobody Extra",
                ),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = created.location().split('?').next().unwrap().to_owned();
    site.get(created.location()).await;
    let done = site.submit(&id, &format!("{id}/pay"), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let mine = site.get("/tickets").await;
    assert!(
        mine.body.contains("Grace Hopper") && mine.body.contains("Alan Turing"),
        "{}",
        mine.body
    );
    assert!(!mine.body.contains("Nobody Extra"));
}

#[tokio::test]
async fn the_event_page_refreshes_availability_from_its_own_json() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Live Night", 12).await;
    let event_page = format!("/events/{}", on_sale.event);
    let page = site.get(&event_page).await;
    assert!(page.body.contains("/static/availability."), "{}", page.body);
    let url = format!("{event_page}/availability.json");
    assert!(page
        .body
        .contains(&format!(r#"data-availability-url="{url}""#)));

    let line = |body: &serde_json::Value, id: &str| {
        body["ticket_types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| {
                (
                    t["available"].as_i64().unwrap(),
                    t["text"].as_str().unwrap().to_owned(),
                )
            })
            .unwrap()
    };
    let before = site.get(&url).await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.header("cache-control"), "no-store");
    let before: serde_json::Value = serde_json::from_str(&before.body).unwrap();
    assert_eq!(
        line(&before, &on_sale.standing),
        (12, "12 available".to_owned())
    );

    // Someone holds 4: the same page, refreshed, says so without a reload.
    let created = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&format!("qty-{}", on_sale.standing), "4"),
                ("name", "Ada Guest"),
                ("email", "ada@example.com"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let after: serde_json::Value = serde_json::from_str(&site.get(&url).await.body).unwrap();
    assert_eq!(
        line(&after, &on_sale.standing),
        (8, "Only 8 left".to_owned())
    );

    let missing = site
        .get("/events/evt_00000000000000000000000000000000/availability.json")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// The schema.org offers in an event page's JSON-LD, by ticket type name → availability.
fn offers(body: &str) -> Vec<(String, String)> {
    let start = body
        .find(r#"<script type="application/ld+json">"#)
        .expect("JSON-LD on the page");
    let json = &body[start..];
    let json = &json[json.find('>').unwrap() + 1..json.find("</script>").unwrap()];
    let data: serde_json::Value = serde_json::from_str(json).unwrap();
    data["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["availability"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn search_engines_are_told_which_tickets_can_be_bought_now() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Late Sales", 1).await;
    let token = &on_sale.organizer.access_token;
    for (name, window) in [
        (
            "Early bird",
            serde_json::json!({ "sales_end": "2021-01-01T00:00:00Z" }),
        ),
        (
            "At the door",
            serde_json::json!({ "sales_start": "2030-12-12T17:00:00Z" }),
        ),
    ] {
        let mut body = serde_json::json!({ "name": name, "price": 1500, "capacity": 10 });
        body.as_object_mut()
            .unwrap()
            .extend(window.as_object().unwrap().clone());
        add_ticket_type(&site.backend, token, &on_sale.event, body).await;
    }
    let event_page = format!("/events/{}", on_sale.event);
    // The one Standing ticket goes.
    let bought = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&format!("qty-{}", on_sale.standing) as &str, "1"),
                ("name", "Grace Hopper"),
                ("email", "grace@example.com"),
                ("idempotency_key", "late-sales-1"),
            ],
        )
        .await;
    assert_eq!(bought.status, StatusCode::SEE_OTHER, "{}", bought.body);

    let page = site.get(&event_page).await;
    let mut offers = offers(&page.body);
    offers.sort();
    let schema = |s: &str| format!("https://schema.org/{s}");
    assert_eq!(
        offers,
        vec![
            ("At the door".to_owned(), schema("PreOrder")),
            ("Early bird".to_owned(), schema("Discontinued")),
            ("Guest list".to_owned(), schema("InStock")),
            ("Standing".to_owned(), schema("SoldOut")),
        ],
        "{}",
        page.body
    );
}

/// The link in a guest's confirmation mail opens the order for someone with no cookies at
/// all (the buyer reading the mail on their phone).
#[tokio::test]
async fn the_order_link_in_the_confirmation_mail_opens_the_order_on_another_device() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Mail Link Night", 50).await;
    let event_page = format!("/events/{}", on_sale.event);
    let email = "ada.guest@example.com";
    let bought = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&format!("qty-{}", on_sale.guest_list) as &str, "1"),
                ("name", "Ada Guest"),
                ("email", email),
                ("idempotency_key", "mail-link-1"),
            ],
        )
        .await;
    assert_eq!(bought.status, StatusCode::SEE_OTHER, "{}", bought.body);
    let (order_page, _) = order_location(bought.location());
    let order_id = order_page
        .trim_start_matches("/orders/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let pay = site
        .submit(&order_page, &format!("/orders/{order_id}/pay"), &[])
        .await;
    assert_eq!(pay.status, StatusCode::SEE_OTHER, "{}", pay.body);

    let mail = site.backend.wait_for_mail(email, "Your tickets").await;
    let link = mail
        .lines()
        .find_map(|l| l.strip_prefix("Your order online: "))
        .unwrap_or_else(|| panic!("no order link in {mail}"));
    // The test backend's PUBLIC_URL is http://bilten.test; the path and key are what matter
    // here (the binary's test checks the origin).
    let path = link
        .strip_prefix("http://bilten.test")
        .unwrap_or_else(|| panic!("{link}"));
    let phone = crate::helpers::TestSite::beside(&site);
    let page = phone.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Mail Link Night"), "{}", page.body);
    assert!(page.body.contains("Ada Guest"), "{}", page.body);
    // Without the key, the same stranger sees nothing.
    let bare = phone.get(&format!("/orders/{order_id}")).await;
    assert_ne!(bare.status, StatusCode::OK);
}
