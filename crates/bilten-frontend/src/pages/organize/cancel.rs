//! Canceling an event, on a page of its own: `GET /organize/events/{id}/cancel` says what
//! will happen — how many paid orders are refunded and how much money goes back — and its
//! form posts the real cancellation. The dashboard only links here; there is no one-click
//! cancel button any more, since canceling refunds every buyer and cannot be undone.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use bilten_i18n::t;
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::authed;
use super::console::{self, EventPage};
use super::overview::event_status_action;
use crate::api::ticketing::path_segment;
use crate::api::ticketing::EventStatus;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::csrf_field;
use crate::Frontend;

pub fn routes() -> Router<Frontend> {
    Router::new().route(
        "/organize/events/{id}/cancel",
        get(confirm_page).post(cancel),
    )
}

fn page_path(id: &str) -> String {
    format!("/organize/events/{}/cancel", path_segment(id))
}

async fn confirmation(app: &Frontend, visit: &mut Visit, id: &str) -> Result<Response, PageError> {
    let ctx = console::event(app, visit, id).await?;
    let event = &ctx.detail.event;
    let dashboard = format!("/organize/events/{}", path_segment(&event.id.to_string()));
    if event.status == EventStatus::Canceled {
        return Ok(Redirect::to(&format!("{dashboard}?notice=event_canceled")).into_response());
    }
    let summary = authed!(app, visit, |token, fwd| app
        .api
        .sales_summary(&fwd, token, id))?;
    let totals = &summary.totals;
    let l = visit.locale;
    let refund = crate::format::money(l, totals.net);
    let content = html! {
        h1 { (t(l, "cancel-heading", &[("event", event.title.as_str().into())])) }
        div.notice-warning role="alert" {
            p { strong { (l.t("account-delete-final")) } }
            ul {
                li #cancel-refunds {
                    @if totals.paid_orders == 0 {
                        (l.t("cancel-nothing-paid"))
                    } @else {
                        (t(l, "cancel-refunded", &[("count", totals.paid_orders.into()), ("amount", refund.as_str().into())]))
                    }
                }
                li { (t(l, "cancel-held-released", &[("count", totals.held.into())])) }
                li { (l.t("cancel-no-more-sales")) }
            }
        }
        form.form method="post" action=(page_path(&event.id.to_string())) {
            (csrf_field(&visit.csrf_token))
            input type="hidden" name="confirm" value="yes";
            div.order-actions {
                button.danger type="submit" {
                    @if totals.paid_orders == 0 { (l.t("cancel-submit")) } @else { (t(l, "cancel-submit-refund", &[("amount", refund.as_str().into())])) }
                }
                a.button href=(dashboard) { (l.t("cancel-keep")) }
            }
        }
    };
    let content = console::event_frame(l, &ctx, EventPage::Cancel, &[], &content);
    Ok(visit.page(
        &t(l, "cancel-title", &[("event", event.title.as_str().into())]),
        &l.t("cancel-description"),
        &content,
    ))
}

async fn confirm_page(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Response {
    let outcome = confirmation(&app, &mut visit, &id).await;
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    confirm: String,
}

/// The confirmed cancellation. A post without the confirmation page's `confirm=yes` (an old
/// one-click form, a stray request) cancels nothing and shows the confirmation page.
async fn cancel(
    State(app): State<Frontend>,
    visit: Visit,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<CancelForm>,
) -> Response {
    if form.confirm != "yes" {
        return Redirect::to(&page_path(&id)).into_response();
    }
    event_status_action(
        &app,
        visit,
        &id,
        "cancel",
        Some(json!({})),
        "event_canceled",
    )
    .await
}
