//! What an organization sees of an event's sales: the orders list (filters, search, cursor),
//! the sales summary (per ticket type; money as gross, refunds and net; tickets sold per day
//! over every order), the attendee list, and CSV exports of orders and attendees.
//!
//! Every handler first loads the event and asks `authz` for `ViewOrganization` in the event's
//! organization (staff and up; everyone else gets 404), and every query is scoped by that
//! event's id, so no view can reach another organization's data.

use bilten_domain::TextEnum as _;
use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bilten_api::orders::{Buyer, OrderStatus};
use bilten_api::reports::{
    Attendee, DaySales, OrderRow, SalesSummary, SalesTotals, TicketTypeRef, TicketTypeSales,
};
use bilten_api::Page;
use bilten_domain::event::TimeZoneName;
use bilten_domain::{Currency, Money, OrderId, TicketId};
use bilten_http::{Json, Query};
use bilten_store::events::{self, EventRecord};
use bilten_store::reports::{self, AttendeeFilter, OrderFilter, OrderSummary};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;

use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::events::lookup::{load_event, parse_event_id};
use crate::events::views::effective_available;
use crate::views::{self};
use crate::AppState;

const PAGE_DEFAULT: i64 = 50;
const PAGE_MAX: i64 = 200;

async fn event_for_viewer(
    state: &AppState,
    actor: &CurrentUser,
    id: &str,
) -> BackendResult<EventRecord> {
    let event = load_event(state, parse_event_id(id)?).await?;
    authorize_in(
        state,
        actor,
        event.organization_id,
        Action::ViewOrganization,
        "event",
    )
    .await?;
    Ok(event)
}

fn encode_cursor(at: DateTime<Utc>, id: &str) -> String {
    format!("{}.{id}", at.timestamp_millis())
}

fn decode_cursor<T: std::str::FromStr>(text: &str) -> BackendResult<(DateTime<Utc>, T)> {
    let bad = || BackendError::field("cursor", "invalid", "Not a cursor from a previous page.");
    let (millis, id) = text.split_once('.').ok_or_else(bad)?;
    let at = millis
        .parse::<i64>()
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .ok_or_else(bad)?;
    Ok((at, id.parse().map_err(|_| bad())?))
}

fn page_limit(limit: Option<i64>) -> BackendResult<i64> {
    match limit.unwrap_or(PAGE_DEFAULT) {
        n if (1..=PAGE_MAX).contains(&n) => Ok(n),
        _ => Err(BackendError::field(
            "limit",
            "out_of_range",
            format!("Use a number from 1 to {PAGE_MAX}."),
        )),
    }
}

fn search_text(q: Option<String>) -> BackendResult<Option<String>> {
    let q = q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(BackendError::field(
            "q",
            "too_long",
            "Search for at most 200 characters.",
        ));
    }
    Ok(q)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    status: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn order_filter(query: OrdersQuery, paged: bool) -> BackendResult<OrderFilter> {
    let status = match query.status.as_deref() {
        None => None,
        Some(text) => Some(OrderStatus::parse(text).ok_or_else(|| {
            let all: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
            BackendError::field(
                "status",
                "invalid",
                format!("Use one of: {}.", all.join(", ")),
            )
        })?),
    };
    Ok(OrderFilter {
        status,
        q: search_text(query.q)?,
        before: query
            .cursor
            .as_deref()
            .map(decode_cursor::<OrderId>)
            .transpose()?,
        limit: if paged { page_limit(query.limit)? } else { 0 },
    })
}

fn order_row_view(o: &OrderSummary, now: DateTime<Utc>) -> BackendResult<OrderRow> {
    Ok(OrderRow {
        id: o.id,
        status: o.status.shown(o.expires_at <= now),
        buyer: Buyer {
            email: o.buyer_email.clone(),
            name: o.buyer_name.clone(),
        },
        quantity: o.quantity,
        promo_code: o.promo_code.clone(),
        discount: views::money(o.discount_minor, &o.currency)?,
        total: views::money(o.total_minor, &o.currency)?,
        created_at: o.created_at,
    })
}

