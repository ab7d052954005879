//! Things an organizer sets up through the backend's API, for pages to show.

pub use bilten_test_support::organizer::{
    add_ticket_type, create_event, create_org, publish, verified_user,
};
use bilten_test_support::{TestApp, TestUser};
use serde_json::{json, Value};

/// An event in Berlin on 12 December 2030, 19:00–23:00 local time.
pub fn concert(title: &str) -> Value {
    json!({
        "title": title,
        "description": "Four hours of jazz.\n\nDoors open at 18:30.",
        "starts_at": "2030-12-12T18:00:00Z",
        "ends_at": "2030-12-12T22:00:00Z",
        "timezone": "Europe/Berlin",
        "venue_name": "Tempodrom",
        "venue_address": "Möckernstraße 10",
        "city": "Berlin",
        "country": "DE",
        "latitude": 52.5,
        "longitude": 13.38,
        "currency": "EUR",
        "category": "music",
        "hold_minutes": 15
    })
}

/// A published event with a paid and a free ticket type.
pub struct OnSale {
    pub organizer: TestUser,
    pub organization: String,
    pub event: String,
    /// €25.00, `capacity` of them.
    pub standing: String,
    /// Free, 100 of them.
    pub guest_list: String,
}

pub async fn event_on_sale(app: &TestApp, title: &str, capacity: i64) -> OnSale {
    let organizer = verified_user(app, "Organizer").await;
    let organization = create_org(app, &organizer, "Kino Meeting Point").await;
    let event = create_event(app, &organizer.access_token, &organization, concert(title)).await;
    let standing = add_ticket_type(
        app,
        &organizer.access_token,
        &event,
        json!({ "name": "Standing", "price": 2500, "capacity": capacity, "max_per_order": 4 }),
    )
    .await;
    let guest_list = add_ticket_type(
        app,
        &organizer.access_token,
        &event,
        json!({ "name": "Guest list", "price": 0, "capacity": 100 }),
    )
    .await;
    publish(app, &organizer.access_token, &event).await;
    OnSale {
        organizer,
        organization,
        event,
        standing,
        guest_list,
    }
}
