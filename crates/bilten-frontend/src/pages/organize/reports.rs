//! An event's orders (search, detail) and attendees (with CSV export), and the sales chart.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::{authed, breadcrumbs, notice};
use crate::api::ticketing::{
    path_segment, Attendee, DaySales, OrderRow, OrderStatus, TicketStatus,
};
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
        .route("/organize/orders/{id}/refund", axum::routing::post(refund))
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
                                form method="post" action={ "/organize/events/" (event) "/devices/" (device.id) "/revoke" } {
                                    input type="hidden" name="csrf_token" value=(visit.csrf_token);
                                    button.secondary type="submit" { (l.t("device-revoke")) span.visually-hidden { " " (device.name) } }
                                }
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
            div.table-wrap {
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

/// Days the chart draws: a fixed window ending at the last day with sales, so gaps show as
/// gaps.
const CHART_DAYS: i64 = 14;

/// Tickets sold per day over the last days with sales, as an SVG bar chart drawn here (no
/// script, no chart library): readable without JavaScript, printable, and described by a
/// table for screen readers. `per_day` comes from the sales summary, counted by the database
/// over every order, so the chart's total is the "Sold" above it.
pub fn sales_chart(l: Locale, per_day: &[DaySales]) -> Markup {
    let sold: BTreeMap<NaiveDate, i64> = per_day.iter().map(|d| (d.date, d.tickets)).collect();
    let total: i64 = sold.values().sum();
    let Some((&last, _)) = sold.iter().rev().find(|(_, n)| **n > 0) else {
        return html! {
            figure.chart {
                figcaption { (l.t("chart-caption-short")) }
                p.muted { (l.t("chart-none")) }
            }
        };
    };
    let days: Vec<(NaiveDate, i64)> = (0..CHART_DAYS)
        .rev()
        .filter_map(|back| last.checked_sub_signed(Duration::days(back)))
        .map(|day| (day, sold.get(&day).copied().unwrap_or(0)))
        .collect();
    let first_shown = days.first().map_or(last, |(day, _)| *day);
    let earlier: i64 = sold.range(..first_shown).map(|(_, n)| n).sum();
    let peak = days.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let (width, height, bar_gap) = (560_i64, 200_i64, 4_i64);
    let plot_height = height - 30;
    let bar_width = width / i64::try_from(days.len()).unwrap_or(CHART_DAYS) - bar_gap;
    let mut bars = String::new();
    for (i, (day, sold)) in days.iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        let bar_height = sold * (plot_height - 16) / peak;
        let x = i * (bar_width + bar_gap);
        let y = plot_height - bar_height;
        let _ = write!(
            bars,
            r#"<rect x="{x}" y="{y}" width="{bar_width}" height="{bar_height}" class="bar"><title>{}: {sold}</title></rect>"#,
            html! { (bilten_i18n::format::day_month(l, *day)) }.into_string()
        );
        if *sold > 0 {
            let _ = write!(
                bars,
                r#"<text x="{}" y="{}" class="value" text-anchor="middle">{sold}</text>"#,
                x + bar_width / 2,
                y - 3
            );
        }
        if i % 2 == 0 {
            let _ = write!(
                bars,
                r#"<text x="{}" y="{}" class="label" text-anchor="middle">{}</text>"#,
                x + bar_width / 2,
                height - 10,
                html! { (bilten_i18n::format::day_month(l, *day)) }.into_string()
            );
        }
    }
    html! {
        figure.chart {
            figcaption #chart-title { (l.t("chart-caption")) }
            svg viewBox={ "0 0 " (width) " " (height) } role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg" {
                line x1="0" y1=(plot_height) x2=(width) y2=(plot_height) class="axis" {}
                (PreEscaped(bars))
            }
            p.chart-total {
                @if earlier > 0 {
                    (t(l, "chart-total-earlier", &[("total", total.into()), ("earlier", earlier.into()), ("date", bilten_i18n::format::day_month_year(l, first_shown).into())]))
                } @else {
                    (t(l, "chart-total", &[("total", total.into())]))
                }
            }
            details {
                summary { (l.t("chart-numbers")) }
                table {
                    thead { tr { th scope="col" { (l.t("chart-day")) } th.number scope="col" { (l.t("tickets-title")) } } }
                    tbody {
                        @if earlier > 0 { tr { td { (l.t("chart-earlier")) } td.number { (earlier) } } }
                        @for (day, sold) in &days { tr { td { (bilten_i18n::format::day(l, *day)) } td.number { (sold) } } }
                    }
                    tfoot { tr { th scope="row" { (l.t("order-col-total")) } td.number #chart-total { (total) } } }
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

async fn title_of(app: &Frontend, visit: &mut Visit, id: &str) -> Result<(String, Tz), PageError> {
    let detail = authed!(app, visit, |token, fwd| {
        let api = app.api.clone();
        let fwd = fwd.clone();
        let id = id.to_owned();
        async move { api.event(&fwd, Some(&token), &id).await }
    })?;
    Ok((detail.event.title, format::zone(&detail.event.timezone)))
}

async fn orders(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let outcome = async {
        let (title, tz) = title_of(&app, &mut visit, &id).await?;
        let api_query = query.api_query();
        let page = authed!(&app, visit, |token, fwd| app
            .api
            .event_report::<OrderRow>(&fwd, token, &id, "orders", &api_query))?;
        let base = format!("/organize/events/{}/orders", path_segment(&id));
        let l = visit.locale;
        let notice_text = notice(l, &query.notice);
        let content = html! {
            (breadcrumbs(l, &[(&l.t("nav-organize"), Some("/organize".to_owned())), (&title, Some(format!("/organize/events/{}", path_segment(&id)))), (&l.t("report-orders"), None)]))
            (views::notice(notice_text.as_deref()))
            h1 { (l.t("report-orders")) }
            p { a href={ (base) ".csv" } download { (l.t("report-orders-csv")) } }
            (search_box(l, &base, &query, true))
            @if page.items.is_empty() {
                p.empty-state { (l.t("report-no-orders")) }
            } @else {
                div.table-wrap {
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
        let (title, _) = title_of(&app, &mut visit, &id).await?;
        let api_query = query.api_query();
        let page = authed!(&app, visit, |token, fwd| app
            .api
            .event_report::<Attendee>(&fwd, token, &id, "attendees", &api_query))?;
        let base = format!("/organize/events/{}/attendees", path_segment(&id));
        let l = visit.locale;
        let content = html! {
            (breadcrumbs(l, &[(&l.t("nav-organize"), Some("/organize".to_owned())), (&title, Some(format!("/organize/events/{}", path_segment(&id)))), (&l.t("report-attendees"), None)]))
            h1 { (l.t("report-attendees")) }
            p { a href={ (base) ".csv" } download { (l.t("report-attendees-csv")) } }
            (search_box(l, &base, &query, false))
            @if page.items.is_empty() {
                p.empty-state { (l.t("report-no-attendees")) }
            } @else {
                div.table-wrap {
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
    let (title, tz) = title_of(app, visit, &order.event_id.to_string()).await?;
    let refundable = matches!(
        order.status,
        OrderStatus::Paid | OrderStatus::PartiallyRefunded
    );
    let order_id = order.id.to_string();
    let csrf = visit.csrf_token.clone();
    let l = visit.locale;
    let content = html! {
        (breadcrumbs(l, &[(&l.t("nav-organize"), Some("/organize".to_owned())), (&title, Some(format!("/organize/events/{}", order.event_id))), (&l.t("report-orders"), Some(format!("/organize/events/{}/orders", order.event_id))), (&order_id, None)]))
        (views::notice(notice_text))
        h1 { (l.t("order-label")) " " code { (order.id) } }
        p { span.tag { (order_status_label(l, order.status)) } " · " (order.buyer.name) " <" (order.buyer.email) ">" }
        (crate::views::error_summary(form, &[]))
        div.table-wrap {
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
                                    form method="post" action={ "/organize/orders/" (order.id) "/refund" } {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        input type="hidden" name="ticket_id" value=(ticket.id);
                                        button.secondary type="submit" { (l.t("report-refund-ticket")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { (l.t("report-total-paid")) " " strong { (format::price(l, order.total)) } " · " (t(l, "report-placed-at", &[("date_time", format::local_datetime(l, order.created_at, tz).into())])) }
        @if refundable {
            form method="post" action={ "/organize/orders/" (order.id) "/refund" } {
                input type="hidden" name="csrf_token" value=(csrf);
                button.danger type="submit" { (l.t("report-refund-all")) }
            }
        }
        p { a href={ "/organize/orders/" (order.id) "/anonymize" } { (l.t("report-anonymize-link")) } }
    };
    let status = if form.has_errors() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
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
    let result = authed!(&app, visit, |token, fwd| app
        .api
        .refund(&fwd, token, &id, &tickets));
    let outcome = crate::pages::after_post(
        result,
        crate::views::FormState::new(visit.locale),
        |()| format!("/organize/orders/{}?notice=refunded", path_segment(&id)),
        async |form| order_page(&app, &mut visit, &id, &form, None).await,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(day: u32, tickets: i64) -> DaySales {
        DaySales {
            date: NaiveDate::from_ymd_opt(2030, 1, day).unwrap(),
            tickets,
        }
    }

    #[test]
    fn the_chart_draws_one_bar_per_day_scaled_to_the_busiest() {
        let chart = sales_chart(Locale::En, &[day(10, 4), day(12, 1)]).into_string();
        assert_eq!(chart.matches("<rect").count(), 14, "{chart}");
        assert!(chart.contains("<title>10 Jan: 4</title>"));
        assert!(chart.contains("<title>12 Jan: 1</title>"));
        assert!(chart.contains("<title>11 Jan: 0</title>"));
        // The busiest day reaches the top of the plot area.
        assert!(
            chart.contains(r#"height="154" class="bar"><title>10 Jan: 4"#),
            "{chart}"
        );
        assert!(
            chart.contains(r#"<td class="number" id="chart-total">5</td>"#),
            "{chart}"
        );
        assert!(sales_chart(Locale::En, &[])
            .into_string()
            .contains("No tickets sold yet."));
    }

    #[test]
    fn days_before_the_window_still_count_in_the_total() {
        let chart = sales_chart(Locale::En, &[day(1, 7), day(20, 2), day(25, 3)]).into_string();
        assert!(
            chart.contains("12 tickets sold in all, 7 of them before 12 Jan 2030."),
            "{chart}"
        );
        assert!(
            chart.contains("<td>Earlier</td><td class=\"number\">7</td>"),
            "{chart}"
        );
    }
}
