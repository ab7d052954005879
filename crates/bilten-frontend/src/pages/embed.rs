//! The embeddable checkout, `GET /embed/events/{id}`: the event's tickets without the site's
//! header and footer, for an organizer's `<iframe>` (the snippet is on the console's event
//! overview, [`snippet`]). It is the only page that may be framed, by any site
//! (`frame-ancestors *`, no `X-Frame-Options`). Its form asks for quantities and opens the
//! event page in a new tab with them chosen and the total computed (`GET /events/{id}?qty-…`),
//! where the checkout continues on our own site: no JavaScript, no cookie needed in the frame
//! (browsers withhold them from third-party frames anyway).

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bilten_i18n::{t, Locale};
use maud::{html, Markup, DOCTYPE};

use super::events::sold_out;
use crate::api::ticketing::{EventDetail, SalesPhase};
use crate::session::Visit;
use crate::{assets, format, Frontend};

/// The site's policy with framing allowed from anywhere: only this page.
const FRAMEABLE_POLICY: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors *";

/// The `<iframe>` an organizer pastes into their site, with a plain link inside for
/// browsers that do not show frames.
pub fn snippet(site: &str, id: &str, title: &str) -> String {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let title = escape(title);
    format!(
        "<iframe src=\"{site}/embed/events/{id}\" title=\"{title}\" width=\"100%\" height=\"640\" loading=\"lazy\">\n  <a href=\"{site}/events/{id}\">{title}</a>\n</iframe>"
    )
}

pub async fn show(State(app): State<Frontend>, visit: Visit, Path(id): Path<String>) -> Response {
    let outcome = async {
        let detail = app.api.event(&visit.forwarded, None, &id).await?;
        let markup = page(visit.locale, &app.public_url, &detail);
        let mut response = crate::session::page_response(StatusCode::OK, &markup);
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FRAMEABLE_POLICY),
        );
        Ok(response)
    }
    .await;
    visit.respond(outcome)
}

fn page(l: Locale, site: &str, detail: &EventDetail) -> Markup {
    let event = &detail.event;
    let tz = format::zone(&event.timezone);
    let full = format!("{site}/events/{}", event.id);
    let on_sale: Vec<_> = detail
        .ticket_types
        .iter()
        .filter(|tt| tt.sales_phase == SalesPhase::OnSale && tt.available > 0)
        .collect();
    html! {
        (DOCTYPE)
        html lang=(l.code()) dir=(l.direction().as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t(l, "embed-title", &[("title", event.title.as_str().into())])) }
                link rel="stylesheet" href=(assets::stylesheet_path());
            }
            body.embed {
                main #main {
                    h1 { (event.title) }
                    p.when {
                        time datetime=(format::iso_local(event.starts_at, tz)) {
                            (format::time_range(l, event.starts_at, event.ends_at, tz))
                        }
                        @if let Some(venue) = &event.venue_name { br; (venue) @if let Some(city) = &event.city { ", " (city) } }
                    }
                    @if sold_out(detail) {
                        p.notice-warning.sold-out-notice { (l.t("event-sold-out-notice")) }
                    }
                    form.ticket-form method="get" action=(full) target="_blank" {
                        ul.ticket-types {
                            @for tt in &detail.ticket_types {
                                li.ticket-type {
                                    div.ticket-info {
                                        h2 { (tt.name) }
                                        p.price { (format::price(l, tt.price)) }
                                        @if tt.sales_phase == SalesPhase::SoldOut { p { span.tag.sold-out { (l.t("tickets-sold-out")) } } }
                                    }
                                    @if tt.sales_phase == SalesPhase::OnSale && tt.available > 0 {
                                        @let most = tt.max_per_order.min(tt.available).min(event.buyer_cap);
                                        div.ticket-quantity {
                                            label for={ "embed-" (tt.id) } { (l.t("tickets-quantity")) span.visually-hidden { " " (t(l, "tickets-quantity-of", &[("ticket_type", tt.name.as_str().into())])) } }
                                            select id={ "embed-" (tt.id) } name={ "qty-" (tt.id) } {
                                                option value="0" { "0" }
                                                @for n in tt.min_per_order.max(1)..=most { option value=(n) { (n) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        @if !on_sale.is_empty() {
                            button type="submit" { (l.t("embed-continue")) span.visually-hidden { " " (l.t("embed-new-tab")) } }
                        }
                    }
                    p { a href=(full) target="_blank" rel="noopener" { (l.t("embed-open-event")) span.visually-hidden { " " (l.t("embed-new-tab")) } } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::snippet;

    #[test]
    fn the_snippet_is_a_titled_frame_with_a_link_inside() {
        let text = snippet("https://t.example", "evt_1", "Jazz & \"Blues\"");
        assert_eq!(
            text,
            "<iframe src=\"https://t.example/embed/events/evt_1\" title=\"Jazz &amp; &quot;Blues&quot;\" width=\"100%\" height=\"640\" loading=\"lazy\">\n  <a href=\"https://t.example/events/evt_1\">Jazz &amp; &quot;Blues&quot;</a>\n</iframe>"
        );
    }
}
