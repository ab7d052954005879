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
    let start = home
        .body
        .find(marker)
        .expect("the layout links the stylesheet")
        + r#"href=""#.len();
    let href: String = home.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert_eq!(href.rsplit('.').next(), Some("css"));

    let css = site.get(&href).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(
        css.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
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
    assert!(
        page.body.contains("Skip to main content"),
        "inside the layout"
    );
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

#[tokio::test]
async fn without_the_backend_the_frontend_is_not_ready_and_pages_say_so() {
    // A port nothing listens on: connections are refused at once.
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let backend_url = format!("http://{}", unused.local_addr().unwrap());
    drop(unused);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let address = crate::helpers::spawn_frontend(&backend_url, shutdown.clone()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let ready = client.get(format!("{address}/ready")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    let home = client.get(format!("{address}/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(home
        .text()
        .await
        .unwrap()
        .contains("Bilten is temporarily unavailable"));

    let login = client.get(format!("{address}/login")).send().await.unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = {
        let body = login.text().await.unwrap();
        let marker = r#"name="csrf_token" value=""#;
        let start = body.find(marker).unwrap() + marker.len();
        body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect::<String>()
    };
    let refused = client
        .post(format!("{address}/login"))
        .header("cookie", cookie)
        .form(&[
            ("email", "ada@example.com"),
            ("password", "whatever it is"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("temporarily unavailable"));
    shutdown.cancel();
}
