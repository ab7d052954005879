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
    html! {
        @if devices.is_empty() {
            p.muted { "No scanner devices yet." }
        } @else {
            ul.tickets-list aria-label="Scanner devices" {
                @for device in devices {
                    li.ticket-card {
                        div.ticket-text {
                            h3 { (device.name) }
                            p { span.tag { (device.status) } @if let Some(gate) = &device.gate { " · gate " (gate) } }
                            @if let Some(code) = &device.pairing_code {
                                p { "Pairing code: " strong { code { (code) } } }
                                p.muted { "Open the scanner app and scan the QR code, or type the code." }
                            }
                            @if device.status != crate::api::ticketing::DeviceStatus::Revoked {
                                form method="post" action={ "/organize/events/" (event) "/devices/" (device.id) "/revoke" } {
                                    input type="hidden" name="csrf_token" value=(visit.csrf_token);
                                    button.secondary type="submit" { "Revoke" span.visually-hidden { " " (device.name) } }
                                }
                            }
                        }
                        @if device.pairing_code.is_some() {
                            img.qr src={ "/organize/devices/" (device.id) "/pairing.svg" }
                                alt={ "Pairing QR code for " (device.name) } width="180" height="180";
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
pub fn checkin_table(lists: &[crate::api::ticketing::CheckinListStats]) -> Markup {
    html! {
        @if lists.is_empty() {
            p.muted { "No check-in lists yet." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th scope="col" { "List" } th.number scope="col" { "Checked in" } th.number scope="col" { "Expected" } th.number scope="col" { "Inside now" } } }
                    tbody {
                        @for list in lists {
                            tr { th scope="row" { (list.name) } td.number { (list.checked_in) } td.number { (list.expected) } td.number { (list.inside) } }
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
pub fn sales_chart(per_day: &[DaySales]) -> Markup {
    let sold: BTreeMap<NaiveDate, i64> = per_day.iter().map(|d| (d.date, d.tickets)).collect();
    let total: i64 = sold.values().sum();
    let Some((&last, _)) = sold.iter().rev().find(|(_, n)| **n > 0) else {
        return html! {
            figure.chart {
                figcaption { "Tickets sold per day" }
                p.muted { "No tickets sold yet." }
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
            day.format("%-d %b")
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
                day.format("%-d %b")
            );
        }
    }
    html! {
        figure.chart {
            figcaption #chart-title { "Tickets sold per day (last 14 days with sales, event time)" }
            svg viewBox={ "0 0 " (width) " " (height) } role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg" {
                line x1="0" y1=(plot_height) x2=(width) y2=(plot_height) class="axis" {}
                (PreEscaped(bars))
            }
            p.chart-total { (total) " tickets sold in all" @if earlier > 0 { ", " (earlier) " of them before " (first_shown.format("%-d %b %Y")) } "." }
            details {
                summary { "The numbers" }
                table {
                    thead { tr { th scope="col" { "Day" } th.number scope="col" { "Tickets" } } }
                    tbody {
                        @if earlier > 0 { tr { td { "Earlier" } td.number { (earlier) } } }
                        @for (day, sold) in &days { tr { td { (day.format("%a %-d %b %Y")) } td.number { (sold) } } }
                    }
                    tfoot { tr { th scope="row" { "Total" } td.number #chart-total { (total) } } }
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

fn search_box(action: &str, query: &ReportQuery, with_status: bool) -> Markup {
    let statuses = [
        ("", "Any status"),
        ("paid", "Paid"),
        ("pending", "Pending"),
        ("refunded", "Refunded"),
        ("canceled", "Canceled"),
        ("expired", "Expired"),
    ];
    html! {
        form.search-form method="get" action=(action) role="search" aria-label="Search" {
            div.field {
                label for="field-q" { "Name, email or order" }
                input #field-q type="search" name="q" value=(query.q);
            }
            @if with_status {
                div.field {
                    label for="field-status" { "Status" }
                    select #field-status name="status" {
                        @for (value, label) in statuses {
                            option value=(value) selected[query.status == value] { (label) }
                        }
                    }
                }
            }
            div.search-actions { button type="submit" { "Search" } }
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
        let content = html! {
            (breadcrumbs(&[("Organize", Some("/organize".to_owned())), (&title, Some(format!("/organize/events/{}", path_segment(&id)))), ("Orders", None)]))
            (views::notice(notice(&query.notice)))
            h1 { "Orders" }
            p { a href={ (base) ".csv" } download { "Download all orders (CSV)" } }
            (search_box(&base, &query, true))
            @if page.items.is_empty() {
                p.empty-state { "No orders found." }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr { th scope="col" { "Order" } th scope="col" { "Buyer" } th.number scope="col" { "Tickets" } th.number scope="col" { "Total" } th scope="col" { "Status" } th scope="col" { "Placed" } } }
                        tbody {
                            @for order in &page.items {
                                tr {
                                    th scope="row" { a href={ "/organize/orders/" (order.id) } { code { (order.id) } } }
                                    td { (order.buyer.name) br; span.muted { (order.buyer.email) } }
                                    td.number { (order.quantity) }
                                    td.number { (format::price(order.total)) @if let Some(code) = &order.promo_code { br; span.muted { (code) } } }
                                    td { span.tag { (order.status) } }
                                    td { (format::local_datetime(order.created_at, tz)) }
                                }
                            }
                        }
                    }
                }
                @if let Some(cursor) = &page.next_cursor {
                    p { a.button href=(query.next(&base, cursor)) { "Older orders" } }
                }
            }
        };
        Ok(visit.page("Orders", "The event's orders.", &content))
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
        let content = html! {
            (breadcrumbs(&[("Organize", Some("/organize".to_owned())), (&title, Some(format!("/organize/events/{}", path_segment(&id)))), ("Attendees", None)]))
            h1 { "Attendees" }
            p { a href={ (base) ".csv" } download { "Download the attendee list (CSV)" } }
            (search_box(&base, &query, false))
            @if page.items.is_empty() {
                p.empty-state { "No attendees yet." }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr { th scope="col" { "Name" } th scope="col" { "Ticket" } th scope="col" { "Buyer" } th scope="col" { "Status" } } }
                        tbody {
                            @for a in &page.items {
                                tr {
                                    th scope="row" { @if a.holder_name.is_empty() { "—" } @else { (a.holder_name) } }
                                    td { (a.ticket_type.name) br; span.muted { code { (a.ticket_id) } } }
                                    td { (a.buyer_email) br; span.muted { code { (a.order_id) } } }
                                    td { span.tag { (a.status) } }
                                }
                            }
                        }
                    }
                }
                @if let Some(cursor) = &page.next_cursor {
                    p { a.button href=(query.next(&base, cursor)) { "More attendees" } }
                }
            }
        };
        Ok(visit.page("Attendees", "The event's attendees.", &content))
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
    let content = html! {
        (breadcrumbs(&[("Organize", Some("/organize".to_owned())), (&title, Some(format!("/organize/events/{}", order.event_id))), ("Orders", Some(format!("/organize/events/{}/orders", order.event_id))), (&order_id, None)]))
        (views::notice(notice_text))
        h1 { "Order " code { (order.id) } }
        p { span.tag { (order.status) } " · " (order.buyer.name) " <" (order.buyer.email) ">" }
        (crate::views::error_summary(form, &[]))
        div.table-wrap {
            table {
                thead { tr { th scope="col" { "Ticket" } th scope="col" { "Attendee" } th scope="col" { "Status" } th scope="col" { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for ticket in &tickets {
                        tr {
                            th scope="row" { (ticket.ticket_type) br; span.muted { code { (ticket.id) } } }
                            td { @if ticket.attendee_name.is_empty() { "—" } @else { (ticket.attendee_name) } }
                            td { span.tag { (ticket.status) } }
                            td {
                                @if refundable && ticket.status == TicketStatus::Valid {
                                    form method="post" action={ "/organize/orders/" (order.id) "/refund" } {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        input type="hidden" name="ticket_id" value=(ticket.id);
                                        button.secondary type="submit" { "Refund this ticket" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { "Total paid: " strong { (format::price(order.total)) } " · placed " (format::local_datetime(order.created_at, tz)) }
        @if refundable {
            form method="post" action={ "/organize/orders/" (order.id) "/refund" } {
                input type="hidden" name="csrf_token" value=(csrf);
                button.danger type="submit" { "Refund everything left" }
            }
        }
        p { a href={ "/organize/orders/" (order.id) "/anonymize" } { "Anonymize the buyer's data (on their request)" } }
    };
    let status = if form.has_errors() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok(visit.page_with_status(status, "Order", "An order of your event.", &content))
}

async fn order_detail(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let outcome = order_page(
        &app,
        &mut visit,
        &id,
        &crate::views::FormState::default(),
        notice(&query),
    )
    .await;
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
        crate::views::FormState::default(),
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
        let chart = sales_chart(&[day(10, 4), day(12, 1)]).into_string();
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
        assert!(sales_chart(&[])
            .into_string()
            .contains("No tickets sold yet."));
    }

    #[test]
    fn days_before_the_window_still_count_in_the_total() {
        let chart = sales_chart(&[day(1, 7), day(20, 2), day(25, 3)]).into_string();
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
