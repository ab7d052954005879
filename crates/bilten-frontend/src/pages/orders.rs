//! An order: the held tickets with their countdown, payment, cancelling, and the confirmation.
//!
//! A guest reaches their order through a link carrying its access key (`?key=ok_…`, the
//! secret the API issued with the order); a logged-in buyer through their account. The key
//! only ever travels in this site's own links (`Referrer-Policy: same-origin`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bilten_api::ErrorCode;
use bilten_i18n::{t, Locale};
use maud::{html, Markup};
use serde::Deserialize;

use crate::api::ticketing::{
    CheckoutStarted, Event, Order, OrderAccess, OrderDetail, OrderStatus, Ticket,
};
use crate::api::{ApiError, Forwarded};
use crate::format;
use crate::pages::organize::order_status_label;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, PageMeta};
use crate::Frontend;

#[derive(Debug, Default, Deserialize)]
pub struct OrderQuery {
    key: Option<String>,
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OrderForm {
    key: Option<String>,
}

fn notice_text(l: Locale, key: Option<&str>) -> Option<String> {
    Some(match key? {
        "canceled" => l.t("order-notice-canceled"),
        "paid" => l.t("order-notice-paid"),
        "renamed" => l.t("order-notice-renamed"),
        "order_expired" => l.t("order-notice-expired"),
        "not_pending" => l.t("order-notice-not-pending"),
        "payment_failed" => l.t("order-notice-payment-failed"),
        _ => return None,
    })
}

/// Reads the order as its buyer: by account when logged in, else (or also) by key.
async fn load_order(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    key: Option<&str>,
) -> Result<OrderDetail, PageError> {
    if !visit.signed_in() && key.is_none() {
        return Err(PageError::NotFound);
    }
    let order = as_buyer(app, visit, |fwd, bearer| async move {
        let access = OrderAccess {
            bearer: bearer.as_deref(),
            key,
        };
        app.api.order(&fwd, access, id).await
    })
    .await?;
    Ok(order)
}

/// Calls the backend as an order's buyer: when signed in, with the account's token (refreshed
/// when needed; `call` gets it as `bearer`), otherwise without one (the order key alone; the
/// backend answers 404 without either).
pub(crate) async fn as_buyer<T, F, Fut>(
    app: &Frontend,
    visit: &mut Visit,
    call: F,
) -> Result<T, ApiError>
where
    F: Fn(Forwarded, Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let forwarded = visit.forwarded.clone();
    if visit.signed_in() {
        visit
            .authed(app, |token| call(forwarded.clone(), Some(token)))
            .await
    } else {
        call(forwarded, None).await
    }
}

fn order_lines(l: Locale, order: &Order) -> Markup {
    html! {
        table.order-lines {
            caption.visually-hidden { (l.t("order-lines-caption")) }
            thead { tr { th scope="col" { (l.t("order-col-ticket")) } th scope="col" { (l.t("order-col-quantity")) } th scope="col" { (l.t("order-col-price")) } th scope="col" { (l.t("order-col-total")) } } }
            tbody {
                @for line in &order.lines {
                    tr {
                        th scope="row" { (line.name) }
                        td { (line.quantity) }
                        td { (format::price(l, line.unit_price)) }
                        td { (format::price(l, line.total)) }
                    }
                }
            }
            tfoot {
                @if let Some(discount) = Some(order.discount).filter(|d| !d.is_zero()) {
                    tr { th scope="row" colspan="3" { (l.t("order-discount")) @if let Some(code) = &order.promo_code { " (" (code) ")" } } td { "−" (format::price(l, discount)) } }
                }
                tr { th scope="row" colspan="3" { (l.t("order-col-total")) } td { strong { (format::price(l, order.total)) } } }
            }
        }
    }
}

fn key_field(key: Option<&str>) -> Markup {
    html! {
        @if let Some(key) = key { input type="hidden" name="key" value=(key); }
    }
}

fn order_content(
    visit: &Visit,
    order: &Order,
    tickets: &[Ticket],
    event: &Event,
    key: Option<&str>,
    notice: Option<&str>,
) -> Markup {
    let l = visit.locale;
    let tz = format::zone(&event.timezone);
    html! {
        (views::notice(notice))
        @match order.status.as_str() {
            "pending" => {
                h1 { (l.t("order-pending-title")) }
                div.hold role="status" {
                    p { (l.t("order-held-until")) " "
                        time datetime=(format::iso_local(order.expires_at, tz)) { (format::local_time(l, order.expires_at, tz)) }
                        (l.t("order-held-until-after")) " " span.countdown data-countdown-until=(order.expires_at.to_rfc3339())
                            data-countdown-text=(t(l, "order-countdown", &[("time", "{time}".into())])) role="timer" aria-live="off" {} }
                    p.muted { (l.t("order-released-after")) }
                }
            }
            "paid" => {
                h1 { (l.t("order-paid-title")) }
                div.notice role="status" {
                    p { (l.t("order-confirmed-sent-to")) " " strong { (order.buyer.email) } (l.t("order-confirmed-sent-to-after")) }
                }
            }
            "expired" => {
                h1 { (l.t("order-expired-title")) }
                p { (l.t("order-expired-body")) " " a href={ "/events/" (event.id) } { (l.t("order-choose-again")) } }
            }
            "canceled" => {
                h1 { (l.t("order-canceled-title")) }
                p { a href={ "/events/" (event.id) } { (l.t("order-back-to-event")) } }
            }
            _ => {
                h1 { (l.t("order-title")) }
                p { (t(l, "order-status", &[("status", order_status_label(l, order.status).into())])) }
            }
        }
        section.panel aria-labelledby="order-event" {
            h2 #order-event { a href={ "/events/" (event.id) } { (event.title) } }
            p { time datetime=(format::iso_local(event.starts_at, tz)) { (format::time_range(l, event.starts_at, event.ends_at, tz)) } }
            @if let Some(venue) = &event.venue_name { p { (venue) @if let Some(city) = &event.city { ", " (city) } } }
            div.table-wrap { (order_lines(l, order)) }
            p.muted { (l.t("order-label")) " " code { (order.id) } " · " (order.buyer.name) " <" (order.buyer.email) ">" }
        }
        @if !tickets.is_empty() {
            (super::tickets::ticket_list(visit, tickets, key, true))
        }
        @if order.status == OrderStatus::Pending {
            div.order-actions {
                form method="post" action={ "/orders/" (order.id) "/pay" } {
                    (csrf_field(&visit.csrf_token))
                    (key_field(key))
                    button type="submit" {
                        @if order.total.is_zero() { (l.t("order-get-tickets")) } @else { (t(l, "order-pay", &[("amount", format::price(l, order.total).into())])) }
                    }
                }
                form method="post" action={ "/orders/" (order.id) "/cancel" } {
                    (csrf_field(&visit.csrf_token))
                    (key_field(key))
                    button.secondary type="submit" { (l.t("order-cancel")) }
                }
            }
        }
    }
}

pub async fn show(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<OrderQuery>,
) -> Response {
    let outcome = async {
        let key = query.key.clone().or_else(|| visit.order_key(&id));
        let OrderDetail { order, tickets } =
            load_order(&app, &mut visit, &id, key.as_deref()).await?;
        let detail = app
            .api
            .event(&visit.forwarded, None, &order.event_id.to_string())
            .await?;
        let content = order_content(
            &visit,
            &order,
            &tickets,
            &detail.event,
            key.as_deref(),
            notice_text(visit.locale, query.notice.as_deref()).as_deref(),
        );
        let title = t(
            visit.locale,
            "order-page-title",
            &[("event", detail.event.title.as_str().into())],
        );
        let description = visit.locale.t("order-page-description");
        let meta = PageMeta {
            countdown: order.status == OrderStatus::Pending,
            ..PageMeta::new(&title, &description)
        };
        let mut page = visit.page_with_meta(StatusCode::OK, &meta, &content);
        if order.status == OrderStatus::Pending {
            // "Pay" redirects to the provider's hosted page: the test provider's on the
            // backend, a real provider's over HTTPS.
            let policy = crate::content_security_policy_posting_to(&format!(
                "{} https:",
                app.backend_origin
            ));
            if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
                page.headers_mut()
                    .insert(axum::http::header::CONTENT_SECURITY_POLICY, value);
            }
        }
        Ok(page)
    }
    .await;
    visit.respond(outcome)
}

