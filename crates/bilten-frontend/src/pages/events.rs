//! The attendee's side: the home page with upcoming events and search, and an event's page
//! with its cover, organizer, date and venue, "Add to calendar", and its ticket form with a
//! running total (server-computed on the "Review total" step, live with `total.js`), which
//! starts the checkout.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{form_problems, NoticeQuery};
use crate::api::ticketing::EventStatus;
use crate::api::ticketing::{Event, EventDetail, EventSearch, SalesPhase, TicketType};
use crate::api::FieldProblem;
use crate::format;
use crate::session::{CsrfForm, Visit};
use crate::views::{self, csrf_field, error_summary, field, select, Field, FormState, PageMeta};
use crate::Frontend;
use bilten_api::orders::{BuyerRequest, CreateOrderRequest, OrderItemRequest};
use bilten_i18n::{t, Locale};

/// The categories the API knows, in the order the search form offers them.
pub const CATEGORIES: [&str; 9] = [
    "music",
    "sports",
    "theatre",
    "conference",
    "festival",
    "comedy",
    "family",
    "workshop",
    "other",
];

const PAGE_SIZE: u32 = 12;

// ----- home and search -----

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    price: String,
    cursor: Option<String>,
    #[serde(flatten)]
    notice: NoticeQuery,
}

impl SearchQuery {
    fn is_search(&self) -> bool {
        [
            &self.q,
            &self.from,
            &self.to,
            &self.city,
            &self.category,
            &self.price,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }

    /// The API's filters, or the fields this page already knows are wrong. Dates are whole
    /// days; without a start date only events that have not ended are listed.
    fn to_api(&self, l: Locale) -> Result<EventSearch, BTreeMap<String, FieldProblem>> {
        let mut problems = BTreeMap::new();
        let mut day = |name: &str, text: &str| -> Option<NaiveDate> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
            if parsed.is_none() {
                problems.insert(
                    name.to_owned(),
                    FieldProblem {
                        code: "invalid".to_owned(),
                        message: l.t("search-date-invalid"),
                    },
                );
            }
            parsed
        };
        let from = day("from", &self.from);
        let to = day("to", &self.to);
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                problems.insert(
                    "to".to_owned(),
                    FieldProblem {
                        code: "before_start".to_owned(),
                        message: l.t("search-date-before-start"),
                    },
                );
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let start_of = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        Ok(EventSearch {
            q: text(&self.q),
            from: from.and_then(start_of).or_else(|| Some(this_minute())),
            to: to.and_then(|d| d.succ_opt()).and_then(start_of),
            city: text(&self.city),
            category: text(&self.category).filter(|c| CATEGORIES.contains(&c.as_str())),
            price: text(&self.price).filter(|p| p == "free" || p == "paid"),
            cursor: self.cursor.clone(),
            limit: Some(PAGE_SIZE),
        })
    }

    fn form_state(&self, l: Locale) -> FormState {
        FormState::new(l)
            .with_value("q", &self.q)
            .with_value("from", &self.from)
            .with_value("to", &self.to)
            .with_value("city", &self.city)
            .with_value("category", &self.category)
            .with_value("price", &self.price)
    }

