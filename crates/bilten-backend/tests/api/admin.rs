use bilten_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn only_admins_list_and_disable_users() {
    let app = TestApp::spawn().await;
    let admin = app.signed_up_user("Admin").await;
    bilten_backend::admin::create_admin(&app.store, &admin.email, "unused unused", None)
        .await
        .unwrap();
    let user = app.signed_up_user("Regular").await;

    let (status, body) = app
        .get("/api/v1/admin/users?q=regular", Some(&user.access_token))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );

    let (status, body) = app
        .get("/api/v1/admin/users?q=regular", Some(&admin.access_token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"].as_array().unwrap().len(), 1);

    let path = format!("/api/v1/admin/users/{}/disabled", user.id);
    let (status, _) = app
        .post(&path, Some(&user.access_token), json!({ "disabled": true }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .post(
            &path,
            Some(&admin.access_token),
            json!({ "disabled": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Disabled: current sessions end, and logging in fails like a wrong password.
    assert_eq!(
        app.get("/api/v1/me", Some(&user.access_token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&user.email, &user.password).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (status, _) = app
        .post(
            "/api/v1/admin/users/usr_nope/disabled",
            Some(&admin.access_token),
            json!({ "disabled": true }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admins_see_every_organization_and_event_and_unpublish_an_event() {
    use crate::ticketing_helpers::{event_on_sale, guest_order, place_order};

    let app = TestApp::spawn().await;
    let admin = app.signed_up_user("Admin").await;
    bilten_backend::admin::create_admin(&app.store, &admin.email, "unused unused", None)
        .await
        .unwrap();
    let sale = event_on_sale(&app, 10).await;
    let organizer = &sale.organizer.access_token;
    let (status, _) = place_order(
        &app,
        None,
        "admin-early",
        &guest_order(&sale.event, &sale.ticket_type, 1, "early@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // Only platform admins may look, and the lists cover every organization's data.
    for path in ["/api/v1/admin/organizations", "/api/v1/admin/events"] {
        let (status, _) = app.get(path, Some(organizer)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, body) = app
        .get(
            "/api/v1/admin/organizations?q=KINO",
            Some(&admin.access_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let orgs = body["items"].as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{body}");
    assert_eq!(
        (orgs[0]["members"].as_i64(), orgs[0]["events"].as_i64()),
        (Some(1), Some(1))
    );
    let (_, body) = app
        .get(
            "/api/v1/admin/organizations?q=50%25",
            Some(&admin.access_token),
        )
        .await;
    assert!(
        body["items"].as_array().unwrap().is_empty(),
        "LIKE wildcards are literal"
    );
    let (status, body) = app
        .get("/api/v1/admin/events?q=jazz", Some(&admin.access_token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"][0]["id"], sale.event.as_str());
    let (status, body) = app
        .get(
            "/api/v1/admin/events?cursor=nonsense",
            Some(&admin.access_token),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Unpublishing takes it out of the listing and off sale; the organizer still sees it.
    let unpublish = format!("/api/v1/admin/events/{}/unpublish", sale.event);
    let (status, _) = app.post(&unpublish, Some(organizer), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .post(&unpublish, Some(&admin.access_token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["event"]["status"], "draft");
    let (status, body) = app
        .post(&unpublish, Some(&admin.access_token), json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_published"))
    );
    let (_, listing) = app.get("/api/v1/events?q=jazz", None).await;
    assert!(listing["items"].as_array().unwrap().is_empty(), "{listing}");
    let (status, _) = app
        .get(&format!("/api/v1/events/{}", sale.event), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = place_order(
        &app,
        None,
        "admin-late",
        &guest_order(&sale.event, &sale.ticket_type, 1, "late@example.com"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = app
        .get(&format!("/api/v1/events/{}", sale.event), Some(organizer))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(
            "/api/v1/admin/events/evt_00000000000000000000000000000000/unpublish",
            Some(&admin.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Issue #12 item 12c: an event an admin unpublished could be published again by its
/// organizer at once. Moderation now holds until an admin releases it.
#[tokio::test]
async fn an_unpublished_event_stays_off_sale_until_an_admin_releases_it() {
    use crate::ticketing_helpers::{event_on_sale, publish};

    let app = TestApp::spawn().await;
    let admin = app.signed_up_user("Admin").await;
    bilten_backend::admin::create_admin(&app.store, &admin.email, "unused unused", None)
        .await
        .unwrap();
    let sale = event_on_sale(&app, 10).await;
    let organizer = &sale.organizer.access_token;
    let unpublish = format!("/api/v1/admin/events/{}/unpublish", sale.event);
    let (status, body) = app
        .post(&unpublish, Some(&admin.access_token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["event"]["moderation_locked"], true);

    // Moderation holds until an admin lifts it: the organizer cannot simply publish again.
    let publish_path = format!("/api/v1/events/{}/publish", sale.event);
    let (status, body) = app.post(&publish_path, Some(organizer), json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("moderation_locked")),
        "{body}"
    );
    let (_, body) = app
        .get(&format!("/api/v1/events/{}", sale.event), Some(organizer))
        .await;
    assert_eq!(body["event"]["moderation_locked"], true);
    let release = format!("/api/v1/admin/events/{}/release", sale.event);
    let (status, _) = app.post(&release, Some(organizer), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .post(&release, Some(&admin.access_token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["event"]["status"].as_str(),
            &body["event"]["moderation_locked"]
        ),
        (Some("draft"), &json!(false)),
        "released, still a draft until its organizer publishes it"
    );
    let (status, body) = app
        .post(&release, Some(&admin.access_token), json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_moderation_locked"))
    );
    let (status, _) = app
        .post(
            "/api/v1/admin/events/evt_00000000000000000000000000000000/release",
            Some(&admin.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Once released, the organizer can publish it again.
    publish(&app, organizer, &sale.event).await;
    let (_, listing) = app.get("/api/v1/events?q=jazz", None).await;
    assert_eq!(listing["items"].as_array().unwrap().len(), 1);
    assert_eq!(listing["items"][0]["moderation_locked"], false);
}
