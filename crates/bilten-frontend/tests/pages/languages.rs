//! The site in German and Spanish: the language from the visitor's choice (the switcher's
//! cookie), else from `Accept-Language`, else English; pages, dates, money, error pages, the
//! mail and the PDF ticket of an order placed in German.

use reqwest::StatusCode;

use crate::fixtures::event_on_sale;
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

#[tokio::test]
async fn the_event_page_is_written_in_the_browsers_language_with_its_dates_and_money() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let path = format!("/events/{}", sale.event);

    let german = get_in(&site, &path, "de-DE,de;q=0.9,en;q=0.5").await;
    assert_eq!(german.status, StatusCode::OK, "{}", german.body);
    let body = &german.body;
    assert!(body.contains(r#"<html lang="de" dir="ltr">"#), "{body}");
    // 12 December 2030, 19:00–23:00 in Berlin, as German readers write it.
    assert!(body.contains("Do., 12.12.2030, 19:00–23:00 CET"), "{body}");
    assert!(body.contains("25,00\u{a0}€"), "{body}");
    assert!(body.contains(">Kostenlos<"), "{body}");
    assert!(body.contains("Über die Veranstaltung"), "{body}");
    assert!(body.contains(">Weiter</button>"), "{body}");
    assert!(body.contains("50 verfügbar"), "{body}");
    assert!(
        body.contains(r#"<label for="field-email">E-Mail-Adresse</label>"#),
        "{body}"
    );
    assert!(!body.contains("Continue"), "no English left: {body}");

    let spanish = get_in(&site, &path, "es").await;
    let body = &spanish.body;
    assert!(body.contains(r#"<html lang="es" dir="ltr">"#), "{body}");
    assert!(body.contains("jue, 12 dic 2030, 19:00–23:00 CET"), "{body}");
    assert!(body.contains("25,00\u{a0}€"), "{body}");
    assert!(body.contains(">Gratis<"), "{body}");
    assert!(body.contains(">Continuar</button>"), "{body}");

    // A language we do not ship, or none: English.
    for accept_language in ["fr-FR, fr;q=0.9", ""] {
        let english = get_in(&site, &path, accept_language).await;
        let body = &english.body;
        assert!(body.contains(r#"<html lang="en" dir="ltr">"#), "{body}");
        assert!(body.contains("Thu, 12 Dec 2030, 19:00–23:00 CET"), "{body}");
        assert!(body.contains("€25.00"), "{body}");
        assert!(body.contains(">Continue</button>"), "{body}");
    }
}

#[tokio::test]
async fn the_language_switcher_keeps_the_choice_over_the_browsers_language() {
    let site = TestSite::spawn().await;
    let home = site.get("/?q=jazz").await;
    // Every page links each language, back to where the visitor is.
    assert!(
        home.body
            .contains(r#"href="/language?lang=es&amp;back=%2F%3Fq%3Djazz""#),
        "{}",
        home.body
    );
    assert!(
        home.body.contains(r#"lang="de" hreflang="de""#),
        "{}",
        home.body
    );

    let chosen = site.get("/language?lang=es&back=%2F%3Fq%3Djazz").await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER);
    assert_eq!(chosen.location(), "/?q=jazz");
    assert_eq!(site.cookie("bilten_lang").as_deref(), Some("es"));

    // The choice wins over Accept-Language.
    let page = get_in(&site, "/", "de").await;
    assert!(page.body.contains(r#"<html lang="es""#), "{}", page.body);
    assert!(page.body.contains("Próximos eventos"), "{}", page.body);
    assert!(
        page.body
            .contains(r#"hreflang="es" aria-current="true">Español</a>"#),
        "{}",
        page.body
    );

    // Only a path on this site is followed back, and only a language we ship is kept.
    let away = site.get("/language?lang=de&back=%2F%2Fevil.example").await;
    assert_eq!(away.location(), "/");
    assert_eq!(site.cookie("bilten_lang").as_deref(), Some("de"));
    let unknown = site.get("/language?lang=fr&back=%2F").await;
    assert_eq!(unknown.status, StatusCode::SEE_OTHER);
    assert_eq!(site.cookie("bilten_lang").as_deref(), Some("de"));
    let page = site.get("/").await;
    assert!(
        page.body.contains("Kommende Veranstaltungen"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn error_pages_and_forms_speak_the_visitors_language() {
    let site = TestSite::spawn().await;
    let missing = get_in(&site, "/no-such-page", "de").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.body.contains(r#"<html lang="de""#),
        "{}",
        missing.body
    );
    assert!(
        missing.body.contains("Diese Seite finden wir nicht"),
        "{}",
        missing.body
    );

    site.set_cookie("bilten_lang", "es");
    let search = site.get("/?from=mañana").await;
    assert_eq!(search.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(search.body.contains("Hay un problema"), "{}", search.body);
    assert!(
        search.body.contains("Escribe una fecha como 2026-12-31."),
        "{}",
        search.body
    );
    let login = site.get("/login").await;
    assert!(
        login.body.contains(">Iniciar sesión</button>"),
        "{}",
        login.body
    );
}

/// An order placed on the German site gets its confirmation mail and its PDF tickets in
/// German, whatever language the site is shown in later.
#[tokio::test]
async fn a_purchase_in_german_is_confirmed_in_german() {
    let site = TestSite::spawn().await;
    let sale = event_on_sale(&site.backend, "Winterjazz", 50).await;
    site.set_cookie("bilten_lang", "de");
    let event_page = format!("/events/{}", sale.event);
    let email = "ada.deutsch@example.com";
    let bought = site
        .submit(
            &event_page,
            &format!("{event_page}/checkout"),
            &[
                (&format!("qty-{}", sale.guest_list) as &str, "2"),
                ("name", "Ada Lovelace"),
                ("email", email),
            ],
        )
        .await;
    assert_eq!(bought.status, StatusCode::SEE_OTHER, "{}", bought.body);
    let order_page = bought.location().to_owned();
    let order = site.get(&order_page).await;
    assert!(
        order.body.contains("Bestellung abschließen"),
        "{}",
        order.body
    );
    assert!(
        order.body.contains(">Tickets erhalten</button>"),
        "{}",
        order.body
    );
    let id = order_page.split('?').next().unwrap().to_owned();
    // The buyer switches to English before paying: the order keeps the language it was
    // placed in.
    site.set_cookie("bilten_lang", "en");
    let paid = site.submit(&id, &format!("{id}/pay"), &[]).await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);

    let mail = site
        .backend
        .wait_for_mail(email, "Ihre Tickets für Winterjazz")
        .await;
    for expected in [
        "Hallo Ada Lovelace,",
        "vielen Dank für Ihre Bestellung",
        "Wann: Donnerstag, 12. Dezember 2030 um 19:00 – 23:00 (Europe/Berlin)",
        "Wo: Tempodrom, Möckernstraße 10, Berlin, DE",
        "Summe: 0,00\u{a0}€",
        "Ticket 1: Guest list für Ada Lovelace",
        "Ihre Bestellung online: http://bilten.test/orders/",
    ] {
        assert!(mail.contains(expected), "{expected:?} in {mail}");
    }

    // The PDF downloaded from the German site is in German; from the English one, English.
    site.set_cookie("bilten_lang", "de");
    let page = site.get(&id).await;
    let pdf_link = page.first_ticket_link();
    let pdf = site.get(&pdf_link).await;
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert!(
        pdf.body.contains("(Inhaber)"),
        "the German PDF labels its holder"
    );
    assert!(pdf.body.contains("(Ticketart)"));
    site.set_cookie("bilten_lang", "en");
    let pdf = site.get(&pdf_link).await;
    assert!(pdf.body.contains("(Holder)"));
}

/// Signing up on the German site sends the address confirmation in German, with a link that
/// works; the web app tells the backend the visitor's language on every call.
#[tokio::test]
async fn signing_up_in_german_sends_the_confirmation_in_german() {
    let site = TestSite::spawn().await;
    site.set_cookie("bilten_lang", "de");
    let email = "greta.deutsch@example.com";
    let signup = site
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Greta"),
                ("email", email),
                ("password", "a long enough passphrase"),
            ],
        )
        .await;
    assert_eq!(signup.status, StatusCode::SEE_OTHER, "{}", signup.body);
    let mail = site
        .backend
        .wait_for_mail(email, "Bestätigen Sie Ihre E-Mail-Adresse")
        .await;
    assert!(mail.starts_with("Hallo Greta,"), "{mail}");
    assert!(mail.contains("Der Link gilt 48 Stunden."), "{mail}");
    let token = bilten_test_support::token_from_link(&mail, "token");
    let verified = site
        .submit(
            &format!("/verify-email?token={token}"),
            "/verify-email",
            &[("token", &token)],
        )
        .await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.body);
}
