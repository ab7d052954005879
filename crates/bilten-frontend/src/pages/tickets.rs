//! "My tickets" with their QR codes, the ticket files (QR, PDF) passed through from the
//! backend, and renaming a ticket's attendee.
//!
//! The QR image and the PDF are fetched from the backend with the visitor's token (or the
//! order's key for a guest) and served from this site, so `<img src>` stays same-origin
//! (the CSP allows only `'self'` images) and no token ever sits in a URL.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::orders::{as_buyer, back_to_order};
use crate::api::ticketing::{OrderAccess, Ticket, TicketStatus};
use crate::api::ApiError;
use crate::format;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::csrf_field;
use crate::Frontend;
use bilten_domain::OrderId;
use bilten_i18n::{t, Locale};

#[derive(Debug, Default, Deserialize)]
pub struct KeyQuery {
    key: Option<String>,
    cursor: Option<String>,
}

fn with_key(path: &str, key: Option<&str>) -> String {
    match key {
        Some(key) => format!(
            "{path}?{}",
            serde_urlencoded::to_string([("key", key)]).unwrap_or_default()
        ),
        None => path.to_owned(),
    }
}

/// The tickets as cards: QR code, holder, PDF link, and (for the buyer) a rename form.
/// A ticket's state as a word: `revoked` → `Revoked` / `Widerrufen`.
fn status_label(l: Locale, status: TicketStatus) -> String {
    match status {
        TicketStatus::Valid => l.t("ticket-status-valid"),
        TicketStatus::Revoked => l.t("ticket-status-revoked"),
        TicketStatus::Canceled => l.t("ticket-status-canceled"),
    }
}

pub fn ticket_list(visit: &Visit, tickets: &[Ticket], key: Option<&str>, rename: bool) -> Markup {
    let l = visit.locale;
    html! {
        ul.tickets-list aria-label=(l.t("tickets-title")) {
            @for ticket in tickets {
                @let tz = format::zone(&ticket.event.timezone);
                @let holder = ticket.attendee_name.as_str();
                li.ticket-card {
                    div.ticket-text {
                        h3 { (ticket.event.title) }
                        p { (ticket.ticket_type) @if !holder.is_empty() { " · " (holder) } }
                        p.muted { (format::time_range(l, ticket.event.starts_at, ticket.event.ends_at, tz))
                            @if let Some(venue) = &ticket.event.venue_name { br; (venue) @if let Some(city) = &ticket.event.city { ", " (city) } } }
                        @if ticket.status != TicketStatus::Valid {
                            p { span.tag.sold-out { (status_label(l, ticket.status)) } " " (l.t("ticket-no-longer-admits")) }
                        }
                        p { a href=(with_key(&format!("/tickets/{}/pdf", ticket.id), key)) download { (l.t("ticket-download-pdf")) span.visually-hidden { " " (t(l, "ticket-pdf-of", &[("ticket_type", ticket.ticket_type.as_str().into())])) } } }
                        @if rename && ticket.status == TicketStatus::Valid {
                            details {
                                summary { (l.t("ticket-rename-summary")) }
                                form.form method="post" action={ "/tickets/" (ticket.id) "/name" } {
                                    (csrf_field(&visit.csrf_token))
                                    @if let Some(key) = key { input type="hidden" name="key" value=(key); }
                                    input type="hidden" name="order_id" value=(ticket.order_id);
                                    div.field {
                                        label for={ "name-" (ticket.id) } { (l.t("ticket-attendee-name")) }
                                        input id={ "name-" (ticket.id) } type="text" name="attendee_name" value=(holder) autocomplete="name";
                                    }
                                    button.secondary type="submit" { (l.t("ticket-rename-submit")) }
                                }
                            }
                        }
                    }
                    @if ticket.status == TicketStatus::Valid {
                        img.qr src=(with_key(&format!("/tickets/{}/qr.svg", ticket.id), key))
                            alt=(t(l, "ticket-qr-alt", &[("ticket_type", ticket.ticket_type.as_str().into()), ("event", ticket.event.title.as_str().into())]))
                            width="180" height="180";
                    }
                }
            }
        }
    }
}

pub async fn mine(
    State(app): State<Frontend>,
    mut visit: Visit,
    Query(query): Query<KeyQuery>,
) -> Response {
    let outcome = async {
        if !visit.signed_in() {
            return Err(PageError::SignInRequired);
        }
        let forwarded = visit.forwarded.clone();
        let cursor = query.cursor.clone();
        let page = visit
            .authed(&app, |token| app.api.my_tickets(&forwarded, token, cursor.as_deref()))
            .await?;
        let l = visit.locale;
        let content = html! {
            h1 { (l.t("nav-my-tickets")) }
            @if page.items.is_empty() {
                div.empty-state {
                    p { (l.t("my-tickets-empty")) }
                    p { a href="/" { (l.t("error-not-found-link")) } }
                }
            } @else {
                p { (l.t("my-tickets-show-qr")) " " a href="/orders" { (l.t("my-orders-title")) } }
                (ticket_list(&visit, &page.items, None, true))
                @if let Some(cursor) = &page.next_cursor {
                    p { a.button href={ "/tickets?" (serde_urlencoded::to_string([("cursor", cursor)]).unwrap_or_default()) } { (l.t("my-tickets-older")) } }
                }
            }
        };
        Ok(visit.page(&l.t("nav-my-tickets"), &l.t("my-tickets-description"), &content))
    }
    .await;
    visit.respond(outcome)
}

