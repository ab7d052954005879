//! An event's quotas in the console: shared limits over some ticket types, listed with their
//! counters, a form to add one (`POST` with [`QuotaRequest`]) and each one's edit page (name
//! and capacity, `PATCH` with [`QuotaPatchRequest`]; its ticket types are shown, not edited).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use bilten_domain::TicketTypeId;
use bilten_i18n::t;
use maud::{html, Markup};

use super::console::{self, EventContext, EventPage};
use super::forms::{unprocessable, whole, Unreadable};
use super::{authed, notice};
use crate::api::ticketing::{path_segment, Quota, QuotaPatchRequest, QuotaRequest};
use crate::pages::{after_post, NoticeQuery};
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, Field, FormState};
use crate::Frontend;

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route("/organize/events/{id}/quotas", get(list).post(create))
        .route(
            "/organize/events/{id}/quotas/{quota}/edit",
            get(edit).post(save),
        )
}

fn quota_form(visit: &Visit, ctx: &EventContext, form: &FormState, chosen: &[String]) -> Markup {
    let l = visit.locale;
    let (quota_name, quota_capacity, types) = (
        l.t("editor-quota-name"),
        l.t("editor-quota-capacity"),
        l.t("editor-ticket-types"),
    );
    html! {
        (error_summary(form, &[("quota_name", &quota_name), ("quota_capacity", &quota_capacity), ("ticket_type_ids", &types)]))
        form.form method="post" action=(EventPage::Quotas.href(&ctx.id())) novalidate {
            (csrf_field(&visit.csrf_token))
            (field(&Field { name: "quota_name", label: &quota_name, kind: "text", autocomplete: "off", hint: None }, form))
            (field(&Field { name: "quota_capacity", label: &quota_capacity, kind: "number", autocomplete: "off", hint: None }, form))
            fieldset #field-ticket_type_ids {
                legend { (l.t("editor-quota-covers")) }
                @for tt in &ctx.detail.ticket_types {
                    div.check {
                        input type="checkbox" id={ "quota-" (tt.id) } name="ticket_type_ids" value=(tt.id) checked[chosen.contains(&tt.id.to_string())];
                        label for={ "quota-" (tt.id) } { (tt.name) }
                    }
                }
            }
            button type="submit" { (l.t("editor-add-quota")) }
        }
    }
}

async fn list_page(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    form: &FormState,
    chosen: &[String],
    notice_text: Option<&str>,
) -> Result<Response, PageError> {
    let ctx = console::event(app, visit, id).await?;
    let quotas: Vec<Quota> = authed!(app, visit, |token, fwd| app.api.quotas(&fwd, token, id))?;
    let name_of = |id: &TicketTypeId| {
        ctx.detail
            .ticket_types
            .iter()
            .find(|t| t.id == *id)
            .map_or(id.to_string(), |t| t.name.clone())
    };
    let l = visit.locale;
    let content = html! {
        (views::notice(notice_text))
        h1 { (l.t("editor-quotas")) }
        p.muted { (l.t("editor-quotas-intro")) }
        @if quotas.is_empty() {
            p { (l.t("console-no-quotas")) }
        } @else {
            div.table-wrap tabindex="0" role="region" aria-label=(l.t("editor-quotas")) {
                table {
                    thead { tr {
                        th scope="col" { (l.t("editor-quota-name")) }
                        th.number scope="col" { (l.t("editor-capacity")) }
                        th.number scope="col" { (l.t("stats-sold")) }
                        th.number scope="col" { (l.t("editor-held")) }
                        th.number scope="col" { (l.t("console-available")) }
                        th scope="col" { (l.t("editor-ticket-types")) }
                        th scope="col" { span.visually-hidden { (l.t("admin-actions")) } }
                    } }
                    tbody {
                        @for q in &quotas {
                            tr {
                                th scope="row" { (q.name) }
                                td.number { (q.capacity) }
                                td.number { (q.sold) }
                                td.number { (q.held) }
                                td.number { (q.available) }
                                td { (q.ticket_type_ids.iter().map(&name_of).collect::<Vec<_>>().join(", ")) }
                                td { a href={ (EventPage::Quotas.href(id)) "/" (path_segment(&q.id.to_string())) "/edit" } { (l.t("console-edit")) span.visually-hidden { " " (q.name) } } }
                            }
                        }
                    }
                }
            }
        }
        @if ctx.detail.ticket_types.is_empty() {
            p { a href=(EventPage::TicketTypes.href(id)) { (l.t("console-add-types-first")) } }
        } @else {
            section.panel aria-labelledby="add-quota" {
                h2 #add-quota { (l.t("editor-add-quota")) }
                (quota_form(visit, &ctx, form, chosen))
            }
        }
    };
    Ok(console::event_page(
        visit,
        &ctx,
        EventPage::Quotas,
        &l.t("editor-quotas-intro"),
        &content,
    ))
}

async fn list(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let l = visit.locale;
    let notice = notice(l, &query);
    let outcome = list_page(
        &app,
        &mut visit,
        &id,
        &FormState::new(l),
        &[],
        notice.as_deref(),
    )
    .await;
    visit.respond(outcome)
}

