//! Malformed input: broken bodies on one route with their exact codes, and a sweep of every
//! route of the route table with garbage in every field and query parameter (0 answers ≥ 500).

use bilten_backend::routes::{table, Access};
use bilten_test_support::{TestApp, TestUser};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::route_inputs::{self, BodyKind, RouteInputs, Step};
use crate::ticketing_helpers::{
    add_ticket_type, create_event, create_org, event_body, place_order, publish, verified_user,
};

async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path)).body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn malformed_bodies_get_stable_codes_never_500() {
    let app = TestApp::spawn().await;
    let json = Some("application/json");
    let cases: Vec<(Option<&str>, Vec<u8>, StatusCode, &str)> = vec![
        (
            json,
            b"{\"email\":".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            json,
            b"not json at all".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            json,
            vec![0xff, 0xfe, 0x00],
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            json,
            b"[]".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json,
            b"{\"email\": 5, \"password\": true}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json,
            b"{\"email\":\"a@b.co\",\"password\":\"x\",\"admin\":true}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Some("text/plain"),
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            None,
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            json,
            vec![b' '; 2 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let (got, value) = raw(
            &app,
            reqwest::Method::POST,
            "/api/v1/auth/login",
            content_type,
            body,
        )
        .await;
        assert_eq!(got, status, "{content_type:?}: {value}");
        assert_eq!(value["error"]["code"], code, "{value}");
        assert!(value["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_format() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/v1/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = raw(&app, reqwest::Method::PUT, "/api/v1/me", None, Vec::new()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn strange_but_valid_input_is_handled() {
    let app = TestApp::spawn().await;
    // Unicode names and emails with plus addressing; overlong refresh tokens; empty strings.
    let (status, body) = app
        .register(
            "zoë+tickets@example.com",
            "ünïcødé passphrase",
            "Zoë Ñandú 🎟️",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app.refresh(&"rt_".repeat(1000)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_refresh_token"))
    );
    let (status, body) = app.refresh("").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["refresh_token"]["code"], "required");
    let (status, _) = app.login("a@b.co", &"p".repeat(100_000)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A world with one object of every kind a route's path can name, and a caller for each
/// kind of route, so that garbage reaches each handler's parsing (not just its 401/404).
struct World {
    owner: TestUser,
    buyer: TestUser,
    admin: TestUser,
    /// Used by `/auth/*` routes (which may end its sessions or change its password).
    throwaway: TestUser,
    victim: TestUser,
    org: String,
    event: String,
    /// Canceled and unpublished by the sweep.
    doomed: String,
    ticket_type: String,
    promo: String,
    device: String,
    pending_order: String,
    paid_order: String,
    ticket: String,
    payment: String,
}

impl World {
    async fn build(app: &TestApp) -> Self {
        let owner = verified_user(app, "Owner").await;
        let token = owner.access_token.clone();
        let org = create_org(app, &owner).await;
        let event = create_event(app, &token, &org, event_body("Sweep")).await;
        let ticket_type = add_ticket_type(
            app,
            &token,
            &event,
            json!({ "name": "Entry", "price": 2500, "capacity": 1000 }),
        )
        .await;
        publish(app, &token, &event).await;
        let doomed = create_event(app, &token, &org, event_body("Doomed")).await;
        add_ticket_type(
            app,
            &token,
            &doomed,
            json!({ "name": "Entry", "price": 0, "capacity": 10 }),
        )
        .await;
        publish(app, &token, &doomed).await;
        let created = |path: String, body: Value, object: &'static str| {
            let token = token.clone();
            async move {
                let (status, body) = app.post(&path, Some(&token), body).await;
                assert_eq!(status, StatusCode::CREATED, "{path}: {body}");
                body[object]["id"].as_str().unwrap().to_owned()
            }
        };
        let promo = created(
            format!("/api/v1/events/{event}/promo-codes"),
            json!({ "code": "SWEEP", "discount": { "kind": "percent", "basis_points": 1000 } }),
            "promo_code",
        )
        .await;
        let device = created(
            format!("/api/v1/events/{event}/devices"),
            json!({ "name": "Gate phone" }),
            "device",
        )
        .await;
        let buyer = app.signed_up_user("Buyer").await;
        let order = |key: &'static str| {
            let buyer_token = buyer.access_token.clone();
            let body = json!({ "event_id": event, "items": [{ "ticket_type_id": ticket_type, "quantity": 2 }] });
            async move {
                let (status, body) = place_order(app, Some(&buyer_token), key, &body).await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                body["order"]["id"].as_str().unwrap().to_owned()
            }
        };
        let paid_order = order("sweep-paid").await;
        let (status, paid) = app
            .post(
                &format!("/api/v1/orders/{paid_order}/checkout"),
                Some(&buyer.access_token),
                json!({ "test_card": "4242424242424242" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{paid}");
        let ticket = paid["tickets"][0]["id"].as_str().unwrap().to_owned();
        let hosted = order("sweep-hosted").await;
        let (status, started) = app
            .post(
                &format!("/api/v1/orders/{hosted}/checkout"),
                Some(&buyer.access_token),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        let payment = started["payment"]["id"].as_str().unwrap().to_owned();
        let pending_order = order("sweep-pending").await;
        let admin = app.signed_up_user("Admin").await;
        bilten_backend::admin::create_admin(&app.store, &admin.email, "unused unused", None)
            .await
            .unwrap();
        Self {
            owner,
            buyer,
            admin,
            throwaway: app.signed_up_user("Throwaway").await,
            victim: app.signed_up_user("Victim").await,
            org,
            event,
            doomed,
            ticket_type,
            promo,
            device,
            pending_order,
            paid_order,
            ticket,
            payment,
        }
    }

    /// The route's path with its objects filled in. An unknown kind of object fails the
    /// sweep, so it has to be taught each new kind.
    fn path(&self, template: &str) -> String {
        let objects: [(&str, &str); 14] = [
            ("/organizers/", &self.org),
            ("/admin/users/", &self.victim.id),
            ("/admin/events/", &self.doomed),
            ("/organizations/", &self.org),
            ("/events/{id}/cancel", &self.doomed),
            ("/events/", &self.event),
            ("/ticket-types/", &self.ticket_type),
            ("/promo-codes/", &self.promo),
            ("/devices/", &self.device),
            ("/orders/{id}/refund", &self.paid_order),
            ("/orders/", &self.pending_order),
            ("/tickets/", &self.ticket),
            ("/pay/test/", &self.payment),
            ("/me", ""),
        ];
        if !template.contains('{') {
            return template.to_owned();
        }
        let Some((_, id)) = objects
            .iter()
            .find(|(prefix, _)| template.starts_with(prefix))
        else {
            panic!("{template} names an object the sweep has none of; extend World");
        };
        template
            .replacen("{id}", id, 1)
            .replace("{user_id}", &self.victim.id)
            .replace("{locale}", "de")
    }

    /// Who calls the route: someone allowed to, so garbage gets past authorization.
    fn token(&self, access: Access, path: &str) -> &str {
        if path.starts_with("/auth/") {
            return &self.throwaway.access_token;
        }
        match access {
            Access::Organizer => &self.owner.access_token,
            Access::Admin => &self.admin.access_token,
            Access::User | Access::Public => &self.buyer.access_token,
        }
    }

    /// A valid body for the routes that need more than `{}` to reach deeper checks; each
    /// of its fields is then replaced by garbage, one at a time.
    fn seed(&self, method: &str, template: &str) -> Value {
        match (method, template) {
            ("POST", "/auth/register") => json!({
                "email": "sweep@example.com", "password": "a long enough passphrase", "name": "Sweep"
            }),
            ("POST", "/auth/login") => {
                json!({ "email": self.throwaway.email, "password": self.throwaway.password })
            }
            ("POST", "/organizations/{id}/events") | ("PATCH", "/events/{id}") => {
                event_body("Seed")
            }
            ("POST", "/events/{id}/ticket-types") | ("PATCH", "/ticket-types/{id}") => {
                json!({ "name": "Seed", "price": 1000, "capacity": 10 })
            }
            ("POST", "/events/{id}/quotas") => {
                json!({ "name": "Seed", "capacity": 5, "ticket_type_ids": [self.ticket_type] })
            }
            ("POST", "/events/{id}/promo-codes") | ("PATCH", "/promo-codes/{id}") => json!({
                "code": "SEED", "discount": { "kind": "percent", "basis_points": 1000 }
            }),
            ("POST", "/orders") => json!({
                "event_id": self.event,
                "items": [{ "ticket_type_id": self.ticket_type, "quantity": 1, "attendees": ["A"] }],
                "buyer": { "email": "seed@example.com", "name": "Seed" },
                "promo_code": "SWEEP"
            }),
            ("POST", "/organizations/{id}/members") => {
                json!({ "email": self.victim.email, "role": "staff" })
            }
            ("POST", "/orders/{id}/refund") => json!({ "ticket_ids": [self.ticket] }),
            ("PATCH", "/tickets/{id}") => json!({ "attendee_name": "Seed" }),
            ("PUT", "/events/{id}/translations/{locale}") => {
                json!({ "title": "Seed", "description": "Seed" })
            }
            _ => json!({}),
        }
    }
}

/// `value` with `path` set to `leaf`, creating objects and one-element arrays on the way.
fn with_path(mut value: Value, path: &[Step], leaf: Value) -> Value {
    let mut slot = &mut value;
    for step in path {
        slot = match step {
            Step::Key(key) => {
                if !slot.is_object() {
                    *slot = json!({});
                }
                slot.as_object_mut()
                    .unwrap()
                    .entry(key.clone())
                    .or_insert(Value::Null)
            }
            Step::First => {
                if slot.as_array().is_none_or(Vec::is_empty) {
                    *slot = json!([{}]);
                }
                &mut slot.as_array_mut().unwrap()[0]
            }
        };
    }
    *slot = leaf;
    value
}

/// Field values of every wrong kind (NUL bytes are swept by `nul_bytes_never_500`).
fn bad_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e308),
        json!(-1e308),
        json!(0.5),
        json!(""),
        json!("   "),
        json!("x".repeat(1_000_000)),
        json!("-1"),
        json!("99999999999999999999999999"),
        json!("2030-13-45T99:99:99Z"),
        json!("\u{202e}\u{feff}🎟️\u{1}"),
        json!([]),
        json!([null, 1, "a"]),
        json!({}),
        json!({ "nested": { "deeper": [1] } }),
    ]
}

/// Whole bodies that are not JSON at all (or not what JSON allows).
fn broken_bodies() -> Vec<Vec<u8>> {
    vec![
        b"{".to_vec(),
        b"{\"a\":}".to_vec(),
        b"nul".to_vec(),
        b"[1, 2".to_vec(),
        b"{} trailing".to_vec(),
        b"\"\\ud800\"".to_vec(),
        b"1e999999".to_vec(),
        vec![0xff, 0xfe, 0xfd],
        "[".repeat(100_000).into_bytes(),
        Vec::new(),
    ]
}

/// Query values of every wrong kind, already percent-encoded where needed.
fn bad_query_values() -> Vec<String> {
    vec![
        String::new(),
        "x".into(),
        "-1".into(),
        "0".into(),
        "-9223372036854775808".into(),
        "9223372036854775808".into(),
        "99999999999999999999999999".into(),
        "1e308".into(),
        "NaN".into(),
        "true".into(),
        "%5B%5D".into(),
        "%FF%FE".into(),
        "%E0%A4%A".into(),
        // Long, but under the 64 KiB a URI may have at all.
        "x".repeat(32 * 1024),
    ]
}

/// One request of the sweep and what came back.
struct Sent {
    what: String,
    status: u16,
    body: String,
}

/// Sends `method path` with the caller's token, an idempotency key and `body`; a request
/// that gets no HTTP answer at all is as bad as a 5xx.
async fn send(
    app: &TestApp,
    method: &str,
    path: String,
    token: &str,
    body: Body,
    what: String,
) -> Sent {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app
        .client
        .request(method, app.url(&format!("/api/v1{path}")))
        .bearer_auth(token)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string());
    if let Some((content_type, bytes)) = body {
        request = request.header("content-type", content_type).body(bytes);
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            Sent {
                what,
                status,
                body: body.chars().take(300).collect(),
            }
        }
        Err(error) => Sent {
            what,
            status: 599,
            body: format!("no answer: {error}").chars().take(300).collect(),
        },
    }
}

/// A body to send: its content type and bytes.
type Body = Option<(&'static str, Vec<u8>)>;

/// Every case of the sweep for one route: `(what, path, body)`.
fn cases(
    world: &World,
    route: &RouteInputs,
    field_values: &[Value],
    query_values: &[String],
) -> Vec<(String, String, Body)> {
    let path = world.path(&route.path);
    let mut cases = Vec::new();
    let label = |detail: String| format!("{} {} {detail}", route.method, route.path);
    if let Some(kind) = route.body {
        let seed = world.seed(&route.method, &route.path);
        for value in field_values {
            for field in &route.fields {
                let shown = format!("{field:?} = {}", short(value));
                match kind {
                    BodyKind::Json | BodyKind::Raw => {
                        let body = with_path(seed.clone(), field, value.clone());
                        let bytes = serde_json::to_vec(&body).unwrap();
                        cases.push((
                            label(shown),
                            path.clone(),
                            Some(("application/json", bytes)),
                        ));
                    }
                    BodyKind::Form => {
                        let Some(Step::Key(name)) = field.first() else {
                            continue;
                        };
                        let text = value
                            .as_str()
                            .map_or_else(|| value.to_string(), ToOwned::to_owned);
                        let form = format!("{name}={}", form_encode(&text));
                        let body = Some(("application/x-www-form-urlencoded", form.into_bytes()));
                        cases.push((label(shown), path.clone(), body));
                    }
                }
            }
            // The whole body one bad value.
            let bytes = serde_json::to_vec(value).unwrap();
            cases.push((
                label(format!("body = {}", short(value))),
                path.clone(),
                Some(("application/json", bytes)),
            ));
        }
    }
    for value in query_values {
        for name in &route.query {
            cases.push((
                label(format!("?{name}={}", short_str(value))),
                format!("{path}?{name}={value}"),
                None,
            ));
        }
        // All parameters at once (the long value only alone: together they pass 64 KiB).
        if route.query.len() > 1 && value.len() < 1024 {
            let all: Vec<String> = route.query.iter().map(|n| format!("{n}={value}")).collect();
            cases.push((
                label(format!("every query parameter = {}", short_str(value))),
                format!("{path}?{}", all.join("&")),
                None,
            ));
        }
    }
    cases
}

fn short(value: &Value) -> String {
    short_str(&value.to_string())
}

fn short_str(text: &str) -> String {
    if text.len() > 40 {
        format!(
            "{}… ({} bytes)",
            &text[..text.char_indices().nth(30).map_or(text.len(), |(i, _)| i)],
            text.len()
        )
    } else {
        text.to_owned()
    }
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Runs every case against the app, a few at a time; the ones answered ≥ 500 (or not at all).
async fn sweep(
    app: &TestApp,
    world: &World,
    field_values: &[Value],
    query_values: &[String],
    raw_bodies: &[Vec<u8>],
) -> (usize, Vec<Sent>) {
    use futures::StreamExt as _;
    let access: std::collections::HashMap<(&str, &str), Access> = table()
        .iter()
        .map(|rule| ((rule.method, rule.path.as_str()), rule.access))
        .collect();
    let routes = route_inputs::all();
    assert_eq!(
        routes.len(),
        table().len(),
        "the walk found every declared route"
    );
    let mut requests = Vec::new();
    for route in &routes {
        let token = world.token(
            access[&(route.method.as_str(), route.path.as_str())],
            &route.path,
        );
        let mut all = cases(world, route, field_values, query_values);
        if route.body.is_some() {
            let path = world.path(&route.path);
            for bytes in raw_bodies {
                let what = format!(
                    "{} {} raw body {}",
                    route.method,
                    route.path,
                    short_str(&String::from_utf8_lossy(bytes))
                );
                all.push((
                    what,
                    path.clone(),
                    Some(("application/json", bytes.clone())),
                ));
            }
        }
        for (what, path, body) in all {
            requests.push(send(app, &route.method, path, token, body, what));
        }
    }
    let total = requests.len();
    let failures = futures::stream::iter(requests)
        .buffer_unordered(4)
        .filter(|sent| std::future::ready(sent.status >= 500))
        .collect::<Vec<_>>()
        .await;
    (total, failures)
}

fn report(failures: &[Sent]) -> String {
    failures
        .iter()
        .take(40)
        .map(|f| format!("{} → {} {}", f.what, f.status, f.body))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `POST`/`PUT`/`PATCH` route of the route table gets, in each body field (nested ones
/// too) and as the whole body, every wrong kind of value: wrong types, `null`, 1 MB strings,
/// negative and huge numbers, broken unicode; and broken JSON. Every query parameter of every
/// route gets wrong types, huge numbers, broken percent-encoding and a 32 KiB value. Nothing
/// may answer ≥ 500. Routes, fields and parameters come from the backend's source
/// (`route_inputs.rs`), so new ones are swept without being listed here.
#[tokio::test]
async fn garbage_in_every_body_field_and_query_parameter_never_gets_a_5xx() {
    let app = TestApp::spawn().await;
    let world = World::build(&app).await;
    let (total, failures) = sweep(
        &app,
        &world,
        &bad_values(),
        &bad_query_values(),
        &broken_bodies(),
    )
    .await;
    assert!(total > 2000, "only {total} requests in the sweep");
    assert!(
        failures.is_empty(),
        "{} of {total} answered ≥ 500:\n{}",
        failures.len(),
        report(&failures)
    );
}

/// The same sweep with NUL bytes: in every body field, as the whole body, in every query
/// parameter and in path parameters. Text with a NUL is refused with a 4xx and a code
/// everywhere text enters (PostgreSQL cannot store it, so letting it through is a 500).
#[tokio::test]
async fn nul_bytes_never_500() {
    let app = TestApp::spawn().await;
    let world = World::build(&app).await;
    let (total, mut failures) = sweep(
        &app,
        &world,
        &[json!("\u{0}"), json!("a\u{0}b"), json!(["\u{0}"])],
        &["%00".to_owned(), "a%00b".to_owned()],
        &[b"{\"a\":\"\x00\"}".to_vec()],
    )
    .await;
    for (method, template, access) in table().iter().map(|r| (&r.method, &r.path, &r.access)) {
        if template.contains("{id}") {
            let path = template
                .replacen("{id}", "x%00y", 1)
                .replace("{user_id}", "u%00");
            let token = world.token(*access, template);
            let what = format!("{method} {path}");
            failures.push(send(&app, method, path, token, None, what).await);
        }
    }
    failures.retain(|f| f.status >= 500);
    assert!(total > 200, "only {total} requests in the sweep");
    assert!(
        failures.is_empty(),
        "{} answered ≥ 500:\n{}",
        failures.len(),
        report(&failures)
    );
}
