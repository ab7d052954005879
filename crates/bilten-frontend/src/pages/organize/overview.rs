//! An event's overview in the console: its state, publish, the sales tiles and the sales
//! chart. Everything else has a page of its own (see [`super::console`]).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bilten_i18n::{t, Locale};
use maud::{html, Markup};

use super::console::{self, EventPage};
use super::{authed, charts, notice, reports};
use crate::api::ticketing::{Event, EventStatus, SalesSummary};
use crate::format;
use crate::pages::{after_post, NoticeQuery};
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, FormState};
use crate::Frontend;

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route("/organize/events/{id}", get(overview))
        .route("/organize/events/{id}/publish", post(publish))
        .route("/organize/events/{id}/reports", get(reports_page))
}

fn stat(label: &str, value: &str) -> Markup {
    html! { div.stat { dt { (label) } dd { (value) } } }
}

pub fn stats(l: Locale, summary: &SalesSummary, checkins: Option<i64>) -> Markup {
    let totals = &summary.totals;
    let n = |n: i64| bilten_i18n::format::number(l, n);
    html! {
        dl.stats {
            (stat(&l.t("stats-sold"), &t(l, "stats-sold-of", &[("sold", totals.sold.into()), ("capacity", totals.capacity.into())])))
            (stat(&l.t("stats-held"), &n(totals.held)))
            (stat(&l.t("stats-gross"), &format::money(l, totals.gross)))
            (stat(&l.t("stats-refunds"), &format::money(l, totals.refunds)))
            (stat(&l.t("stats-net"), &format::money(l, totals.net)))
            @if !totals.discount.is_zero() { (stat(&l.t("stats-discounts"), &format::price(l, totals.discount))) }
            @if let Some(checkins) = checkins { (stat(&l.t("checkin-checked-in"), &n(checkins))) }
        }
    }
}

fn status_actions(visit: &Visit, event: &Event, form: &FormState) -> Markup {
    let l = visit.locale;
    html! {
        (error_summary(form, &[]))
        div.order-actions {
            a.button href=(EventPage::Settings.href(&event.id.to_string())) { (l.t("editor-edit-details")) }
            @if event.status == EventStatus::Draft {
                form method="post" action={ "/organize/events/" (event.id) "/publish" } {
                    (csrf_field(&visit.csrf_token))
                    button type="submit" { (l.t("editor-publish")) }
                }
            }
            @if event.status == EventStatus::Published {
                a href={ "/events/" (event.id) } { (l.t("editor-view-public")) }
            }
        }
    }
}

pub(super) async fn overview_page(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    status_form: &FormState,
    notice_text: Option<&str>,
) -> Result<Response, PageError> {
    let ctx = console::event(app, visit, id).await?;
    let summary = authed!(app, visit, |token, fwd| app
        .api
        .sales_summary(&fwd, token, id))?;
    let checkins = reports::checkins(app, visit, id).await?;
    let checked_in: i64 = checkins.iter().map(|l| l.checked_in).sum();
    let event = &ctx.detail.event;
    let tz = format::zone(&event.timezone);
    let l = visit.locale;
    let content = html! {
        (views::notice(notice_text))
        p { span.tag { (super::event_status_label(l, event.status)) } }
        h1 { (event.title) }
        p { (format::time_range(l, event.starts_at, event.ends_at, tz)) }
        (status_actions(visit, event, status_form))
        h2 { (l.t("editor-sales")) }
        (stats(l, &summary, Some(checked_in)))
        (charts::sales_per_day(l, &summary.per_day))
        p { a href=(EventPage::Reports.href(id)) { (l.t("console-all-reports")) } }
        section.panel aria-labelledby="embed" {
            h2 #embed { (l.t("console-embed")) }
            p.muted { (l.t("console-embed-hint")) }
            div.field {
                label for="embed-snippet" { (l.t("console-embed-snippet")) }
                textarea #embed-snippet readonly rows="4" spellcheck="false" {
                    (crate::pages::embed::snippet(&app.public_url, &event.id.to_string(), &t(l, "embed-title", &[("title", event.title.as_str().into())])))
                }
            }
            p { a href={ "/embed/events/" (event.id) } { (l.t("console-embed-preview")) } }
        }
    };
    let framed = console::event_frame(l, &ctx, EventPage::Overview, &[], &content);
    let status = if status_form.has_errors() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok(visit.page_with_status(
        status,
        &event.title,
        &l.t("editor-dashboard-description"),
        &framed,
    ))
}

async fn overview(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let (form, notice) = (FormState::new(visit.locale), notice(visit.locale, &query));
    let outcome = overview_page(&app, &mut visit, &id, &form, notice.as_deref()).await;
    visit.respond(outcome)
}

async fn publish(
    State(app): State<Frontend>,
    visit: Visit,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<crate::pages::auth::EmptyForm>,
) -> Response {
    event_status_action(&app, visit, &id, "publish", None, "event_published").await
}

/// `POST /events/{id}/{action}` (publish, cancel), then to the overview with `notice`, or
/// the overview again with the refusal.
pub(super) async fn event_status_action(
    app: &Frontend,
    mut visit: Visit,
    id: &str,
    action: &str,
    body: Option<serde_json::Value>,
    notice: &str,
) -> Response {
    let l = visit.locale;
    let result = authed!(app, visit, |token, fwd| app.api.event_action(
        &fwd,
        token,
        id,
        action,
        body.clone()
    ));
    let outcome = after_post(
        result,
        FormState::new(l),
        |()| format!("{}?notice={notice}", EventPage::Overview.href(id)),
        async |status| overview_page(app, &mut visit, id, &status, None).await,
    )
    .await;
    visit.respond(outcome)
}

/// Pages of the scan log read for the entries chart (200 scans each).
const LOG_PAGES: usize = 10;

/// The reports page: the tiles and the three charts (sales per day, revenue per ticket type,
/// entries per hour).
async fn reports_page(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        let ctx = console::event(&app, &mut visit, &id).await?;
        let summary = authed!(&app, visit, |token, fwd| app
            .api
            .sales_summary(&fwd, token, &id))?;
        let mut scans = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..LOG_PAGES {
            let page = authed!(&app, visit, |token, fwd| app.api.checkin_log(
                &fwd,
                token,
                &id,
                cursor.as_deref()
            ))?;
            scans.extend(page.items);
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        let l = visit.locale;
        let tz = format::zone(&ctx.detail.event.timezone);
        let content = html! {
            h1 { (EventPage::Reports.label(l)) }
            (stats(l, &summary, None))
            div.charts {
                (charts::sales_per_day(l, &summary.per_day))
                (charts::revenue_by_type(l, &summary))
                (charts::entries_per_hour(l, &scans, tz))
            }
        };
        Ok(console::event_page(
            &visit,
            &ctx,
            EventPage::Reports,
            &l.t("editor-dashboard-description"),
            &content,
        ))
    }
    .await;
    visit.respond(outcome)
}
