//! An event's check-in in the console: lists with their live counts, scanner devices with
//! their pairing codes, forms to add either, and revoking a device on a confirmation page of
//! its own (what stops working, before it happens).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use bilten_i18n::t;
use maud::html;
use serde::Deserialize;

use super::console::{self, EventPage};
use super::{authed, notice, reports};
use crate::api::ticketing::{path_segment, DeviceStatus};
use crate::pages::{after_post, NoticeQuery};
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, Field, FormState};
use crate::Frontend;

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route("/organize/events/{id}/checkin", get(page))
        .route("/organize/events/{id}/checkin-lists", post(add_list))
        .route("/organize/events/{id}/devices", post(add_device))
        .route(
            "/organize/events/{id}/devices/{device}/revoke",
            get(confirm_revoke).post(revoke),
        )
}

async fn checkin_page(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    form: &FormState,
    notice_text: Option<&str>,
) -> Result<Response, PageError> {
    let ctx = console::event(app, visit, id).await?;
    let lists = reports::checkins(app, visit, id).await?;
    let devices = reports::devices(app, visit, id).await?;
    let l = visit.locale;
    let (list_name, device_name) = (l.t("editor-new-list"), l.t("editor-new-device"));
    let content = html! {
        (views::notice(notice_text))
        h1 { (l.t("editor-checkin")) }
        (error_summary(form, &[("list_name", &list_name), ("device_name", &device_name)]))
        section.panel aria-labelledby="lists-title" {
            h2 #lists-title { (l.t("console-checkin-lists")) }
            (reports::checkin_table(l, &lists))
            form.form method="post" action={ "/organize/events/" (path_segment(id)) "/checkin-lists" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "list_name", label: &list_name, kind: "text", autocomplete: "off", hint: Some(&l.t("editor-new-list-hint")) }, form))
                button type="submit" { (l.t("editor-add-list")) }
            }
        }
        section.panel aria-labelledby="devices-title" {
            h2 #devices-title { (l.t("device-list")) }
            (reports::devices_table(visit, id, &devices))
            form.form method="post" action={ "/organize/events/" (path_segment(id)) "/devices" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "device_name", label: &device_name, kind: "text", autocomplete: "off", hint: Some(&l.t("editor-new-device-hint")) }, form))
                button type="submit" { (l.t("editor-add-device")) }
            }
        }
    };
    Ok(console::event_page(
        visit,
        &ctx,
        EventPage::Checkin,
        &l.t("editor-dashboard-description"),
        &content,
    ))
}

async fn page(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let l = visit.locale;
    let notice = notice(l, &query);
    let outcome = checkin_page(&app, &mut visit, &id, &FormState::new(l), notice.as_deref()).await;
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct CheckinForm {
    #[serde(default)]
    list_name: String,
    #[serde(default)]
    device_name: String,
}

/// A check-in list or a device: both are `{name}` posts answered on the check-in page.
async fn add_named(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    what: &str,
    field_name: &'static str,
    name: &str,
) -> Result<Response, PageError> {
    let l = visit.locale;
    let result = authed!(app, visit, |token, fwd| app
        .api
        .create_named(&fwd, token, id, what, name));
    let notice = if what == "devices" {
        "device_added"
    } else {
        "checkin_list_added"
    };
    after_post(
        result,
        FormState::new(l).with_value(field_name, name),
        |()| format!("{}?notice={notice}", EventPage::Checkin.href(id)),
        async |mut form: FormState| {
            if let Some(problem) = form.field_errors.remove("name") {
                form.field_errors.insert(field_name.to_owned(), problem);
            }
            checkin_page(app, visit, id, &form, None).await
        },
    )
    .await
}

async fn add_list(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<CheckinForm>,
) -> Response {
    let outcome = add_named(
        &app,
        &mut visit,
        &id,
        "checkin-lists",
        "list_name",
        input.list_name.trim(),
    )
    .await;
    visit.respond(outcome)
}

async fn add_device(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<CheckinForm>,
) -> Response {
    let outcome = add_named(
        &app,
        &mut visit,
        &id,
        "devices",
        "device_name",
        input.device_name.trim(),
    )
    .await;
    visit.respond(outcome)
}

fn revoke_path(id: &str, device: &str) -> String {
    format!(
        "/organize/events/{}/devices/{}/revoke",
        path_segment(id),
        path_segment(device)
    )
}

async fn confirmation(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    device: &str,
    form: &FormState,
) -> Result<Response, PageError> {
    let ctx = console::event(app, visit, id).await?;
    let devices = reports::devices(app, visit, id).await?;
    let Some(device) = devices.into_iter().find(|d| d.id.to_string() == device) else {
        return Err(PageError::NotFound);
    };
    let l = visit.locale;
    let back = EventPage::Checkin.href(id);
    if device.status == DeviceStatus::Revoked {
        return Ok(Redirect::to(&format!("{back}?notice=device_revoked")).into_response());
    }
    let heading = t(
        l,
        "console-revoke-heading",
        &[("device", device.name.as_str().into())],
    );
    let content = html! {
        h1 { (heading) }
        (error_summary(form, &[]))
        div.notice-warning role="alert" {
            p { strong { (l.t("account-delete-final")) } }
            ul {
                li #revoke-effect { (l.t("console-revoke-stops")) }
                @if let Some(gate) = &device.gate { li { (t(l, "device-gate", &[("gate", gate.into())])) } }
                li { (l.t("console-revoke-scans-kept")) }
            }
        }
        form.form method="post" action=(revoke_path(id, &device.id.to_string())) {
            (csrf_field(&visit.csrf_token))
            input type="hidden" name="confirm" value="yes";
            div.order-actions {
                button.danger type="submit" { (l.t("device-revoke")) span.visually-hidden { " " (device.name) } }
                a.button href=(back) { (l.t("console-keep-device")) }
            }
        }
    };
    let crumbs = [(device.name.clone(), None)];
    let framed = console::event_frame(l, &ctx, EventPage::Checkin, &crumbs, &content);
    let status = if form.has_errors() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok(visit.page_with_status(
        status,
        &heading,
        &l.t("editor-dashboard-description"),
        &framed,
    ))
}

async fn confirm_revoke(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((id, device)): Path<(String, String)>,
) -> Response {
    let form = FormState::new(visit.locale);
    let outcome = confirmation(&app, &mut visit, &id, &device, &form).await;
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirm: String,
}

/// The confirmed revocation; a post without `confirm=yes` revokes nothing and shows the
/// confirmation page.
async fn revoke(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((id, device)): Path<(String, String)>,
    CsrfForm(input): CsrfForm<ConfirmForm>,
) -> Response {
    if input.confirm != "yes" {
        return Redirect::to(&revoke_path(&id, &device)).into_response();
    }
    let l = visit.locale;
    let result = authed!(&app, visit, |token, fwd| app
        .api
        .revoke_device(&fwd, token, &device));
    let outcome = after_post(
        result,
        FormState::new(l),
        |()| format!("{}?notice=device_revoked", EventPage::Checkin.href(&id)),
        async |form| confirmation(&app, &mut visit, &id, &device, &form).await,
    )
    .await;
    visit.respond(outcome)
}