    /// This search's query string with another cursor: the "more events" link.
    fn next_page(&self, cursor: &str) -> String {
        let pairs = [
            ("q", self.q.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("city", self.city.as_str()),
            ("category", self.category.as_str()),
            ("price", self.price.as_str()),
            ("cursor", cursor),
        ];
        let kept: Vec<_> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
        format!(
            "/?{}",
            serde_urlencoded::to_string(kept).unwrap_or_default()
        )
    }
}

fn search_form(form: &FormState) -> Markup {
    let l = form.locale;
    let categories: Vec<(&str, String)> = std::iter::once(("", l.t("search-any-category")))
        .chain(
            CATEGORIES
                .iter()
                .map(|c| (*c, format::category_label(l, c))),
        )
        .collect();
    let prices = [
        ("", l.t("search-free-or-paid")),
        ("free", l.t("search-free")),
        ("paid", l.t("search-paid")),
    ];
    let (what, city, from, to) = (
        l.t("search-what"),
        l.t("search-city"),
        l.t("search-from"),
        l.t("search-to"),
    );
    html! {
        (error_summary(form, &[("from", &from), ("to", &to)]))
        form.search-form method="get" action="/" role="search" aria-label=(l.t("search-label")) {
            (field(&Field { name: "q", label: &what, kind: "search", autocomplete: "off", hint: None }, form))
            (field(&Field { name: "city", label: &city, kind: "text", autocomplete: "address-level2", hint: None }, form))
            (field(&Field { name: "from", label: &from, kind: "date", autocomplete: "off", hint: None }, form))
            (field(&Field { name: "to", label: &to, kind: "date", autocomplete: "off", hint: None }, form))
            (select("category", &l.t("search-category"), &categories, form.value("category"), form))
            (select("price", &l.t("search-price"), &prices, form.value("price"), form))
            div.search-actions {
                button type="submit" { (l.t("search-submit")) }
            }
        }
    }
}

pub(crate) fn event_card(l: Locale, event: &Event) -> Markup {
    let tz = format::zone(&event.timezone);
    let place = match (&event.venue_name, &event.city) {
        (Some(venue), Some(city)) => format!("{venue}, {city}"),
        (Some(venue), None) => venue.clone(),
        (None, Some(city)) => city.clone(),
        (None, None) if event.online_url.is_some() => l.t("event-online"),
        (None, None) => String::new(),
    };
    html! {
        li.event-card {
            h3 { a href={ "/events/" (event.id) } { (event.title) } }
            p.when {
                time datetime=(format::iso_local(event.starts_at, tz)) {
                    (format::local_datetime_zone(l, event.starts_at, tz))
                }
            }
            @if !place.is_empty() { p.where { (place) } }
            p { span.tag { (format::category_label(l, event.category.as_str())) } }
        }
    }
}

pub async fn home(
    State(app): State<Frontend>,
    visit: Visit,
    Query(query): Query<SearchQuery>,
) -> Response {
    let outcome = async {
        let l = visit.locale;
        let mut form = query.form_state(l);
        let listing = match query.to_api(l) {
            Ok(search) => match app.api.events(&visit.forwarded, &search).await {
                Ok(page) => Some(page),
                Err(error) => {
                    form = form_problems(error, form)?;
                    None
                }
            },
            Err(problems) => {
                form.field_errors = problems;
                None
            }
        };
        let searching = query.is_search();
        let content = html! {
            (views::notice(query.notice.message(l).as_deref()))
            h1 { (l.t("home-title")) }
            (search_form(&form))
            @if let Some(page) = &listing {
                h2 #results { @if searching { (l.t("home-search-results")) } @else { (l.t("home-coming-up")) } }
                @if page.items.is_empty() {
                    div.empty-state {
                        @if searching {
                            p { (l.t("home-no-match")) }
                            p { a href="/" { (l.t("home-show-all")) } }
                        } @else {
                            p { (l.t("home-no-events")) }
                        }
                    }
                } @else {
                    ul.event-list aria-labelledby="results" {
                        @for event in &page.items { (event_card(l, event)) }
                    }
                    @if let Some(cursor) = &page.next_cursor {
                        p { a.button href=(query.next_page(cursor)) { (l.t("home-more-events")) } }
                    }
                }
            }
        };
        let status = if listing.is_none() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        Ok(visit.page_with_status(
            status,
            &l.t("home-title"),
            &l.t("home-description"),
            &content,
        ))
    }
    .await;
    visit.respond(outcome)
}

// ----- the event page -----

/// What the ticket form shows again after a refused checkout.
struct TicketForm {
    quantities: BTreeMap<String, i64>,
    /// Attendee names as typed, per ticket type, by ticket position.
    attendees: BTreeMap<String, Vec<String>>,
    form: FormState,
}

fn qty_field(ticket_type_id: &str) -> String {
    format!("qty-{ticket_type_id}")
}

/// The input for the name on the `n`-th ticket (from 0) of a ticket type.
fn attendee_field(ticket_type_id: &str, n: i64) -> String {
    format!("attendee-{ticket_type_id}-{n}")
}

/// At most this many name inputs per ticket type; larger orders name the rest afterwards.
const NAMED_TICKETS: i64 = 10;

fn availability(l: Locale, ticket: &TicketType, tz: chrono_tz::Tz) -> Markup {
    html! {
        @match ticket.sales_phase.as_str() {
            "sold_out" => { span.tag.sold-out { (l.t("tickets-sold-out")) } }
            "not_open" => {
                @if let Some(start) = ticket.sales_start {
                    (t(l, "tickets-on-sale-from", &[("date_time", format::local_datetime_zone(l, start, tz).into())]))
                } @else { (l.t("tickets-not-on-sale-yet")) }
            }
            "closed" => { (l.t("tickets-sales-ended")) }
            _ => {
                @if ticket.available <= 10 { strong { (t(l, "tickets-left", &[("count", ticket.available.into())])) } }
                @else { (t(l, "tickets-available", &[("count", ticket.available.into())])) }
            }
        }
    }
}

fn ticket_row(
    l: Locale,
    ticket: &TicketType,
    tz: chrono_tz::Tz,
    buyer_cap: i64,
    state: &TicketForm,
) -> Markup {
    let name = qty_field(&ticket.id.to_string());
    let id = format!("field-{name}");
    let error = state.form.field_errors.get(&name);
    let on_sale = ticket.sales_phase == SalesPhase::OnSale && ticket.available > 0;
    let most = ticket.max_per_order.min(ticket.available).min(buyer_cap);
    let chosen = state
        .quantities
        .get(&ticket.id.to_string())
        .copied()
        .unwrap_or(0);
    let typed = state
        .attendees
        .get(&ticket.id.to_string())
        .map_or(&[][..], Vec::as_slice);
    html! {
        li.ticket-type.has-error[error.is_some()] {
            div.ticket-info {
                h3 #{ (id) "-name" } { (ticket.name) }
                p.price { (format::price(l, ticket.price)) }
                @if let Some(description) = Some(ticket.description.as_str()).filter(|d| !d.is_empty()) {
                    p.muted { (description) }
                }
                p.availability #{ (id) "-availability" } data-availability-of=(ticket.id) { (availability(l, ticket, tz)) }
            }
            @if on_sale {
                div.ticket-quantity {
                    label for=(id) { (l.t("tickets-quantity")) span.visually-hidden { " " (t(l, "tickets-quantity-of", &[("ticket_type", ticket.name.as_str().into())])) } }
                    @if let Some(problem) = error {
                        span.field-error id={ (id) "-error" } data-code=(problem.code) { span.visually-hidden { (l.t("field-error-prefix")) " " } (problem.message) }
                    }
                    select id=(id) name=(name) aria-invalid=[error.map(|_| "true")] data-price-minor=(ticket.price.minor())
                        aria-describedby={ (id) "-availability" @if error.is_some() { " " (id) "-error" } } {
                        option value="0" selected[chosen == 0] { "0" }
                        @for n in ticket.min_per_order.max(1)..=most {
                            option value=(n) selected[chosen == n] { (n) }
                        }
                    }
                }
                @if most > 0 {
                    details.attendee-names open[typed.iter().any(|n| !n.is_empty())] {
                        summary { (l.t("tickets-names-summary")) span.visually-hidden { ": " (ticket.name) } }
                        p.muted { (l.t("tickets-names-hint")) }
                        @for n in 0..most.min(NAMED_TICKETS) {
                            @let field = attendee_field(&ticket.id.to_string(), n);
                            div.field {
                                label for={ "field-" (field) } { (t(l, "tickets-ticket-n", &[("n", (n + 1).into())])) }
                                input id={ "field-" (field) } type="text" name=(field) maxlength="100" autocomplete="name"
                                    value=(typed.get(usize::try_from(n).unwrap_or(usize::MAX)).map_or("", String::as_str));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Organizer-written text: paragraphs at blank lines, line breaks kept. Escaped like all else.
fn paragraphs(text: &str) -> Markup {
    html! {
        @for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            p {
                @for (i, line) in paragraph.lines().enumerate() {
                    @if i > 0 { br; }
                    (line)
                }
            }
        }
    }
}

/// The meta description: the start of the organizer's text, else when and where.
fn summary_of(l: Locale, event: &Event) -> String {
    const MAX: usize = 155;
    let text: String = event
        .description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !text.is_empty() {
        return if text.chars().count() > MAX {
            let short: String = text.chars().take(MAX).collect();
            format!("{}…", short.trim_end())
        } else {
            text
        };
    }
    let tz = format::zone(&event.timezone);
    let place = event
        .venue_name
        .as_deref()
        .or(event.city.as_deref())
        .map_or_else(|| l.t("event-online-lower"), str::to_owned);
    t(
        l,
        "event-summary",
        &[
            ("title", event.title.as_str().into()),
            (
                "date_time",
                format::local_datetime(l, event.starts_at, tz).into(),
            ),
            ("place", place.into()),
        ],
    )
}

/// schema.org's `availability` of a ticket type's offer. Only a type on sale is `InStock`:
/// before its sales open it is `PreOrder`, sold out `SoldOut`, and once its sales have closed
/// (or the event was canceled) it can no longer be had: `Discontinued`. A phase this code
/// does not know is not advertised as buyable.
fn offer_availability(sales_phase: &str, event_status: &str) -> &'static str {
    match (sales_phase, event_status) {
        (_, "canceled") | ("closed", _) => "https://schema.org/Discontinued",
        ("on_sale", _) => "https://schema.org/InStock",
        ("not_open", _) => "https://schema.org/PreOrder",
        ("sold_out", _) => "https://schema.org/SoldOut",
        _ => "https://schema.org/OutOfStock",
    }
}

/// schema.org `Event` as JSON-LD, so search engines can show date, place and prices.
fn structured_data(detail: &EventDetail, url: &str) -> Markup {
    let event = &detail.event;
    let tz = format::zone(&event.timezone);
    let location = match (&event.venue_name, &event.online_url) {
        (Some(venue), _) => json!({
            "@type": "Place",
            "name": venue,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": event.venue_address,
                "addressLocality": event.city,
                "addressCountry": event.country,
            },
        }),
        (None, Some(online)) => json!({ "@type": "VirtualLocation", "url": online }),
        (None, None) => Value::Null,
    };
    let offers: Vec<Value> = detail
        .ticket_types
        .iter()
        .map(|t| {
            json!({
                "@type": "Offer",
                "name": t.name,
                "price": t.price.to_decimal_string(),
                "priceCurrency": t.price.currency().code(),
                "availability": offer_availability(t.sales_phase.as_str(), event.status.as_str()),
                "validFrom": t.sales_start.map(|s| format::iso_local(s, tz)),
                "url": url,
            })
        })
        .collect();
    let mut data = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": event.description,
        "startDate": format::iso_local(event.starts_at, tz),
        "endDate": format::iso_local(event.ends_at, tz),
        "eventStatus": if event.status == EventStatus::Canceled {
            "https://schema.org/EventCancelled"
        } else {
            "https://schema.org/EventScheduled"
        },
        "eventAttendanceMode": if event.venue_name.is_some() {
            "https://schema.org/OfflineEventAttendanceMode"
        } else {
            "https://schema.org/OnlineEventAttendanceMode"
        },
        "location": location,
        "offers": offers,
        "url": url,
    });
    if let Some(image) = &event.image_url {
        data["image"] = json!([image]);
    }
    html! {
        script type="application/ld+json" { (PreEscaped(script_safe_json(&data))) }
    }
}

/// JSON that cannot end the `<script>` element it sits in: `<`, `>` and `&` as `\u` escapes
/// (still the same JSON for a parser).
fn script_safe_json(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn head_tags(app: &Frontend, detail: &EventDetail, description: &str) -> Markup {
    let event = &detail.event;
    let url = format!("{}/events/{}", app.public_url, event.id);
    html! {
        link rel="canonical" href=(url);
        meta property="og:type" content="website";
        meta property="og:site_name" content="Bilten";
        meta property="og:title" content=(event.title);
        meta property="og:description" content=(description);
        meta property="og:url" content=(url);
        @if let Some(image) = &event.image_url {
            meta property="og:image" content=(image);
            meta name="twitter:card" content="summary_large_image";
        } @else {
            meta name="twitter:card" content="summary";
        }
        (structured_data(detail, &url))
    }
}

fn where_block(l: Locale, event: &Event) -> Markup {
    let coordinates = event.latitude.zip(event.longitude);
    let map = format::map_url(
        coordinates,
        &[
            event.venue_name.as_deref(),
            event.venue_address.as_deref(),
            event.city.as_deref(),
            event.country.as_deref(),
        ],
    );
    html! {
        @if let Some(venue) = &event.venue_name {
            address {
                strong { (venue) } br;
                @if let Some(address) = &event.venue_address { (address) br; }
                (event.city.as_deref().unwrap_or("")) @if let Some(country) = &event.country { ", " (country) }
            }
            @if let Some(map) = map {
                p { a href=(map) rel="noopener" { (l.t("event-open-map")) span.visually-hidden { " " (t(l, "event-map-of", &[("venue", venue.as_str().into())])) } " (OpenStreetMap)" } }
            }
        }
        @if let Some(online) = &event.online_url {
            p { (l.t("event-online-label")) " " a href=(online) rel="noopener nofollow" { (online) } }
        }
    }
}

fn ticket_form(visit: &Visit, detail: &EventDetail, state: &TicketForm) -> Markup {
    let l = visit.locale;
    let event = &detail.event;
    let tz = format::zone(&event.timezone);
    let ended = event.ends_at <= Utc::now();
    let any_on_sale = detail
        .ticket_types
        .iter()
        .any(|t| t.sales_phase == SalesPhase::OnSale && t.available > 0);
    let form = &state.form;
    let mut labels: Vec<(String, String)> = detail
        .ticket_types
        .iter()
        .map(|t| (qty_field(&t.id.to_string()), t.name.clone()))
        .collect();
    labels.extend([
        ("name".to_owned(), l.t("checkout-your-name")),
        ("email".to_owned(), l.t("checkout-email")),
        ("promo_code".to_owned(), l.t("checkout-promo-code")),
    ]);
    let label_refs: Vec<(&str, &str)> = labels
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    html! {
        section.tickets aria-labelledby="tickets-title" {
            h2 #tickets-title { (l.t("tickets-title")) }
            @if event.status == EventStatus::Canceled {
                p.notice-warning { (l.t("event-canceled-notice")) }
            } @else if ended {
                p.notice-warning { (l.t("event-ended-notice")) }
            } @else if detail.ticket_types.is_empty() {
                p { (l.t("tickets-none-yet")) }
            } @else {
                (error_summary(form, &label_refs))
                form.ticket-form method="post" action={ "/events/" (event.id) "/checkout" } novalidate {
                    (csrf_field(&visit.csrf_token))
                    // One key per rendering of this form: pressing "Continue" twice (or the
                    // browser resending the post) replays the same order instead of a second hold.
                    input type="hidden" name="idempotency_key" value=(form.value("idempotency_key"));
                    ul.ticket-types data-availability-url={ "/events/" (event.id) "/availability.json" } {
                        @for ticket in &detail.ticket_types {
                            (ticket_row(l, ticket, tz, event.buyer_cap, state))
                        }
                    }
                    @if any_on_sale {
                        (field(&Field { name: "promo_code", label: &l.t("checkout-promo-code-optional"), kind: "text", autocomplete: "off", hint: None }, form))
                        @if visit.signed_in() {
                            p.muted { (l.t("checkout-tickets-in-account-before")) " " a href="/tickets" { (l.t("nav-my-tickets")) } " " (l.t("checkout-tickets-in-account-after")) }
                        } @else {
                            fieldset.buyer {
                                legend { (l.t("checkout-your-details")) }
                                (field(&Field { name: "name", label: &l.t("checkout-your-name"), kind: "text", autocomplete: "name", hint: None }, form))
                                (field(&Field { name: "email", label: &l.t("checkout-email"), kind: "email", autocomplete: "email", hint: Some(&l.t("checkout-email-hint")) }, form))
                                p.muted { (l.t("checkout-have-account")) " " a href={ "/login?next=/events/" (event.id) } { (l.t("nav-log-in")) } " " (l.t("checkout-have-account-after")) }
                            }
                        }
                        (total_block(l, detail, state))
                        // "Continue" first: Enter in a field submits the first button.
                        div.order-actions {
                            button type="submit" { (l.t("checkout-continue")) }
                            button.secondary type="submit" formaction={ "/events/" (event.id) "/review" } { (l.t("checkout-review")) }
                        }
                        p.muted { (t(l, "checkout-held-for", &[("minutes", event.hold_minutes.into())])) }
                    } @else if sold_out(detail) {
                        p.notice-warning.sold-out-notice { (l.t("event-sold-out-notice")) }
                    } @else {
                        p { (l.t("tickets-none-on-sale")) }
                    }
                }
            }
        }
    }
}

/// Every ticket type is in its sales window with nothing left.
pub(crate) fn sold_out(detail: &EventDetail) -> bool {
    !detail.ticket_types.is_empty()
        && detail
            .ticket_types
            .iter()
            .all(|t| t.sales_phase == SalesPhase::SoldOut)
}

/// The chosen tickets' total before the checkout: the server's sum of what `state` holds (the
/// "Review total" step), which `total.js` keeps up to date as quantities change. Bilten
/// charges buyers no fees; a promo code is applied on the order.
fn total_block(l: Locale, detail: &EventDetail, state: &TicketForm) -> Markup {
    let Ok(currency) = bilten_domain::Currency::parse(&detail.event.currency) else {
        return html! {};
    };
    let mut count = 0_i64;
    let mut total = bilten_domain::Money::zero(currency);
    for ticket in &detail.ticket_types {
        let quantity = state
            .quantities
            .get(&ticket.id.to_string())
            .copied()
            .unwrap_or(0);
        count += quantity;
        let line = u32::try_from(quantity)
            .ok()
            .and_then(|q| ticket.price.checked_mul(q).ok());
        if let Some(sum) = line.and_then(|line| total.checked_add(line).ok()) {
            total = sum;
        }
    }
    html! {
        div.order-total #order-total data-currency=(detail.event.currency)
            data-exponent=(currency.exponent()) data-lang=(l.code()) {
            h3 { (l.t("checkout-total-title")) }
            dl aria-live="polite" {
                div { dt { (l.t("checkout-total-tickets")) } dd data-total-count { (count) } }
                div { dt { (l.t("checkout-total-fees")) } dd { (format::money(l, bilten_domain::Money::zero(currency))) } }
                div.grand { dt { (l.t("checkout-total")) } dd data-total-amount { (format::money(l, total)) } }
            }
            p.muted { (l.t("checkout-total-hint")) }
        }
    }
}

/// The cover image, served by us (`/events/{id}/cover`), its box sized before it loads.
fn cover(l: Locale, event: &Event) -> Markup {
    html! {
        @if event.image_url.is_some() {
            img.cover src={ "/events/" (event.id) "/cover" } width="1200" height="600" decoding="async"
                alt=(t(l, "event-cover-alt", &[("title", event.title.as_str().into())]));
        }
    }
}

/// When and where, with the organizer and "Add to calendar".
fn date_venue(l: Locale, detail: &EventDetail) -> Markup {
    let event = &detail.event;
    let tz = format::zone(&event.timezone);
    html! {
        p.organizer { (l.t("event-organized-by")) " " a href={ "/o/" (detail.organizer.id) } { (detail.organizer.name) } }
        section.date-venue aria-label=(l.t("event-when-where")) {
            p.when {
                time datetime=(format::iso_local(event.starts_at, tz)) {
                    (format::time_range(l, event.starts_at, event.ends_at, tz))
                }
                br;
                span.muted { (t(l, "event-times-in-zone", &[("zone", event.timezone.as_str().into())])) }
            }
            (where_block(l, event))
            p { a.calendar href={ "/events/" (event.id) "/calendar.ics" } download { (l.t("event-add-to-calendar")) } }
        }
    }
}

fn event_content(visit: &Visit, detail: &EventDetail, state: &TicketForm) -> Markup {
    let l = visit.locale;
    let event = &detail.event;
    html! {
        article.event {
            (cover(l, event))
            header.event-header {
                p { span.tag { (format::category_label(l, event.category.as_str())) }
                    @if event.status == EventStatus::Draft { " " span.tag.sold-out { (l.t("event-status-draft")) } }
                    @if event.status == EventStatus::Canceled { " " span.tag.sold-out { (l.t("event-status-canceled")) } }
                    @if event.status == EventStatus::Published && sold_out(detail) { " " span.tag.sold-out { (l.t("tickets-sold-out")) } } }
                h1 { (event.title) }
                (date_venue(l, detail))
            }
            div.event-grid {
                section.description aria-label=(l.t("event-about")) {
                    (paragraphs(&event.description))
                }
                (ticket_form(visit, detail, state))
            }
        }
    }
}

fn event_page(
    app: &Frontend,
    visit: &Visit,
    status: StatusCode,
    detail: &EventDetail,
    state: &TicketForm,
) -> Response {
    let description = summary_of(visit.locale, &detail.event);
    let meta = PageMeta {
        head: Some(head_tags(app, detail, &description)),
        live_availability: detail
            .ticket_types
            .iter()
            .any(|t| t.sales_phase == SalesPhase::OnSale),
        running_total: true,
        ..PageMeta::new(&detail.event.title, &description)
    };
    visit.page_with_meta(status, &meta, &event_content(visit, detail, state))
}

fn fresh_ticket_form(l: Locale) -> TicketForm {
    TicketForm {
        quantities: BTreeMap::new(),
        attendees: BTreeMap::new(),
        form: FormState::new(l).with_value("idempotency_key", &crate::session::random_token()),
    }
}

/// `GET /events/{id}`; `?qty-<ticket type>=n` (the embedded checkout's form) arrives with
/// those quantities chosen and their total shown. Anything else in the query is ignored.
pub async fn show(
    State(app): State<Frontend>,
    visit: Visit,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let outcome = async {
        let detail = app.api.event(&visit.forwarded, None, &id).await?;
        let mut state = fresh_ticket_form(visit.locale);
        let asked: Vec<(String, String)> =
            serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
        for ticket in &detail.ticket_types {
            let wanted = asked
                .iter()
                .find(|(k, _)| *k == qty_field(&ticket.id.to_string()))
                .and_then(|(_, v)| v.parse::<i64>().ok())
                .unwrap_or(0);
            let most = ticket
                .max_per_order
                .min(ticket.available)
                .min(detail.event.buyer_cap);
            if wanted > 0 && ticket.sales_phase == SalesPhase::OnSale {
                state
                    .quantities
                    .insert(ticket.id.to_string(), wanted.min(most));
            }
        }
        Ok(event_page(&app, &visit, StatusCode::OK, &detail, &state))
    }
    .await;
    visit.respond(outcome)
}

/// `GET /events/{id}/availability.json`: each ticket type's availability line as the event page
/// words it, fresh from the backend, for the page's live-availability script. Never cached.
pub async fn availability_json(
    State(app): State<Frontend>,
    visit: Visit,
    Path(id): Path<String>,
) -> Response {
    match app.api.event(&visit.forwarded, None, &id).await {
        Ok(detail) => {
            let tz = format::zone(&detail.event.timezone);
            let ticket_types: Vec<Value> = detail
                .ticket_types
                .iter()
                .map(|t| {
                    json!({
                        "id": t.id,
                        "available": t.available,
                        "sales_phase": t.sales_phase,
                        "text": plain_text(&availability(visit.locale, t, tz)),
                    })
                })
                .collect();
            (
                [(header::CACHE_CONTROL, "no-store")],
                axum::Json(json!({ "ticket_types": ticket_types })),
            )
                .into_response()
        }
        Err(_) => (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(json!({ "error": "not_found" })),
        )
            .into_response(),
    }
}

/// The text of a small piece of markup, tags dropped (the availability line has at most a
/// `<strong>` or a `<span>`), entities as rendered by maud decoded back.
fn plain_text(markup: &Markup) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in markup.0.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The order's items from the form, in the order of the event's ticket types (so `items[i]`
/// in an answer names one), with the names typed for their tickets; also records what was
/// chosen and typed in `state` for showing the form again.
fn order_items<'v>(
    detail: &EventDetail,
    value: &impl Fn(&str) -> &'v str,
    state: &mut TicketForm,
) -> (Vec<OrderItemRequest>, Vec<String>) {
    let mut items = Vec::new();
    let mut item_types = Vec::new();
    for ticket in &detail.ticket_types {
        let quantity: i64 = value(&qty_field(&ticket.id.to_string()))
            .parse()
            .unwrap_or(0);
        let typed: Vec<String> = (0..NAMED_TICKETS)
            .map(|n| value(&attendee_field(&ticket.id.to_string(), n)).to_owned())
            .collect();
        if quantity > 0 {
            state.quantities.insert(ticket.id.to_string(), quantity);
            // Names of the tickets chosen, in order; a blank one gets the buyer's name, and
            // blanks at the end are not sent at all.
            let mut names: Vec<&str> = typed
                .iter()
                .take(usize::try_from(quantity).unwrap_or(0))
                .map(String::as_str)
                .collect();
            while names.last() == Some(&"") {
                names.pop();
            }
            items.push(OrderItemRequest {
                ticket_type_id: Some(ticket.id.to_string()),
                quantity: Some(quantity),
                attendees: (!names.is_empty())
                    .then(|| names.iter().map(|n| (*n).to_owned()).collect()),
            });
            item_types.push(ticket.id.to_string());
        }
        if typed.iter().any(|n| !n.is_empty()) {
            state.attendees.insert(ticket.id.to_string(), typed);
        }
    }
    (items, item_types)
}

/// The ticket form as posted: what was chosen and typed, kept for showing it again.
fn posted_form<'v>(l: Locale, value: &impl Fn(&str) -> &'v str) -> TicketForm {
    TicketForm {
        quantities: BTreeMap::new(),
        attendees: BTreeMap::new(),
        form: FormState::new(l)
            .with_value("name", value("name"))
            .with_value("email", value("email"))
            .with_value("promo_code", value("promo_code"))
            .with_value("idempotency_key", value("idempotency_key")),
    }
}

/// The ticket form's "Review total": the event page again with what was chosen and typed, and
/// the total computed here, so it works without JavaScript. Nothing is held yet.
pub async fn review(
    State(app): State<Frontend>,
    visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let outcome = async {
        let detail = app.api.event(&visit.forwarded, None, &id).await?;
        let value = |name: &str| {
            input
                .iter()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v.trim())
        };
        let mut state = posted_form(visit.locale, &value);
        order_items(&detail, &value, &mut state);
        Ok(event_page(&app, &visit, StatusCode::OK, &detail, &state))
    }
    .await;
    visit.respond(outcome)
}

/// The ticket form's post: creates the order (which holds the tickets) and sends the buyer to
/// it; or shows the event again with what was wrong next to the ticket type or field.
pub async fn checkout(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let outcome = async {
        let detail = app.api.event(&visit.forwarded, None, &id).await?;
        let value = |name: &str| {
            input
                .iter()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v.trim())
        };
        let mut state = posted_form(visit.locale, &value);
        let (items, item_types) = order_items(&detail, &value, &mut state);
        if items.is_empty() {
            state.form.summary = Some(visit.locale.t("checkout-choose-quantity"));
            return Ok(event_page(
                &app,
                &visit,
                StatusCode::UNPROCESSABLE_ENTITY,
                &detail,
                &state,
            ));
        }
        let body = CreateOrderRequest {
            event_id: Some(detail.event.id.to_string()),
            items: Some(items),
            promo_code: Some(value("promo_code"))
                .filter(|code| !code.is_empty())
                .map(str::to_owned),
            // Signed in: the account's email and name.
            buyer: (!visit.signed_in()).then(|| BuyerRequest {
                email: Some(value("email").to_owned()),
                name: Some(value("name").to_owned()),
            }),
            // The mails about this order are written in the language it was bought in.
            locale: Some(visit.locale.code().to_owned()),
        };
        let key = match value("idempotency_key") {
            "" => crate::session::random_token(),
            key => key.to_owned(),
        };
        let forwarded = visit.forwarded.clone();
        let created = if visit.signed_in() {
            visit
                .authed(&app, |token| {
                    let body = body.clone();
                    let forwarded = forwarded.clone();
                    let key = key.clone();
                    let api = app.api.clone();
                    async move {
                        api.create_order(&forwarded, Some(&token), &key, &body)
                            .await
                    }
                })
                .await
        } else {
            app.api.create_order(&forwarded, None, &key, &body).await
        };
        match created {
            Ok(created) => {
                if !visit.signed_in() {
                    visit.remember_order_key(&created.order.id.to_string(), &created.access_key);
                }
                let query = serde_urlencoded::to_string([("key", created.access_key.as_str())])
                    .unwrap_or_default();
                Ok(Redirect::to(&format!("/orders/{}?{query}", created.order.id)).into_response())
            }
            Err(error) => {
                let mut form = form_problems(
                    error,
                    std::mem::replace(&mut state.form, FormState::new(visit.locale)),
                )?;
                form.field_errors =
                    rename_order_fields(form.field_errors, &item_types, &mut form.summary);
                // A new key for the corrected form: the refused body is not an order to replay.
                form.values
                    .insert("idempotency_key", crate::session::random_token());
                state.form = form;
                // The counters may have moved (that is often why it was refused): show them fresh.
                let detail = app.api.event(&visit.forwarded, None, &id).await?;
                Ok(event_page(
                    &app,
                    &visit,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &detail,
                    &state,
                ))
            }
        }
    }
    .await;
    visit.respond(outcome)
}

/// The API names order fields by their place in the body (`items[1]`, `buyer.email`); the
/// form names them by ticket type and input. A problem with no field on the form goes to the
/// summary.
fn rename_order_fields(
    fields: BTreeMap<String, FieldProblem>,
    item_types: &[String],
    summary: &mut Option<String>,
) -> BTreeMap<String, FieldProblem> {
    let mut renamed = BTreeMap::new();
    for (name, problem) in fields {
        let target = if let Some(rest) = name.strip_prefix("items[") {
            rest.split(']')
                .next()
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| item_types.get(i))
                .map(|id| qty_field(id))
        } else {
            match name.as_str() {
                "buyer.email" => Some("email".to_owned()),
                "buyer.name" => Some("name".to_owned()),
                "promo_code" => Some("promo_code".to_owned()),
                _ => None,
            }
        };
        match target {
            Some(target) => {
                renamed.insert(target, problem);
            }
            None => {
                let text = summary.take().map_or(problem.message.clone(), |s| {
                    format!("{s} {}", problem.message)
                });
                *summary = Some(text);
            }
        }
    }
    renamed
}

/// Now, rounded down to the minute: the default start of a listing. Every visitor in the same
/// minute then asks the backend the same URL, which its read cache answers from memory;
/// `Utc::now()` itself made each visit's URL unique, so the home page missed that cache on
/// every request. (An event that ended less than a minute ago may still be listed.)
fn this_minute() -> chrono::DateTime<Utc> {
    use chrono::DurationRound;
    let now = Utc::now();
    now.duration_trunc(chrono::TimeDelta::minutes(1))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_data_cannot_close_its_script_element() {
        let text =
            script_safe_json(&json!({ "name": "</script><script>alert(1)</script> & more" }));
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["name"], "</script><script>alert(1)</script> & more");
    }