/// `GET /events/{id}/orders?status=&q=&cursor=&limit=` (staff and up): newest first.
#[utoipa::path(
    get,
    path = "/events/{id}/orders",
    tag = "organizer views",
    operation_id = "list_event_orders",
    summary = "The event's orders",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
        OrdersQuery,
    ),
    responses(
        (status = 200, description = "A page, newest first.", body = Page<OrderRow>),
    )
)]
pub async fn orders(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<OrdersQuery>,
) -> BackendResult<Json<Page<OrderRow>>> {
    let event = event_for_viewer(&state, &actor, &id).await?;
    let filter = order_filter(query, true)?;
    let now = Utc::now();
    let rows = reports::orders_of_event(state.store.primary(), event.id, &filter, now).await?;
    let next_cursor = (i64::try_from(rows.len()).unwrap_or(i64::MAX) == filter.limit)
        .then(|| rows.last())
        .flatten()
        .map(|o| encode_cursor(o.created_at, &o.id.to_string()));
    let items = rows
        .iter()
        .map(|o| order_row_view(o, now))
        .collect::<BackendResult<_>>()?;
    Ok(Json(Page { items, next_cursor }))
}

/// Tickets sold per day in the event's time zone, oldest first: `[{date, tickets}]`, folded
/// from the database's quarter-hour counts (a quarter hour never straddles a local midnight).
/// An unreadable zone (never stored, but old rows are old) counts in UTC.
fn per_day(buckets: &[(DateTime<Utc>, i64)], zone: &str) -> Vec<DaySales> {
    fn fold<Z: chrono::TimeZone>(
        buckets: &[(DateTime<Utc>, i64)],
        tz: &Z,
    ) -> BTreeMap<chrono::NaiveDate, i64> {
        let mut days = BTreeMap::new();
        for (at, tickets) in buckets {
            *days.entry(at.with_timezone(tz).date_naive()).or_default() += tickets;
        }
        days
    }
    let days = match TimeZoneName::parse(zone) {
        Ok(zone) => fold(buckets, &zone.tz()),
        Err(_) => fold(buckets, &Utc),
    };
    days.into_iter()
        .map(|(date, tickets)| DaySales { date, tickets })
        .collect()
}