pub fn back_to_order(id: &str, key: Option<&str>, notice: &str) -> Response {
    let mut pairs = vec![("notice", notice)];
    if let Some(key) = key {
        pairs.push(("key", key));
    }
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    Redirect::to(&format!(
        "/orders/{}?{query}",
        crate::api::ticketing::path_segment(id)
    ))
    .into_response()
}

/// Starts the payment: the provider's hosted page, or (free orders) straight to the tickets.
pub async fn pay(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<OrderForm>,
) -> Response {
    let outcome = async {
        let key = input
            .key
            .filter(|k| !k.is_empty())
            .or_else(|| visit.order_key(&id));
        let key = key.as_deref();
        let (app_ref, id_ref) = (&app, &id);
        let result = as_buyer(&app, &mut visit, |fwd, bearer| async move {
            let access = OrderAccess {
                bearer: bearer.as_deref(),
                key,
            };
            app_ref.api.checkout(&fwd, access, id_ref).await
        })
        .await;
        match result {
            Ok(CheckoutStarted::Redirect(url)) => Ok(Redirect::to(&url).into_response()),
            Ok(CheckoutStarted::Completed) => Ok(back_to_order(&id, key, "paid")),
            Err(ApiError::Rejected(rejection)) if rejection.status == StatusCode::CONFLICT => {
                let notice = if rejection.code == ErrorCode::OrderExpired {
                    "order_expired"
                } else {
                    "not_pending"
                };
                Ok(back_to_order(&id, key, notice))
            }
            Err(error) => Err(PageError::from(error)),
        }
    }
    .await;
    visit.respond(outcome)
}

pub async fn cancel(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<OrderForm>,
) -> Response {
    let outcome = async {
        let key = input.key.as_deref().filter(|k| !k.is_empty());
        let (app_ref, id_ref) = (&app, &id);
        let result = as_buyer(&app, &mut visit, |fwd, bearer| async move {
            let access = OrderAccess {
                bearer: bearer.as_deref(),
                key,
            };
            app_ref.api.cancel_order(&fwd, access, id_ref).await
        })
        .await;
        match result {
            Ok(_) => Ok(back_to_order(&id, key, "canceled")),
            // Already paid, expired or canceled: the order page says which.
            Err(ApiError::Rejected(rejection)) if rejection.code == ErrorCode::OrderNotPending => {
                Ok(back_to_order(&id, key, "not_pending"))
            }
            Err(error) => Err(PageError::from(error)),
        }
    }
    .await;
    visit.respond(outcome)
}
