use std::net::SocketAddr;
use std::sync::Arc;

use bilten_frontend::FrontendSettings;
use bilten_http::HttpMetrics;
use bilten_test_support::TestApp;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{StatusCode, Url};
use tokio_util::sync::CancellationToken;

pub const PASSWORD: &str = "a long enough passphrase";

/// A backend and a frontend in front of it, and a browser-like client.
pub struct TestSite {
    pub backend: TestApp,
    browser: Browser,
    shutdown: CancellationToken,
}

/// A browser without JavaScript: keeps cookies, does not follow redirects.
pub struct Browser {
    pub address: String,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
}

impl std::ops::Deref for TestSite {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// One answer: status, headers and body text.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .map_or("", |v| v.to_str().unwrap())
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    /// The hidden CSRF field's value in this page's first form.
    pub fn csrf_token(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.body.find(marker).expect("a form with a CSRF field") + marker.len();
        self.body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect()
    }

    /// The first ticket download link (`/tickets/…`) on this page, unescaped.
    pub fn first_ticket_link(&self) -> String {
        let marker = r#"href="/tickets/"#;
        let start = self.body.find(marker).expect("a ticket link") + r#"href=""#.len();
        let link: String = self.body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        link.replace("&amp;", "&")
    }
}

impl TestSite {
    pub async fn spawn() -> Self {
        let backend = TestApp::spawn().await;
        let shutdown = CancellationToken::new();
        let address = spawn_frontend(&backend.address, shutdown.clone()).await;
        Self {
            backend,
            browser: Browser::new(address),
            shutdown,
        }
    }

    /// A site whose address is `http://localhost:{port}` and whose backend takes passkeys for
    /// it: browsers make passkeys only for a host name (`localhost`), never an IP address, so
    /// the frontend's port is bound before the backend starts.
    pub async fn spawn_for_passkeys() -> Self {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let address = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        let origin = address.clone();
        let backend =
            TestApp::spawn_configured(move |state| state.with_passkey_origin(&origin)).await;
        let shutdown = CancellationToken::new();
        let router = bilten_frontend::router(
            FrontendSettings {
                backend_url: backend.address.clone(),
                public_url: address.clone(),
                secure_cookies: false,
            },
            HttpMetrics::new(),
        );
        tokio::spawn(bilten_http::serve(listener, router, shutdown.clone()));
        Self {
            backend,
            browser: Browser::new(address),
            shutdown,
        }
    }

    /// Another visitor (own cookies) of the same site.
    pub fn beside(site: &TestSite) -> Browser {
        Browser::new(site.address.clone())
    }
}

impl Browser {
    fn new(address: String) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            address,
            client,
            jar,
        }
    }

    pub fn url(&self, path: &str) -> Url {
        format!("{}{path}", self.address).parse().unwrap()
    }

    async fn read(response: reqwest::Response) -> Page {
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::read(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::read(
            self.client
                .post(self.url(path))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Opens `page` and submits its form to `action` with `fields` and the page's CSRF token.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(page).await.csrf_token();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_raw(action, &all).await
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let header = self.jar.cookies(&self.url("/"))?;
        header.to_str().unwrap().split("; ").find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .add_cookie_str(&format!("{name}={value}; Path=/"), &self.url("/"));
    }

    /// Signs up through the pages and logs in; returns the email.
    pub async fn signed_up_and_logged_in(&self, name: &str) -> String {
        let email = format!("{}@example.com", uuid_like());
        let signup = self
            .submit(
                "/signup",
                "/signup",
                &[("name", name), ("email", &email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(signup.status, StatusCode::SEE_OTHER, "{}", signup.body);
        let login = self
            .submit(
                "/login",
                "/login",
                &[("email", &email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
        assert_eq!(login.location(), "/account");
        email
    }
}

/// The frontend alone, in front of `backend_url`; returns its base URL.
pub async fn spawn_frontend(backend_url: &str, shutdown: CancellationToken) -> String {
    let router = bilten_frontend::router(
        FrontendSettings {
            backend_url: backend_url.to_owned(),
            public_url: "http://bilten.test".to_owned(),
            secure_cookies: false,
        },
        HttpMetrics::new(),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(bilten_http::serve(listener, router, shutdown));
    address
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "visitor-{nanos}-{}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl Drop for TestSite {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
