//! The organizer's pages: organization, team, event editor, ticket types, quotas, promo
//! codes, publishing, and the dashboard, orders and attendees.

use reqwest::StatusCode;

use crate::fixtures::event_on_sale;
use crate::helpers::{TestSite, PASSWORD};

/// Marks the account behind `email` as confirmed (organizations need that).
async fn confirm(site: &TestSite, email: &str) {
    let email = bilten_domain::Email::parse(email).unwrap();
    let user = bilten_store::users::find_by_email(site.backend.store.primary(), &email)
        .await
        .unwrap()
        .unwrap();
    bilten_store::users::mark_email_verified(
        site.backend.store.primary(),
        user.id,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
}

/// Signs up, confirms and creates an organization through the pages; returns its page path.
async fn organizer_with_organization(site: &TestSite) -> String {
    let email = site.signed_up_and_logged_in("Olga Organizer").await;
    confirm(site, &email).await;
    let created = site
        .submit(
            "/organize",
            "/organize/organizations",
            &[("name", "Kino Meeting Point")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let location = created.location().to_owned();
    assert!(location.starts_with("/organize/org_"), "{location}");
    location.split('?').next().unwrap().to_owned()
}

fn event_fields<'a>(title: &'a str, timezone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("description", "Films under the stars."),
        ("starts_at", "2030-07-01T21:30"),
        ("ends_at", "2030-07-01T23:45"),
        ("timezone", timezone),
        ("venue_name", "Open-air cinema"),
        ("venue_address", ""),
        ("city", "Sarajevo"),
        ("country", "ba"),
        ("latitude", ""),
        ("longitude", ""),
        ("online_url", ""),
        ("currency", "eur"),
        ("category", "festival"),
        ("image_url", ""),
        ("hold_minutes", "10"),
    ]
}

/// The dashboard path a successful post redirected to, without its notice.
fn dashboard_of(location: &str) -> String {
    location.split('?').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_organizer_creates_an_event_with_two_ticket_types_and_publishes_it() {
    let site = TestSite::spawn().await;
    let org_page = organizer_with_organization(&site).await;
    let org_html = site.get(&org_page).await;
    assert!(org_html.body.contains("Kino Meeting Point"));
    let team_html = site.get(&format!("{org_page}/team")).await;
    assert!(
        team_html.body.contains("Olga Organizer"),
        "the team lists the owner"
    );

    let new_event = format!("{org_page}/events/new");
    let created = site
        .submit(
            &new_event,
            &new_event,
            &event_fields("Summer Screenings", "Europe/Sarajevo"),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let dashboard = dashboard_of(created.location());
    let page = site.get(created.location()).await;
    assert!(page.body.contains("saved as a draft"));
    assert!(
        page.body.contains("Mon, 1 Jul 2030, 21:30–23:45 CEST"),
        "local time kept: {}",
        page.body
    );

    // Publishing without ticket types is refused with the API's reason.
    let early = site
        .submit(&dashboard, &format!("{dashboard}/publish"), &[])
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.body.contains("error-summary"), "{}", early.body);

    for (name, price, capacity) in [("Early bird", "12.50", "50"), ("Regular", "18", "150")] {
        let added = site
            .submit(
                &dashboard,
                &format!("{dashboard}/ticket-types"),
                &[
                    ("name", name),
                    ("price", price),
                    ("capacity", capacity),
                    ("max_per_order", ""),
                    ("sales_start", ""),
                    ("sales_end", ""),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    }
    let quota = site
        .submit(
            &dashboard,
            &format!("{dashboard}/quotas"),
            &[("quota_name", "Venue"), ("quota_capacity", "120")],
        )
        .await;
    assert_eq!(
        quota.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a quota needs ticket types"
    );

    let published = site
        .submit(&dashboard, &format!("{dashboard}/publish"), &[])
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let page = site.get(published.location()).await;
    assert!(page.body.contains("The event is published"));
    let types = site.get(&format!("{dashboard}/ticket-types")).await;
    assert!(types.body.contains("€12.50") && types.body.contains("€18.00"));
    assert!(
        page.body.contains("0 of 200"),
        "sold of capacity: {}",
        page.body
    );

    let id = dashboard.rsplit('/').next().unwrap();
    let public = site.get(&format!("/events/{id}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("Summer Screenings"));
    assert!(public.body.contains("Early bird"));

    // Editing keeps the local time and saves the change.
    let edit = format!("{dashboard}/edit");
    let form = site.get(&edit).await;
    assert!(
        form.body.contains(r#"value="2030-07-01T21:30""#),
        "{}",
        form.body
    );
    let mut fields = event_fields("Summer Screenings 2030", "Europe/Sarajevo");
    fields[2] = ("starts_at", "2030-07-01T21:00");
    let saved = site.submit(&edit, &edit, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(site
        .get(&format!("/events/{id}"))
        .await
        .body
        .contains("21:00–23:45 CEST"));
}

#[tokio::test]
async fn the_event_form_shows_bad_input_next_to_the_fields_and_keeps_it() {
    let site = TestSite::spawn().await;
    let org_page = organizer_with_organization(&site).await;
    let new_event = format!("{org_page}/events/new");

    let bad_zone = site
        .submit(
            &new_event,
            &new_event,
            &event_fields("Summer Screenings", "Mars/Olympus"),
        )
        .await;
    assert_eq!(bad_zone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_zone.body.contains(r#"id="field-timezone-error""#),
        "{}",
        bad_zone.body
    );
    assert!(bad_zone.body.contains(r#"value="Mars/Olympus""#));

    let untitled = site
        .submit(&new_event, &new_event, &event_fields("", "Europe/Sarajevo"))
        .await;
    assert_eq!(untitled.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        untitled
            .body
            .contains(r#"id="field-title-error" data-code="required""#),
        "{}",
        untitled.body
    );
    assert!(
        untitled.body.contains("Films under the stars."),
        "the description is kept"
    );
}

#[tokio::test]
async fn the_team_is_managed_by_email_and_unknown_people_are_named_as_such() {
    let site = TestSite::spawn().await;
    let org_page = organizer_with_organization(&site).await;
    let colleague = site.backend.signed_up_user("Colleague").await;
    let added = site
        .submit(
            &org_page,
            &format!("{org_page}/members"),
            &[("email", &colleague.email), ("role", "staff")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let page = site.get(added.location()).await;
    assert!(page.body.contains(&colleague.email) && page.body.contains("member has been added"));

    // An address without an account is invited; the newcomer signs up through the mail's link
    // and joins.
    let invited = site
        .submit(
            &org_page,
            &format!("{org_page}/members"),
            &[("email", "nobody@example.com"), ("role", "staff")],
        )
        .await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.body);
    assert!(invited.location().ends_with("?notice=member_invited"));
    assert!(site
        .get(invited.location())
        .await
        .body
        .contains("we have emailed an invitation"));
    let mail = site
        .backend
        .wait_for_mail("nobody@example.com", "invited you")
        .await;
    let token = bilten_test_support::token_from_link(&mail, "token");
    let link = format!("/invitations/accept?token={token}");

    let newcomer = TestSite::beside(&site);
    let landing = newcomer.get(&link).await;
    assert_eq!(landing.status, StatusCode::OK);
    assert!(
        landing.body.contains("Create an account"),
        "{}",
        landing.body
    );
    let signed_up = newcomer
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Nobody Yet"),
                ("email", "nobody@example.com"),
                ("password", PASSWORD),
                ("next", &link),
            ],
        )
        .await;
    assert_eq!(
        signed_up.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_up.body
    );
    let login_page = signed_up.location().to_owned();
    assert!(login_page.starts_with("/login?"), "{login_page}");
    let logged_in = newcomer
        .submit(
            &login_page,
            "/login",
            &[
                ("email", "nobody@example.com"),
                ("password", PASSWORD),
                ("next", &link),
            ],
        )
        .await;
    assert_eq!(
        logged_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        logged_in.body
    );
    assert_eq!(logged_in.location(), link);
    let joined = newcomer
        .submit(&link, "/invitations/accept", &[("token", &token)])
        .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);
    assert_eq!(
        joined.location(),
        format!("{org_page}?notice=invitation_accepted")
    );
    let team = site.get(&format!("{org_page}/team")).await;
    assert!(team.body.contains("nobody@example.com"), "{}", team.body);

    // Requiring two-factor sign-in asks the owner to turn it on for themselves first.
    let settings = site.get(&format!("{org_page}/settings")).await;
    assert!(settings.body.contains("Require two-factor sign-in"));
    let refused = site
        .submit(
            &org_page,
            &format!("{org_page}/two-factor"),
            &[("required", "true")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    assert!(site
        .get(refused.location())
        .await
        .body
        .contains("Turn on two-factor sign-in for your own account first"));
}

#[tokio::test]
async fn someone_elses_event_dashboard_does_not_exist_for_you() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Not yours", 10).await;
    site.signed_up_and_logged_in("Curious").await;
    for path in ["", "/orders", "/attendees", "/orders.csv", "/edit"] {
        let page = site
            .get(&format!("/organize/events/{}{path}", on_sale.event))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
    }
    // And logged out, the organizer pages ask to log in first.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = anonymous.get(site.url("/organize")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(response.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next=%2Forganize"));
}

#[tokio::test]
async fn the_dashboard_counts_holds_and_lists_orders_with_a_promo_code_discount() {
    let site = TestSite::spawn().await;
    let org_page = organizer_with_organization(&site).await;
    let new_event = format!("{org_page}/events/new");
    let created = site
        .submit(
            &new_event,
            &new_event,
            &event_fields("Summer Screenings", "Europe/Sarajevo"),
        )
        .await;
    let dashboard = dashboard_of(created.location());
    site.submit(
        &dashboard,
        &format!("{dashboard}/ticket-types"),
        &[
            ("name", "Seat"),
            ("price", "20.00"),
            ("capacity", "40"),
            ("max_per_order", "4"),
            ("sales_start", ""),
            ("sales_end", ""),
        ],
    )
    .await;
    let promo = site
        .submit(
            &dashboard,
            &format!("{dashboard}/promo-codes"),
            &[
                ("code", "FRIENDS"),
                ("percent", "25"),
                ("amount", ""),
                ("max_uses", ""),
                // The form's "active" box is ticked by default.
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(promo.status, StatusCode::SEE_OTHER, "{}", promo.body);
    let both = site
        .submit(
            &dashboard,
            &format!("{dashboard}/promo-codes"),
            &[
                ("code", "BOTH"),
                ("percent", "10"),
                ("amount", "2.00"),
                ("max_uses", ""),
            ],
        )
        .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(both.body.contains(r#"id="field-percent-error""#));
    site.submit(&dashboard, &format!("{dashboard}/publish"), &[])
        .await;
    let page = site.get(&format!("{dashboard}/promo-codes")).await;
    assert!(
        page.body.contains("FRIENDS") && page.body.contains("25% off"),
        "{}",
        page.body
    );

    // A guest (another browser) holds two seats with the code.
    let id = dashboard.rsplit('/').next().unwrap().to_owned();
    let guest = TestSite::beside(&site);
    let event_page = format!("/events/{id}");
    let seat_field = {
        let body = guest.get(&event_page).await.body;
        let start = body.find(r#"name="qty-"#).unwrap() + r#"name=""#.len();
        body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect::<String>()
    };
    let held = guest
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&seat_field, "2"),
                ("name", "Grace"),
                ("email", "grace@example.com"),
                ("promo_code", "FRIENDS"),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    let order = guest.get(held.location()).await;
    assert!(
        order.body.contains("Discount") && order.body.contains("€30.00"),
        "{}",
        order.body
    );

    let page = site.get(&dashboard).await;
    assert!(
        page.body.contains("<dt>Held now</dt><dd>2</dd>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("No tickets sold yet."),
        "the chart counts paid orders only"
    );
    let orders = site.get(&format!("{dashboard}/orders?q=grace")).await;
    assert_eq!(orders.status, StatusCode::OK);
    assert!(
        orders.body.contains("grace@example.com") && orders.body.contains("FRIENDS"),
        "{}",
        orders.body
    );
    let none = site.get(&format!("{dashboard}/orders?status=paid")).await;
    assert!(none.body.contains("No orders found."));
    let csv = site.get(&format!("{dashboard}/orders.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.header("content-type").starts_with("text/csv"),
        "{}",
        csv.header("content-type")
    );
    assert!(csv.body.contains("grace@example.com"));
    let attendees = site.get(&format!("{dashboard}/attendees")).await;
    assert!(
        attendees.body.contains("No attendees yet."),
        "a hold issues no tickets"
    );
}

#[tokio::test]
async fn a_refund_from_the_order_page_revokes_the_ticket() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    // A guest buys two tickets with the test card.
    let guest = TestSite::beside(&site);
    let event_page = format!("/events/{}", on_sale.event);
    let created = guest
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&format!("qty-{}", on_sale.standing), "2"),
                ("name", "Grace"),
                ("email", "grace@example.com"),
            ],
        )
        .await;
    let order = created.location().split('?').next().unwrap().to_owned();
    let hosted = guest.submit(&order, &format!("{order}/pay"), &[]).await;
    let paid = guest
        .client
        .post(hosted.location())
        .form(&[("card_number", "4242424242424242")])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), StatusCode::OK);

    // The organizer logs in and refunds one ticket from the order page.
    let login = site
        .submit(
            "/login",
            "/login",
            &[
                ("email", &on_sale.organizer.email),
                ("password", crate::helpers::PASSWORD),
            ],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    let order_id = order.rsplit('/').next().unwrap();
    let admin_page = format!("/organize/orders/{order_id}");
    let page = site.get(&admin_page).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        page.body.matches("Refund this ticket").count(),
        2,
        "{}",
        page.body
    );
    let marker = "/refund?ticket_id=";
    let start = page.body.find(marker).unwrap() + marker.len();
    let ticket: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    // A page of its own says what goes back before anything happens.
    let confirm_page = format!("{admin_page}/refund?ticket_id={ticket}");
    let confirm = site.get(&confirm_page).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm.body.contains("This ticket is revoked"),
        "{}",
        confirm.body
    );
    let unconfirmed = site
        .submit(
            &confirm_page,
            &format!("{admin_page}/refund"),
            &[("ticket_id", &ticket)],
        )
        .await;
    assert_eq!(unconfirmed.status, StatusCode::SEE_OTHER);
    assert_eq!(unconfirmed.location(), confirm_page, "nothing refunded");
    let refunded = site
        .submit(
            &confirm_page,
            &format!("{admin_page}/refund"),
            &[("ticket_id", &ticket), ("confirm", "yes")],
        )
        .await;
    assert_eq!(refunded.status, StatusCode::SEE_OTHER, "{}", refunded.body);
    let page = site.get(refunded.location()).await;
    assert!(
        page.body.contains("The refund has been made"),
        "{}",
        page.body
    );
    assert!(page.body.contains(">Partly refunded<"), "{}", page.body);
    assert_eq!(page.body.matches("Refund this ticket").count(), 1);

    // The buyer's page shows the refunded ticket without its QR code.
    let buyer_view = guest.get(&order).await;
    assert_eq!(
        buyer_view.body.matches(r#"<img class="qr""#).count(),
        1,
        "{}",
        buyer_view.body
    );
    assert!(buyer_view.body.contains("no longer admits anyone"));

    // At the buyer's request, the organizer anonymizes the order after a confirmation page.
    assert!(page
        .body
        .contains(&format!(r#"href="{admin_page}/anonymize""#)));
    let confirm = site.get(&format!("{admin_page}/anonymize")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(
        confirm.body.contains("It cannot be undone"),
        "{}",
        confirm.body
    );
    let done = site
        .submit(
            &format!("{admin_page}/anonymize"),
            &format!("{admin_page}/anonymize"),
            &[],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = site.get(done.location()).await;
    assert!(
        page.body.contains("personal data has been removed"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("grace@example.com"), "{}", page.body);
    assert!(page.body.contains("Anonymized"), "{}", page.body);
    assert!(
        page.body.contains(">Partly refunded<"),
        "the order stays as it was"
    );
}

#[tokio::test]
async fn check_in_lists_and_scanner_devices_are_set_up_from_the_dashboard_with_a_pairing_qr() {
    let site = TestSite::spawn().await;
    let on_sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let login = site
        .submit(
            "/login",
            "/login",
            &[
                ("email", &on_sale.organizer.email),
                ("password", crate::helpers::PASSWORD),
            ],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let dashboard = format!("/organize/events/{}", on_sale.event);
    let list = site
        .submit(
            &dashboard,
            &format!("{dashboard}/checkin-lists"),
            &[("list_name", "Main entrance")],
        )
        .await;
    assert_eq!(list.status, StatusCode::SEE_OTHER, "{}", list.body);
    let unnamed = site
        .submit(
            &dashboard,
            &format!("{dashboard}/devices"),
            &[("device_name", "")],
        )
        .await;
    assert_eq!(unnamed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unnamed.body.contains(r#"id="field-device_name-error""#),
        "{}",
        unnamed.body
    );
    let device = site
        .submit(
            &dashboard,
            &format!("{dashboard}/devices"),
            &[("device_name", "Gate A phone")],
        )
        .await;
    assert_eq!(device.status, StatusCode::SEE_OTHER, "{}", device.body);
    let page = site.get(device.location()).await;
    assert!(
        page.body.contains("Main entrance") && page.body.contains("Gate A phone"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Pairing code:"), "{}", page.body);
    let marker = r#"src="/organize/devices/"#;
    let start = page.body.find(marker).unwrap() + r#"src=""#.len();
    let qr: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let image = site.get(&qr).await;
    assert_eq!(image.status, StatusCode::OK);
    assert!(image.body.contains("<svg"));

    let marker = r#"/revoke""#;
    let end = page.body.find(marker).unwrap() + "/revoke".len();
    let start = page.body[..end].rfind('"').unwrap() + 1;
    let confirm = site.get(&page.body[start..end]).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm.body.contains("can no longer scan"),
        "{}",
        confirm.body
    );
    let revoked = site
        .submit(&dashboard, &page.body[start..end], &[("confirm", "yes")])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    let page = site.get(revoked.location()).await;
    assert!(
        page.body.contains("revoked") && !page.body.contains("Pairing code:"),
        "{}",
        page.body
    );
}
