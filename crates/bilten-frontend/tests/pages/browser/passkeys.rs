//! Passkeys in Chromium, with its virtual authenticator (the `WebDriver` extension of WebAuthn
//! Level 2, §11: an internal CTAP2 authenticator with resident keys and user verification):
//! a person adds a passkey on their account page, logs out, and signs in with the passkey
//! alone from the login page. The pages are checked with axe on the way.

use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{json, Value};

use super::{Browser, PASSWORD};
use crate::helpers::TestSite;

/// `POST /session/{id}/webauthn/authenticator` with the authenticator's options.
#[derive(Debug)]
struct AddVirtualAuthenticator(Value);

impl WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/authenticator",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

/// `GET /session/{id}/webauthn/authenticator/{authenticatorId}/credentials`.
#[derive(Debug)]
struct Credentials(String);

impl WebDriverCompatibleCommand for Credentials {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/authenticator/{}/credentials",
            session_id.unwrap_or_default(),
            self.0
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::GET, None)
    }
}

async fn wait_for(browser: &Browser, selector_text: &str) {
    for _ in 0..100 {
        if browser.source().await.contains(selector_text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "never saw {selector_text:?} on {}: {}",
        browser.path().await,
        browser.source().await
    );
}

#[tokio::test]
#[ignore = "needs Chromium, chromedriver and axe-core (npm ci in crates/bilten-frontend/tests/axe)"]
async fn a_person_adds_a_passkey_logs_out_and_signs_in_with_it_alone() {
    let site = TestSite::spawn_for_passkeys().await;
    let base = site.address.clone();
    assert!(base.starts_with("http://localhost:"), "{base}");
    let browser = Browser::start().await;
    let authenticator = browser
        .client
        .issue_cmd(AddVirtualAuthenticator(json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
        })))
        .await
        .expect("Chromium adds a virtual authenticator");
    let authenticator_id = authenticator
        .as_str()
        .map(ToOwned::to_owned)
        .or_else(|| {
            authenticator["authenticatorId"]
                .as_str()
                .map(ToOwned::to_owned)
        })
        .unwrap_or_else(|| panic!("no authenticator id in {authenticator}"));

    // Sign up and log in with the password.
    browser.goto(&format!("{base}/signup")).await;
    browser.fill("#field-name", "Paula Passkey").await;
    browser.fill("#field-email", "paula@example.com").await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("form.form button[type=submit]").await;
    browser.wait_for_path("/login").await;
    browser.fill("#field-email", "paula@example.com").await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("form.form button[type=submit]").await;
    browser.css("#passkeys-title").await;

    // The account page shows the passkey form (the script found a browser with passkeys).
    browser
        .css("form[data-passkey=register]:not([hidden])")
        .await;
    browser.check_page("account-passkeys").await;
    browser
        .fill("form[data-passkey=register] #field-name", "This laptop")
        .await;
    browser
        .click("form[data-passkey=register] button[type=submit]")
        .await;
    browser.wait_for_path("notice=passkey_added").await;
    wait_for(&browser, "This laptop").await;
    browser.check_page("account-passkey-added").await;
    let stored = browser
        .client
        .issue_cmd(Credentials(authenticator_id.clone()))
        .await
        .unwrap();
    let stored = stored.as_array().expect("a list of credentials");
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["isResidentCredential"], true, "{stored:?}");
    assert_eq!(stored[0]["rpId"], "localhost", "{stored:?}");

    // Log out; sign in with the passkey, no email or password typed.
    browser.click("form[action='/logout'] button").await;
    browser.wait_for_path("notice=logged_out").await;
    browser.goto(&format!("{base}/login")).await;
    browser
        .css("form[data-passkey=sign-in]:not([hidden])")
        .await;
    browser.check_page("login-passkey").await;
    browser
        .click("form[data-passkey=sign-in] button[type=submit]")
        .await;
    browser.wait_for_path("/account").await;
    browser.css("#passkeys-title").await;
    let page = browser.source().await;
    assert!(page.contains("paula@example.com"), "not signed in: {page}");
    // The sign-in used it: the account page says when.
    assert!(page.contains("last used"), "{page}");
    browser.check_page("account-after-passkey-sign-in").await;
}
