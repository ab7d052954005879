//! The admin area: only platform admins see it; they search users and disable them, and
//! moderate organizations and events.

use reqwest::StatusCode;

use crate::fixtures::event_on_sale;
use crate::helpers::{Browser, TestSite, PASSWORD};

/// A second browser on `site`, logged in as a platform admin made with the CLI's function.
async fn logged_in_admin(site: &TestSite) -> Browser {
    let admin = TestSite::beside(site);
    bilten_backend::admin::create_admin(
        &site.backend.store,
        "root@example.com",
        PASSWORD,
        Some("Root"),
    )
    .await
    .unwrap();
    let login = admin
        .submit(
            "/login",
            "/login",
            &[("email", "root@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    admin
}

#[tokio::test]
async fn an_admin_finds_a_user_and_disables_them_and_nobody_else_sees_the_area() {
    let site = TestSite::spawn().await;
    let victim = site.backend.signed_up_user("Mallory Example").await;

    // An ordinary account: the admin area does not exist for it.
    site.signed_up_and_logged_in("Ordinary").await;
    assert_eq!(site.get("/admin").await.status, StatusCode::NOT_FOUND);

    let admin = logged_in_admin(&site).await;
    let page = admin.get("/admin?q=mallory").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&victim.email), "{}", page.body);
    assert!(page.body.contains("Platform health") && page.body.contains("ready"));
    let marker = r#"action="/admin/users/"#;
    let start = page.body.find(marker).unwrap() + r#"action=""#.len();
    let action: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let disabled = admin
        .submit("/admin?q=mallory", &action, &[("disabled", "true")])
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{}", disabled.body);
    assert!(admin
        .get(disabled.location())
        .await
        .body
        .contains("The account is disabled"));
    let (status, _) = site.backend.login(&victim.email, PASSWORD).await;
    assert_ne!(status, StatusCode::OK, "a disabled account cannot log in");
}

#[tokio::test]
async fn an_admin_unpublishes_an_event_from_the_moderation_page() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Questionable Rave", 20).await;
    site.signed_up_and_logged_in("Ordinary").await;
    assert_eq!(
        site.get("/admin/moderation").await.status,
        StatusCode::NOT_FOUND
    );

    let admin = logged_in_admin(&site).await;
    let page = admin.get("/admin/moderation?q=questionable").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Questionable Rave"), "{}", page.body);
    let action = format!("/admin/events/{}/unpublish", sale.event);
    assert!(page.body.contains(&action), "{}", page.body);

    let done = admin
        .submit("/admin/moderation?q=questionable", &action, &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = admin.get(done.location()).await;
    assert!(
        after.body.contains("The event is unpublished"),
        "{}",
        after.body
    );
    // Gone from the public site.
    assert_eq!(
        site.get(&format!("/events/{}", sale.event)).await.status,
        StatusCode::NOT_FOUND
    );
    // A second unpublish is refused with the API's reason, not a crash.
    let again = admin
        .submit("/admin/moderation?q=questionable", &action, &[])
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.body
    );
    assert!(
        again
            .body
            .contains("Only a published event can be unpublished."),
        "{}",
        again.body
    );
    // Locked until released: the page says so and offers the release.
    let page = admin.get("/admin/moderation?q=questionable").await;
    assert!(page.body.contains("locked by moderation"), "{}", page.body);
    let release = format!("/admin/events/{}/release", sale.event);
    assert!(page.body.contains(&release), "{}", page.body);
    let done = admin
        .submit("/admin/moderation?q=questionable", &release, &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = admin.get(done.location()).await;
    assert!(
        after.body.contains("The event is released"),
        "{}",
        after.body
    );
    let page = admin.get("/admin/moderation?q=questionable").await;
    assert!(!page.body.contains("locked by moderation"), "{}", page.body);
}