async fn create(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let l = visit.locale;
    let value = |name: &str| {
        input
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let chosen: Vec<String> = input
        .iter()
        .filter(|(k, _)| k == "ticket_type_ids")
        .map(|(_, v)| v.clone())
        .collect();
    let mut form = FormState::new(l)
        .with_value("quota_name", value("quota_name"))
        .with_value("quota_capacity", value("quota_capacity"));
    let outcome = match whole(&mut form, "quota_capacity", value("quota_capacity")) {
        Err(Unreadable) => list_page(&app, &mut visit, &id, &form, &chosen, None)
            .await
            .map(unprocessable),
        Ok(capacity) => {
            let body = QuotaRequest {
                name: Some(value("quota_name").trim().to_owned()),
                capacity,
                ticket_type_ids: Some(chosen.iter().filter_map(|id| id.parse().ok()).collect()),
            };
            let result = authed!(&app, visit, |token, fwd| app
                .api
                .create_quota(&fwd, token, &id, &body));
            after_post(
                result,
                form,
                |()| format!("{}?notice=quota_added", EventPage::Quotas.href(&id)),
                async |mut form: FormState| {
                    for (api, ours) in [("name", "quota_name"), ("capacity", "quota_capacity")] {
                        if let Some(problem) = form.field_errors.remove(api) {
                            form.field_errors.insert(ours.to_owned(), problem);
                        }
                    }
                    list_page(&app, &mut visit, &id, &form, &chosen, None).await
                },
            )
            .await
        }
    };
    visit.respond(outcome)
}

async fn edit_page(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    quota_id: &str,
    form: Option<FormState>,
) -> Result<Response, PageError> {
    let ctx = console::event(app, visit, id).await?;
    let quotas: Vec<Quota> = authed!(app, visit, |token, fwd| app.api.quotas(&fwd, token, id))?;
    let Some(quota) = quotas.into_iter().find(|q| q.id.to_string() == quota_id) else {
        return Err(PageError::NotFound);
    };
    let l = visit.locale;
    let form = form.unwrap_or_else(|| {
        FormState::new(l)
            .with_value("quota_name", &quota.name)
            .with_value("quota_capacity", &quota.capacity.to_string())
    });
    let types: Vec<&str> = ctx
        .detail
        .ticket_types
        .iter()
        .filter(|t| quota.ticket_type_ids.contains(&t.id))
        .map(|t| t.name.as_str())
        .collect();
    let (quota_name, quota_capacity) = (l.t("editor-quota-name"), l.t("editor-quota-capacity"));
    let heading = t(
        l,
        "console-edit-quota",
        &[("name", quota.name.as_str().into())],
    );
    let counts = t(
        l,
        "console-quota-counts",
        &[("sold", quota.sold.into()), ("held", quota.held.into())],
    );
    let action = format!(
        "{}/{}/edit",
        EventPage::Quotas.href(id),
        path_segment(quota_id)
    );
    let content = html! {
        h1 { (heading) }
        dl.facts {
            dt { (l.t("editor-ticket-types")) } dd { (types.join(", ")) }
            dt { (l.t("stats-sold")) } dd { (quota.sold) }
            dt { (l.t("editor-held")) } dd { (quota.held) }
        }
        p.muted { (l.t("console-quota-types-fixed")) }
        (error_summary(&form, &[("quota_name", &quota_name), ("quota_capacity", &quota_capacity)]))
        form.form method="post" action=(action) novalidate {
            (csrf_field(&visit.csrf_token))
            (field(&Field { name: "quota_name", label: &quota_name, kind: "text", autocomplete: "off", hint: None }, &form))
            (field(&Field { name: "quota_capacity", label: &quota_capacity, kind: "number", autocomplete: "off", hint: Some(&counts) }, &form))
            button type="submit" { (l.t("editor-save")) }
        }
    };
    let crumbs = [(quota.name.clone(), None)];
    let framed = console::event_frame(l, &ctx, EventPage::Quotas, &crumbs, &content);
    Ok(visit.page(&heading, &l.t("editor-quotas-intro"), &framed))
}

async fn edit(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((id, quota)): Path<(String, String)>,
) -> Response {
    let outcome = edit_page(&app, &mut visit, &id, &quota, None).await;
    visit.respond(outcome)
}

async fn save(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((id, quota)): Path<(String, String)>,
    CsrfForm(input): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let l = visit.locale;
    let value = |name: &str| {
        input
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let mut form = FormState::new(l)
        .with_value("quota_name", value("quota_name"))
        .with_value("quota_capacity", value("quota_capacity"));
    let outcome = match whole(&mut form, "quota_capacity", value("quota_capacity")) {
        Err(Unreadable) => edit_page(&app, &mut visit, &id, &quota, Some(form))
            .await
            .map(unprocessable),
        Ok(capacity) => {
            let body = QuotaPatchRequest {
                name: Some(value("quota_name").trim().to_owned()),
                capacity,
            };
            let result = authed!(&app, visit, |token, fwd| app
                .api
                .update_quota(&fwd, token, &id, &quota, &body));
            after_post(
                result,
                form,
                |()| format!("{}?notice=quota_saved", EventPage::Quotas.href(&id)),
                async |mut form: FormState| {
                    for (api, ours) in [("name", "quota_name"), ("capacity", "quota_capacity")] {
                        if let Some(problem) = form.field_errors.remove(api) {
                            form.field_errors.insert(ours.to_owned(), problem);
                        }
                    }
                    edit_page(&app, &mut visit, &id, &quota, Some(form)).await
                },
            )
            .await
        }
    };
    visit.respond(outcome)
}
