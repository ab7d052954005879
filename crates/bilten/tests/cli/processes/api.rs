//! Talking to `bilten` processes over HTTP as their clients do: one client for a set of
//! replicas (request `i` goes to replica `i % n`), an organizer who sets an event up, and
//! buyers who order and pay with the `test` provider's card.

use std::time::Duration;

use serde_json::{json, Value};

use super::psql;

pub const GOOD_CARD: &str = "4242424242424242";

/// One answer: status, `Retry-After` (when sent) and the JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Value,
}

pub struct Api {
    pub client: reqwest::Client,
    pub bases: Vec<String>,
}

/// A request to send: what `Api::send` needs besides the replica.
#[derive(Default)]
pub struct Call<'a> {
    pub token: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub order_key: Option<&'a str>,
    pub body: Option<&'a Value>,
}

impl Api {
    pub fn new(bases: Vec<String>, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        Self { client, bases }
    }

    /// Sends a request to replica `replica % n`; `Err` when no HTTP answer came (connection
    /// refused or reset, timeout).
    pub async fn try_send(
        &self,
        replica: usize,
        method: reqwest::Method,
        path: &str,
        call: Call<'_>,
    ) -> Result<Answer, reqwest::Error> {
        let base = &self.bases[replica % self.bases.len()];
        let mut request = self.client.request(method, format!("{base}/api/v1{path}"));
        if let Some(token) = call.token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = call.idempotency_key {
            request = request.header("idempotency-key", key);
        }
        if let Some(key) = call.order_key {
            request = request.header("x-order-key", key);
        }
        if let Some(body) = call.body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(ToOwned::to_owned);
        let text = response.text().await?;
        Ok(Answer {
            status,
            retry_after,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        })
    }

    pub async fn send(
        &self,
        replica: usize,
        method: reqwest::Method,
        path: &str,
        call: Call<'_>,
    ) -> (u16, Value) {
        let answer = self
            .try_send(replica, method, path, call)
            .await
            .unwrap_or_else(|e| panic!("{path}: no answer: {e}"));
        (answer.status, answer.body)
    }

    /// `POST` that must answer 2xx; its body.
    pub async fn post(
        &self,
        replica: usize,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> Value {
        let (status, body) = self
            .send(
                replica,
                reqwest::Method::POST,
                path,
                Call {
                    token,
                    body: Some(&body),
                    ..Call::default()
                },
            )
            .await;
        assert!((200..300).contains(&status), "POST {path}: {status} {body}");
        body
    }

    /// A logged-in user with a verified email (verified in the database: no mail here).
    pub async fn user(&self, database: &str, email: &str) -> String {
        let password = "a processes passphrase";
        self.post(
            0,
            "/auth/register",
            None,
            json!({ "email": email, "password": password, "name": "Process User" }),
        )
        .await;
        psql(
            database,
            &format!("UPDATE users SET email_verified_at = 1 WHERE email = '{email}'"),
        );
        let tokens = self
            .post(
                1,
                "/auth/login",
                None,
                json!({ "email": email, "password": password }),
            )
            .await;
        tokens["access_token"].as_str().unwrap().to_owned()
    }

    /// An organizer's published event with the given ticket types (`(name, price, capacity)`)
    /// and `extra` merged into the event's fields (e.g. `hold_minutes`).
    pub async fn event_on_sale(
        &self,
        database: &str,
        types: &[(&str, i64, i64)],
        extra: Value,
    ) -> Sale {
        let organizer = self
            .user(database, &format!("organizer-{}@example.com", short_id()))
            .await;
        let token = Some(organizer.as_str());
        let org = self
            .post(0, "/organizations", token, json!({ "name": "Fault Hall" }))
            .await["organization"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut fields = json!({
            "title": "Fault Night", "starts_at": "2030-06-01T19:00:00Z",
            "ends_at": "2030-06-01T23:00:00Z", "timezone": "Europe/Sarajevo",
            "venue_name": "Zetra", "city": "Sarajevo", "country": "BA",
            "currency": "EUR", "category": "music",
        });
        if let (Some(fields), Some(extra)) = (fields.as_object_mut(), extra.as_object()) {
            fields.extend(extra.clone());
        }
        let event = self
            .post(1, &format!("/organizations/{org}/events"), token, fields)
            .await["event"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut ids = Vec::new();
        for (i, (name, price, capacity)) in types.iter().enumerate() {
            let created = self
                .post(
                    i,
                    &format!("/events/{event}/ticket-types"),
                    token,
                    json!({ "name": name, "price": price, "capacity": capacity }),
                )
                .await;
            ids.push(created["ticket_type"]["id"].as_str().unwrap().to_owned());
        }
        self.post(0, &format!("/events/{event}/publish"), token, json!({}))
            .await;
        Sale {
            organizer,
            event,
            ticket_types: ids,
        }
    }
}

/// A published event: its organizer's access token, its id and its ticket types' ids.
pub struct Sale {
    pub organizer: String,
    pub event: String,
    pub ticket_types: Vec<String>,
}

/// A guest order body: `quantity` tickets of one type for `email`.
pub fn guest_order(event: &str, ticket_type: &str, quantity: i64, email: &str) -> Value {
    json!({
        "event_id": event,
        "items": [{ "ticket_type_id": ticket_type, "quantity": quantity }],
        "buyer": { "email": email, "name": "Fault Buyer" },
    })
}

/// The stored form of an API id (`tty_<32 hex>` → hyphenated UUID).
pub fn db_id(api_id: &str) -> String {
    let (_, hex) = api_id.split_once('_').unwrap();
    uuid::Uuid::parse_str(hex).unwrap().hyphenated().to_string()
}

pub fn short_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}
