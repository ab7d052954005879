//! Issue #16: an event's title and description in several languages. The organizer gives
//! them on the event's settings page; the storefront shows them in the page's language
//! (the `bilten_lang` cookie, else `Accept-Language`) and the event's own text otherwise.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fixtures::{event_on_sale, OnSale};
use crate::helpers::{Page, TestSite};

/// A GET with an `Accept-Language` header.
async fn get_in(site: &TestSite, path: &str, accept_language: &str) -> Page {
    let response = site
        .client
        .get(site.url(path))
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap();
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

/// The organizer gives the event a German title and description through the API.
async fn in_german(site: &TestSite, sale: &OnSale) {
    let (status, body) = site
        .backend
        .request(
            Method::PUT,
            &format!("/api/v1/events/{}/translations/de", sale.event),
            Some(&sale.organizer.access_token),
            Some(json!({
                "title": "Winterjazz-Nacht",
                "description": "Vier Stunden Jazz.\n\nEinlass ab 18:30."
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_event_page_shows_the_title_and_description_in_the_pages_language() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    in_german(&site, &sale).await;
    let path = format!("/events/{}", sale.event);

    let german = get_in(&site, &path, "de-DE,de;q=0.9,en;q=0.5").await;
    assert_eq!(german.status, StatusCode::OK, "{}", german.body);
    let body = &german.body;
    assert!(body.contains(r#"<html lang="de" dir="ltr">"#), "{body}");
    assert!(body.contains("<h1>Winterjazz-Nacht</h1>"), "{body}");
    assert!(body.contains("Vier Stunden Jazz."), "{body}");
    assert!(body.contains("<title>Winterjazz-Nacht"), "{body}");
    assert!(
        body.contains(r#"<meta property="og:title" content="Winterjazz-Nacht">"#),
        "{body}"
    );
    assert!(
        !body.contains("Winter Jazz Night"),
        "no English title: {body}"
    );
    assert!(!body.contains("Four hours of jazz"), "{body}");

    // The language switcher's cookie wins over the browser's language.
    site.set_cookie("bilten_lang", "de");
    let chosen = get_in(&site, &path, "en").await;
    assert!(
        chosen.body.contains("<h1>Winterjazz-Nacht</h1>"),
        "{}",
        chosen.body
    );

    // English has no translation, nor has Spanish: the event's own text.
    site.set_cookie("bilten_lang", "en");
    let english = site.get(&path).await;
    assert!(
        english.body.contains("<h1>Winter Jazz Night</h1>"),
        "{}",
        english.body
    );
    assert!(english.body.contains("Four hours of jazz."));
    assert!(!english.body.contains("Winterjazz"), "{}", english.body);
    site.set_cookie("bilten_lang", "es");
    let spanish = site.get(&path).await;
    assert!(spanish.body.contains(r#"<html lang="es""#));
    assert!(
        spanish.body.contains("<h1>Winter Jazz Night</h1>"),
        "{}",
        spanish.body
    );
}

#[tokio::test]
async fn the_listing_and_the_organizers_page_show_the_title_in_the_pages_language() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    in_german(&site, &sale).await;
    let card = format!(r#"<a href="/events/{}">Winterjazz-Nacht</a>"#, sale.event);
    let own = format!(r#"<a href="/events/{}">Winter Jazz Night</a>"#, sale.event);

    for path in ["/".to_owned(), format!("/o/{}", sale.organization)] {
        let german = get_in(&site, &path, "de").await;
        assert_eq!(german.status, StatusCode::OK, "{path}: {}", german.body);
        assert!(german.body.contains(&card), "{path}: {}", german.body);
        let english = get_in(&site, &path, "en").await;
        assert!(english.body.contains(&own), "{path}: {}", english.body);
    }
}

#[tokio::test]
async fn the_organizer_adds_changes_and_removes_a_language_on_the_settings_page() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let login = site
        .submit(
            "/login",
            "/login",
            &[
                ("email", &sale.organizer.email),
                ("password", &sale.organizer.password),
            ],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    let settings = format!("/organize/events/{}/edit", sale.event);
    let page = site.get(&settings).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(
        body.contains(r#"<h2 id="translations-title">In other languages</h2>"#),
        "{body}"
    );
    for label in ["Title in English", "Title in German", "Title in Spanish"] {
        assert!(body.contains(label), "{label}: {body}");
    }
    // German text is marked German on the English page; English text is not marked.
    assert!(
        body.contains(r#"name="title_de" type="text" autocomplete="off" lang="de""#),
        "{body}"
    );
    assert!(
        body.contains(r#"name="title_en" type="text" autocomplete="off" value"#),
        "{body}"
    );
    assert!(
        body.contains("Not given: visitors reading German see"),
        "{body}"
    );

    // A title is required: the page again, the problem next to the German field.
    let action = format!("/organize/events/{}/translations/de", sale.event);
    let refused = site
        .submit(
            &settings,
            &action,
            &[("title_de", "  "), ("description_de", "Bleibt stehen")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(r##"href="#field-title_de""##),
        "{}",
        refused.body
    );
    assert!(refused
        .body
        .contains(r#"id="field-title_de-error" data-code="required""#));
    assert!(
        refused.body.contains(">Bleibt stehen</textarea>"),
        "the input is kept"
    );

    let saved = site
        .submit(
            &settings,
            &action,
            &[
                ("title_de", "Winterjazz-Nacht"),
                ("description_de", "Vier Stunden Jazz."),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(
        saved
            .location()
            .starts_with(&format!("{settings}?notice=translation_saved_de")),
        "{}",
        saved.location()
    );
    let page = site.get(saved.location()).await;
    assert!(
        page.body
            .contains("The title and description in German have been saved."),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"value="Winterjazz-Nacht""#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(">Remove German</button>"),
        "{}",
        page.body
    );
    // The event's own title is still what the event form edits.
    assert!(
        page.body.contains(r#"value="Winter Jazz Night""#),
        "{}",
        page.body
    );

    site.set_cookie("bilten_lang", "de");
    let storefront = site.get(&format!("/events/{}", sale.event)).await;
    assert!(
        storefront.body.contains("<h1>Winterjazz-Nacht</h1>"),
        "{}",
        storefront.body
    );
    // On the German console page the German text is the page's language: no `lang` needed;
    // the English form's is marked English.
    let german_console = site.get(&settings).await;
    assert!(
        german_console
            .body
            .contains(r#"name="title_de" type="text" autocomplete="off" value="Winterjazz-Nacht""#),
        "{}",
        german_console.body
    );
    assert!(german_console
        .body
        .contains(r#"name="title_en" type="text" autocomplete="off" lang="en""#));
    assert!(german_console.body.contains("Titel auf Deutsch"));

    site.set_cookie("bilten_lang", "en");
    let removed = site
        .submit(&settings, &format!("{action}/remove"), &[])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    let page = site.get(removed.location()).await;
    assert!(
        page.body
            .contains("The title and description in German have been removed."),
        "{}",
        page.body
    );
    site.set_cookie("bilten_lang", "de");
    let storefront = site.get(&format!("/events/{}", sale.event)).await;
    assert!(
        storefront.body.contains("<h1>Winter Jazz Night</h1>"),
        "{}",
        storefront.body
    );
}

/// An order placed on the German site: its confirmation mail names the event by its German
/// title, and so does the PDF ticket downloaded from the German site; from the English site
/// the PDF carries the event's own title.
#[tokio::test]
async fn a_purchase_in_german_names_the_event_by_its_german_title_in_the_mail_and_the_pdf() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    in_german(&site, &sale).await;
    site.set_cookie("bilten_lang", "de");
    let event_page = format!("/events/{}", sale.event);
    let email = "ada.deutsch@example.com";
    let bought = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&format!("qty-{}", sale.guest_list) as &str, "1"),
                ("name", "Ada Lovelace"),
                ("email", email),
            ],
        )
        .await;
    assert_eq!(bought.status, StatusCode::SEE_OTHER, "{}", bought.body);
    let order_page = bought.location().to_owned();
    let order = site.get(&order_page).await;
    assert!(
        order.body.contains(">Winterjazz-Nacht</a>"),
        "the order page names the event in German: {}",
        order.body
    );
    let id = order_page.split('?').next().unwrap().to_owned();
    let paid = site.submit(&id, &format!("{id}/pay"), &[]).await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);

    let mail = site
        .backend
        .wait_for_mail(email, "Ihre Tickets für Winterjazz-Nacht")
        .await;
    assert!(!mail.contains("Winter Jazz Night"), "{mail}");

    let page = site.get(&id).await;
    let pdf_link = page.first_ticket_link();
    let pdf = site.get(&pdf_link).await;
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert!(
        pdf.body.contains("(Winterjazz-Nacht)"),
        "the German PDF's title"
    );
    assert!(!pdf.body.contains("(Winter Jazz Night)"));
    site.set_cookie("bilten_lang", "en");
    let pdf = site.get(&pdf_link).await;
    assert!(
        pdf.body.contains("(Winter Jazz Night)"),
        "the English PDF's title"
    );
}
