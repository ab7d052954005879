//! A backend running on a random port, with a client and helpers for each endpoint.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bilten_backend::{AppState, BackendSettings};
use bilten_cache::Cache;
use bilten_mail::{OutboxWorker, Transport, WorkerMetrics};
use bilten_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::env::{test_cache, test_store, TestDatabase};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub store: Store,
    pub cache: Cache,
    pub mail_dir: PathBuf,
    pub database: TestDatabase,
    worker: OutboxWorker,
    shutdown: CancellationToken,
}

/// A registered, logged-in user.
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub const PASSWORD: &str = "a long enough passphrase";

impl TestApp {
    pub async fn spawn() -> Self {
        let (store, database) = test_store().await;
        Self::spawn_with(store, database, test_cache()).await
    }

    pub async fn spawn_with(store: Store, database: TestDatabase, cache: Cache) -> Self {
        Self::spawn_full(store, database, cache, None, Box::new(|state| state)).await
    }

    /// Like `spawn`, but mail goes out through `transport` (e.g. a real SMTP server)
    /// instead of `.eml` files.
    pub async fn spawn_with_transport(transport: Transport) -> Self {
        let (store, database) = test_store().await;
        Self::spawn_full(
            store,
            database,
            test_cache(),
            Some(transport),
            Box::new(|state| state),
        )
        .await
    }

    /// Like `spawn`, with the backend's state adjusted before it serves (e.g.
    /// `state.with_stripe(…)` to take payments through a fake Stripe).
    pub async fn spawn_configured(configure: impl FnOnce(AppState) -> AppState + 'static) -> Self {
        let (store, database) = test_store().await;
        Self::spawn_full(store, database, test_cache(), None, Box::new(configure)).await
    }

    async fn spawn_full(
        store: Store,
        database: TestDatabase,
        cache: Cache,
        transport: Option<Transport>,
        configure: Box<dyn FnOnce(AppState) -> AppState>,
    ) -> Self {
        let mail_dir = std::env::temp_dir()
            .join("bilten-tests")
            .join(format!("mail-{}", uuid::Uuid::new_v4().simple()));
        let settings = BackendSettings {
            access_secret: "test-access-secret-0123456789abcdef0123".to_owned().into(),
            refresh_secret: "test-refresh-secret-0123456789abcdef012".to_owned().into(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(7 * 86_400),
            public_url: "http://bilten.test".to_owned(),
            trust_forwarded_from_private: true,
            ticket_signing_secret: "test-ticket-signing-secret-0123456789abcdef"
                .to_owned()
                .into(),
            personal_data_retention_months: None,
        };
        let (metrics, business) = bilten_backend::new_metrics();
        let from: bilten_mail::Mailbox = "Bilten <tickets@bilten.test>"
            .parse()
            .expect("valid mailbox");
        let mut worker = OutboxWorker::new(
            store.clone(),
            transport.unwrap_or_else(|| Transport::files(mail_dir.clone())),
            from,
            WorkerMetrics::new(metrics.registry()),
        );
        let state = AppState::new(
            store.clone(),
            cache.clone(),
            &settings,
            metrics,
            business,
            worker.handle(),
        );
        let state = configure(state);
        worker.set_composer(bilten_backend::mail_composer(&state));
        let router = bilten_backend::router(state.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind a free port");
        let address = format!("http://{}", listener.local_addr().expect("bound address"));
        let shutdown = CancellationToken::new();
        tokio::spawn(bilten_http::serve(listener, router, shutdown.clone()));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client builds");
        Self {
            address,
            client,
            state,
            store,
            cache,
            mail_dir,
            database,
            worker,
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a request with an optional bearer token and JSON body; returns status and JSON
    /// (or `Value::Null` for an empty body).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .expect("request reaches the test server");
        let status = response.status();
        let text = response.text().await.expect("body reads");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn register(&self, email: &str, password: &str, name: &str) -> (StatusCode, Value) {
        self.post(
            "/api/v1/auth/register",
            None,
            json!({ "email": email, "password": password, "name": name }),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    /// Registers and logs in a user with a unique email.
    pub async fn signed_up_user(&self, name: &str) -> TestUser {
        let local: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let email = format!("{local}-{}@example.com", uuid::Uuid::new_v4().simple());
        let (status, body) = self.register(&email, PASSWORD, name).await;
        assert_eq!(status, StatusCode::CREATED, "register: {body}");
        let (status, tokens) = self.login(&email, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "login: {tokens}");
        TestUser {
            id: body["user"]["id"].as_str().expect("user id").to_owned(),
            email,
            password: PASSWORD.to_owned(),
            access_token: tokens["access_token"]
                .as_str()
                .expect("access token")
                .to_owned(),
            refresh_token: tokens["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
        }
    }

    /// Sends every due outbox mail now (what the worker does in the background).
    pub async fn deliver_mail(&self) -> usize {
        self.worker.run_once().await.expect("outbox worker runs")
    }

    /// The delivered `.eml` files addressed to `email`, oldest first.
    pub fn delivered_to(&self, email: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.mail_dir) else {
            return Vec::new();
        };
        let mut mails: Vec<(std::time::SystemTime, String)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let text = std::fs::read_to_string(e.path()).ok()?;
                let modified = e.metadata().ok()?.modified().ok()?;
                text.contains(&format!("To: {email}"))
                    .then_some((modified, text))
            })
            .collect();
        mails.sort_by_key(|(t, _)| *t);
        mails.into_iter().map(|(_, text)| text).collect()
    }

    /// Waits (bounded) until an outbox mail to `email` exists; returns its plain-text body.
    pub async fn wait_for_mail(&self, email: &str, subject_contains: &str) -> String {
        for attempt in 0..100 {
            // A mail queued by reference (a template and an order) only has its subject and
            // text once the worker has composed and sent it: send what is due, as the
            // running worker would.
            if attempt > 0 {
                self.deliver_mail().await;
            }
            let mails = bilten_store::outbox::list_for_address(self.store.primary(), email)
                .await
                .expect("outbox readable");
            if let Some(mail) = mails
                .into_iter()
                .find(|m| m.subject.contains(subject_contains))
            {
                return mail.body_text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail to {email} with subject containing {subject_contains:?}");
    }
}

/// The value of `name=` in the first link of `text` that carries it.
pub fn token_from_link(text: &str, name: &str) -> String {
    let marker = format!("{name}=");
    let start = text.find(&marker).expect("link with token") + marker.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let _ = std::fs::remove_dir_all(&self.mail_dir);
    }
}