/// `GET /events/{id}/sales-summary` (staff and up): per ticket type capacity, sold, held (live
/// holds only), revenue and discounts of paid orders; the totals, with the event's money as
/// gross, refunds and net; and tickets sold per day over all orders.
#[utoipa::path(
    get,
    path = "/events/{id}/sales-summary",
    tag = "organizer views",
    operation_id = "get_sales_summary",
    summary = "Sales per ticket type and day",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "Per ticket type, the totals and tickets sold per day.", body = SalesSummary),
    )
)]
pub async fn sales_summary(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<SalesSummary>> {
    let event = event_for_viewer(&state, &actor, &id).await?;
    let now = Utc::now();
    let types = events::ticket_types_of(state.store.primary(), event.id, now).await?;
    let quotas = events::quotas_of(state.store.primary(), event.id, now).await?;
    let paid: HashMap<_, _> = reports::paid_per_ticket_type(state.store.primary(), event.id)
        .await?
        .into_iter()
        .map(|(id, tickets, revenue, discount)| (id, (tickets, revenue, discount)))
        .collect();
    let takings = reports::sales_money(state.store.primary(), event.id).await?;
    let over_time = reports::tickets_sold_over_time(state.store.primary(), event.id).await?;
    let currency = views::currency(&event.fields.currency)?;
    let money = |minor: i64| Money::new(minor, currency);
    let (mut capacity, mut sold, mut held, mut revenue, mut discount) = (0, 0, 0, 0, 0);
    let items: Vec<TicketTypeSales> = types
        .iter()
        .map(|t| {
            let (_, type_revenue, type_discount) = paid.get(&t.id).copied().unwrap_or_default();
            let type_held = t.held - t.lapsed;
            capacity += t.capacity;
            sold += t.sold;
            held += type_held;
            revenue += type_revenue;
            discount += type_discount;
            TicketTypeSales {
                ticket_type_id: t.id,
                name: t.name.clone(),
                price: money(t.price_minor),
                capacity: t.capacity,
                sold: t.sold,
                held: type_held,
                available: effective_available(t, &quotas),
                revenue: money(type_revenue),
                discount: money(type_discount),
            }
        })
        .collect();
    Ok(Json(SalesSummary {
        event_id: event.id,
        currency,
        ticket_types: items,
        totals: SalesTotals {
            capacity,
            sold,
            held,
            revenue: money(revenue),
            discount: money(discount),
            gross: money(takings.gross_minor),
            refunds: money(takings.refunded_minor),
            net: money(takings.gross_minor - takings.refunded_minor),
            paid_orders: takings.paid_orders,
        },
        per_day: per_day(&over_time, &event.fields.timezone),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttendeesQuery {
    q: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn attendee_filter(query: AttendeesQuery, paged: bool) -> BackendResult<AttendeeFilter> {
    Ok(AttendeeFilter {
        q: search_text(query.q)?,
        after: query
            .cursor
            .as_deref()
            .map(decode_cursor::<TicketId>)
            .transpose()?,
        limit: if paged { page_limit(query.limit)? } else { 0 },
    })
}

/// `GET /events/{id}/attendees?q=&cursor=&limit=` (staff and up): tickets with holder, type,
/// order and status, in issue order.
#[utoipa::path(
    get,
    path = "/events/{id}/attendees",
    tag = "organizer views",
    operation_id = "list_attendees",
    summary = "The event's tickets",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
        AttendeesQuery,
    ),
    responses(
        (status = 200, description = "A page of tickets in issue order.", body = Page<Attendee>),
    )
)]
pub async fn attendees(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<AttendeesQuery>,
) -> BackendResult<Json<Page<Attendee>>> {
    let event = event_for_viewer(&state, &actor, &id).await?;
    let filter = attendee_filter(query, true)?;
    let rows = reports::attendees_of_event(state.store.primary(), event.id, &filter).await?;
    let next_cursor = (i64::try_from(rows.len()).unwrap_or(i64::MAX) == filter.limit)
        .then(|| rows.last())
        .flatten()
        .map(|a| encode_cursor(a.issued_at, &a.ticket_id.to_string()));
    let items = rows
        .iter()
        .map(|a| {
            Ok(Attendee {
                ticket_id: a.ticket_id,
                holder_name: a.holder_name.clone(),
                ticket_type: TicketTypeRef {
                    id: a.ticket_type_id,
                    name: a.ticket_type_name.clone(),
                },
                order_id: a.order_id,
                buyer_email: a.buyer_email.clone(),
                status: a.status,
                issued_at: a.issued_at,
            })
        })
        .collect::<BackendResult<_>>()?;
    Ok(Json(Page { items, next_cursor }))
}

/// A cell as a spreadsheet will read it: text starting with `=`, `+`, `-`, `@` (or a tab or
/// carriage return, which some programs strip first) is prefixed with `'` so it is shown, not
/// evaluated (OWASP "CSV injection"). Quoting and escaping are the `csv` crate's job.
fn safe_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn decimal(minor: i64, currency: &str) -> String {
    Currency::parse(currency).map_or_else(
        |_| minor.to_string(),
        |c| Money::new(minor, c).to_decimal_string(),
    )
}

fn time_cell(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Writes `rows` (header first) as CSV and answers it as a download named `filename`.
fn csv_response(filename: &str, rows: &[Vec<String>]) -> BackendResult<Response> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| safe_cell(cell)))
            .map_err(|e| BackendError::Internal(e.to_string()))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| BackendError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /events/{id}/orders.csv` (staff and up): every order (same filters as the list, no
/// paging), one row per order, amounts as decimals in the event currency.
#[utoipa::path(
    get,
    path = "/events/{id}/orders.csv",
    tag = "organizer views",
    operation_id = "export_event_orders",
    summary = "The event's orders as CSV",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
        OrdersQuery,
    ),
    responses(
        (status = 200, description = "RFC 4180 CSV, one row per order.", body = String, content_type = "text/csv"),
    )
)]
pub async fn orders_csv(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<OrdersQuery>,
) -> BackendResult<Response> {
    let event = event_for_viewer(&state, &actor, &id).await?;
    let filter = order_filter(query, false)?;
    let now = Utc::now();
    let orders = reports::orders_of_event(state.store.primary(), event.id, &filter, now).await?;
    let mut items: HashMap<OrderId, Vec<String>> = HashMap::new();
    for line in reports::lines_of_event(state.store.primary(), event.id).await? {
        items
            .entry(line.order_id)
            .or_default()
            .push(format!("{} x {}", line.quantity, line.ticket_type_name));
    }
    let mut rows = vec![[
        "order_id",
        "created_at",
        "status",
        "buyer_email",
        "buyer_name",
        "items",
        "quantity",
        "promo_code",
        "discount",
        "total",
        "currency",
    ]
    .map(str::to_owned)
    .to_vec()];
    for o in &orders {
        rows.push(vec![
            o.id.to_string(),
            time_cell(o.created_at),
            o.status.shown(o.expires_at <= now).as_str().to_owned(),
            o.buyer_email.clone(),
            o.buyer_name.clone(),
            items.get(&o.id).map(|i| i.join("; ")).unwrap_or_default(),
            o.quantity.to_string(),
            o.promo_code.clone().unwrap_or_default(),
            decimal(o.discount_minor, &o.currency),
            decimal(o.total_minor, &o.currency),
            o.currency.clone(),
        ]);
    }
    csv_response(&format!("orders-{}.csv", event.id), &rows)
}

/// `GET /events/{id}/attendees.csv` (staff and up): every ticket, one row each.
#[utoipa::path(
    get,
    path = "/events/{id}/attendees.csv",
    tag = "organizer views",
    operation_id = "export_attendees",
    summary = "The event's tickets as CSV",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
        AttendeesQuery,
    ),
    responses(
        (status = 200, description = "RFC 4180 CSV, one row per ticket.", body = String, content_type = "text/csv"),
    )
)]
pub async fn attendees_csv(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<AttendeesQuery>,
) -> BackendResult<Response> {
    let event = event_for_viewer(&state, &actor, &id).await?;
    let filter = attendee_filter(query, false)?;
    let attendees = reports::attendees_of_event(state.store.primary(), event.id, &filter).await?;
    let mut rows = vec![[
        "ticket_id",
        "holder_name",
        "ticket_type",
        "order_id",
        "buyer_email",
        "status",
        "issued_at",
    ]
    .map(str::to_owned)
    .to_vec()];
    for a in &attendees {
        rows.push(vec![
            a.ticket_id.to_string(),
            a.holder_name.clone(),
            a.ticket_type_name.clone(),
            a.order_id.to_string(),
            a.buyer_email.clone(),
            a.status.as_str().to_owned(),
            time_cell(a.issued_at),
        ]);
    }
    csv_response(&format!("attendees-{}.csv", event.id), &rows)
}

#[cfg(test)]
mod tests {
    use super::safe_cell;

    #[test]
    fn cells_that_a_spreadsheet_would_evaluate_are_quoted() {
        assert_eq!(safe_cell("=SUM(A1:A9)"), "'=SUM(A1:A9)");
        assert_eq!(safe_cell("+1"), "'+1");
        assert_eq!(safe_cell("-2"), "'-2");
        assert_eq!(safe_cell("@cmd"), "'@cmd");
        assert_eq!(safe_cell("\tx"), "'\tx");
        assert_eq!(safe_cell("Ann = Bob"), "Ann = Bob");
        assert_eq!(safe_cell(""), "");
    }
}
