//! The organizer console in Chromium, in English, German and Spanish: an organizer creates
//! an event through the console (pickers for time zone, country and currency), edits its
//! settings, adds and edits a ticket type, adds and edits a quota, adds and edits a promo code. Every
//! console page it passes is checked with axe (no violation at all) at 1280×900 and
//! 390×844, must not scroll sideways at 390 px, and the English ones are screenshotted into
//! `docs/screenshots/` (halved to 1× pixels, so the files stay small and the docs true).

use std::path::PathBuf;

use super::{fixtures, Browser, PASSWORD};
use crate::helpers::TestSite;

const SIZES: [(&str, (u32, u32)); 2] = [("desktop", (1280, 900)), ("phone", (390, 844))];

/// Every axe violation of the current page, any impact.
async fn all_violations(browser: &Browser) -> Vec<String> {
    let axe = std::fs::read_to_string(super::axe_source_path()).unwrap();
    browser
        .client
        .execute(&format!("{axe}\n;return true;"), vec![])
        .await
        .unwrap();
    let result = browser
        .js("return axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations
               .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', ')));")
        .await;
    result
        .as_array()
        .unwrap_or_else(|| panic!("axe did not run: {result}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Waits for the redirect after a post that reaches `part`, or fails with the page's error
/// summary (the form came back with problems).
async fn landed(browser: &Browser, part: &str) {
    for _ in 0..50 {
        if browser.path().await.contains(part) {
            return;
        }
        let page = browser.source().await;
        if let Some(start) = page.find("error-summary") {
            panic!(
                "{part}: the form came back: {}",
                &page[start..(start + 1500).min(page.len())]
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("never reached {part}: {}", browser.path().await);
}

/// A PNG at half its width and height (the browser draws at 2× for the QR tests).
fn halved(png_bytes: &[u8]) -> Vec<u8> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    let (width, height) = (info.width as usize, info.height as usize);
    let (half_w, half_h) = (width / 2, height / 2);
    let mut out = Vec::with_capacity(half_w * half_h * 3);
    for y in 0..half_h {
        for x in 0..half_w {
            let at = (y * 2 * width + x * 2) * channels;
            out.extend_from_slice(&pixels[at..at + 3]);
        }
    }
    let mut file = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut file, half_w as u32, half_h as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&out).unwrap();
    }
    file
}

/// axe at both sizes, no sideways scrolling at 390 px, and (for `shot`) a screenshot of
/// each size into docs/screenshots; leaves the window at `keep`.
async fn check(browser: &Browser, name: &str, shot: bool, keep: (u32, u32)) {
    check_as(browser, "console", name, shot, keep).await;
}

/// [`check`], its screenshots named `{prefix}-{name}-{size}.png`.
pub(super) async fn check_as(
    browser: &Browser,
    prefix: &str,
    name: &str,
    shot: bool,
    keep: (u32, u32),
) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    for (label, (width, height)) in SIZES {
        browser.client.set_window_size(width, height).await.unwrap();
        let problems = all_violations(browser).await;
        assert!(problems.is_empty(), "{name} at {width} px: {problems:#?}");
        if label == "phone" {
            let fits = browser
                .js("return document.documentElement.scrollWidth <= window.innerWidth;")
                .await;
            let wide = browser
                .js("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));")
                .await;
            assert_eq!(
                fits,
                serde_json::json!(true),
                "{name} scrolls sideways at 390 px: {wide}"
            );
        }
        if shot {
            std::fs::create_dir_all(&dir).unwrap();
            let png = browser.client.screenshot().await.unwrap();
            std::fs::write(
                dir.join(format!("{prefix}-{name}-{label}.png")),
                halved(&png),
            )
            .unwrap();
        }
    }
    browser
        .client
        .set_window_size(keep.0, keep.1)
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs Chromium, chromedriver and axe-core (npm ci in crates/bilten-frontend/tests/axe)"]
async fn an_organizer_sets_up_an_event_in_the_console_in_each_language() {
    let site = TestSite::spawn().await;
    let organizer = fixtures::verified_user(&site.backend, "Olga Organizer").await;
    let org = fixtures::create_org(&site.backend, &organizer, "Kino Meeting Point").await;
    let browser = Browser::start().await;
    let base = site.address.clone();
    browser.goto(&format!("{base}/login")).await;
    browser.fill("#field-email", &organizer.email).await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("form.form button[type=submit]").await;
    browser.css("#profile-title").await;

    for (lang, size) in [("en", (1280, 900)), ("de", (390, 844)), ("es", (390, 844))] {
        let shot = lang == "en";
        browser
            .client
            .set_window_size(size.0, size.1)
            .await
            .unwrap();
        browser
            .goto(&format!("{base}/language?lang={lang}&back=/organize/{org}"))
            .await;
        browser.wait_for_path(&format!("/organize/{org}")).await;
        check(&browser, "organization", shot, size).await;

        // A new event, with the pickers.
        browser
            .goto(&format!("{base}/organize/{org}/events/new"))
            .await;
        let title = format!("Open-air cinema ({lang})");
        browser.fill("#field-title", &title).await;
        browser
            .fill("#field-description", "Films under the stars.")
            .await;
        browser
            .js(
                "document.getElementById('field-starts_at').value = '2030-07-01T21:30';
                 document.getElementById('field-ends_at').value = '2030-07-01T23:45';
                 document.getElementById('field-timezone').value = 'Europe/Sarajevo';
                 document.getElementById('field-country').value = 'BA';
                 document.getElementById('field-currency').value = 'BAM';",
            )
            .await;
        browser.fill("#field-venue_name", "Open-air cinema").await;
        browser.fill("#field-city", "Sarajevo").await;
        check(&browser, "new-event", shot, size).await;
        browser.click("form[action$='/events/new'] button").await;
        landed(&browser, "notice=event_created").await;
        let overview = browser.path().await;
        let overview = overview.split('?').next().unwrap().to_owned();

        // Its settings: the pickers show what was chosen; a change is saved.
        browser.goto(&format!("{base}{overview}/edit")).await;
        let page = browser.source().await;
        assert!(
            page.contains(r#"<option value="Europe/Sarajevo" selected"#),
            "{page}"
        );
        assert!(page.contains(r#"<option value="BA" selected"#));
        assert!(page.contains(r#"<option value="BAM" selected"#));
        check(&browser, "event-settings", shot, size).await;
        browser.fill("#field-venue_name", "Kino Bosna").await;
        browser.click("form[action$='/edit'] button").await;
        landed(&browser, "notice=event_saved").await;
        assert!(browser.source().await.contains(r#"value="Kino Bosna""#));

        // Its title and description in German (issue #16), saved from the same page; the
        // page with the saved translation passes axe too.
        browser
            .fill("#field-title_de", "Kino unter freiem Himmel")
            .await;
        browser
            .fill("#field-description_de", "Filme unter den Sternen.")
            .await;
        browser
            .click("form[action$='/translations/de'] button")
            .await;
        landed(&browser, "notice=translation_saved_de").await;
        assert!(browser
            .source()
            .await
            .contains(r#"value="Kino unter freiem Himmel""#));
        check(&browser, "event-translations", false, size).await;

        // A ticket type, then edited: at least two per order, hidden.
        browser
            .goto(&format!("{base}{overview}/ticket-types"))
            .await;
        browser.fill("#field-name", "Seat").await;
        browser.fill("#field-price", "15").await;
        browser.fill("#field-capacity", "120").await;
        browser.click("form[action$='/ticket-types'] button").await;
        landed(&browser, "notice=ticket_type_added").await;
        browser.click("td a[href$='/edit']").await;
        browser.wait_for_path("/edit").await;
        check(&browser, "ticket-type-edit", shot, size).await;
        browser.fill("#field-min_per_order", "2").await;
        browser
            .js("document.getElementById('field-visibility').value = 'hidden';")
            .await;
        browser.click("form[action$='/edit'] button").await;
        landed(&browser, "notice=ticket_type_saved").await;
        let page = browser.source().await;
        assert!(page.contains("2–10"), "{page}");
        check(&browser, "ticket-types", shot, size).await;

        // A quota over it.
        browser.goto(&format!("{base}{overview}/quotas")).await;
        browser.fill("#field-quota_name", "Hall").await;
        browser.fill("#field-quota_capacity", "100").await;
        browser.click("input[name=ticket_type_ids]").await;
        browser.click("form[action$='/quotas'] button").await;
        landed(&browser, "notice=quota_added").await;
        check(&browser, "quotas", shot, size).await;
        // Its name and capacity edited.
        browser.click("td a[href*='/quotas/quo_']").await;
        browser.wait_for_path("/edit").await;
        check(&browser, "quota-edit", shot, size).await;
        browser.fill("#field-quota_capacity", "110").await;
        browser.click("form[action$='/edit'] button").await;
        landed(&browser, "notice=quota_saved").await;
        assert!(browser.source().await.contains(">110<"));

        // A promo code that reveals the hidden type, then its limit edited.
        browser.goto(&format!("{base}{overview}/promo-codes")).await;
        browser.fill("#field-code", "FRIENDS").await;
        browser.fill("#field-percent", "20").await;
        browser.click("#field-reveals_hidden").await;
        browser.click("form[action$='/promo-codes'] button").await;
        landed(&browser, "notice=promo_code_added").await;
        browser.click("td a[href$='/edit']").await;
        browser.wait_for_path("/edit").await;
        browser.fill("#field-max_uses", "5").await;
        browser.click("form[action$='/edit'] button").await;
        landed(&browser, "notice=promo_code_saved").await;
        assert!(browser.source().await.contains("FRIENDS"));
        check(&browser, "promo-codes", shot, size).await;

        for (page, name) in [
            ("", "overview"),
            ("/reports", "reports"),
            ("/checkin", "checkin"),
        ] {
            browser.goto(&format!("{base}{overview}{page}")).await;
            check(&browser, name, shot, size).await;
        }
    }
}
