//! A backend (for the organizer endpoints) and a scanner on one fresh database, with an
//! organizer, an event, lists, paired devices and signed tickets.

use std::net::SocketAddr;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bilten_domain::ticket_code::{TicketClaims, TicketSigner};
use bilten_domain::{EventId, TicketId, TicketTypeId};
use bilten_http::HttpMetrics;
use bilten_scanner::{ScannerSettings, ScannerState};
use bilten_test_support::{TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

/// The access-token secret `TestApp` signs with (bilten-test-support's app.rs), so staff
/// tokens from the test backend verify on the test scanner.
const TEST_ACCESS_SECRET: &str = "test-access-secret-0123456789abcdef0123";

/// A scanner service on a local port, stoppable and restartable on the same port.
pub struct Scanner {
    pub address: String,
    pub port: u16,
    store: bilten_store::Store,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Scanner {
    pub async fn spawn(store: bilten_store::Store) -> Self {
        Self::spawn_on(store, 0).await
    }

    async fn spawn_on(store: bilten_store::Store, port: u16) -> Self {
        let settings = ScannerSettings {
            access_secret: TEST_ACCESS_SECRET.to_owned().into(),
            access_ttl: Duration::from_secs(900),
        };
        let state = ScannerState::new(store.clone(), &settings, HttpMetrics::new());
        let router = bilten_scanner::router(state);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .expect("bind the scanner port");
        let port = listener.local_addr().expect("bound").port();
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let task = tokio::spawn(async move {
            let _ = bilten_http::serve(listener, router, token).await;
        });
        Self {
            address: format!("http://127.0.0.1:{port}"),
            port,
            store,
            shutdown,
            task: Some(task),
        }
    }

    /// Stops serving (the port refuses connections afterwards).
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }

    /// Serves again on the same port.
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut last = None;
        for _ in 0..50 {
            match tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], self.port))).await
            {
                Ok(probe) => {
                    drop(probe);
                    last = None;
                    break;
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(last.is_none(), "port {} stays busy: {last:?}", self.port);
        *self = Self::spawn_on(self.store.clone(), self.port).await;
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let client = reqwest::Client::new();
        let mut request = client.request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("scanner answers");
        let status = response.status();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn redeem(&self, token: &str, body: Value) -> (StatusCode, Value) {
        self.request(
            Method::POST,
            "/api/v1/checkin/redeem",
            Some(token),
            Some(body),
        )
        .await
    }

    pub async fn scan(&self, token: &str, list: &str, code: &str) -> Value {
        let (status, body) = self
            .redeem(
                token,
                json!({ "code": code, "list_id": list, "nonce": uuid::Uuid::new_v4().to_string() }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

impl Drop for Scanner {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// An organizer with an event, one ticket type, signing key and helpers around them.
pub struct Gate {
    pub app: TestApp,
    pub scanner: Scanner,
    pub organizer: TestUser,

    pub event: String,
    pub ticket_type: String,
    pub signer: TicketSigner,
}

pub use bilten_test_support::organizer::verified_user;

pub async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let (status, body) = app.post(path, Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {body}");
    body
}

/// A published event of a new organization, with a ticket type "Standing".
pub async fn event_of(
    app: &TestApp,
    organizer: &TestUser,
    seed: u8,
) -> (String, String, String, TicketSigner) {
    let org = created(
        app,
        "/api/v1/organizations",
        &organizer.access_token,
        json!({ "name": format!("Gate Org {seed}") }),
    )
    .await["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = created(
        app,
        &format!("/api/v1/organizations/{org}/events"),
        &organizer.access_token,
        json!({
            "title": "Summer Jazz", "description": "Music", "starts_at": "2030-06-01T19:00:00Z",
            "ends_at": "2030-06-01T23:00:00Z", "timezone": "Europe/Sarajevo",
            "venue_name": "Skenderija", "city": "Sarajevo", "country": "BA", "currency": "EUR",
            "category": "music"
        }),
    )
    .await["event"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ticket_type = created(
        app,
        &format!("/api/v1/events/{event}/ticket-types"),
        &organizer.access_token,
        json!({ "name": "Standing", "price": 0, "capacity": 1000 }),
    )
    .await["ticket_type"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let signer = TicketSigner::from_seed([seed; 32]);
    let event_id: EventId = event.parse().unwrap();
    sqlx::query(
        "INSERT INTO event_keys (event_id, key_version, key_id, public_key, created_at)
         VALUES ($1, 1, $2, $3, 0)",
    )
    .bind(event_id.to_db())
    .bind(signer.key_id().to_hex())
    .bind(STANDARD.encode(signer.public_key_bytes()))
    .execute(app.store.primary())
    .await
    .unwrap();
    (org, event, ticket_type, signer)
}

impl Gate {
    pub async fn new() -> Self {
        let app = TestApp::spawn().await;
        let scanner = Scanner::spawn(app.store.clone()).await;
        let organizer = verified_user(&app, "Organizer").await;
        let (_org, event, ticket_type, signer) = event_of(&app, &organizer, 7).await;
        Self {
            app,
            scanner,
            organizer,

            event,
            ticket_type,
            signer,
        }
    }

    /// A check-in list of the event (all ticket types unless `body` says otherwise).
    pub async fn list(&self, body: Value) -> String {
        created(
            &self.app,
            &format!("/api/v1/events/{}/checkin-lists", self.event),
            &self.organizer.access_token,
            body,
        )
        .await["checkin_list"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A device paired at `gate`; returns its token.
    pub async fn device(&self, name: &str, gate: &str) -> String {
        let body = created(
            &self.app,
            &format!("/api/v1/events/{}/devices", self.event),
            &self.organizer.access_token,
            json!({ "name": name }),
        )
        .await;
        let code = body["pairing_code"].as_str().unwrap();
        let (status, paired) = self
            .scanner
            .request(
                Method::POST,
                "/api/v1/checkin/pair",
                None,
                Some(json!({ "pairing_code": code, "gate": gate })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{paired}");
        paired["device_token"].as_str().unwrap().to_owned()
    }

    /// `n` tickets of `ticket_type` in one order of `order_status`; returns `(ticket id, code)`.
    pub async fn tickets(&self, n: usize, order_status: &str) -> Vec<(String, String)> {
        let ticket_type = self.ticket_type.clone();
        self.tickets_of(&ticket_type, n, order_status, "Guest")
            .await
    }

    pub async fn tickets_of(
        &self,
        ticket_type: &str,
        n: usize,
        order_status: &str,
        holder: &str,
    ) -> Vec<(String, String)> {
        issue(
            &self.app,
            &self.event,
            ticket_type,
            &self.signer,
            n,
            order_status,
            holder,
        )
        .await
    }
}

/// Inserts an order and `n` signed tickets, as the ticketing flow does.
pub async fn issue(
    app: &TestApp,
    event: &str,
    ticket_type: &str,
    signer: &TicketSigner,
    n: usize,
    order_status: &str,
    holder: &str,
) -> Vec<(String, String)> {
    let event_id: EventId = event.parse().unwrap();
    let type_id: TicketTypeId = ticket_type.parse().unwrap();
    let order = uuid::Uuid::now_v7().to_string();
    let now = chrono::Utc::now().timestamp_millis();
    let pool = app.store.primary();
    sqlx::query(
        "INSERT INTO orders (id, event_id, buyer_key, buyer_email, buyer_name, status, expires_at,
           total_minor, currency, quantity, idempotency_key, request_hash, created_at, updated_at)
         VALUES ($1, $2, $3, 'buyer@example.com', 'Bea Buyer', $4, $5, 0, 'EUR', $6, $1, 'h', $5, $5)",
    )
    .bind(&order)
    .bind(event_id.to_db())
    .bind(format!("email:{order}"))
    .bind(order_status)
    .bind(now)
    .bind(n.max(1) as i64)
    .execute(pool)
    .await
    .unwrap();
    let mut issued = Vec::new();
    for i in 0..n {
        let ticket = TicketId::new();
        let code = signer.sign(&TicketClaims::new(ticket, type_id));
        sqlx::query(
            "INSERT INTO tickets (id, order_id, event_id, ticket_type_id, attendee_name, code,
               key_version, status, issued_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 1, 'valid', $7, $7)",
        )
        .bind(ticket.to_db())
        .bind(&order)
        .bind(event_id.to_db())
        .bind(type_id.to_db())
        .bind(format!("{holder} {i}"))
        .bind(&code)
        .bind(now)
        .execute(pool)
        .await
        .unwrap();
        issued.push((ticket.to_string(), code));
    }
    issued
}

/// Re-issues a ticket: a new code for the same ticket, the old one revoked.
pub async fn reissue(app: &TestApp, signer: &TicketSigner, ticket: &str, type_id: &str) -> String {
    let ticket_id: TicketId = ticket.parse().unwrap();
    let type_id: TicketTypeId = type_id.parse().unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let pool = app.store.primary();
    let row: (String, String) = sqlx::query_as("SELECT code, event_id FROM tickets WHERE id = $1")
        .bind(ticket_id.to_db())
        .fetch_one(pool)
        .await
        .unwrap();
    // A new code needs new claims: the validity window changes with the re-issue.
    let claims = TicketClaims::new(ticket_id, type_id).with_window(
        None,
        Some(chrono::DateTime::from_timestamp(4_000_000_000, 0).unwrap()),
    );
    let new_code = signer.sign(&claims);
    sqlx::query("UPDATE tickets SET code = $2, updated_at = $3 WHERE id = $1")
        .bind(ticket_id.to_db())
        .bind(&new_code)
        .bind(now)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO ticket_revocations (id, event_id, ticket_id, code, reason, revoked_at)
         VALUES ($1, $2, $3, $4, 'reissued', $5)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(&row.1)
    .bind(ticket_id.to_db())
    .bind(&row.0)
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    new_code
}

/// An event set up the way organizers do it (free ticket type, published), whose tickets are
/// bought through the shop: order, checkout, codes signed by the backend.
pub struct Shop {
    pub app: TestApp,
    pub scanner: Scanner,
    pub organizer: TestUser,
    pub event: String,
    pub ticket_type: String,
}

impl Shop {
    pub async fn new() -> Self {
        let app = TestApp::spawn().await;
        let scanner = Scanner::spawn(app.store.clone()).await;
        let organizer = verified_user(&app, "Organizer").await;
        let token = organizer.access_token.clone();
        let org = created(
            &app,
            "/api/v1/organizations",
            &token,
            json!({ "name": "Free Fest" }),
        )
        .await["organization"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let event = created(
            &app,
            &format!("/api/v1/organizations/{org}/events"),
            &token,
            json!({
                "title": "Open Air", "description": "Free", "starts_at": "2030-06-01T19:00:00Z",
                "ends_at": "2030-06-01T23:00:00Z", "timezone": "Europe/Sarajevo",
                "venue_name": "Park", "city": "Sarajevo", "country": "BA", "currency": "EUR",
                "category": "music"
            }),
        )
        .await["event"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let ticket_type = created(
            &app,
            &format!("/api/v1/events/{event}/ticket-types"),
            &token,
            json!({ "name": "Free entry", "price": 0, "capacity": 100 }),
        )
        .await["ticket_type"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = app
            .post(
                &format!("/api/v1/events/{event}/publish"),
                Some(&token),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        Self {
            app,
            scanner,
            organizer,
            event,
            ticket_type,
        }
    }

    /// `n` tickets bought by a new user named `buyer` (order, then checkout): `(id, code)`.
    pub async fn buy(&self, n: i64, buyer: &str) -> (TestUser, Vec<(String, String)>) {
        let user = self.app.signed_up_user(buyer).await;
        let response = self
            .app
            .client
            .post(self.app.url("/api/v1/orders"))
            .bearer_auth(&user.access_token)
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&json!({
                "event_id": self.event,
                "items": [{ "ticket_type_id": self.ticket_type, "quantity": n }],
                "buyer": { "email": user.email, "name": buyer }
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let order: Value = response.json().await.unwrap();
        let order_id = order["order"]["id"].as_str().unwrap();
        let (status, paid) = self
            .app
            .post(
                &format!("/api/v1/orders/{order_id}/checkout"),
                Some(&user.access_token),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{paid}");
        let tickets = paid["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["id"].as_str().unwrap().to_owned(),
                    t["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        (user, tickets)
    }

    pub async fn list(&self, name: &str) -> String {
        created(
            &self.app,
            &format!("/api/v1/events/{}/checkin-lists", self.event),
            &self.organizer.access_token,
            json!({ "name": name }),
        )
        .await["checkin_list"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A new device's one-time pairing code.
    pub async fn pairing_code(&self, name: &str) -> String {
        created(
            &self.app,
            &format!("/api/v1/events/{}/devices", self.event),
            &self.organizer.access_token,
            json!({ "name": name }),
        )
        .await["pairing_code"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}
