//! The storefront in Chromium, in English, German and Spanish: the event page, the
//! organizer's page and the embeddable checkout at 1280×900 and 390×844, each with no axe
//! violation at all and no sideways scrolling at 390 px; the running total follows the chosen
//! quantities (`total.js`). The English pages are screenshotted into `docs/screenshots/`
//! (`storefront-*.png`).

use fantoccini::Locator;

use super::console::check_as;
use super::{fixtures, Browser};
use crate::helpers::TestSite;

/// The running total's amount and ticket count as shown.
async fn total(browser: &Browser) -> (String, String) {
    let amount = browser
        .js("return document.querySelector('[data-total-amount]').textContent;")
        .await;
    let count = browser
        .js("return document.querySelector('[data-total-count]').textContent;")
        .await;
    (
        amount.as_str().unwrap_or_default().to_owned(),
        count.as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
#[ignore = "needs Chromium, chromedriver and axe-core (npm ci in crates/bilten-frontend/tests/axe)"]
async fn a_buyer_sees_the_event_and_organizer_pages_in_each_language() {
    let site = TestSite::spawn().await;
    let sale = fixtures::event_on_sale(&site.backend, "Winter Jazz Night", 50).await;
    let browser = Browser::start().await;
    let base = site.address.clone();
    let event = format!("/events/{}", sale.event);
    let organizer = format!("/o/{}", sale.organization);

    for lang in ["en", "de", "es"] {
        let shot = lang == "en";
        let window = (1280, 900);
        browser
            .client
            .set_window_size(window.0, window.1)
            .await
            .unwrap();
        browser
            .goto(&format!("{base}/language?lang={lang}&back={event}"))
            .await;
        browser.wait_for_path(&event).await;

        // The running total follows the quantities, in the page's language.
        let (amount, count) = total(&browser).await;
        assert_eq!(count, "0", "{lang}");
        assert!(amount.contains('0'), "{lang}: {amount}");
        let standing = browser
            .client
            .find(Locator::Css(&format!(
                "select[name='qty-{}']",
                sale.standing
            )))
            .await
            .unwrap();
        standing.select_by_value("2").await.unwrap();
        let (amount, count) = total(&browser).await;
        assert_eq!(count, "2", "{lang}");
        assert!(
            amount.contains("50.00") || amount.contains("50,00"),
            "{lang}: {amount}"
        );
        let guest = browser
            .client
            .find(Locator::Css(&format!(
                "select[name='qty-{}']",
                sale.guest_list
            )))
            .await
            .unwrap();
        guest.select_by_value("1").await.unwrap();
        assert_eq!(total(&browser).await.1, "3", "{lang}");
        if shot {
            browser
                .js("document.activeElement.blur(); document.getElementById('order-total').scrollIntoView({ block: 'center' });")
                .await;
            check_as(&browser, "storefront", "event-total", shot, window).await;
        }
        standing.select_by_value("0").await.unwrap();
        guest.select_by_value("0").await.unwrap();
        browser
            .js("document.activeElement.blur(); window.scrollTo(0, 0);")
            .await;
        check_as(&browser, "storefront", "event", shot, window).await;

        browser.goto(&format!("{base}{organizer}")).await;
        let page = browser.source().await;
        assert!(page.contains("Winter Jazz Night"), "{lang}: {page}");
        check_as(&browser, "storefront", "organizer", shot, window).await;

        browser
            .goto(&format!("{base}/embed/events/{}", sale.event))
            .await;
        check_as(&browser, "storefront", "embed", shot, window).await;
    }
}
