use reqwest::StatusCode;

use crate::helpers::{TestSite, PASSWORD};

#[tokio::test]
async fn a_visitor_signs_up_logs_in_renames_themselves_and_logs_out() {
    let site = TestSite::spawn().await;

    let signup_page = site.get("/signup").await;
    assert_eq!(signup_page.status, StatusCode::OK);
    assert!(signup_page.body.contains("Create your account"));

    let email = "ada@example.com";
    let signed_up = site
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Ada Lovelace"),
                ("email", email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        signed_up.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_up.body
    );
    assert_eq!(signed_up.location(), "/login?notice=account_created");
    assert!(site
        .get("/login?notice=account_created")
        .await
        .body
        .contains("Your account is ready"));

    let logged_in = site
        .submit(
            "/login",
            "/login",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        logged_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        logged_in.body
    );
    assert_eq!(logged_in.location(), "/account");

    let account = site.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(
        account.body.contains(r#"value="Ada Lovelace""#),
        "{}",
        account.body
    );
    assert!(account.body.contains(email));
    assert!(
        account.body.contains("this device"),
        "the sessions list marks this browser"
    );
    assert!(
        account.body.contains(">Log out<"),
        "the header offers logging out"
    );

    let renamed = site
        .submit("/account", "/account/profile", &[("name", "Ada King")])
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    assert_eq!(renamed.location(), "/account?notice=name_saved");
    let account = site.get(renamed.location()).await;
    assert!(account.body.contains(r#"value="Ada King""#));
    assert!(account.body.contains("Your name has been saved."));

    let logged_out = site.submit("/account", "/logout", &[]).await;
    assert_eq!(logged_out.status, StatusCode::SEE_OTHER);
    assert_eq!(logged_out.location(), "/?notice=logged_out");
    assert_eq!(site.cookie("bilten_refresh"), None);
    assert_eq!(site.cookie("bilten_access"), None);

    let account = site.get("/account").await;
    assert_eq!(account.status, StatusCode::SEE_OTHER);
    assert_eq!(account.location(), "/login?next=%2Faccount");
}

#[tokio::test]
async fn a_sign_up_with_bad_input_shows_the_field_error_and_keeps_the_email() {
    let site = TestSite::spawn().await;

    let page = site
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Ada"),
                ("email", "ada@example.com"),
                ("password", "short"),
            ],
        )
        .await;

    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("There is a problem"), "a summary on top");
    assert!(
        page.body.contains(r##"href="#field-password""##),
        "the summary links to the field"
    );
    assert!(
        page.body.contains("Use at least 8 characters."),
        "the API's message"
    );
    assert!(
        page.body.contains(r#"id="field-password-error""#),
        "the error sits next to the field"
    );
    assert!(page.body.contains(r#"aria-invalid="true""#));
    assert!(
        page.body.contains(r#"value="ada@example.com""#),
        "the email is kept"
    );
    assert!(page.body.contains(r#"value="Ada""#), "the name is kept");
    assert!(
        !page.body.contains(r#"value="short""#),
        "a password is never echoed back"
    );
}

#[tokio::test]
async fn a_wrong_password_keeps_the_email_and_says_what_went_wrong() {
    let site = TestSite::spawn().await;
    let email = site.signed_up_and_logged_in("Grace").await;
    site.submit("/account", "/logout", &[]).await;

    let page = site
        .submit(
            "/login",
            "/login",
            &[("email", &email), ("password", "not the password")],
        )
        .await;

    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("There is a problem"));
    assert!(page.body.contains(&format!(r#"value="{email}""#)));
    assert_eq!(site.cookie("bilten_refresh"), None);
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_transparently() {
    let site = TestSite::spawn().await;
    site.signed_up_and_logged_in("Edsger").await;
    let fresh = site.cookie("bilten_access").unwrap();
    let refresh_before = site.cookie("bilten_refresh").unwrap();

    // The same session's token, issued an hour ago: the backend answers `token_expired`.
    let tokens = &site.backend.state.access_tokens;
    let claims = tokens.verify(&fresh).unwrap();
    let an_hour_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3600;
    let expired = tokens.issue(&claims.sub, &claims.sid, &claims.role, an_hour_ago);
    site.set_cookie("bilten_access", &expired);

    let account = site.get("/account").await;
    assert_eq!(account.status, StatusCode::OK, "{}", account.location());
    assert!(account.body.contains(r#"value="Edsger""#));
    let renewed = site.cookie("bilten_access").unwrap();
    assert_ne!(renewed, expired);
    assert_ne!(
        site.cookie("bilten_refresh").unwrap(),
        refresh_before,
        "the refresh token rotated"
    );

    // And when the browser has dropped the access cookie altogether.
    site.jar
        .add_cookie_str("bilten_access=; Path=/; Max-Age=0", &site.url("/"));
    assert_eq!(site.cookie("bilten_access"), None);
    let account = site.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(site.cookie("bilten_access").is_some());
}

#[tokio::test]
async fn pages_loaded_at_once_with_an_expired_token_refresh_it_once_and_stay_logged_in() {
    let site = TestSite::spawn().await;
    site.signed_up_and_logged_in("Radia").await;
    let tokens = &site.backend.state.access_tokens;
    let claims = tokens
        .verify(&site.cookie("bilten_access").unwrap())
        .unwrap();
    let an_hour_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3600;
    site.set_cookie(
        "bilten_access",
        &tokens.issue(&claims.sub, &claims.sid, &claims.role, an_hour_ago),
    );

    // Both requests carry the same refresh token. Spending it twice would count as reuse and
    // revoke the session; the frontend must refresh once and hand both the new pair.
    let (first, second) = tokio::join!(site.get("/account"), site.get("/tickets"));
    assert_eq!(first.status, StatusCode::OK, "{}", first.location());
    assert_eq!(second.status, StatusCode::OK, "{}", second.location());

    let later = site.get("/account").await;
    assert_eq!(
        later.status,
        StatusCode::OK,
        "the session survived: {}",
        later.location()
    );
}

#[tokio::test]
async fn a_session_ended_elsewhere_clears_the_cookies_and_asks_to_log_in() {
    let site = TestSite::spawn().await;
    site.signed_up_and_logged_in("Barbara").await;
    let access = site.cookie("bilten_access").unwrap();

    let (status, _) = site
        .backend
        .post(
            "/api/v1/auth/logout-all",
            Some(&access),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let account = site.get("/account").await;
    assert_eq!(account.status, StatusCode::SEE_OTHER);
    assert!(account.location().starts_with("/login"));
    assert_eq!(site.cookie("bilten_refresh"), None);
    assert_eq!(site.cookie("bilten_access"), None);
}

#[tokio::test]
async fn changing_the_password_checks_the_current_one() {
    let site = TestSite::spawn().await;
    site.signed_up_and_logged_in("Alan").await;

    let refused = site
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", "wrong wrong wrong"),
                ("new_password", "another fine passphrase"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains(r#"id="field-current_password-error""#),
        "{}",
        refused.body
    );

    let changed = site
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another fine passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    assert_eq!(changed.location(), "/account?notice=password_changed");
    assert_eq!(
        site.get("/account").await.status,
        StatusCode::OK,
        "this browser stays logged in"
    );
}

#[tokio::test]
async fn logging_out_everywhere_ends_the_session() {
    let site = TestSite::spawn().await;
    site.signed_up_and_logged_in("Frances").await;

    let done = site
        .submit("/account", "/account/logout-everywhere", &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/login?notice=logged_out_everywhere");
    assert_eq!(site.cookie("bilten_refresh"), None);
}

#[tokio::test]
async fn forgot_and_reset_password_through_the_emailed_link() {
    let site = TestSite::spawn().await;
    let email = site.signed_up_and_logged_in("Katherine").await;
    site.submit("/account", "/logout", &[]).await;

    let sent = site
        .submit("/forgot-password", "/forgot-password", &[("email", &email)])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert!(site
        .get(sent.location())
        .await
        .body
        .contains("we have sent it a link"));

    let mail = site.backend.wait_for_mail(&email, "password").await;
    let token = bilten_test_support::token_from_link(&mail, "token");
    let reset_page = format!("/reset-password?token={token}");
    let short = site
        .submit(
            &reset_page,
            "/reset-password",
            &[("token", &token), ("password", "short")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("Use at least 8 characters."));

    let reset = site
        .submit(
            &reset_page,
            "/reset-password",
            &[("token", &token), ("password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
    assert_eq!(reset.location(), "/login?notice=password_reset");
    let login = site
        .submit(
            "/login",
            "/login",
            &[("email", &email), ("password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_emailed_link_verifies_the_address_after_a_click() {
    let site = TestSite::spawn().await;
    let email = site.signed_up_and_logged_in("Hedy").await;
    assert!(site
        .get("/account")
        .await
        .body
        .contains("not confirmed yet"));

    let mail = site.backend.wait_for_mail(&email, "onfirm").await;
    let token = bilten_test_support::token_from_link(&mail, "token");
    let page = format!("/verify-email?token={token}");
    assert!(site.get(&page).await.body.contains("Confirm my email"));
    let verified = site
        .submit(&page, "/verify-email", &[("token", &token)])
        .await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.body);
    assert_eq!(verified.location(), "/account?notice=email_verified");
    let account = site.get("/account").await;
    assert!(account.body.contains("confirmed"));
    assert!(!account.body.contains("not confirmed yet"));

    let again = site
        .submit(&page, "/verify-email", &[("token", &token)])
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("This link has expired"));
}

#[tokio::test]
async fn a_person_downloads_their_data_then_deletes_the_account_after_a_confirmation_page() {
    let site = TestSite::spawn().await;
    let email = site.signed_up_and_logged_in("Dora Deleted").await;

    let account = site.get("/account").await;
    assert!(account.body.contains(r#"href="/account/export""#));
    assert!(account.body.contains(r#"href="/account/delete""#));

    let download = site.get("/account/export").await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.body);
    assert!(download
        .header("content-disposition")
        .starts_with("attachment; filename=\"bilten-data-"));
    assert_eq!(download.header("cache-control"), "private, no-store");
    let export: serde_json::Value = serde_json::from_str(&download.body).unwrap();
    assert_eq!(export["account"]["email"], email.as_str());
    assert_eq!(export["account"]["name"], "Dora Deleted");

    let confirm = site.get("/account/delete").await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("This cannot be undone"));
    assert!(confirm.body.contains("10 years"));

    let wrong = site
        .submit(
            "/account/delete",
            "/account/delete",
            &[("password", "not my password")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.body.contains(r#"data-code="incorrect""#),
        "{}",
        wrong.body
    );

    let deleted = site
        .submit(
            "/account/delete",
            "/account/delete",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(deleted.location(), "/?notice=account_deleted");
    assert!(site
        .get("/?notice=account_deleted")
        .await
        .body
        .contains("Your account has been deleted"));
    // Logged out, and the login is gone.
    assert_ne!(site.get("/account").await.status, StatusCode::OK);
    let login = site
        .submit(
            "/login",
            "/login",
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The key shown on the enrolment page (`<code class="secret">…</code>`).
fn shown_key(body: &str) -> String {
    let marker = r#"<code class="secret">"#;
    let start = body.find(marker).expect("the key is shown") + marker.len();
    body[start..].chars().take_while(|c| *c != '<').collect()
}

#[tokio::test]
async fn a_person_turns_on_two_factor_sign_in_and_then_logs_in_with_a_code() {
    use bilten_domain::totp::TotpSecret;
    let site = TestSite::spawn().await;
    let email = site.signed_up_and_logged_in("Theo Twofactor").await;
    let account = site.get("/account").await;
    assert!(account.body.contains("Set up two-factor sign-in"));

    let enrol = site.submit("/account", "/account/two-factor", &[]).await;
    assert_eq!(enrol.status, StatusCode::OK, "{}", enrol.body);
    assert!(enrol.body.contains(r#"role="img""#));
    assert!(enrol.body.contains("<svg"));
    let secret = TotpSecret::from_base32(&shown_key(&enrol.body)).unwrap();
    let now = chrono::Utc::now().timestamp();

    let token = enrol.csrf_token();
    let wrong = site
        .post_raw(
            "/account/two-factor/confirm",
            &[("code", "000000x"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    let confirmed = site
        .post_raw(
            "/account/two-factor/confirm",
            &[("code", &secret.code_at(now)), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert!(confirmed.body.contains("recovery codes"));
    assert_eq!(
        confirmed.body.matches("<li><code>").count(),
        10,
        "{}",
        confirmed.body
    );
    assert!(site
        .get("/account?notice=two_factor_on")
        .await
        .body
        .contains("Two-factor sign-in is on"));

    site.submit("/account", "/logout", &[]).await;
    let step = site
        .submit(
            "/login",
            "/login",
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(step.status, StatusCode::OK, "{}", step.body);
    assert!(step.body.contains("Enter your sign-in code"));
    assert!(
        site.cookie("__Host-bilten_access").is_none() && site.cookie("bilten_access").is_none()
    );
    let challenge = {
        let marker = r#"name="challenge_token" value=""#;
        let start = step.body.find(marker).unwrap() + marker.len();
        step.body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect::<String>()
    };
    let token = step.csrf_token();
    let logged_in = site
        .post_raw(
            "/login/two-factor",
            &[
                ("challenge_token", &challenge),
                ("code", &secret.code_at(now + 30)),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(
        logged_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        logged_in.body
    );
    assert_eq!(logged_in.location(), "/account");
    let account = site.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(
        account.body.contains("10 recovery codes left"),
        "{}",
        account.body
    );

    // New recovery codes, confirmed with one of the first ones.
    let first_code: String = {
        let marker = "<li><code>";
        let start = confirmed.body.find(marker).unwrap() + marker.len();
        confirmed.body[start..]
            .chars()
            .take_while(|c| *c != '<')
            .collect()
    };
    let renewed = site
        .submit(
            "/account",
            "/account/two-factor/recovery-codes",
            &[("code", &first_code)],
        )
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    assert!(renewed.body.contains("New recovery codes"));
    assert_eq!(renewed.body.matches("<li><code>").count(), 10);
    assert!(!renewed.body.contains(&first_code));
}
