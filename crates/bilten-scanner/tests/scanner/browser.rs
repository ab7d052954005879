//! The scanner web app in headless Chromium, driven over the W3C `WebDriver` protocol
//! (chromedriver) with plain HTTP requests: pair, pick a list, scan by keyboard input, then
//! lose the service, scan offline, get it back and see the offline scan uploaded. Ignored by
//! plain `cargo test` (a fresh machine has no browser); `.ci/run` installs Chromium and runs it.
//!
//! chromedriver runs in a process group of its own, and Chromium (which chromedriver starts)
//! inherits it; the guard kills the whole group when it is dropped, so no browser outlives
//! the test, passed or failed. Killing only chromedriver left a headless Chromium running
//! after every run.

use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bilten_test_support::needs;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::Shop;

/// `WebDriver`'s key code for Enter.
const ENTER: &str = "\u{E007}";
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session in it; both end on drop (the driver's
/// whole process group is killed, Chromium included).
struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Browser {
    async fn start() -> Self {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let chromium = needs::one_of_programs(
            &["chromium", "chromium-browser"],
            "apt-get install chromium chromium-driver",
        );
        let chromedriver = needs::program("chromedriver", "apt-get install chromium-driver");
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=420,900", "--autoplay-policy=no-user-gesture-required"]
            }
        }}});
        let response: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {response}"))
            .to_owned();
        Self {
            driver,
            base,
            session,
            http,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let value: Value = request.send().await.unwrap().json().await.unwrap();
        value["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    async fn js(&self, script: &str) -> Value {
        self.call(
            Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// The element matching `css`, waiting for it to be displayed.
    async fn element(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found = self
                .call(
                    Method::POST,
                    "/element",
                    Some(json!({ "using": "css selector", "value": css })),
                )
                .await;
            if let Some(id) = found[ELEMENT_KEY].as_str() {
                let shown = self
                    .call(Method::GET, &format!("/element/{id}/displayed"), None)
                    .await;
                if shown == true {
                    return id.to_owned();
                }
            }
            if Instant::now() > deadline {
                let page = self
                    .js("return [location.href, document.readyState, document.body && document.body.innerText.slice(0, 300)].join(' | ')")
                    .await;
                panic!("no visible element {css}; page: {page}; found: {found}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call(
            Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(
            Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Saves a PNG of the page to `$BILTEN_SCREENSHOTS/<name>.png` when that variable is set
    /// (to look at what the gate staff see).
    async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("BILTEN_SCREENSHOTS") else {
            return;
        };
        let png = self.call(Method::GET, "/screenshot", None).await;
        let bytes = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            png.as_str().unwrap_or_default(),
        )
        .unwrap();
        std::fs::write(
            std::path::Path::new(&dir).join(format!("{name}.png")),
            bytes,
        )
        .unwrap();
    }

    /// Waits until `script` returns `expected`; returns the last value on timeout (for the
    /// assertion message).
    async fn wait_for(&self, script: &str, expected: &Value, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.js(script).await;
            if &value == expected || Instant::now() > deadline {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Browser {
    /// The process group of chromedriver and every Chromium process it started.
    fn process_group(&self) -> u32 {
        self.driver.id()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Drop cannot wait for the WebDriver's "delete session", and killing chromedriver
        // alone orphans Chromium: end the whole group at once.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.process_group())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The live (not zombie) processes of process group `group` named like `name`.
fn live_processes(group: u32, name: &str) -> Vec<u32> {
    let output = Command::new("pgrep")
        .args(["-g", &group.to_string(), name])
        .output()
        .expect("pgrep runs (procps)");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|pid| pid.trim().parse::<u32>().ok())
        .filter(|pid| {
            // A killed child of a dead parent may linger as a zombie until init reaps it.
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rsplit_once(')')
                    .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
            })
        })
        .collect()
}

/// Fails unless every Chromium process of `group` is gone within a few seconds.
async fn assert_no_chromium_left(group: u32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = live_processes(group, "chromium");
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "Chromium processes {left:?} of the test's browser outlived it"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The guard ends the browser however the test ends: here the test fails (panics) while the
/// browser is open, and afterwards none of the Chromium processes it started is alive.
#[tokio::test]
#[ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"]
async fn a_failing_browser_test_leaves_no_chromium_running() {
    // Browser::start fails the test naming what is missing when Chromium is not installed.
    let browser = Browser::start().await;
    browser.goto("about:blank").await;
    let group = browser.process_group();
    let before = live_processes(group, "chromium");
    assert!(
        !before.is_empty(),
        "the session runs Chromium in the driver's group"
    );
    let failed = tokio::spawn(async move {
        let _browser = browser;
        panic!("a browser test failing half-way");
    })
    .await;
    assert!(failed.is_err());
    assert_no_chromium_left(group).await;
}

const RESULT: &str = "const r = document.getElementById('result'); \
     return r.hidden ? 'hidden' : r.dataset.reason + '/' + r.dataset.mode;";

#[tokio::test]
#[ignore = "needs Chromium and chromedriver"]
async fn the_scanner_app_pairs_scans_and_keeps_working_offline() {
    // Tickets bought in the shop (free order, checkout), so the codes are the backend's.
    let mut shop = Shop::new().await;
    let list = shop.list("Main gate").await;
    let (_, tickets) = shop.buy(2, "Ada Buyer").await;
    let pairing_code = shop.pairing_code("Browser phone").await;

    let browser = Browser::start().await;
    browser.goto(&format!("{}/", shop.scanner.address)).await;
    browser.type_into("#pairing-code", &pairing_code).await;
    browser.type_into("#gate", "East").await;
    browser.click("#pair-form button[type=submit]").await;
    browser
        .click(&format!(".list-choice[data-id='{list}']"))
        .await;
    // The list's offline data is synced and its counts shown.
    let expected = browser
        .wait_for(
            "return document.getElementById('count-expected').textContent",
            &json!("2"),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(expected, json!("2"));

    // Online: a keyboard-wedge scan (the code, then Enter).
    browser
        .type_into("#code-input", &format!("{}{ENTER}", tickets[0].1))
        .await;
    let shown = browser
        .wait_for(RESULT, &json!("ok/online"), Duration::from_secs(10))
        .await;
    assert_eq!(shown, json!("ok/online"));
    let holder = browser
        .js("return document.getElementById('result-holder').textContent")
        .await;
    assert_eq!(holder, json!("Ada Buyer · Free entry"));
    let title = browser
        .js("return document.getElementById('result-title').textContent")
        .await;
    assert_eq!(
        title,
        json!("VALID"),
        "the result is spelled out, not only green"
    );
    browser.screenshot("scanner-valid").await;
    browser.click("#result-close").await;

    // The same ticket again: red/amber with the first scan's gate.
    browser
        .type_into("#code-input", &format!("{}{ENTER}", tickets[0].1))
        .await;
    let shown = browser
        .wait_for(
            RESULT,
            &json!("already_redeemed/online"),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(shown, json!("already_redeemed/online"));
    let extra = browser
        .js("return document.getElementById('result-extra').textContent")
        .await;
    assert!(extra.as_str().unwrap().contains("East"), "{extra}");
    browser.screenshot("scanner-already-redeemed").await;
    browser.click("#result-close").await;

    // The service goes away: the next scan is decided in the browser.
    shop.scanner.stop().await;
    browser
        .type_into("#code-input", &format!("{}{ENTER}", tickets[1].1))
        .await;
    let shown = browser
        .wait_for(RESULT, &json!("ok/offline"), Duration::from_secs(10))
        .await;
    assert_eq!(shown, json!("ok/offline"));
    let holder = browser
        .js("return document.getElementById('result-holder').textContent")
        .await;
    assert_eq!(
        holder,
        json!("Ada Buyer · Free entry"),
        "the entry was decrypted with the code"
    );
    let badge = browser
        .js("return document.getElementById('net-status').textContent + '/' + document.getElementById('pending-count').textContent")
        .await;
    assert_eq!(badge, json!("offline/1"));
    browser.screenshot("scanner-offline").await;
    browser.click("#result-close").await;
    // The ticket this device admitted online a moment ago is refused offline too.
    browser
        .type_into("#code-input", &format!("{}{ENTER}", tickets[0].1))
        .await;
    let shown = browser
        .wait_for(
            RESULT,
            &json!("already_redeemed/offline"),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(shown, json!("already_redeemed/offline"));
    browser.click("#result-close").await;
    // A forged code is refused offline as well.
    let mut forged = tickets[1].1.clone();
    forged.replace_range(140..141, if &forged[140..141] == "A" { "B" } else { "A" });
    browser
        .type_into("#code-input", &format!("{forged}{ENTER}"))
        .await;
    let shown = browser
        .wait_for(RESULT, &json!("invalid/offline"), Duration::from_secs(10))
        .await;
    assert_eq!(shown, json!("invalid/offline"));
    browser.click("#result-close").await;

    // Back online: the pending scans are uploaded by themselves.
    shop.scanner.restart().await;
    let badge = browser
        .wait_for(
            "return document.getElementById('net-status').textContent + '/' + document.getElementById('pending-count').textContent",
            &json!("online/0"),
            Duration::from_secs(30),
        )
        .await;
    assert_eq!(badge, json!("online/0"));
    let (status, log) = shop
        .app
        .get(
            &format!("/api/v1/events/{}/checkin-log", shop.event),
            Some(&shop.organizer.access_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = log["items"].as_array().unwrap();
    let offline: Vec<&Value> = items.iter().filter(|i| i["offline"] == true).collect();
    assert_eq!(offline.len(), 3, "{log}");
    assert!(offline
        .iter()
        .any(|i| i["result"] == "ok" && i["holder_name"] == "Ada Buyer" && i["gate"] == "East"));
    assert!(offline.iter().any(|i| i["result"] == "invalid"));
    // The offline refusal agreed with the server: no conflict recorded.
    assert!(offline
        .iter()
        .any(|i| i["result"] == "already_redeemed" && i["conflict"] == false));
    // And the ticket is now really checked in on the server.
    let second = shop
        .scanner
        .scan(&shop.organizer.access_token, &list, &tickets[1].1)
        .await;
    assert_eq!(second["reason"], "already_redeemed");

    // The browser ends with the test: nothing of it keeps running.
    let group = browser.process_group();
    drop(browser);
    assert_no_chromium_left(group).await;
}
