//! NUL characters (issue #12, item 7): PostgreSQL cannot store them (a 500 before), SQLite
//! stores them silently. Every text field of every JSON body and every query parameter gets
//! `invalid_characters` (422 for bodies, naming the field; 400 for query strings, naming the
//! parameter), on both engines.

use bilten_test_support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::refund_helpers::{order_of, paid_order, pending_order};
use crate::ticketing_helpers::{create_org, event_body, event_on_sale};

const NUL_TEXT: &str = "a\u{0}b";

/// Every path (`buyer.name`, `items[0].attendees[0]`) of a string in `value`.
fn string_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::String(_) => out.push(prefix.to_owned()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                string_paths(item, &format!("{prefix}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                string_paths(item, &path, out);
            }
        }
        _ => {}
    }
}

/// `value` with the string at `path` replaced by one holding a NUL.
fn with_nul_at(value: &Value, path: &str, prefix: &str) -> Value {
    match value {
        Value::String(_) if path == prefix => json!(NUL_TEXT),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| with_nul_at(item, path, &format!("{prefix}[{i}]")))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    let here = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    (key.clone(), with_nul_at(item, path, &here))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `(method, path, bearer token, extra headers, a valid body)`.
type BodyCase<'a> = (
    Method,
    String,
    Option<&'a str>,
    Vec<(&'static str, String)>,
    Value,
);

struct Call<'a> {
    method: Method,
    path: String,
    token: Option<&'a str>,
    headers: Vec<(&'static str, String)>,
}

impl Call<'_> {
    async fn send(&self, app: &TestApp, body: Option<&Value>) -> (StatusCode, Value) {
        let mut request = app.client.request(self.method.clone(), app.url(&self.path));
        if let Some(token) = self.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// A world with one of everything the routes take ids of.
struct World {
    app: TestApp,
    organizer: String,
    user: String,
    admin: String,
    org: String,
    event: String,
    ticket_type: String,
    promo: String,
    order: String,
    order_key: String,
    ticket: String,
    pending: String,
    pending_key: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 50).await;
    let organizer = sale.organizer.access_token.clone();
    let org = create_org(&app, &sale.organizer).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{}/promo-codes", sale.event),
            Some(&organizer),
            json!({ "code": "SUMMER", "discount": { "kind": "percent", "basis_points": 1000 } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let promo = body["promo_code"]["id"].as_str().unwrap().to_owned();
    let (order, order_key) =
        paid_order(&app, &sale.event, &sale.ticket_type, 1, "buyer@example.com").await;
    let ticket = order_of(&app, &order, &order_key).await["tickets"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (pending, pending_key) =
        pending_order(&app, &sale.event, &sale.ticket_type, 1, "late@example.com").await;
    let user = app.signed_up_user("Plain User").await;
    let admin = app.signed_up_user("Admin").await;
    bilten_backend::admin::create_admin(&app.store, &admin.email, "unused unused", None)
        .await
        .unwrap();
    World {
        organizer,
        user: user.access_token,
        admin: admin.access_token,
        org,
        event: sale.event,
        ticket_type: sale.ticket_type,
        promo,
        order,
        order_key,
        ticket,
        pending,
        pending_key,
        app,
    }
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one table of every body the API takes"
)]
async fn a_nul_in_any_text_field_of_any_body_is_refused_with_422_naming_the_field() {
    let w = world().await;
    let event = |title: &str| {
        let mut body = event_body(title);
        body["venue_address"] = json!("Terezije bb");
        body["online_url"] = json!("https://example.com/live");
        body["image_url"] = json!("https://example.com/poster.png");
        body
    };
    let ticket_type = json!({
        "name": "Balcony", "description": "Upstairs", "price": 1500, "capacity": 10,
        "sales_start": "2029-01-01T00:00:00Z", "sales_end": "2030-05-01T00:00:00Z",
        "visibility": "public"
    });
    let organizer = Some(w.organizer.as_str());
    let user = Some(w.user.as_str());
    let cases: Vec<BodyCase> = vec![
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            None,
            vec![],
            json!({ "email": "new@example.com", "password": "long enough pass", "name": "New" }),
        ),
        (
            Method::POST,
            "/api/v1/auth/login".into(),
            None,
            vec![],
            json!({ "email": "new@example.com", "password": "long enough pass" }),
        ),
        (
            Method::POST,
            "/api/v1/auth/refresh".into(),
            None,
            vec![],
            json!({ "refresh_token": "rt_abc" }),
        ),
        (
            Method::POST,
            "/api/v1/auth/password".into(),
            user,
            vec![],
            json!({ "current_password": "old old old", "new_password": "new new new new" }),
        ),
        (
            Method::POST,
            "/api/v1/auth/forgot".into(),
            None,
            vec![],
            json!({ "email": "new@example.com" }),
        ),
        (
            Method::POST,
            "/api/v1/auth/reset".into(),
            None,
            vec![],
            json!({ "token": "pr_abc", "password": "new new new new" }),
        ),
        (
            Method::POST,
            "/api/v1/auth/verify".into(),
            None,
            vec![],
            json!({ "token": "ve_abc" }),
        ),
        (
            Method::PATCH,
            "/api/v1/me".into(),
            user,
            vec![],
            json!({ "name": "Renamed" }),
        ),
        (
            Method::POST,
            "/api/v1/organizations".into(),
            organizer,
            vec![],
            json!({ "name": "Second Org" }),
        ),
        (
            Method::POST,
            format!("/api/v1/organizations/{}/members", w.org),
            organizer,
            vec![],
            json!({ "email": "member@example.com", "role": "staff" }),
        ),
        (
            Method::POST,
            format!("/api/v1/organizations/{}/events", w.org),
            organizer,
            vec![],
            event("New Event"),
        ),
        (
            Method::PATCH,
            format!("/api/v1/events/{}", w.event),
            organizer,
            vec![],
            event("Renamed Event"),
        ),
        (
            Method::POST,
            format!("/api/v1/events/{}/ticket-types", w.event),
            organizer,
            vec![],
            ticket_type.clone(),
        ),
        (
            Method::PATCH,
            format!("/api/v1/ticket-types/{}", w.ticket_type),
            organizer,
            vec![],
            ticket_type,
        ),
        (
            Method::POST,
            format!("/api/v1/events/{}/quotas", w.event),
            organizer,
            vec![],
            json!({ "name": "Front rows", "capacity": 5, "ticket_type_ids": [w.ticket_type] }),
        ),
        (
            Method::POST,
            format!("/api/v1/events/{}/promo-codes", w.event),
            organizer,
            vec![],
            json!({
                "code": "WINTER", "discount": { "kind": "percent", "basis_points": 1000 },
                "valid_from": "2029-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z",
                "ticket_type_ids": [w.ticket_type]
            }),
        ),
        (
            Method::PATCH,
            format!("/api/v1/promo-codes/{}", w.promo),
            organizer,
            vec![],
            json!({ "valid_from": "2029-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z" }),
        ),
        (
            Method::POST,
            format!("/api/v1/events/{}/checkin-lists", w.event),
            organizer,
            vec![],
            json!({
                "name": "Main gate", "ticket_type_ids": [w.ticket_type],
                "not_before": "2030-06-01T17:00:00Z", "not_after": "2030-06-02T01:00:00Z"
            }),
        ),
        (
            Method::POST,
            format!("/api/v1/events/{}/devices", w.event),
            organizer,
            vec![],
            json!({ "name": "Gate phone" }),
        ),
        (
            Method::POST,
            "/api/v1/orders".into(),
            None,
            vec![("idempotency-key", "nul-order".to_owned())],
            json!({
                "event_id": w.event, "promo_code": "SUMMER",
                "items": [{ "ticket_type_id": w.ticket_type, "quantity": 1, "attendees": ["Ada"] }],
                "buyer": { "email": "guest@example.com", "name": "Guest" }
            }),
        ),
        (
            Method::PATCH,
            format!("/api/v1/tickets/{}", w.ticket),
            None,
            vec![("x-order-key", w.order_key.clone())],
            json!({ "attendee_name": "Grace" }),
        ),
        (
            Method::POST,
            format!("/api/v1/orders/{}/refund", w.order),
            organizer,
            vec![],
            json!({ "lines": [{ "ticket_type_id": w.ticket_type, "quantity": 1 }] }),
        ),
        (
            Method::POST,
            format!("/api/v1/orders/{}/refund", w.order),
            organizer,
            vec![],
            json!({ "ticket_ids": [w.ticket] }),
        ),
    ];
    let mut checked = 0;
    for (method, path, token, headers, body) in cases {
        let call = Call {
            method,
            path,
            token,
            headers,
        };
        let mut fields = Vec::new();
        string_paths(&body, "", &mut fields);
        assert!(!fields.is_empty(), "{}: no text fields", call.path);
        for field in fields {
            let (status, answer) = call
                .send(&w.app, Some(&with_nul_at(&body, &field, "")))
                .await;
            assert_eq!(
                (status, answer["error"]["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_characters")),
                "{} {} with a NUL in {field}: {answer}",
                call.method,
                call.path
            );
            assert_eq!(
                answer["error"]["fields"][&field]["code"], "invalid_characters",
                "{} {field}: {answer}",
                call.path
            );
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} fields checked");

    // Nothing was stored: the event keeps its title, the ticket its name.
    let (_, event) = w
        .app
        .get(&format!("/api/v1/events/{}", w.event), Some(&w.organizer))
        .await;
    assert_eq!(event["event"]["title"], "Summer Jazz", "{event}");
    let order = order_of(&w.app, &w.order, &w.order_key).await;
    assert_eq!(
        order["tickets"][0]["attendee_name"], "Guest Buyer",
        "{order}"
    );
}

#[tokio::test]
async fn bodies_read_outside_the_json_extractor_never_answer_500_to_a_nul() {
    let w = world().await;
    // Checkout reads its optional body itself; the test payment page takes a form.
    let call = Call {
        method: Method::POST,
        path: format!("/api/v1/orders/{}/checkout", w.pending),
        token: None,
        headers: vec![("x-order-key", w.pending_key.clone())],
    };
    let (status, answer) = call
        .send(&w.app, Some(&json!({ "test_card": NUL_TEXT })))
        .await;
    assert!(status.is_client_error(), "checkout: {status} {answer}");
    let response = w
        .app
        .client
        .post(w.app.url("/api/v1/pay/test/pay_00000000000000000000000000"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("card_number=4242%00")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
}

#[tokio::test]
async fn a_nul_in_any_query_parameter_is_refused_with_400_naming_it() {
    let w = world().await;
    let event = &w.event;
    let organizer = Some(w.organizer.as_str());
    let admin = Some(w.admin.as_str());
    let cases: Vec<(String, Option<&str>, &[&str])> = vec![
        (
            "/api/v1/events".into(),
            None,
            &[
                "q", "from", "to", "city", "category", "price", "cursor", "limit",
            ],
        ),
        (format!("/api/v1/events/{event}"), None, &["promo_code"]),
        (
            format!("/api/v1/events/{event}/orders"),
            organizer,
            &["status", "q", "cursor", "limit"],
        ),
        (
            format!("/api/v1/events/{event}/orders.csv"),
            organizer,
            &["status", "q"],
        ),
        (
            format!("/api/v1/events/{event}/attendees"),
            organizer,
            &["q", "cursor", "limit"],
        ),
        (
            format!("/api/v1/events/{event}/attendees.csv"),
            organizer,
            &["q"],
        ),
        (
            format!("/api/v1/events/{event}/checkin-log"),
            organizer,
            &["cursor", "limit", "conflicts"],
        ),
        (
            format!("/api/v1/events/{event}/revoked"),
            organizer,
            &["since", "limit"],
        ),
        (
            "/api/v1/me/tickets".into(),
            Some(w.user.as_str()),
            &["cursor", "limit"],
        ),
        ("/api/v1/admin/users".into(), admin, &["q", "cursor"]),
        (
            "/api/v1/admin/organizations".into(),
            admin,
            &["q", "cursor"],
        ),
        ("/api/v1/admin/events".into(), admin, &["q", "cursor"]),
    ];
    for (path, token, params) in cases {
        // The route answers normally without the NUL (so the 400 below is the NUL's doing).
        let (status, body) = w.app.get(&path, token).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        for param in params {
            for query in [format!("{param}=a%00b"), format!("{param}=%00")] {
                let url = format!("{path}?{query}");
                let (status, body) = w.app.get(&url, token).await;
                assert_eq!(
                    (status, body["error"]["code"].as_str()),
                    (StatusCode::BAD_REQUEST, Some("invalid_characters")),
                    "{url}: {body}"
                );
                assert_eq!(
                    body["error"]["fields"][*param]["code"],
                    "invalid_characters"
                );
            }
        }
        // A NUL in a parameter's name is refused too.
        let (status, body) = w.app.get(&format!("{path}?q%00=x"), token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_characters");
    }
}

#[tokio::test]
async fn a_query_string_that_does_not_parse_gets_the_error_format() {
    let w = world().await;
    let (status, body) = w.app.get("/api/v1/events?limit=many", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_query");
}

#[tokio::test]
async fn a_nul_in_a_path_segment_is_a_plain_404() {
    let w = world().await;
    for path in [
        "/api/v1/events/%00",
        "/api/v1/events/a%00b/orders",
        "/api/v1/orders/%00",
        "/api/v1/tickets/%00",
        "/api/v1/organizations/%00",
        "/api/v1/promo-codes/%00",
    ] {
        let (status, body) = w.app.get(path, Some(&w.organizer)).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED,
            "{path}: {status} {body}"
        );
    }
}
