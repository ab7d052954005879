//! The web app in headless Chromium, driven from Rust with fantoccini over `WebDriver`
//! (chromedriver on a free port): the attendee's and the organizer's main flows, a form with
//! bad input, a keyboard-only checkout, axe-core accessibility checks (no serious or critical
//! violation) and screenshots at phone and desktop width in `target/screenshots`. The QR
//! codes are read back from the screenshot's pixels, as a gate scanner's camera would.
//!
//! A fresh machine lacks Chromium, chromedriver and the axe-core package, so these tests are
//! ignored by plain `cargo test`; `.ci/run` installs them and runs the tests. Run without
//! them, the tests fail naming what is missing.
#![expect(
    clippy::expect_used,
    reason = "test support: a failed setup is a failed test, with its message"
)]
// Test code: a failed unwrap is a failed test, and a flow reads best in one piece.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

mod console;
mod passkeys;
mod storefront;

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::fixtures;
use crate::helpers::{TestSite, PASSWORD};
use bilten_test_support::needs;

const PHONE: (u32, u32) = (360, 800);
const DESKTOP: (u32, u32) = (1280, 900);

fn axe_source_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/axe/node_modules/axe-core/axe.min.js")
}

/// Chromium and chromedriver from the `PATH`; panics naming what is missing, axe-core too.
fn browser_parts() -> (PathBuf, PathBuf) {
    let chromium = needs::one_of_programs(
        &["chromium", "chromium-browser"],
        "apt-get install chromium chromium-driver",
    );
    let chromedriver = needs::program("chromedriver", "apt-get install chromium-driver");
    needs::file(
        &axe_source_path(),
        "cd crates/bilten-frontend/tests/axe && npm ci",
    );
    (chromium, chromedriver)
}

/// chromedriver and one headless Chromium session; both end on drop.
struct Browser {
    driver: Child,
    client: Client,
}