/// "Your orders": the account's paid orders, from its tickets (newest first), each linking
/// to the order page.
pub async fn orders(State(app): State<Frontend>, mut visit: Visit) -> Response {
    let outcome = async {
        if !visit.signed_in() {
            return Err(PageError::SignInRequired);
        }
        let forwarded = visit.forwarded.clone();
        let page = visit
            .authed(&app, |token| app.api.my_tickets(&forwarded, token, None))
            .await?;
        let mut orders: Vec<(OrderId, &Ticket, usize)> = Vec::new();
        for ticket in &page.items {
            match orders.iter_mut().find(|(id, _, _)| *id == ticket.order_id) {
                Some(entry) => entry.2 += 1,
                None => orders.push((ticket.order_id, ticket, 1)),
            }
        }
        let l = visit.locale;
        let content = html! {
            h1 { (l.t("my-orders-title")) }
            @if orders.is_empty() {
                p.empty-state { (l.t("my-orders-empty")) }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr { th scope="col" { (l.t("my-orders-col-event")) } th scope="col" { (l.t("my-orders-col-when")) } th.number scope="col" { (l.t("tickets-title")) } th scope="col" { (l.t("order-label")) } } }
                        tbody {
                            @for (id, ticket, count) in &orders {
                                @let tz = format::zone(&ticket.event.timezone);
                                tr {
                                    th scope="row" { a href={ "/events/" (ticket.event_id) } { (ticket.event.title) } }
                                    td { (format::local_datetime(l, ticket.event.starts_at, tz)) }
                                    td.number { (bilten_i18n::format::number(l, i64::try_from(*count).unwrap_or(i64::MAX))) }
                                    td { a href={ "/orders/" (id) } { code { (id) } } }
                                }
                            }
                        }
                    }
                }
            }
        };
        Ok(visit.page(&l.t("my-orders-title"), &l.t("my-orders-description"), &content))
    }
    .await;
    visit.respond(outcome)
}

async fn ticket_file(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    key: Option<&str>,
    file: &str,
) -> Result<Response, PageError> {
    if !visit.signed_in() && key.is_none() {
        return Err(PageError::NotFound);
    }
    let locale = visit.locale;
    let answer = as_buyer(app, visit, |fwd, bearer| async move {
        let access = OrderAccess {
            bearer: bearer.as_deref(),
            key,
        };
        app.api.ticket_file(&fwd, access, id, file, locale).await
    })
    .await?;
    let mut response = answer.body.into_response();
    let headers = response.headers_mut();
    let content_type = answer.content_type.unwrap_or_else(|| {
        if file == "pdf" {
            "application/pdf"
        } else {
            "image/svg+xml"
        }
        .to_owned()
    });
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = answer
        .content_disposition
        .and_then(|d| HeaderValue::from_str(&d).ok())
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // A ticket is a bearer credential: never kept by a shared cache.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

pub async fn qr(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<KeyQuery>,
) -> Response {
    let outcome = ticket_file(&app, &mut visit, &id, query.key.as_deref(), "qr.svg").await;
    visit.respond(outcome)
}

pub async fn pdf(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<KeyQuery>,
) -> Response {
    let outcome = ticket_file(&app, &mut visit, &id, query.key.as_deref(), "pdf").await;
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    attendee_name: String,
    #[serde(default)]
    order_id: String,
    key: Option<String>,
}

pub async fn rename(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<RenameForm>,
) -> Response {
    let outcome = async {
        let key = input.key.as_deref().filter(|k| !k.is_empty());
        let name = input.attendee_name.trim().to_owned();
        let (app_ref, id_ref, name_ref) = (&app, &id, &name);
        let result = as_buyer(&app, &mut visit, |fwd, bearer| async move {
            let access = OrderAccess {
                bearer: bearer.as_deref(),
                key,
            };
            app_ref
                .api
                .rename_ticket(&fwd, access, id_ref, name_ref)
                .await
        })
        .await;
        match result {
            Ok(ticket) => Ok(back_to_order(&ticket.order_id.to_string(), key, "renamed")),
            // A bad name: back to the order, which says nothing changed (the form is small
            // enough to type again); the API's message is logged.
            Err(ApiError::Rejected(rejection))
                if rejection.status.is_client_error() && !input.order_id.is_empty() =>
            {
                tracing::info!(code = %rejection.code, "ticket rename refused");
                Ok(Redirect::to(&with_key(
                    &format!(
                        "/orders/{}",
                        crate::api::ticketing::path_segment(&input.order_id)
                    ),
                    key,
                ))
                .into_response())
            }
            Err(error) => Err(PageError::from(error)),
        }
    }
    .await;
    visit.respond(outcome)
}
