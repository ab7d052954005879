//! An event's orders (search, detail, refund with its confirmation page) and attendees
//! (with CSV export), and the check-in tables the check-in page shows.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

use super::console::{self, EventPage};
use super::{authed, notice};
use crate::api::ticketing::{path_segment, Attendee, OrderRow, OrderStatus, TicketStatus};
use crate::format;
use crate::pages::NoticeQuery;
use crate::session::{PageError, Visit};
use crate::views;
use crate::Frontend;
use bilten_i18n::{t, Locale};

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route("/organize/events/{id}/orders", get(orders))
        .route("/organize/events/{id}/attendees", get(attendees))
        .route("/organize/events/{id}/orders.csv", get(orders_csv))
        .route("/organize/events/{id}/attendees.csv", get(attendees_csv))
        .route("/organize/orders/{id}", get(order_detail))
        .route("/organize/devices/{id}/pairing.svg", get(pairing_svg))
        .route(
            "/organize/orders/{id}/refund",
            get(confirm_refund).post(refund),
        )
}

/// Check-in lists with their live counts (the scanner service records the scans).
pub async fn checkins(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
) -> Result<Vec<crate::api::ticketing::CheckinListStats>, PageError> {
    let stats = authed!(app, visit, |token, fwd| app
        .api
        .checkin_stats(&fwd, token, id))?;
    Ok(stats.lists)
}

/// The event's scanner devices.
pub async fn devices(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
) -> Result<Vec<crate::api::ticketing::Device>, PageError> {
    Ok(authed!(app, visit, |token, fwd| app
        .api
        .devices(&fwd, token, id))?)
}

/// Devices with their state; a pending one shows its one-time pairing code and QR code for
/// the scanner app's camera.
pub fn devices_table(
    visit: &Visit,
    event: &str,
    devices: &[crate::api::ticketing::Device],
) -> Markup {
    use crate::api::ticketing::DeviceStatus;
    let l = visit.locale;
    let status = |status: DeviceStatus| match status {
        DeviceStatus::Pending => l.t("device-status-pending"),
        DeviceStatus::Paired => l.t("device-status-paired"),
        DeviceStatus::Expired => l.t("device-status-expired"),
        DeviceStatus::Revoked => l.t("device-status-revoked"),
    };
    html! {
        @if devices.is_empty() {
            p.muted { (l.t("device-none")) }
        } @else {
            ul.tickets-list aria-label=(l.t("device-list")) {
                @for device in devices {
                    li.ticket-card {
                        div.ticket-text {
                            h3 { (device.name) }
                            p { span.tag { (status(device.status)) } @if let Some(gate) = &device.gate { " · " (t(l, "device-gate", &[("gate", gate.into())])) } }
                            @if let Some(code) = &device.pairing_code {
                                p { (l.t("device-pairing-code")) " " strong { code { (code) } } }
                                p.muted { (l.t("device-pairing-hint")) }
                            }
                            @if device.status != crate::api::ticketing::DeviceStatus::Revoked {
                                p { a href={ "/organize/events/" (path_segment(event)) "/devices/" (device.id) "/revoke" } { (l.t("device-revoke")) span.visually-hidden { " " (device.name) } } }
                            }
                        }
                        @if device.pairing_code.is_some() {
                            img.qr src={ "/organize/devices/" (device.id) "/pairing.svg" }
                                alt=(t(l, "device-pairing-qr-alt", &[("device", device.name.as_str().into())])) width="180" height="180";
                        }
                    }
                }
            }
        }
    }
}

async fn pairing_svg(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        let answer = authed!(&app, visit, |token, fwd| app
            .api
            .device_pairing_svg(&fwd, token, &id))?;
        let mut response = answer.body.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("image/svg+xml"),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        Ok(response)
    }
    .await;
    visit.respond(outcome)
}

