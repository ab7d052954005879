//! Personal data: the account's export, deleting the account, an organizer anonymizing an
//! order, and the retention job. Erasure is checked in the database itself: every text column
//! of every table is searched for the person's email and names, and the accounting (the
//! organizer's sales summary and the sums of orders, payments and refunds) is compared before
//! and after.

use bilten_store::Dialect;
use bilten_test_support::{TestApp, TestUser, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

use crate::refund_helpers::{paid_order, refund};
use crate::ticketing_helpers::{event_on_sale, place_order, OnSale};

const GOOD_CARD: &str = "4242424242424242";

/// The database form of an event id the API gave.
fn event_db(id: &str) -> String {
    id.parse::<bilten_domain::EventId>().unwrap().to_db()
}

/// The database form of an order id the API gave.
fn order_db(id: &str) -> String {
    id.parse::<bilten_domain::OrderId>().unwrap().to_db()
}

/// An order bought with `buyer`'s account under the name `name`, with attendee names, paid.
async fn paid_account_order(
    app: &TestApp,
    sale: &OnSale,
    buyer: &TestUser,
    name: &str,
    attendees: &[&str],
) -> String {
    let body = json!({
        "event_id": sale.event,
        "items": [{
            "ticket_type_id": sale.ticket_type,
            "quantity": attendees.len(),
            "attendees": attendees,
        }],
        "buyer": { "email": buyer.email, "name": name },
    });
    let (status, placed) = place_order(
        app,
        Some(&buyer.access_token),
        &uuid::Uuid::new_v4().to_string(),
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let order = placed["order"]["id"].as_str().unwrap().to_owned();
    let (status, paid) = app
        .post(
            &format!("/api/v1/orders/{order}/checkout"),
            Some(&buyer.access_token),
            json!({ "test_card": GOOD_CARD }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    order
}

/// `DELETE /me` with a JSON body.
async fn delete_me(app: &TestApp, user: &TestUser, body: Value) -> (StatusCode, Value) {
    app.request(
        Method::DELETE,
        "/api/v1/me",
        Some(&user.access_token),
        Some(body),
    )
    .await
}

/// What the organizer's accounting shows for `sale`'s event: the sales summary's totals and
/// ticket types, and the sums kept in the database.
async fn accounting(app: &TestApp, sale: &OnSale) -> Value {
    let (status, summary) = app
        .get(
            &format!("/api/v1/events/{}/sales-summary", sale.event),
            Some(&sale.organizer.access_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let sums = [
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM orders WHERE event_id = $1",
        "SELECT CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) AS n FROM orders
            WHERE event_id = $1 AND status IN ('paid', 'partially_refunded', 'refunded')",
        "SELECT CAST(COALESCE(SUM(refunded_minor), 0) AS BIGINT) AS n FROM orders WHERE event_id = $1",
        "SELECT CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) AS n FROM payments p
            JOIN orders o ON o.id = p.order_id WHERE o.event_id = $1 AND p.status = 'succeeded'",
        "SELECT CAST(COALESCE(SUM(r.amount_minor), 0) AS BIGINT) AS n FROM refunds r
            JOIN orders o ON o.id = r.order_id WHERE o.event_id = $1",
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM tickets WHERE event_id = $1 AND status = 'valid'",
        "SELECT CAST(COALESCE(SUM(l.total_minor), 0) AS BIGINT) AS n FROM order_lines l
            JOIN orders o ON o.id = l.order_id WHERE o.event_id = $1",
    ];
    let mut database = Vec::new();
    for sql in sums {
        let row = sqlx::query(sql)
            .bind(event_db(&sale.event))
            .fetch_one(app.store.primary())
            .await
            .unwrap();
        database.push(row.try_get::<i64, _>("n").unwrap());
    }
    assert!(database[0] > 0, "the event has orders");
    json!({
        "totals": summary["totals"],
        "ticket_types": summary["ticket_types"],
        "database": database,
    })
}

/// `table.column` of every text column that holds one of `needles` anywhere in the database.
async fn where_found(app: &TestApp, needles: &[&str]) -> Vec<String> {
    let columns_sql = match app.store.dialect() {
        Dialect::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND data_type = 'text'"
        }
        Dialect::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m
            JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.type = 'TEXT'"
        }
    };
    let columns: Vec<(String, String)> = sqlx::query(columns_sql)
        .fetch_all(app.store.primary())
        .await
        .unwrap()
        .iter()
        .map(|row| (row.try_get("t").unwrap(), row.try_get("c").unwrap()))
        .collect();
    assert!(columns.len() > 50, "only {} text columns", columns.len());
    let mut found = Vec::new();
    for (table, column) in &columns {
        for needle in needles {
            let sql = format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM \"{table}\" WHERE LOWER(\"{column}\") LIKE $1"
            );
            let row = sqlx::query(&sql)
                .bind(format!("%{}%", needle.to_lowercase()))
                .fetch_one(app.store.primary())
                .await
                .unwrap();
            if row.try_get::<i64, _>("n").unwrap() > 0 {
                found.push(format!("{table}.{column} holds {needle:?}"));
            }
        }
    }
    found
}

/// The organization of `sale`'s event.
async fn org_of(app: &TestApp, sale: &OnSale) -> String {
    let (_, orgs) = app
        .get(
            "/api/v1/me/organizations",
            Some(&sale.organizer.access_token),
        )
        .await;
    orgs["items"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_export_holds_the_account_its_memberships_orders_tickets_and_sessions() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 50).await;
    let buyer = crate::ticketing_helpers::verified_user(&app, "Xenia Export").await;
    let order = paid_account_order(&app, &sale, &buyer, "Xenia Export", &["Ada", "Grace"]).await;
    // Bought as a guest with the verified email: also theirs.
    let (guest, _) = paid_order(&app, &sale.event, &sale.ticket_type, 1, &buyer.email).await;
    // Someone else's order is not in it.
    let other = app.signed_up_user("Other Buyer").await;
    paid_account_order(&app, &sale, &other, "Other Buyer", &["Linus"]).await;

    let response = app
        .client
        .get(app.url("/api/v1/me/export"))
        .bearer_auth(&buyer.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"bilten-data-"),
        "{disposition}"
    );
    let export: bilten_api::privacy::AccountExport = response.json().await.unwrap();
    assert_eq!(export.account.email, buyer.email);
    assert_eq!(export.account.name, "Xenia Export");
    assert_eq!(export.orders.len(), 2);
    assert_eq!(export.orders[1].id.to_string(), guest);
    assert_eq!(export.orders[1].buyer_name, "Guest Buyer");
    assert!(!export.two_factor_enabled);
    let exported = &export.orders[0];
    assert_eq!(exported.id.to_string(), order);
    assert_eq!(exported.buyer_email, buyer.email);
    assert_eq!(exported.status.as_str(), "paid");
    assert_eq!(exported.total_minor, 5000);
    assert_eq!(exported.event_title, "Summer Jazz");
    assert_eq!(exported.items[0].attendee_names, ["Ada", "Grace"]);
    let mut names: Vec<&str> = exported
        .tickets
        .iter()
        .map(|t| t.attendee_name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Ada", "Grace"]);
    assert!(!export.sessions.is_empty());
    assert!(export.memberships.is_empty());

    // An organizer's export lists the organization.
    let (status, organizer) = app
        .get("/api/v1/me/export", Some(&sale.organizer.access_token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(organizer["memberships"][0]["role"], "owner");
    assert_eq!(organizer["orders"], json!([]));
    assert_eq!(
        app.get("/api/v1/me/export", None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn deleting_the_account_erases_the_person_everywhere_and_leaves_the_accounting_as_it_was() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 50).await;
    let buyer = crate::ticketing_helpers::verified_user(&app, "Erin Erasure").await;
    paid_account_order(&app, &sale, &buyer, "Erin Erasure", &["Annika Attendee"]).await;
    // A guest order with the verified email is the person's too.
    paid_order(&app, &sale.event, &sale.ticket_type, 1, &buyer.email).await;
    let refunded =
        paid_account_order(&app, &sale, &buyer, "Erin Erasure", &["Bruno Attendee", ""]).await;
    let (status, body) = refund(&app, &sale.organizer.access_token, &refunded, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A guest's order of the same event stays as it is.
    let (kept, _) = paid_order(&app, &sale.event, &sale.ticket_type, 1, "kept@example.com").await;
    app.deliver_mail().await;
    let before = accounting(&app, &sale).await;
    let person = [
        buyer.email.as_str(),
        "Erin Erasure",
        "Annika Attendee",
        "Bruno Attendee",
    ];
    assert!(!where_found(&app, &person).await.is_empty());

    let (status, body) = delete_me(&app, &buyer, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"]["password"]["code"], "required");
    let (status, body) = delete_me(&app, &buyer, json!({ "password": "not the password" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"]["password"]["code"], "incorrect");
    let (status, body) = delete_me(&app, &buyer, json!({ "password": PASSWORD })).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    assert_eq!(where_found(&app, &person).await, Vec::<String>::new());
    assert_eq!(accounting(&app, &sale).await, before);
    // The guest's order keeps its buyer.
    let row = sqlx::query("SELECT buyer_email, anonymized_at FROM orders WHERE id = $1")
        .bind(order_db(&kept))
        .fetch_one(app.store.primary())
        .await
        .unwrap();
    assert_eq!(
        row.try_get::<String, _>("buyer_email").unwrap(),
        "kept@example.com"
    );
    assert!(row
        .try_get::<Option<i64>, _>("anonymized_at")
        .unwrap()
        .is_none());
    let reasons: Vec<String> = sqlx::query(
        "SELECT anonymized_reason FROM orders WHERE anonymized_at IS NOT NULL ORDER BY id",
    )
    .fetch_all(app.store.primary())
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get("anonymized_reason").unwrap())
    .collect();
    assert_eq!(reasons, ["account_deleted"; 3]);

    // The account is gone: its tokens, its login; its address can sign up again.
    let (status, body) = app.get("/api/v1/me", Some(&buyer.access_token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(
        app.refresh(&buyer.refresh_token).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = app.login(&buyer.email, PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_credentials");
    assert_eq!(
        app.register(&buyer.email, PASSWORD, "Erin Again").await.0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn the_only_owner_of_an_organization_cannot_delete_the_account_until_another_owner_exists() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let owner = &sale.organizer;
    let (status, body) = delete_me(&app, owner, json!({ "password": PASSWORD })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "last_owner");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Kino Meeting Point"),
        "{body}"
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&owner.access_token)).await.0,
        StatusCode::OK
    );

    let (status, orgs) = app
        .get("/api/v1/me/organizations", Some(&owner.access_token))
        .await;
    assert_eq!(status, StatusCode::OK);
    let org = orgs["items"][0]["id"].as_str().unwrap().to_owned();
    let partner = app.signed_up_user("Partner").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/organizations/{org}/members"),
            Some(&owner.access_token),
            json!({ "email": partner.email, "role": "owner" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = delete_me(&app, owner, json!({ "password": PASSWORD })).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, members) = app
        .get(
            &format!("/api/v1/organizations/{org}/members"),
            Some(&partner.access_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(members["items"].as_array().unwrap().len(), 1);
    assert_eq!(members["items"][0]["email"], partner.email.as_str());
}

#[tokio::test]
async fn an_organizer_anonymizes_an_order_on_request_and_the_totals_stay() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 20).await;
    let email = format!("gone-{}@example.com", uuid::Uuid::new_v4().simple());
    let (order, _) = paid_order(&app, &sale.event, &sale.ticket_type, 2, &email).await;
    let (pending, _) = crate::refund_helpers::pending_order(
        &app,
        &sale.event,
        &sale.ticket_type,
        1,
        "wait@example.com",
    )
    .await;
    let before = accounting(&app, &sale).await;
    let token = sale.organizer.access_token.as_str();

    let path = format!("/api/v1/orders/{order}/anonymize");
    let (status, first) = app.post(&path, Some(token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["order_id"], order.as_str());
    let (status, again) = app.post(&path, Some(token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["anonymized_at"], first["anonymized_at"]);

    // The pending order's hold is the same too.
    assert_eq!(accounting(&app, &sale).await, before);
    assert_eq!(where_found(&app, &[&email]).await, Vec::<String>::new());
    let (status, attendees) = app
        .get(
            &format!("/api/v1/events/{}/attendees", sale.event),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(attendees.to_string().contains("Anonymized"), "{attendees}");
    let row = sqlx::query("SELECT anonymized_reason, anonymized_by FROM orders WHERE id = $1")
        .bind(order_db(&order))
        .fetch_one(app.store.primary())
        .await
        .unwrap();
    assert_eq!(
        row.try_get::<String, _>("anonymized_reason").unwrap(),
        "organizer_request"
    );
    let organizer: bilten_domain::UserId = sale.organizer.id.parse().unwrap();
    assert_eq!(
        row.try_get::<Option<String>, _>("anonymized_by").unwrap(),
        Some(organizer.to_db())
    );

    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{pending}/anonymize"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "order_pending");
}

#[tokio::test]
async fn the_retention_job_anonymizes_orders_of_events_that_ended_long_ago_once() {
    let app = TestApp::spawn().await;
    let past = event_on_sale(&app, 20).await;
    let future = event_on_sale(&app, 20).await;
    let old_buyer = format!("old-{}@example.com", uuid::Uuid::new_v4().simple());
    let new_buyer = format!("new-{}@example.com", uuid::Uuid::new_v4().simple());
    paid_order(&app, &past.event, &past.ticket_type, 2, &old_buyer).await;
    paid_order(&app, &past.event, &past.ticket_type, 1, &old_buyer).await;
    paid_order(&app, &future.event, &future.ticket_type, 1, &new_buyer).await;
    let before = accounting(&app, &past).await;

    // The first event took place in 2020.
    sqlx::query("UPDATE events SET starts_at = $2, ends_at = $3 WHERE id = $1")
        .bind(event_db(&past.event))
        .bind(1_590_000_000_000_i64)
        .bind(1_590_010_000_000_i64)
        .execute(app.store.primary())
        .await
        .unwrap();
    // Other personal data past the period: a session last used in 2020, an invitation that
    // expired then, and the mail of that time.
    let sleeper = app.signed_up_user("Sleeper").await;
    let (status, _) = app
        .post(
            &format!(
                "/api/v1/organizations/{}/members",
                org_of(&app, &past).await
            ),
            Some(&past.organizer.access_token),
            json!({ "email": "stale-invite@example.com", "role": "staff" }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for sql in [
        "UPDATE sessions SET last_used_at = 1590000000000 WHERE user_id = $1",
        "UPDATE outbox_emails SET created_at = 1590000000000, status = 'sent'
            WHERE to_address = (SELECT email FROM users WHERE id = $1)",
    ] {
        sqlx::query(sql)
            .bind(sleeper.id.parse::<bilten_domain::UserId>().unwrap().to_db())
            .execute(app.store.primary())
            .await
            .unwrap();
    }
    for sql in [
        "UPDATE invitations SET expires_at = 1590000000000",
        "UPDATE outbox_emails SET created_at = 1589000000000, status = 'sent'
            WHERE to_address = 'stale-invite@example.com'",
    ] {
        sqlx::query(sql).execute(app.store.primary()).await.unwrap();
    }
    let now = chrono::Utc::now();
    let anonymized = bilten_backend::apply_retention(&app.state, 24, now)
        .await
        .unwrap();
    assert_eq!(anonymized, 2);
    assert_eq!(
        where_found(&app, &[&sleeper.email, "stale-invite@example.com"]).await,
        [format!("users.email holds {:?}", sleeper.email)],
        "only the account itself keeps its address"
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&sleeper.access_token)).await.0,
        StatusCode::UNAUTHORIZED,
        "the stale session is gone"
    );
    assert_eq!(
        bilten_backend::apply_retention(&app.state, 24, now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(where_found(&app, &[&old_buyer]).await, Vec::<String>::new());
    assert!(!where_found(&app, &[&new_buyer]).await.is_empty());
    assert_eq!(accounting(&app, &past).await, before);

    // A retention period longer than the time since the event keeps it.
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 5).await;
    paid_order(&app, &sale.event, &sale.ticket_type, 1, &old_buyer).await;
    let ended = now - chrono::Duration::days(40);
    sqlx::query("UPDATE events SET starts_at = $2, ends_at = $3 WHERE id = $1")
        .bind(event_db(&sale.event))
        .bind(ended.timestamp_millis() - 3_600_000)
        .bind(ended.timestamp_millis())
        .execute(app.store.primary())
        .await
        .unwrap();
    assert_eq!(
        bilten_backend::apply_retention(&app.state, 2, now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        bilten_backend::apply_retention(&app.state, 1, now)
            .await
            .unwrap(),
        1
    );
}
