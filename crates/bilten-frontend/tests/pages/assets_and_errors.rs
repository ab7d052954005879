use reqwest::StatusCode;

use crate::helpers::TestSite;

#[tokio::test]
async fn the_stylesheet_is_fingerprinted_and_cached_for_a_year_while_pages_are_not_stored() {
    let site = TestSite::spawn().await;

    let home = site.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.header("cache-control"), "no-store");
    assert!(home.header("content-type").starts_with("text/html"));
    assert!(home.body.contains("<h1>Upcoming events</h1>"));
    assert!(home.body.contains("No events yet"));

    let marker = r#"href="/static/app."#;
    let start = home.body.find(marker).expect("the layout links the stylesheet") + r#"href=""#.len();
    let href: String = home.body[start..].chars().take_while(|c| *c != '"').collect();
    assert!(href.ends_with(".css"));

    let css = site.get(&href).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("cache-control"), "public, max-age=31536000, immutable");
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.body.contains(":focus-visible"));

    let stale = site.get("/static/app.0000000000000000.css").await;
    assert_eq!(stale.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_layout_has_a_title_description_skip_link_and_navigation() {
    let site = TestSite::spawn().await;
    let home = site.get("/").await;
    for part in [
        "<title>Upcoming events · Bilten</title>",
        r#"<meta name="description""#,
        r##"<a class="skip-link" href="#main">"##,
        r#"<main id="main""#,
        r#"<nav class="site-nav" aria-label="Main">"#,
        r#"href="/tickets""#,
        r#"href="/login""#,
        "<footer",
    ] {
        assert!(home.body.contains(part), "missing {part}");
    }
    assert_eq!(home.header("referrer-policy"), "same-origin");
}

#[tokio::test]
async fn an_unknown_page_is_a_friendly_404_in_the_layout() {
    let site = TestSite::spawn().await;
    let page = site.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.header("content-type").starts_with("text/html"));
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.body.contains("We can't find that page"));
    assert!(page.body.contains("Skip to main content"), "inside the layout");
}

#[tokio::test]
async fn my_tickets_asks_to_log_in_first() {
    let site = TestSite::spawn().await;
    let page = site.get("/tickets").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login?next=%2Ftickets");

    site.signed_up_and_logged_in("Tess").await;
    let page = site.get("/tickets").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("You have no tickets yet."));
}

#[tokio::test]
async fn health_and_readiness_follow_the_backend() {
    let site = TestSite::spawn().await;
    let health = site.get("/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(health.body.contains("frontend"));
    let ready = site.get("/ready").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert!(ready.body.contains("backend"));
    let metrics = site.get("/metrics").await;
    assert!(metrics.body.contains("http_requests_total"));
}