    #[test]
    fn order_field_names_map_to_the_form() {
        let problem = |m: &str| FieldProblem {
            code: "sold_out".into(),
            message: m.into(),
        };
        let mut fields = BTreeMap::new();
        fields.insert("items[1]".to_owned(), problem("gone"));
        fields.insert("buyer.email".to_owned(), problem("bad email"));
        fields.insert("items".to_owned(), problem("too many overall"));
        let mut summary = None;
        let renamed = rename_order_fields(fields, &["tty_a".into(), "tty_b".into()], &mut summary);
        assert_eq!(renamed["qty-tty_b"].message, "gone");
        assert_eq!(renamed["email"].message, "bad email");
        assert_eq!(summary.as_deref(), Some("too many overall"));
    }

    #[test]
    fn a_search_with_bad_dates_names_the_fields_and_no_dates_means_upcoming() {
        let query = SearchQuery {
            from: "tomorrow".into(),
            ..SearchQuery::default()
        };
        assert!(query.to_api(Locale::En).unwrap_err().contains_key("from"));
        let query = SearchQuery {
            from: "2026-12-10".into(),
            to: "2026-12-01".into(),
            ..SearchQuery::default()
        };
        assert_eq!(
            query.to_api(Locale::En).unwrap_err()["to"].code,
            "before_start"
        );
        let search = SearchQuery::default().to_api(Locale::En).unwrap();
        assert!(
            search.from.is_some(),
            "past events are not listed by default"
        );
        assert!(search.to.is_none());
        // Whole minutes, so the backend's read cache sees one URL per minute, not one per
        // visit.
        assert_eq!(search.from.unwrap().timestamp() % 60, 0);
        assert_eq!(search.from.unwrap().timestamp_subsec_nanos(), 0);
    }
}