/// The check-in lists' live counts, as a table.
pub fn checkin_table(l: Locale, lists: &[crate::api::ticketing::CheckinListStats]) -> Markup {
    let n = |n: i64| bilten_i18n::format::number(l, n);
    html! {
        @if lists.is_empty() {
            p.muted { (l.t("checkin-none")) }
        } @else {
            div.table-wrap tabindex="0" role="region" aria-label=(l.t("console-checkin-lists")) {
                table {
                    thead { tr { th scope="col" { (l.t("checkin-list")) } th.number scope="col" { (l.t("checkin-checked-in")) } th.number scope="col" { (l.t("checkin-expected")) } th.number scope="col" { (l.t("checkin-inside")) } } }
                    tbody {
                        @for list in lists {
                            tr { th scope="row" { (list.name) } td.number { (n(list.checked_in)) } td.number { (n(list.expected)) } td.number { (n(list.inside)) } }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    cursor: Option<String>,
    #[serde(flatten)]
    notice: NoticeQuery,
}

impl ReportQuery {
    fn api_query(&self) -> String {
        let mut pairs = vec![("limit", "50")];
        if !self.q.trim().is_empty() {
            pairs.push(("q", self.q.trim()));
        }
        if !self.status.is_empty() {
            pairs.push(("status", self.status.as_str()));
        }
        if let Some(cursor) = &self.cursor {
            pairs.push(("cursor", cursor));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    fn next(&self, base: &str, cursor: &str) -> String {
        let pairs = [
            ("q", self.q.as_str()),
            ("status", self.status.as_str()),
            ("cursor", cursor),
        ];
        let kept: Vec<_> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(kept).unwrap_or_default()
        )
    }
}

/// An order's state as a word: `partially_refunded` → `Partly refunded`.
pub(crate) fn order_status_label(l: Locale, status: OrderStatus) -> String {
    match status {
        OrderStatus::Pending => l.t("order-status-pending"),
        OrderStatus::Paid => l.t("order-status-paid"),
        OrderStatus::Expired => l.t("order-status-expired"),
        OrderStatus::Canceled => l.t("order-status-canceled"),
        OrderStatus::Refunded => l.t("order-status-refunded"),
        OrderStatus::PartiallyRefunded => l.t("order-status-partially-refunded"),
    }
}

fn ticket_status_label(l: Locale, status: TicketStatus) -> String {
    match status {
        TicketStatus::Valid => l.t("ticket-status-valid"),
        TicketStatus::Revoked => l.t("ticket-status-revoked"),
        TicketStatus::Canceled => l.t("ticket-status-canceled"),
    }
}

fn search_box(l: Locale, action: &str, query: &ReportQuery, with_status: bool) -> Markup {
    let statuses = [
        ("", l.t("report-any-status")),
        ("paid", l.t("order-status-paid")),
        ("pending", l.t("order-status-pending")),
        ("refunded", l.t("order-status-refunded")),
        ("canceled", l.t("order-status-canceled")),
        ("expired", l.t("order-status-expired")),
    ];
    html! {
        form.search-form method="get" action=(action) role="search" aria-label=(l.t("search-submit")) {
            div.field {
                label for="field-q" { (l.t("report-search-label")) }
                input #field-q type="search" name="q" value=(query.q);
            }
            @if with_status {
                div.field {
                    label for="field-status" { (l.t("admin-status")) }
                    select #field-status name="status" {
                        @for (value, label) in statuses {
                            option value=(value) selected[query.status == value] { (label) }
                        }
                    }
                }
            }
            div.search-actions { button type="submit" { (l.t("search-submit")) } }
        }
    }
}

async fn orders(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let outcome = async {
        let ctx = console::event(&app, &mut visit, &id).await?;
        let tz = format::zone(&ctx.detail.event.timezone);
        let api_query = query.api_query();
        let page = authed!(&app, visit, |token, fwd| app
            .api
            .event_report::<OrderRow>(&fwd, token, &id, "orders", &api_query))?;
        let base = format!("/organize/events/{}/orders", path_segment(&id));
        let l = visit.locale;
        let notice_text = notice(l, &query.notice);
        let content = html! {
            (views::notice(notice_text.as_deref()))
            h1 { (l.t("report-orders")) }
            p { a href={ (base) ".csv" } download { (l.t("report-orders-csv")) } }
            (search_box(l, &base, &query, true))
            @if page.items.is_empty() {
                p.empty-state { (l.t("report-no-orders")) }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label=(l.t("report-orders")) {
                    table {
                        thead { tr { th scope="col" { (l.t("order-label")) } th scope="col" { (l.t("report-buyer")) } th.number scope="col" { (l.t("tickets-title")) } th.number scope="col" { (l.t("order-col-total")) } th scope="col" { (l.t("admin-status")) } th scope="col" { (l.t("report-placed")) } } }
                        tbody {
                            @for order in &page.items {
                                tr {
                                    th scope="row" { a href={ "/organize/orders/" (order.id) } { code { (order.id) } } }
                                    td { (order.buyer.name) br; span.muted { (order.buyer.email) } }
                                    td.number { (order.quantity) }
                                    td.number { (format::price(l, order.total)) @if let Some(code) = &order.promo_code { br; span.muted { (code) } } }
                                    td { span.tag { (order_status_label(l, order.status)) } }
                                    td { (format::local_datetime(l, order.created_at, tz)) }
                                }
                            }
                        }
                    }
                }
                @if let Some(cursor) = &page.next_cursor {
                    p { a.button href=(query.next(&base, cursor)) { (l.t("report-older-orders")) } }
                }
            }
        };
        let content = console::event_frame(l, &ctx, EventPage::Orders, &[], &content);
        Ok(visit.page(&l.t("report-orders"), &l.t("report-orders-description"), &content))
    }
    .await;
    visit.respond(outcome)
}

async fn attendees(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let outcome = async {
        let ctx = console::event(&app, &mut visit, &id).await?;
        let api_query = query.api_query();
        let page = authed!(&app, visit, |token, fwd| app
            .api
            .event_report::<Attendee>(&fwd, token, &id, "attendees", &api_query))?;
        let base = format!("/organize/events/{}/attendees", path_segment(&id));
        let l = visit.locale;
        let content = html! {
            h1 { (l.t("report-attendees")) }
            p { a href={ (base) ".csv" } download { (l.t("report-attendees-csv")) } }
            (search_box(l, &base, &query, false))
            @if page.items.is_empty() {
                p.empty-state { (l.t("report-no-attendees")) }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label=(l.t("report-attendees")) {
                    table {
                        thead { tr { th scope="col" { (l.t("auth-name")) } th scope="col" { (l.t("order-col-ticket")) } th scope="col" { (l.t("report-buyer")) } th scope="col" { (l.t("admin-status")) } } }
                        tbody {
                            @for a in &page.items {
                                tr {
                                    th scope="row" { @if a.holder_name.is_empty() { "—" } @else { (a.holder_name) } }
                                    td { (a.ticket_type.name) br; span.muted { code { (a.ticket_id) } } }
                                    td { (a.buyer_email) br; span.muted { code { (a.order_id) } } }
                                    td { span.tag { (ticket_status_label(l, a.status)) } }
                                }
                            }
                        }
                    }
                }
                @if let Some(cursor) = &page.next_cursor {
                    p { a.button href=(query.next(&base, cursor)) { (l.t("report-more-attendees")) } }
                }
            }
        };
        let content = console::event_frame(l, &ctx, EventPage::Attendees, &[], &content);
        Ok(visit.page(&l.t("report-attendees"), &l.t("report-attendees-description"), &content))
    }
    .await;
    visit.respond(outcome)
}

async fn order_page(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    form: &crate::views::FormState,
    notice_text: Option<&str>,
) -> Result<Response, PageError> {
    let crate::api::ticketing::OrderDetail { order, tickets } =
        authed!(app, visit, |token, fwd| {
            let api = app.api.clone();
            let fwd = fwd.clone();
            let id = id.to_owned();
            async move {
                let access = crate::api::ticketing::OrderAccess {
                    bearer: Some(&token),
                    key: None,
                };
                api.order(&fwd, access, &id).await
            }
        })?;
    let ctx = console::event(app, visit, &order.event_id.to_string()).await?;
    let tz = format::zone(&ctx.detail.event.timezone);
    let refundable = matches!(
        order.status,
        OrderStatus::Paid | OrderStatus::PartiallyRefunded
    );
    let order_id = order.id.to_string();
    let l = visit.locale;
    let content = html! {
        (views::notice(notice_text))
        h1 { (l.t("order-label")) " " code { (order.id) } }
        p { span.tag { (order_status_label(l, order.status)) } " · " (order.buyer.name) " <" (order.buyer.email) ">" }
        (crate::views::error_summary(form, &[]))
        div.table-wrap tabindex="0" role="region" aria-label=(l.t("order-label")) {
            table {
                thead { tr { th scope="col" { (l.t("order-col-ticket")) } th scope="col" { (l.t("report-attendee")) } th scope="col" { (l.t("admin-status")) } th scope="col" { span.visually-hidden { (l.t("admin-actions")) } } } }
                tbody {
                    @for ticket in &tickets {
                        tr {
                            th scope="row" { (ticket.ticket_type) br; span.muted { code { (ticket.id) } } }
                            td { @if ticket.attendee_name.is_empty() { "—" } @else { (ticket.attendee_name) } }
                            td { span.tag { (ticket_status_label(l, ticket.status)) } }
                            td {
                                @if refundable && ticket.status == TicketStatus::Valid {
                                    a href={ "/organize/orders/" (order.id) "/refund?ticket_id=" (ticket.id) } { (l.t("report-refund-ticket")) span.visually-hidden { " " (ticket.id) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { (l.t("report-total-paid")) " " strong { (format::price(l, order.total)) } " · " (t(l, "report-placed-at", &[("date_time", format::local_datetime(l, order.created_at, tz).into())])) }
        @if refundable {
            p { a.button.danger href={ "/organize/orders/" (order.id) "/refund" } { (l.t("report-refund-all")) } }
        }
        p { a href={ "/organize/orders/" (order.id) "/anonymize" } { (l.t("report-anonymize-link")) } }
    };
    let status = if form.has_errors() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let crumbs = [(order_id, None)];
    let content = console::event_frame(l, &ctx, EventPage::Orders, &crumbs, &content);
    Ok(visit.page_with_status(
        status,
        &l.t("order-label"),
        &l.t("report-order-description"),
        &content,
    ))
}

async fn order_detail(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let (form, notice) = (
        crate::views::FormState::new(visit.locale),
        notice(visit.locale, &query),
    );
    let outcome = order_page(&app, &mut visit, &id, &form, notice.as_deref()).await;
    visit.respond(outcome)
}

#[derive(Debug, Default, Deserialize)]
pub struct RefundQuery {
    ticket_id: Option<String>,
}

/// What a refund gives back, before it happens: the whole order (what is left of its total)
/// or one ticket (its share of its line, discounts included), and which tickets are revoked.
async fn refund_confirmation(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    ticket: Option<&str>,
    form: &crate::views::FormState,
) -> Result<Response, PageError> {
    let crate::api::ticketing::OrderDetail { order, tickets } =
        authed!(app, visit, |token, fwd| {
            let api = app.api.clone();
            let fwd = fwd.clone();
            let id = id.to_owned();
            async move {
                let access = crate::api::ticketing::OrderAccess {
                    bearer: Some(&token),
                    key: None,
                };
                api.order(&fwd, access, &id).await
            }
        })?;
    let ctx = console::event(app, visit, &order.event_id.to_string()).await?;
    let order_id = order.id.to_string();
    let refundable = matches!(
        order.status,
        OrderStatus::Paid | OrderStatus::PartiallyRefunded
    );
    let valid: Vec<_> = tickets
        .iter()
        .filter(|t| t.status == TicketStatus::Valid)
        .filter(|t| ticket.is_none_or(|one| t.id.to_string() == one))
        .collect();
    if !refundable || valid.is_empty() {
        return Ok(
            axum::response::Redirect::to(&format!("/organize/orders/{}", path_segment(id)))
                .into_response(),
        );
    }
    let amount = match ticket {
        None => order
            .total
            .checked_sub(
                order
                    .refunded
                    .unwrap_or(bilten_domain::Money::zero(order.total.currency())),
            )
            .unwrap_or(order.total),
        Some(_) => {
            let line = valid.first().and_then(|t| {
                order
                    .lines
                    .iter()
                    .find(|line| line.ticket_type_id == t.ticket_type_id)
            });
            line.map_or(order.total, |line| {
                bilten_domain::Money::new(
                    line.total.minor() / line.quantity.max(1),
                    line.total.currency(),
                )
            })
        }
    };
    let l = visit.locale;
    let money = format::money(l, amount);
    let heading = l.t("report-refund-heading");
    let content = html! {
        h1 { (heading) }
        (crate::views::error_summary(form, &[]))
        div.notice-warning role="alert" {
            p { strong { (l.t("account-delete-final")) } }
            ul {
                li #refund-amount { (t(l, "report-refund-amount", &[("amount", money.as_str().into()), ("email", order.buyer.email.as_str().into())])) }
                li #refund-tickets { (t(l, "report-refund-tickets", &[("count", i64::try_from(valid.len()).unwrap_or(0).into())])) }
            }
            ul.plain-list {
                @for t in &valid { li { (t.ticket_type) " · " @if t.attendee_name.is_empty() { "—" } @else { (t.attendee_name) } " · " code { (t.id) } } }
            }
        }
        form.form method="post" action={ "/organize/orders/" (path_segment(id)) "/refund" } {
            (crate::views::csrf_field(&visit.csrf_token))
            input type="hidden" name="confirm" value="yes";
            @if let Some(ticket) = ticket { input type="hidden" name="ticket_id" value=(ticket); }
            div.order-actions {
                button.danger type="submit" { (t(l, "report-refund-submit", &[("amount", money.as_str().into())])) }
                a.button href={ "/organize/orders/" (path_segment(id)) } { (l.t("report-refund-keep")) }
            }
        }
    };
    let crumbs = [
        (
            order_id.clone(),
            Some(format!("/organize/orders/{order_id}")),
        ),
        (l.t("report-refund-crumb"), None),
    ];
    let content = console::event_frame(l, &ctx, EventPage::Orders, &crumbs, &content);
    let status = if form.has_errors() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok(visit.page_with_status(status, &heading, &l.t("report-order-description"), &content))
}

async fn confirm_refund(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<RefundQuery>,
) -> Response {
    let form = crate::views::FormState::new(visit.locale);
    let outcome =
        refund_confirmation(&app, &mut visit, &id, query.ticket_id.as_deref(), &form).await;
    visit.respond(outcome)
}

/// The confirmed refund; without the confirmation page's `confirm=yes` nothing is refunded
/// and the confirmation page is shown.
async fn refund(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    crate::session::CsrfForm(input): crate::session::CsrfForm<Vec<(String, String)>>,
) -> Response {
    let tickets: Vec<String> = input
        .iter()
        .filter(|(k, _)| k == "ticket_id")
        .map(|(_, v)| v.clone())
        .collect();
    let confirmed = input.iter().any(|(k, v)| k == "confirm" && v == "yes");
    let ticket = tickets.first().cloned();
    if !confirmed {
        let query = ticket
            .map(|t| format!("?ticket_id={}", path_segment(&t)))
            .unwrap_or_default();
        return axum::response::Redirect::to(&format!(
            "/organize/orders/{}/refund{query}",
            path_segment(&id)
        ))
        .into_response();
    }
    let result = authed!(&app, visit, |token, fwd| app
        .api
        .refund(&fwd, token, &id, &tickets));
    let outcome = crate::pages::after_post(
        result,
        crate::views::FormState::new(visit.locale),
        |()| format!("/organize/orders/{}?notice=refunded", path_segment(&id)),
        async |form| refund_confirmation(&app, &mut visit, &id, ticket.as_deref(), &form).await,
    )
    .await;
    visit.respond(outcome)
}

/// Passes the backend's CSV through, keeping its type and file name; never cached.
async fn csv(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    file: &str,
) -> Result<Response, PageError> {
    let answer = authed!(app, visit, |token, fwd| app
        .api
        .event_csv(&fwd, token, id, file))?;
    let mut response = answer.body.into_response();
    let headers = response.headers_mut();
    let content_type = answer
        .content_type
        .unwrap_or_else(|| "text/csv; charset=utf-8".to_owned());
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    let disposition = answer
        .content_disposition
        .unwrap_or_else(|| format!("attachment; filename=\"{file}\""));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn orders_csv(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Response {
    let outcome = csv(&app, &mut visit, &id, "orders.csv").await;
    visit.respond(outcome)
}

async fn attendees_csv(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Response {
    let outcome = csv(&app, &mut visit, &id, "attendees.csv").await;
    visit.respond(outcome)
}
