//! `GET /organizers/{id}`: an organization's public page lists its published events that have
//! not ended, and `GET /events/{id}` names the organizer.

use bilten_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::json;

use crate::ticketing_helpers::{
    add_ticket_type, create_event, create_org, event_body, event_on_sale, publish, verified_user,
};

#[tokio::test]
async fn the_organizer_page_lists_published_upcoming_events_only() {
    let app = TestApp::spawn().await;
    let organizer = verified_user(&app, "Organizer").await;
    let token = organizer.access_token.as_str();
    let org = create_org(&app, &organizer).await;
    let mut later = event_body("Later Night");
    later["starts_at"] = json!("2031-06-01T19:00:00Z");
    later["ends_at"] = json!("2031-06-01T23:00:00Z");
    let mut past = event_body("Past Night");
    past["starts_at"] = json!("2020-06-01T19:00:00Z");
    past["ends_at"] = json!("2020-06-01T23:00:00Z");
    let mut published = Vec::new();
    for body in [later, event_body("Sooner Night"), past] {
        let event = create_event(&app, token, &org, body).await;
        add_ticket_type(
            &app,
            token,
            &event,
            json!({ "name": "Standing", "price": 1000, "capacity": 10 }),
        )
        .await;
        publish(&app, token, &event).await;
        published.push(event);
    }
    let _draft = create_event(&app, token, &org, event_body("Draft Night")).await;

    let (status, body) = app.get(&format!("/api/v1/organizers/{org}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["organizer"]["name"], "Kino Meeting Point");
    assert_eq!(body["organizer"]["id"], org.as_str());
    let titles: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Sooner Night", "Later Night"], "soonest first");

    let (status, body) = app.get("/api/v1/organizers/org_nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn an_event_names_its_organizer() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let (status, body) = app
        .get(&format!("/api/v1/events/{}", sale.event), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["organizer"]["name"], "Kino Meeting Point");
    assert_eq!(body["organizer"]["id"], body["event"]["organization_id"]);
}
