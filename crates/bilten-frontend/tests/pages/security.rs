use reqwest::StatusCode;

use crate::helpers::{TestSite, PASSWORD};

#[tokio::test]
async fn a_form_posted_without_its_csrf_token_is_refused() {
    let site = TestSite::spawn().await;
    site.get("/login").await; // the browser has its CSRF cookie

    let without = site
        .post_raw(
            "/login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    assert!(
        without.body.contains("That form has expired"),
        "{}",
        without.body
    );
    assert!(without.header("content-type").starts_with("text/html"));

    let forged = site
        .post_raw(
            "/signup",
            &[
                ("name", "Mallory"),
                ("email", "m@example.com"),
                ("password", PASSWORD),
                ("csrf_token", "00ff"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_form_posted_by_a_browser_without_the_csrf_cookie_is_refused() {
    let site = TestSite::spawn().await;
    let token = site.get("/login").await.csrf_token();
    let stranger = reqwest::Client::new();

    let response = stranger
        .post(site.url("/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn auth_and_csrf_cookies_are_http_only_and_same_site() {
    let site = TestSite::spawn().await;
    let first = site.get("/login").await;
    let csrf_cookie = first.header("set-cookie");
    assert!(csrf_cookie.starts_with("bilten_csrf="), "{csrf_cookie}");
    assert!(csrf_cookie.contains("HttpOnly"));
    assert!(csrf_cookie.contains("SameSite=Lax"));

    let email = "cookie@example.com";
    site.submit(
        "/signup",
        "/signup",
        &[("name", "C"), ("email", email), ("password", PASSWORD)],
    )
    .await;
    let login = site
        .submit(
            "/login",
            "/login",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    let set_cookies: Vec<&str> = login
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(set_cookies.len(), 2, "{set_cookies:?}");
    for cookie in set_cookies {
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Path=/"),
            "{cookie}"
        );
    }
}

#[tokio::test]
async fn a_crafted_next_link_cannot_send_the_visitor_elsewhere() {
    let site = TestSite::spawn().await;
    let email = "next@example.com";
    site.submit(
        "/signup",
        "/signup",
        &[("name", "N"), ("email", email), ("password", PASSWORD)],
    )
    .await;
    let login = site
        .submit(
            "/login?next=//evil.example",
            "/login",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(login.location(), "/account");
}