impl Browser {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (chromium, chromedriver) = browser_parts();
        // Its own process group, which Chromium inherits, so the guard can end both.
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,900", "--lang=en-GB",
                         // A phone's pixel density: a 180 px QR code is then sharp enough
                         // for a reader, as on the phones that show it at the gate.
                         "--force-device-scale-factor=2"]
            }),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(error) => {
                    assert!(Instant::now() < deadline, "no browser session: {error}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        Self { driver, client }
    }

    async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    async fn css(&self, selector: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector}: {e}"))
    }

    /// Types into a field; a page that was still being replaced is tried again.
    async fn fill(&self, selector: &str, text: &str) {
        for _ in 0..5 {
            let field = self.css(selector).await;
            if field.clear().await.is_ok() && field.send_keys(text).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("could not type into {selector}");
    }

    /// Waits until the address contains `part` (a redirect after a post has landed).
    async fn wait_for_path(&self, part: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.path().await.contains(part) {
            assert!(
                Instant::now() < deadline,
                "never reached {part}: {}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, selector: &str) {
        for _ in 0..5 {
            if self.css(selector).await.click().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("could not click {selector}");
    }

    async fn click_link(&self, text: &str) {
        for _ in 0..25 {
            if let Ok(link) = self.client.find(Locator::LinkText(text)).await {
                if link.click().await.is_ok() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("could not follow the link {text}");
    }

    async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Runs axe-core on the current page: the serious and critical violations, one line each.
    async fn accessibility_problems(&self) -> Vec<String> {
        let axe = std::fs::read_to_string(axe_source_path()).unwrap();
        self.client
            .execute(&format!("{axe}\n;return true;"), vec![])
            .await
            .unwrap();
        let result = self
            .js(
                "return axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', ')));",
            )
            .await;
        result
            .as_array()
            .unwrap_or_else(|| panic!("axe did not run: {result}"))
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Checks accessibility, then writes a screenshot at phone and at desktop width.
    async fn check_page(&self, name: &str) {
        let problems = self.accessibility_problems().await;
        assert!(problems.is_empty(), "{name}: {problems:#?}");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        for (label, (width, height)) in [("phone", PHONE), ("desktop", DESKTOP)] {
            self.client.set_window_size(width, height).await.unwrap();
            // At phone width nothing may stick out sideways.
            if label == "phone" {
                let overflow = self
                    .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                    .await;
                assert!(
                    overflow.as_i64().unwrap_or(0) <= 0,
                    "{name} scrolls sideways at 360 px: {overflow}"
                );
            }
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}-{label}.png")), png).unwrap();
        }
    }
}

impl Browser {
    /// Waits until `count` QR images have loaded, screenshots the page and decodes every QR
    /// code in the pixels; returns their texts, sorted.
    async fn readable_qr_codes(&self, count: usize) -> Vec<String> {
        self.css("img.qr").await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let loaded = self
                .js("return Array.from(document.querySelectorAll('img.qr')).filter(i => i.complete && i.naturalWidth > 0).length;")
                .await;
            if loaded == json!(count) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{loaded} of {count} QR images loaded"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut texts = Vec::new();
        for image in self.client.find_all(Locator::Css("img.qr")).await.unwrap() {
            // Like a camera, look again for a moment: a busy machine may still be painting.
            for _ in 0..10 {
                // Whole in the viewport, or the element screenshot is cut off at its edge.
                self.client
                    .execute(
                        "arguments[0].scrollIntoView({block: 'center'});",
                        vec![serde_json::to_value(&image).unwrap()],
                    )
                    .await
                    .unwrap();
                let found = decode_qr_codes(&image.screenshot().await.unwrap());
                if !found.is_empty() {
                    texts.extend(found);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        texts.sort();
        assert_eq!(
            texts.len(),
            count,
            "QR codes readable from the screenshots: {texts:?}"
        );
        texts
    }
}

/// Every QR code a reader finds in a PNG screenshot.
fn decode_qr_codes(png_bytes: &[u8]) -> Vec<String> {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let channels = frame.color_type.samples();
    let (width, height) = (frame.width as usize, frame.height as usize);
    let stride = frame.line_size;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        // The green channel of RGB(A) is a fine brightness for black on white.
        pixels[y * stride + x * channels + usize::from(channels > 2)]
    });
    image
        .detect_grids()
        .iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Killing chromedriver alone would orphan Chromium: end the whole group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test]
#[ignore = "needs Chromium, chromedriver and axe-core (npm ci in crates/bilten-frontend/tests/axe)"]
async fn an_attendee_signs_up_finds_an_event_buys_two_tickets_and_sees_their_qr_codes() {
    let site = TestSite::spawn().await;
    let on_sale = fixtures::event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let browser = Browser::start().await;
    let base = site.address.clone();

    browser.goto(&format!("{base}/signup")).await;
    browser.fill("#field-name", "Ada Lovelace").await;
    browser.fill("#field-email", "ada@example.com").await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("form.form button[type=submit]").await;
    browser.css(".notice").await;
    assert_eq!(browser.path().await, "/login?notice=account_created");
    browser.fill("#field-email", "ada@example.com").await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("form.form button[type=submit]").await;
    browser.css("#profile-title").await;

    browser.goto(&format!("{base}/")).await;
    browser.check_page("home").await;
    browser.fill("#field-q", "jazz").await;
    browser.click(".search-form button[type=submit]").await;
    browser.css("#results").await;
    browser.click_link("Winter Jazz Night").await;
    browser.css("#tickets-title").await;
    assert_eq!(browser.path().await, format!("/events/{}", on_sale.event));
    browser.check_page("event").await;

    browser
        .css(&format!("#field-qty-{}", on_sale.standing))
        .await
        .send_keys("2")
        .await
        .unwrap();
    browser.click(".ticket-form button[type=submit]").await;
    browser.css(".hold").await;
    let order_page = browser.path().await;
    assert!(browser.source().await.contains("Pay €50.00"));
    browser.check_page("checkout").await;
    // The countdown script runs: "mm:ss left".
    let countdown = browser.css(".countdown").await.text().await.unwrap();
    assert!(countdown.ends_with("left"), "{countdown}");

    browser
        .click(".order-actions form:first-child button")
        .await;
    // The test provider's hosted page, served by the backend.
    browser
        .fill("input[name=card_number]", "4242 4242 4242 4242")
        .await;
    browser.click("form button[type=submit]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !browser.source().await.contains("Payment received") {
        assert!(Instant::now() < deadline, "{}", browser.source().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The order page shows each ticket's QR code, and a camera can read it: decoded from the
    // screenshot's pixels, the codes are exactly the tickets' signed codes.
    browser.goto(&format!("{base}{order_page}")).await;
    let shown = browser.readable_qr_codes(2).await;
    let (_, login) = site.backend.login("ada@example.com", PASSWORD).await;
    let (_, mine) = site
        .backend
        .get("/api/v1/me/tickets", login["access_token"].as_str())
        .await;
    let mut codes: Vec<String> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    assert_eq!(codes.len(), 2, "{mine}");
    assert_eq!(
        shown, codes,
        "the QR codes on the order page are the tickets' codes"
    );

    browser.goto(&format!("{base}/tickets")).await;
    assert_eq!(
        browser.readable_qr_codes(2).await,
        codes,
        "and on My tickets"
    );
    browser.check_page("my-tickets").await;
}

/// The buyer's walk — choose the language, find the event, hold two tickets, pay, see the
/// order — in each language the site ships, each page checked by axe-core: translated pages
/// must stay as accessible as the English ones (a `lang` that matches the text, labels that
/// still name their fields).
#[tokio::test]
#[ignore = "needs Chromium, chromedriver and axe-core (npm ci in crates/bilten-frontend/tests/axe)"]
async fn a_guest_buys_tickets_in_each_language_and_every_page_passes_axe() {
    // Home, event, checkout (held), paid, refunded and not found, in each language.
    let site = TestSite::spawn().await;
    let on_sale = fixtures::event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let browser = Browser::start().await;
    let base = site.address.clone();
    for (lang, language, buy, pay, paid, countdown, refunded) in [
        (
            "en",
            "English",
            "Continue",
            "Pay €50.00",
            "You're going!",
            " left",
            "Status: Refunded",
        ),
        (
            "de",
            "Deutsch",
            "Weiter",
            "50,00 € bezahlen",
            "Sie sind dabei!",
            "noch ",
            "Status: Erstattet",
        ),
        (
            "es",
            "Español",
            "Continuar",
            "Pagar 50,00 €",
            "¡Ya tienes tus entradas!",
            "quedan ",
            "Estado: Reembolsado",
        ),
    ] {
        // The switcher in the footer: a plain link, back to the same page.
        browser.goto(&format!("{base}/")).await;
        browser.click_link(language).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while browser.js("return document.documentElement.lang;").await != json!(lang) {
            assert!(Instant::now() < deadline, "the page never turned {lang}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(browser.path().await, "/");
        browser.check_page(&format!("home-{lang}")).await;

        browser
            .goto(&format!("{base}/events/{}", on_sale.event))
            .await;
        browser.css("#tickets-title").await;
        assert!(browser.source().await.contains(buy), "{lang}: {buy}");
        browser.check_page(&format!("event-{lang}")).await;
        browser
            .css(&format!("#field-qty-{}", on_sale.standing))
            .await
            .send_keys("2")
            .await
            .unwrap();
        browser.fill("#field-name", "Ada Lovelace").await;
        browser
            .fill("#field-email", &format!("ada-{lang}@example.com"))
            .await;
        browser.click(".ticket-form button[type=submit]").await;
        browser.css(".hold").await;
        let order_page = browser.path().await;
        // WebDriver reads a no-break space (between amount and currency) as a space.
        let pay_button = browser
            .css(".order-actions form:first-child button")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(pay_button.replace('\u{a0}', " "), pay, "{lang}");
        let clock = browser.css(".countdown").await.text().await.unwrap();
        assert!(clock.contains(countdown), "{lang}: {clock}");
        browser.check_page(&format!("checkout-{lang}")).await;

        browser
            .click(".order-actions form:first-child button")
            .await;
        browser
            .fill("input[name=card_number]", "4242 4242 4242 4242")
            .await;
        browser.click("form button[type=submit]").await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !browser.source().await.contains("Payment received") {
            assert!(Instant::now() < deadline, "{}", browser.source().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        browser.goto(&format!("{base}{order_page}")).await;
        browser.css(".tickets-list").await;
        assert!(browser.source().await.contains(paid), "{lang}: {paid}");
        browser.check_page(&format!("paid-{lang}")).await;

        // The organizer refunds the order: the buyer's page shows it refunded, tickets void.
        let id = order_page
            .split('?')
            .next()
            .unwrap()
            .trim_start_matches("/orders/")
            .to_owned();
        let (status, body) = site
            .backend
            .post(
                &format!("/api/v1/orders/{id}/refund"),
                Some(&on_sale.organizer.access_token),
                json!({}),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
        browser.goto(&format!("{base}{order_page}")).await;
        browser.css("main").await;
        let page = browser.source().await;
        assert!(!page.contains(paid), "{lang}: still paid");
        assert!(page.contains(refunded), "{lang}: {page}");
        browser.check_page(&format!("refunded-{lang}")).await;

        // A page that does not exist, in the same language.
        browser.goto(&format!("{base}/no-such-page")).await;
        browser.css("main").await;
        browser.check_page(&format!("not-found-{lang}")).await;
    }
}

#[tokio::test]
#[ignore = "needs Chromium, chromedriver and axe-core (npm ci in crates/bilten-frontend/tests/axe)"]
async fn an_organizer_publishes_an_event_sees_the_sale_and_refunds_a_ticket() {
    let site = TestSite::spawn().await;
    let organizer = fixtures::verified_user(&site.backend, "Olga Organizer").await;
    let browser = Browser::start().await;
    let base = site.address.clone();

    browser.goto(&format!("{base}/login")).await;
    browser.fill("#field-email", &organizer.email).await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("form.form button[type=submit]").await;
    browser.css("#profile-title").await;
    browser.goto(&format!("{base}/organize")).await;
    browser.fill("#field-name", "Kino Meeting Point").await;
    browser.click("form.form button[type=submit]").await;
    browser.wait_for_path("notice=organization_created").await;
    browser.click_link("New event").await;
    browser.fill("#field-title", "Summer Screenings").await;
    browser
        .fill("#field-description", "Films under the stars.")
        .await;
    // Date inputs take their value from script most reliably across locales.
    browser
        .js(
            "document.getElementById('field-starts_at').value = '2030-07-01T21:30';
             document.getElementById('field-ends_at').value = '2030-07-01T23:45';",
        )
        .await;
    browser
        .js(
            "document.getElementById('field-timezone').value = 'Europe/Sarajevo';
             document.getElementById('field-country').value = 'BA';",
        )
        .await;
    browser.fill("#field-venue_name", "Open-air cinema").await;
    browser.fill("#field-city", "Sarajevo").await;
    browser.click("form.form button[type=submit]").await;
    browser.wait_for_path("notice=event_created").await;
    let overview = browser.path().await;
    let overview = overview.split('?').next().unwrap().to_owned();
    browser
        .goto(&format!("{base}{overview}/ticket-types"))
        .await;
    for (name, price) in [("Early bird", "12.50"), ("Regular", "18")] {
        browser.fill("#field-name", name).await;
        browser.fill("#field-price", price).await;
        browser.fill("#field-capacity", "100").await;
        browser.click("form[action$='/ticket-types'] button").await;
        browser.wait_for_path("notice=ticket_type_added").await;
    }
    browser.goto(&format!("{base}{overview}")).await;
    browser.click("form[action$='/publish'] button").await;
    browser.wait_for_path("notice=event_published").await;
    assert!(browser.source().await.contains("The event is published"));
    let dashboard = browser.path().await;
    let event = dashboard
        .trim_start_matches("/organize/events/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    // A sale, made through the API with the test card.
    let detail = site
        .backend
        .get(&format!("/api/v1/events/{event}"), None)
        .await
        .1;
    let early = detail["ticket_types"][0]["id"].as_str().unwrap().to_owned();
    let order = site
        .backend
        .client
        .post(site.backend.url("/api/v1/orders"))
        .header("idempotency-key", "browser-sale")
        .json(
            &json!({"event_id": event, "items": [{"ticket_type_id": early, "quantity": 2}],
                      "buyer": {"email": "grace@example.com", "name": "Grace Hopper"}}),
        )
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let order_id = order["order"]["id"].as_str().unwrap().to_owned();
    let paid = site
        .backend
        .client
        .post(
            site.backend
                .url(&format!("/api/v1/orders/{order_id}/checkout")),
        )
        .header("x-order-key", order["access_key"].as_str().unwrap())
        .json(&json!({"test_card": "4242424242424242"}))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 200);

    browser
        .goto(&format!("{base}/organize/events/{event}"))
        .await;
    let page = browser.source().await;
    assert!(page.contains("<dt>Sold</dt><dd>2 of 200</dd>"), "{page}");
    assert!(page.contains("<dd>€25.00</dd>"), "revenue shown");
    assert!(page.contains("<rect"), "the chart has bars");
    browser.check_page("organizer-dashboard").await;

    browser
        .goto(&format!("{base}/organize/orders/{order_id}"))
        .await;
    // Refunding a ticket first shows what goes back, on a page of its own.
    browser.click("a[href*='/refund?ticket_id=']").await;
    browser.wait_for_path("/refund?ticket_id=").await;
    assert!(browser
        .source()
        .await
        .contains("€12.50 goes back to grace@example.com"));
    browser.click("form[action$='/refund'] button.danger").await;
    browser.css(".notice").await;
    let page = browser.source().await;
    assert!(page.contains("The refund has been made"), "{page}");
    assert!(
        page.contains("revoked") || page.contains("refunded"),
        "{page}"
    );
    assert_eq!(page.matches("Refund this ticket").count(), 1);
}

#[tokio::test]
#[ignore = "needs Chromium, chromedriver and axe-core (npm ci in crates/bilten-frontend/tests/axe)"]
async fn bad_input_shows_the_field_error_and_checkout_works_by_keyboard_alone() {
    let site = TestSite::spawn().await;
    let on_sale = fixtures::event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let browser = Browser::start().await;
    let base = site.address.clone();

    browser.goto(&format!("{base}/signup")).await;
    browser.fill("#field-name", "Ada").await;
    browser.fill("#field-email", "ada@example.com").await;
    browser.fill("#field-password", "short").await;
    browser.click("form.form button[type=submit]").await;
    let error = browser.css("#field-password-error").await;
    assert!(error.is_displayed().await.unwrap());
    assert!(
        error.text().await.unwrap().contains('8'),
        "names the minimum length"
    );
    assert_eq!(
        browser
            .css("#field-email")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("ada@example.com")
    );
    browser.check_page("signup-error").await;

    // Keyboard only: every step is a key press on the focused control.
    browser
        .goto(&format!("{base}/events/{}", on_sale.event))
        .await;
    let standing = browser
        .css(&format!("#field-qty-{}", on_sale.standing))
        .await;
    standing.send_keys("2").await.unwrap();
    browser
        .css("#field-name")
        .await
        .send_keys("Grace Hopper\u{E004}grace@example.com")
        .await
        .unwrap();
    let focused = browser.js("return document.activeElement.id;").await;
    assert_eq!(
        focused,
        json!("field-email"),
        "Tab moves to the email field"
    );
    browser
        .css("#field-email")
        .await
        .send_keys("\u{E007}")
        .await
        .unwrap();
    browser.css(".hold").await;
    let pay = browser.css(".order-actions form:first-child button").await;
    pay.send_keys("\u{E007}").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !browser.path().await.starts_with("/api/v1/pay/test/") {
        assert!(
            Instant::now() < deadline,
            "{} {}",
            browser.path().await,
            browser.source().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser
        .fill("input[name=card_number]", "4242424242424242\u{E007}")
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !browser.source().await.contains("Payment received") {
        assert!(Instant::now() < deadline, "{}", browser.source().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
#[ignore = "needs Chromium, chromedriver and axe-core (npm ci in crates/bilten-frontend/tests/axe)"]
async fn a_member_turns_on_two_factor_sign_in_by_scanning_the_qr_code_and_signs_in_with_totp() {
    use bilten_domain::totp::TotpSecret;
    let site = TestSite::spawn().await;
    let browser = Browser::start().await;
    let base = site.address.clone();
    let email = "grace@example.com";

    browser.goto(&format!("{base}/signup")).await;
    browser.fill("#field-name", "Grace Hopper").await;
    browser.fill("#field-email", email).await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("form.form button[type=submit]").await;
    browser.css(".notice").await;
    browser.fill("#field-email", email).await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("form.form button[type=submit]").await;
    browser.css("#two-factor-title").await;
    browser.check_page("account").await;

    // Set up: the QR code on the page is what a phone reads, the otpauth URI of the key shown.
    browser
        .click("form[action='/account/two-factor'] button")
        .await;
    let qr = browser.css(".qr-enrol").await;
    browser.check_page("two-factor-enrol").await;
    browser.client.set_window_size(1280, 900).await.unwrap();
    let read = decode_qr_codes(&qr.screenshot().await.unwrap());
    let key = browser.css("code.secret").await.text().await.unwrap();
    assert_eq!(read.len(), 1, "the enrolment QR code reads");
    assert!(read[0].starts_with("otpauth://totp/Bilten:"), "{read:?}");
    assert!(read[0].contains(&format!("secret={key}&")), "{read:?}");
    let secret = TotpSecret::from_base32(&key).unwrap();
    let now = chrono::Utc::now().timestamp();
    browser.fill("#field-code", &secret.code_at(now)).await;
    browser.click("form.form button[type=submit]").await;
    browser.css(".recovery-codes").await;
    browser.check_page("two-factor-recovery-codes").await;

    // Log out and in again: the password, then the code.
    browser.goto(&format!("{base}/account")).await;
    browser.click("form[action='/logout'] button").await;
    // Wait for the logout to land: a /login loaded while the session still lives redirects
    // to the account page, which has no email field.
    browser.wait_for_path("notice=logged_out").await;
    browser.goto(&format!("{base}/login")).await;
    browser.fill("#field-email", email).await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("form.form button[type=submit]").await;
    browser.css("input[name=challenge_token]").await;
    browser.check_page("two-factor-sign-in").await;
    browser.fill("#field-code", &secret.code_at(now + 30)).await;
    browser.click("form.form button[type=submit]").await;
    browser.wait_for_path("/account").await;
    assert!(browser.source().await.contains("recovery codes left"));

    browser.goto(&format!("{base}/account/delete")).await;
    browser.css("#consequences-title").await;
    browser.check_page("delete-account").await;
}
