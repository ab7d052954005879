//! The organizer console: every page has the navigation and the organization's and event's
//! names in its breadcrumbs; forms come pre-filled, pickers with the current value selected;
//! edits of the event, a ticket type and a promo code round-trip through the API.

use reqwest::StatusCode;

use crate::fixtures::event_on_sale;
use crate::helpers::{TestSite, PASSWORD};

/// A site with an event on sale, its organizer logged in; the event's console path.
async fn console_of_event_on_sale(site: &TestSite) -> (String, crate::fixtures::OnSale) {
    let on_sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let login = site
        .submit(
            "/login",
            "/login",
            &[("email", &on_sale.organizer.email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    (format!("/organize/events/{}", on_sale.event), on_sale)
}

/// The text of the page's breadcrumb trail.
fn breadcrumbs(body: &str) -> &str {
    let start = body.find(r#"class="breadcrumbs""#).expect("breadcrumbs");
    let end = start + body[start..].find("</nav>").unwrap();
    &body[start..end]
}

#[tokio::test]
async fn every_console_page_has_the_navigation_and_the_names_in_its_breadcrumbs() {
    let site = TestSite::spawn().await;
    let (event, on_sale) = console_of_event_on_sale(&site).await;
    let pages = [
        "",
        "/ticket-types",
        "/quotas",
        "/promo-codes",
        "/orders",
        "/attendees",
        "/checkin",
        "/reports",
        "/edit",
        "/cancel",
    ];
    for page in pages {
        let path = format!("{event}{page}");
        let answer = site.get(&path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
        let body = &answer.body;
        assert!(body.contains(r#"<nav class="console-nav""#), "{path}");
        assert!(body.contains(r#"<details class="console-menu""#), "{path}");
        assert!(
            body.contains(&format!(r#"href="{path}" aria-current="page""#)),
            "{path}: the current page is marked"
        );
        let trail = breadcrumbs(body);
        assert!(trail.contains("Kino Meeting Point"), "{path}: {trail}");
        assert!(trail.contains("Winter Jazz Night"), "{path}: {trail}");
        assert!(!trail.contains(">Organization<"), "{path}: {trail}");
        assert_eq!(body.matches("<h1").count(), 1, "{path}");
    }
    let org = format!("/organize/{}", on_sale.organization);
    for page in ["", "/team", "/settings", "/events/new"] {
        let path = format!("{org}{page}");
        let answer = site.get(&path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert!(
            answer.body.contains(r#"<nav class="console-nav""#),
            "{path}"
        );
        assert!(
            breadcrumbs(&answer.body).contains("Kino Meeting Point"),
            "{path}"
        );
    }
    let settings = site.get(&format!("{org}/settings")).await;
    assert!(settings.body.contains("Require two-factor sign-in"));

    // The reports page draws its charts with axes and a table of the same numbers.
    let reports = site.get(&format!("{event}/reports")).await;
    for chart in ["sales-chart", "revenue-chart", "checkin-chart"] {
        assert!(
            reports.body.contains(&format!(r#"id="{chart}""#)),
            "{chart}: {}",
            reports.body
        );
    }
}

#[tokio::test]
async fn the_event_settings_use_pickers_with_the_current_values_and_save_them() {
    let site = TestSite::spawn().await;
    let (event, _) = console_of_event_on_sale(&site).await;
    let edit = format!("{event}/edit");
    let form = site.get(&edit).await;
    let body = &form.body;
    assert!(
        body.contains(r#"<select id="field-timezone" name="timezone""#),
        "{body}"
    );
    assert!(body.contains(r#"<option value="Europe/Berlin" selected>"#));
    assert!(body.contains(r#"<select id="field-country" name="country""#));
    assert!(body.contains(r#"<option value="DE" selected>"#));
    assert!(body.contains(r#"<select id="field-currency" name="currency""#));
    assert!(body.contains(r#"<option value="EUR" selected>"#));
    assert!(
        body.contains(r#"value="2030-12-12T19:00""#),
        "local start time"
    );

    let saved = site
        .submit(
            &edit,
            &edit,
            &[
                ("title", "Winter Jazz Night"),
                ("description", "Four hours of jazz."),
                ("starts_at", "2030-12-12T19:00"),
                ("ends_at", "2030-12-12T23:00"),
                ("timezone", "Europe/Sarajevo"),
                ("venue_name", "Dom mladih"),
                ("venue_address", ""),
                ("city", "Sarajevo"),
                ("country", "BA"),
                ("latitude", ""),
                ("longitude", ""),
                ("online_url", ""),
                ("currency", "EUR"),
                ("category", "music"),
                ("image_url", ""),
                ("hold_minutes", "15"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), format!("{edit}?notice=event_saved"));
    let again = site.get(saved.location()).await;
    assert!(again
        .body
        .contains(r#"<option value="Europe/Sarajevo" selected>"#));
    assert!(again.body.contains(r#"<option value="BA" selected>"#));
    assert!(again.body.contains("Dom mladih"));
}

#[tokio::test]
async fn a_ticket_type_is_edited_with_min_per_order_a_sales_window_and_hidden_visibility() {
    let site = TestSite::spawn().await;
    let (event, on_sale) = console_of_event_on_sale(&site).await;
    let list = site.get(&format!("{event}/ticket-types")).await;
    let edit = format!("{event}/ticket-types/{}/edit", on_sale.standing);
    assert!(
        list.body.contains(&format!(r#"href="{edit}""#)),
        "{}",
        list.body
    );

    let form = site.get(&edit).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body
            .contains(r#"name="name" type="text" autocomplete="off" value="Standing""#),
        "{}",
        form.body
    );
    assert!(form.body.contains(r#"value="25.00""#));
    assert!(form
        .body
        .contains(r#"name="max_per_order" type="number" autocomplete="off" value="4""#));
    assert!(form.body.contains(r#"<option value="public" selected>"#));
    assert!(breadcrumbs(&form.body).contains("Standing"));

    let saved = site
        .submit(
            &edit,
            &edit,
            &[
                ("name", "Standing (members)"),
                ("description", "For club members."),
                ("price", "22.50"),
                ("capacity", "60"),
                ("min_per_order", "2"),
                ("max_per_order", "6"),
                ("sales_start", "2030-11-01T10:00"),
                ("sales_end", "2030-12-12T18:00"),
                ("visibility", "hidden"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let again = site.get(&edit).await;
    let body = &again.body;
    assert!(body.contains(r#"value="Standing (members)""#), "{body}");
    assert!(body.contains("For club members."));
    assert!(body.contains(r#"value="22.50""#));
    assert!(body.contains(r#"name="capacity" type="number" autocomplete="off" value="60""#));
    assert!(body.contains(r#"name="min_per_order" type="number" autocomplete="off" value="2""#));
    assert!(body.contains(r#"name="max_per_order" type="number" autocomplete="off" value="6""#));
    assert!(
        body.contains(r#"value="2030-11-01T10:00""#),
        "the window on the event's clocks"
    );
    assert!(body.contains(r#"value="2030-12-12T18:00""#));
    assert!(body.contains(r#"<option value="hidden" selected>"#));
    // Hidden: no longer on the public page.
    let public = site.get(&format!("/events/{}", on_sale.event)).await;
    assert!(!public.body.contains("Standing (members)"));

    // The API's refusal comes back next to its field, with the input kept.
    let refused = site
        .submit(
            &edit,
            &edit,
            &[
                ("name", "Standing"),
                ("price", "22.50"),
                ("capacity", "60"),
                ("min_per_order", "8"),
                ("max_per_order", "6"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("error-summary"), "{}", refused.body);
    assert!(refused.body.contains(r#"value="8""#));
}

#[tokio::test]
async fn a_promo_code_is_created_with_a_window_and_types_then_its_limits_are_edited() {
    let site = TestSite::spawn().await;
    let (event, on_sale) = console_of_event_on_sale(&site).await;
    let page = format!("{event}/promo-codes");
    let created = site
        .submit(
            &page,
            &page,
            &[
                ("code", "club"),
                ("percent", "20"),
                ("amount", ""),
                ("ticket_type_ids", &on_sale.standing),
                ("max_uses", "50"),
                ("valid_from", "2030-11-01T00:00"),
                ("valid_until", "2030-12-01T00:00"),
                ("reveals_hidden", "true"),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let list = site.get(created.location()).await;
    assert!(
        list.body.contains("CLUB") && list.body.contains("20% off"),
        "{}",
        list.body
    );
    assert!(list.body.contains("0 of 50"), "{}", list.body);
    let marker = format!("{page}/");
    let start = list.body.find(&format!(r#"href="{marker}"#)).unwrap() + r#"href=""#.len();
    let edit: String = list.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert!(edit.ends_with("/edit"), "{edit}");

    let form = site.get(&edit).await;
    let body = &form.body;
    assert!(
        body.contains("Standing") && body.contains("20% off"),
        "{body}"
    );
    assert!(
        body.contains(r#"name="max_uses" type="number" autocomplete="off" value="50""#),
        "{body}"
    );
    assert!(body.contains(r#"value="2030-11-01T00:00""#));
    assert!(body.contains(r#"value="2030-12-01T00:00""#));
    assert!(
        body.contains(r#"name="reveals_hidden" value="true" checked"#),
        "{body}"
    );
    assert!(body.contains(r#"name="active" value="true" checked"#));

    // Unticking "active", a new limit, and an emptied window end (cleared).
    let saved = site
        .submit(
            &edit,
            &edit,
            &[
                ("max_uses", "5"),
                ("valid_from", "2030-11-01T00:00"),
                ("valid_until", ""),
                ("reveals_hidden", "true"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(saved.location().ends_with("?notice=promo_code_saved"));
    let again = site.get(&edit).await;
    let body = &again.body;
    assert!(
        body.contains(r#"name="max_uses" type="number" autocomplete="off" value="5""#),
        "{body}"
    );
    assert!(
        !body.contains(r#"name="active" value="true" checked"#),
        "{body}"
    );
    assert!(
        body.contains(r#"name="valid_until" type="datetime-local" autocomplete="off" value="""#),
        "{body}"
    );
    let list = site.get(&page).await;
    assert!(list.body.contains(">inactive<"), "{}", list.body);
}

#[tokio::test]
async fn a_quota_is_added_over_chosen_ticket_types() {
    let site = TestSite::spawn().await;
    let (event, on_sale) = console_of_event_on_sale(&site).await;
    let page = format!("{event}/quotas");
    let added = site
        .submit(
            &page,
            &page,
            &[
                ("quota_name", "Hall"),
                ("quota_capacity", "80"),
                ("ticket_type_ids", &on_sale.standing),
                ("ticket_type_ids", &on_sale.guest_list),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let list = site.get(added.location()).await;
    assert!(list.body.contains("Hall"), "{}", list.body);
    assert!(list.body.contains("Standing, Guest list"), "{}", list.body);
}

#[tokio::test]
async fn a_quota_is_renamed_and_its_capacity_never_goes_below_what_is_held() {
    let site = TestSite::spawn().await;
    let (event, on_sale) = console_of_event_on_sale(&site).await;
    let page = format!("{event}/quotas");
    let added = site
        .submit(
            &page,
            &page,
            &[
                ("quota_name", "Hall"),
                ("quota_capacity", "80"),
                ("ticket_type_ids", &on_sale.standing),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    // Three standing tickets held by a buyer count in the quota.
    let held = site
        .backend
        .client
        .post(site.backend.url("/api/v1/orders"))
        .header("idempotency-key", "quota-edit-hold")
        .json(&serde_json::json!({
            "event_id": on_sale.event,
            "items": [{ "ticket_type_id": on_sale.standing, "quantity": 3 }],
            "buyer": { "email": "holder@example.com", "name": "Holder" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(held.status(), StatusCode::CREATED);

    let list = site.get(&page).await;
    let start = list
        .body
        .find(&format!("{page}/quo_"))
        .expect("an edit link");
    let end = start + list.body[start..].find('"').unwrap();
    let edit = list.body[start..end].to_owned();
    assert!(edit.ends_with("/edit"), "{edit}");
    let form = site.get(&edit).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let body = &form.body;
    assert!(body.contains("Edit “Hall”"), "{body}");
    assert!(
        body.contains(r#"name="quota_capacity" type="number" autocomplete="off" value="80""#),
        "{body}"
    );
    assert!(body.contains("0 sold, 3 held"), "{body}");
    assert!(
        body.contains(r#"aria-current="page""#),
        "the console navigation"
    );

    let refused = site
        .submit(
            &edit,
            &edit,
            &[("quota_name", "Hall"), ("quota_capacity", "2")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("cannot go below the tickets already sold or held"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(r#"value="2""#),
        "what was typed stays"
    );

    let saved = site
        .submit(
            &edit,
            &edit,
            &[("quota_name", "Main hall"), ("quota_capacity", "3")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(saved.location().ends_with("?notice=quota_saved"));
    let list = site.get(saved.location()).await;
    assert!(list.body.contains("Quota saved."), "{}", list.body);
    assert!(list.body.contains("Main hall"), "{}", list.body);
}
