//! Issue #16: an event's title and description in several languages.
//! `PUT|DELETE /events/{id}/translations/{locale}`; every event answer carries the
//! translations; the public read cache shows a change at once; an order's mails name the
//! event in the order's language.

use bilten_test_support::TestApp;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::refund_helpers::checkout;
use crate::ticketing_helpers::{event_on_sale, guest_order, place_order};

async fn put_translation(
    app: &TestApp,
    token: &str,
    event: &str,
    locale: &str,
    body: Value,
) -> (StatusCode, Value) {
    app.request(
        Method::PUT,
        &format!("/api/v1/events/{event}/translations/{locale}"),
        Some(token),
        Some(body),
    )
    .await
}

async fn delete_translation(
    app: &TestApp,
    token: &str,
    event: &str,
    locale: &str,
) -> (StatusCode, Value) {
    app.request(
        Method::DELETE,
        &format!("/api/v1/events/{event}/translations/{locale}"),
        Some(token),
        None,
    )
    .await
}

fn german() -> Value {
    json!({ "title": "Sommerjazz", "description": "Ein Abend voller Musik" })
}

/// `(locale, title)` of an event answer's translations.
fn titles(event: &Value) -> Vec<(String, String)> {
    event["translations"]
        .as_array()
        .unwrap_or_else(|| panic!("no translations in {event}"))
        .iter()
        .map(|t| {
            (
                t["locale"].as_str().unwrap().to_owned(),
                t["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn an_organizer_sets_replaces_and_removes_an_events_title_and_description_per_language() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.as_str();

    let (status, body) = put_translation(&app, token, &sale.event, "de", german()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(titles(&body["event"]), pairs(&[("de", "Sommerjazz")]));
    assert_eq!(
        body["event"]["title"], "Summer Jazz",
        "the event's own stays"
    );
    assert_eq!(
        body["event"]["translations"][0]["description"],
        "Ein Abend voller Musik"
    );

    // Spanish without a description; German replaced (trimmed like the event's own).
    let (status, body) = put_translation(
        &app,
        token,
        &sale.event,
        "es",
        json!({ "title": "Jazz de verano" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = put_translation(
        &app,
        token,
        &sale.event,
        "de",
        json!({ "title": "  Jazz im Sommer ", "description": "Neu" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        titles(&body["event"]),
        pairs(&[("de", "Jazz im Sommer"), ("es", "Jazz de verano")])
    );
    assert_eq!(body["event"]["translations"][1]["description"], "");

    // Every answer that shows the event carries them: public page, listing, organizer list,
    // the organizer's public page.
    let (status, public) = app
        .get(&format!("/api/v1/events/{}", sale.event), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        titles(&public["event"]),
        pairs(&[("de", "Jazz im Sommer"), ("es", "Jazz de verano")])
    );
    let (_, listing) = app.get("/api/v1/events", None).await;
    let listed = listing["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == sale.event.as_str())
        .unwrap();
    assert_eq!(titles(listed).len(), 2);
    let org = public["event"]["organization_id"].as_str().unwrap();
    let (_, own) = app
        .get(&format!("/api/v1/organizations/{org}/events"), Some(token))
        .await;
    assert_eq!(titles(&own["items"][0]).len(), 2);
    let (_, page) = app.get(&format!("/api/v1/organizers/{org}"), None).await;
    assert_eq!(titles(&page["events"][0]).len(), 2);

    // Removing one leaves the other; removing it again is done as well.
    for _ in 0..2 {
        let (status, body) = delete_translation(&app, token, &sale.event, "de").await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let (_, public) = app
        .get(&format!("/api/v1/events/{}", sale.event), None)
        .await;
    assert_eq!(titles(&public["event"]), pairs(&[("es", "Jazz de verano")]));
}

#[tokio::test]
async fn an_unknown_language_or_a_bad_title_is_a_validation_error_never_a_server_error() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.as_str();
    let code_of = |body: &Value, field: &str| body["error"]["fields"][field]["code"].clone();

    for locale in ["fr", "DE", "de-AT", "{locale}"] {
        let (status, body) = put_translation(&app, token, &sale.event, locale, german()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{locale}: {body}");
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(code_of(&body, "locale"), "unsupported_locale", "{locale}");
        let (status, body) = delete_translation(&app, token, &sale.event, locale).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{locale}: {body}");
        assert_eq!(code_of(&body, "locale"), "unsupported_locale");
    }
    let cases = [
        (json!({}), "title", "required"),
        (json!({ "title": "   " }), "title", "required"),
        (json!({ "title": "x".repeat(201) }), "title", "too_long"),
        (
            json!({ "title": "Tab\tin title" }),
            "title",
            "invalid_characters",
        ),
        (
            json!({ "title": "Gut", "description": "y".repeat(20_001) }),
            "description",
            "too_long",
        ),
    ];
    for (body, field, code) in cases {
        let (status, answer) = put_translation(&app, token, &sale.event, "de", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["code"], "validation_failed");
        assert_eq!(code_of(&answer, field), code, "{answer}");
    }
    // Unknown fields are the JSON's shape, as everywhere.
    let (status, answer) = put_translation(
        &app,
        token,
        &sale.event,
        "de",
        json!({ "title": "Gut", "subtitle": "no" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_body");
    // A bad language and a bad title are named together.
    let (_, answer) = put_translation(&app, token, &sale.event, "fr", json!({})).await;
    assert_eq!(code_of(&answer, "locale"), "unsupported_locale");
    assert_eq!(code_of(&answer, "title"), "required");
    // Nothing was stored; an exact 200 title is fine.
    let (status, answer) = put_translation(
        &app,
        token,
        &sale.event,
        "de",
        json!({ "title": "ä".repeat(200) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(titles(&answer["event"]).len(), 1);
}

#[tokio::test]
async fn a_canceled_events_texts_cannot_change_and_a_deleted_drafts_go_with_it() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.as_str();
    let (status, _) = put_translation(&app, token, &sale.event, "de", german()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{}/cancel", sale.event),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = put_translation(&app, token, &sale.event, "es", german()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "event_canceled");
    let (status, body) = delete_translation(&app, token, &sale.event, "de").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // A draft with a translation can still be deleted (its rows go with it).
    let org = body_org(&app, token, &sale.event).await;
    let draft = crate::ticketing_helpers::create_event(
        &app,
        token,
        &org,
        crate::ticketing_helpers::event_body("Draft"),
    )
    .await;
    let (status, _) = put_translation(&app, token, &draft, "de", german()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .request(
            Method::DELETE,
            &format!("/api/v1/events/{draft}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = put_translation(&app, token, &draft, "de", german()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn body_org(app: &TestApp, token: &str, event: &str) -> String {
    let (_, body) = app
        .get(&format!("/api/v1/events/{event}"), Some(token))
        .await;
    body["event"]["organization_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The public event page and listing are served from serialized copies with an `ETag`
/// (`read_cache`): a translation saved or removed shows at once, not a second later.
#[tokio::test]
async fn a_translation_change_shows_at_once_in_the_cached_public_event_page_and_listing() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.as_str();
    let page = app.url(&format!("/api/v1/events/{}", sale.event));
    let listing = app.url("/api/v1/events");
    let read = |url: String, etag: Option<header::HeaderValue>| {
        let app = &app;
        async move {
            let mut request = app.client.get(&url);
            if let Some(etag) = etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let etag = response.headers()[header::ETAG].clone();
            let body = response.bytes().await.unwrap();
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            (status, etag, body)
        }
    };
    let (status, page_etag, body) = read(page.clone(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(titles(&body["event"]).is_empty());
    let (_, listing_etag, _) = read(listing.clone(), None).await;
    // Cached: the same copy again.
    let (status, _, _) = read(page.clone(), Some(page_etag.clone())).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    let (status, _) = put_translation(&app, token, &sale.event, "de", german()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, saved_etag, body) = read(page.clone(), Some(page_etag.clone())).await;
    assert_eq!(status, StatusCode::OK, "the translation changed the page");
    assert_ne!(saved_etag, page_etag);
    assert_eq!(titles(&body["event"]), pairs(&[("de", "Sommerjazz")]));
    let (status, _, body) = read(listing.clone(), Some(listing_etag)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the translation changed the listing"
    );
    let listed = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == sale.event.as_str())
        .unwrap();
    assert_eq!(titles(listed), pairs(&[("de", "Sommerjazz")]));

    let (status, _) = delete_translation(&app, token, &sale.event, "de").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, body) = read(page, Some(saved_etag)).await;
    assert_eq!(status, StatusCode::OK, "the removal changed the page");
    assert!(titles(&body["event"]).is_empty());
}

/// An order's confirmation mail (and its PDF tickets) names the event in the language the
/// order was placed in when the organizer gave the title in it, else by its own title.
#[tokio::test]
async fn a_german_orders_confirmation_mail_carries_the_german_title() {
    let app = TestApp::spawn().await;
    let sale = event_on_sale(&app, 10).await;
    let token = sale.organizer.access_token.as_str();
    let (status, _) = put_translation(&app, token, &sale.event, "de", german()).await;
    assert_eq!(status, StatusCode::OK);

    for (email, locale) in [
        ("kaeuferin@example.com", "de"),
        ("buyer@example.com", "en"),
        ("comprador@example.com", "es"),
    ] {
        let mut order = guest_order(&sale.event, &sale.ticket_type, 1, email);
        order["locale"] = json!(locale);
        let (status, body) =
            place_order(&app, None, &uuid::Uuid::new_v4().to_string(), &order).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = checkout(
            &app,
            body["order"]["id"].as_str().unwrap(),
            body["access_key"].as_str().unwrap(),
            Some(json!({ "test_card": "4242424242424242" })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let text = app
        .wait_for_mail("kaeuferin@example.com", "Ihre Tickets für Sommerjazz")
        .await;
    assert!(text.contains("Sommerjazz"), "{text}");
    assert!(!text.contains("Summer Jazz"), "{text}");
    // Without a translation in the order's language: the event's own title.
    let text = app
        .wait_for_mail("buyer@example.com", "Your tickets for Summer Jazz")
        .await;
    assert!(!text.contains("Sommerjazz"), "{text}");
    app.wait_for_mail("comprador@example.com", "Tus entradas para Summer Jazz")
        .await;
}
