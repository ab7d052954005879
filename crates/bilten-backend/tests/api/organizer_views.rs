//! The organizer views: orders list, sales summary, attendees, CSV exports. (That other
//! organizations and attendees get 404 on each of them is walked in `organizers.rs`.)

use bilten_test_support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::ticketing_helpers::{add_ticket_type, event_on_sale, guest_order, place_order, OnSale};

/// Pays an order with the test provider's good card; returns its tickets' ids.
async fn pay(app: &TestApp, placed: &Placed) -> Vec<String> {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/orders/{}/checkout", placed.id)))
        .header("x-order-key", &placed.key)
        .json(&json!({ "test_card": "4242424242424242" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

struct Placed {
    id: String,
    key: String,
}

async fn order(app: &TestApp, sale: &OnSale, key: &str, email: &str, name: &str, n: i64) -> Placed {
    // Distinct creation times, so "newest first" has one right answer.
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let mut body = guest_order(&sale.event, &sale.ticket_type, n, email);
    body["buyer"]["name"] = json!(name);
    let (status, body) = place_order(app, None, key, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    Placed {
        id: body["order"]["id"].as_str().unwrap().to_owned(),
        key: body["access_key"].as_str().unwrap().to_owned(),
    }
}

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            o.get("id")
                .or_else(|| o.get("ticket_id"))
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(ToOwned::to_owned).collect())
        .collect()
}

async fn get_text(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, String) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

#[tokio::test]
async fn the_orders_list_filters_searches_and_pages_newest_first() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 100).await;
    let token = sale.organizer.access_token.as_str();
    let ana = order(&app, &sale, "k1", "ana@example.com", "Ana Anić", 1).await;
    let bo = order(&app, &sale, "k2", "bo@example.org", "Bo 100%_Fan", 2).await;
    let cy = order(&app, &sale, "k3", "cy@example.com", "Cy", 3).await;
    pay(&app, &bo).await;
    let base = format!("/api/v1/events/{}/orders", sale.event);

    let (status, all) = app.get(&base, Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(ids(&all), [cy.id.as_str(), bo.id.as_str(), ana.id.as_str()]);
    assert_eq!(all["items"][1]["status"], "paid");
    assert_eq!(all["items"][1]["total"]["amount"], 5000);
    assert!(all["next_cursor"].is_null());

    let query = |q: &str| format!("{base}?{q}");
    let (_, paid) = app.get(&query("status=paid"), Some(token)).await;
    assert_eq!(ids(&paid), [bo.id.as_str()]);
    let (_, pending) = app.get(&query("status=pending"), Some(token)).await;
    assert_eq!(ids(&pending), [cy.id.as_str(), ana.id.as_str()]);
    let (_, by_email) = app.get(&query("q=EXAMPLE.COM"), Some(token)).await;
    assert_eq!(ids(&by_email), [cy.id.as_str(), ana.id.as_str()]);
    let (_, by_name) = app.get(&query("q=ana%20an"), Some(token)).await;
    assert_eq!(ids(&by_name), [ana.id.as_str()]);
    // LIKE wildcards in the search are literal characters.
    let (_, literal) = app.get(&query("q=100%25_"), Some(token)).await;
    assert_eq!(ids(&literal), [bo.id.as_str()]);
    let (_, none) = app.get(&query("q=%25"), Some(token)).await;
    assert_eq!(ids(&none), [bo.id.as_str()], "only Bo's name has a %");
    let (_, by_id) = app.get(&query(&format!("q={}", ana.id)), Some(token)).await;
    assert_eq!(ids(&by_id), [ana.id.as_str()]);

    // Pages of two, then one; no order twice, none missing.
    let (_, first) = app.get(&query("limit=2"), Some(token)).await;
    assert_eq!(ids(&first), [cy.id.as_str(), bo.id.as_str()]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app
        .get(&query(&format!("limit=2&cursor={cursor}")), Some(token))
        .await;
    assert_eq!(ids(&second), [ana.id.as_str()]);
    assert!(second["next_cursor"].is_null());

    for bad in ["status=lost", "limit=0", "limit=1000", "cursor=garbage"] {
        let (status, body) = app.get(&query(bad), Some(token)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
}

#[tokio::test]
async fn the_sales_summary_counts_sold_held_and_revenue_per_ticket_type() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 100).await;
    let token = sale.organizer.access_token.as_str();
    let vip = add_ticket_type(
        &app,
        token,
        &sale.event,
        json!({ "name": "VIP", "price": 9000, "capacity": 5 }),
    )
    .await;
    let paid = order(&app, &sale, "s1", "a@example.com", "A", 4).await;
    pay(&app, &paid).await;
    order(&app, &sale, "s2", "b@example.com", "B", 2).await;
    let lapsed = order(&app, &sale, "s3", "c@example.com", "C", 3).await;
    bilten_store::orders::set_expires_at(
        app.store.primary(),
        lapsed.id.parse().unwrap(),
        chrono::Utc::now() - chrono::Duration::seconds(1),
    )
    .await
    .unwrap();

    let (status, body) = app
        .get(
            &format!("/api/v1/events/{}/sales-summary", sale.event),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = |id: &str| {
        body["ticket_types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["ticket_type_id"] == id)
            .unwrap()
            .clone()
    };
    let standing = row(&sale.ticket_type);
    assert_eq!(
        (
            standing["capacity"].as_i64(),
            standing["sold"].as_i64(),
            standing["held"].as_i64(),
            standing["available"].as_i64()
        ),
        (Some(100), Some(4), Some(2), Some(94)),
        "a lapsed hold is not held: {standing}"
    );
    assert_eq!(standing["revenue"]["amount"], 10_000);
    assert_eq!(row(&vip)["revenue"]["amount"], 0);
    assert_eq!(body["totals"]["capacity"], 105);
    assert_eq!(body["totals"]["sold"], 4);
    assert_eq!(body["totals"]["held"], 2);
    assert_eq!(
        body["totals"]["revenue"],
        json!({ "amount": 10_000, "currency": "EUR" })
    );
}

#[tokio::test]
async fn csv_exports_escape_properly_and_defuse_formulas() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 100).await;
    let token = sale.organizer.access_token.as_str();
    let evil = "=HYPERLINK(\"http://x\",\"a, b\")";
    let plain = order(
        &app,
        &sale,
        "c1",
        "plain@example.com",
        "Plain, \"Quoted\" Name",
        1,
    )
    .await;
    let formula = order(&app, &sale, "c2", "evil@example.com", evil, 2).await;
    pay(&app, &formula).await;

    let (status, kind, text) = get_text(
        &app,
        &format!("/api/v1/events/{}/orders.csv", sale.event),
        token,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert!(text.starts_with("order_id,created_at,status,buyer_email,buyer_name,items,"));
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 2);
    let by_id = |id: &str| rows.iter().find(|r| r[0] == id).unwrap().clone();
    let row = by_id(&formula.id);
    assert_eq!(row[2], "paid");
    assert_eq!(row[4], format!("'{evil}"), "formula defused, quotes kept");
    assert_eq!(row[5], "2 x Standing");
    assert_eq!(row[9], "50.00");
    assert_eq!(by_id(&plain.id)[4], "Plain, \"Quoted\" Name");

    // Filters apply to the export too.
    let (_, _, text) = get_text(
        &app,
        &format!("/api/v1/events/{}/orders.csv?status=pending", sale.event),
        token,
    )
    .await;
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], plain.id);
}

#[tokio::test]
async fn the_attendee_list_shows_tickets_with_holder_type_and_order_and_exports_them() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 100).await;
    let token = sale.organizer.access_token.as_str();
    let mut tickets = Vec::new();
    let mut orders = Vec::new();
    for (i, holder) in ["Mia Moe", "+Max", "Zoe"].into_iter().enumerate() {
        let placed = order(
            &app,
            &sale,
            &format!("a{i}"),
            &format!("b{i}@example.com"),
            holder,
            1,
        )
        .await;
        tickets.extend(pay(&app, &placed).await);
        orders.push(placed.id);
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let [t1, t2, t3] = <[String; 3]>::try_from(tickets).unwrap();
    let paid = orders[0].clone();
    let base = format!("/api/v1/events/{}/attendees", sale.event);

    let (status, all) = app.get(&base, Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(ids(&all), [t1.as_str(), t2.as_str(), t3.as_str()]);
    let first = &all["items"][0];
    assert_eq!(first["holder_name"], "Mia Moe");
    assert_eq!(first["ticket_type"]["name"], "Standing");
    assert_eq!(first["order_id"], paid.as_str());
    assert_eq!(first["status"], "valid");

    let (_, found) = app.get(&format!("{base}?q=moe"), Some(token)).await;
    assert_eq!(ids(&found), [t1.as_str()]);
    let (_, by_order) = app.get(&format!("{base}?q={paid}"), Some(token)).await;
    assert_eq!(ids(&by_order), [t1.as_str()]);
    let (_, page) = app.get(&format!("{base}?limit=2"), Some(token)).await;
    assert_eq!(ids(&page), [t1.as_str(), t2.as_str()]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(&format!("{base}?limit=2&cursor={cursor}"), Some(token))
        .await;
    assert_eq!(ids(&rest), [t3.as_str()]);

    let (status, kind, text) = get_text(&app, &format!("{base}.csv"), token).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(kind.starts_with("text/csv"));
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 3);
    let max = rows.iter().find(|r| r[0] == t2).unwrap();
    assert_eq!(max[1], "'+Max");
    assert_eq!(max[2], "Standing");

    // A staff member may read; removing their membership ends it at once (404).
    let staff = app.signed_up_user("Staff").await;
    let org = {
        let (_, event) = app
            .get(&format!("/api/v1/events/{}", sale.event), Some(token))
            .await;
        event["event"]["organization_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (status, _) = app
        .post(
            &format!("/api/v1/organizations/{org}/members"),
            Some(token),
            json!({ "email": staff.email, "role": "staff" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        app.get(&base, Some(&staff.access_token)).await.0,
        StatusCode::OK
    );
    let (status, _) = app
        .request(
            Method::DELETE,
            &format!("/api/v1/organizations/{org}/members/{}", staff.id),
            Some(token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    assert_eq!(
        app.get(&base, Some(&staff.access_token)).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_sales_summary_shows_gross_refunds_and_net_after_refunds() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 100).await;
    let token = sale.organizer.access_token.as_str();
    let whole = order(&app, &sale, "m1", "a@example.com", "A", 2).await;
    pay(&app, &whole).await;
    let part = order(&app, &sale, "m2", "b@example.com", "B", 2).await;
    let part_tickets = pay(&app, &part).await;
    let kept = order(&app, &sale, "m3", "c@example.com", "C", 1).await;
    pay(&app, &kept).await;
    // Unpaid orders are no money at all.
    order(&app, &sale, "m4", "d@example.com", "D", 3).await;

    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{}/refund", whole.id),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{}/refund", part.id),
            Some(token),
            json!({ "ticket_ids": [part_tickets[0]] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, body) = app
        .get(
            &format!("/api/v1/events/{}/sales-summary", sale.event),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let totals = &body["totals"];
    let eur = |amount: i64| json!({ "amount": amount, "currency": "EUR" });
    // Five tickets at €25 were paid for; two and then one were given back.
    assert_eq!(totals["gross"], eur(12_500), "{totals}");
    assert_eq!(totals["refunds"], eur(7_500), "{totals}");
    assert_eq!(totals["net"], eur(5_000), "{totals}");
    assert_eq!(
        totals["paid_orders"], 2,
        "the fully refunded order is not paid any more"
    );
    assert_eq!(totals["sold"], 2);
    // The day's count agrees with "sold": refunded tickets left both.
    let days = body["per_day"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{body}");
    assert_eq!(days[0]["tickets"], 2);
    let day: chrono::NaiveDate = days[0]["date"].as_str().unwrap().parse().unwrap();
    let from_today = (day - chrono::Utc::now().date_naive()).num_days();
    assert!(from_today.abs() <= 1, "today in the event's zone: {body}");
}

/// The dashboard chart used to count the newest 100 orders (one page of the orders list);
/// the per-day counts come from the database over all of them.
#[tokio::test]
async fn tickets_per_day_count_every_order_not_the_newest_hundred() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 500).await;
    let token = sale.organizer.access_token.as_str();
    for n in 0..105 {
        let placed = order(
            &app,
            &sale,
            &format!("day-{n}"),
            &format!("buyer{n}@example.com"),
            "Buyer",
            1 + n % 2,
        )
        .await;
        pay(&app, &placed).await;
    }
    let (status, body) = app
        .get(
            &format!("/api/v1/events/{}/sales-summary", sale.event),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let per_day: i64 = body["per_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["tickets"].as_i64().unwrap())
        .sum();
    assert_eq!(body["totals"]["sold"], 157);
    assert_eq!(per_day, 157, "{body}");
}
