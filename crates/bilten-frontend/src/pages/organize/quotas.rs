//! An event's quotas in the console: shared limits over some ticket types, listed with their
//! counters, and a form to add one (`POST` with [`QuotaRequest`]). The API has no way to
//! change a quota yet, so the page only adds.

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
use crate::api::ticketing::{Quota, QuotaRequest};
use crate::pages::{after_post, NoticeQuery};
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, Field, FormState};
use crate::Frontend;

pub fn routes() -> Router<Frontend> {
    Router::new().route("/organize/events/{id}/quotas", get(list).post(create))
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
    let framed = console::event_frame(l, &ctx, EventPage::Quotas, &[], &content);
    Ok(visit.page(
        &t(
            l,
            "console-page-of",
            &[
                ("page", l.t("editor-quotas").into()),
                ("event", ctx.detail.event.title.as_str().into()),
            ],
        ),
        &l.t("editor-quotas-intro"),
        &framed,
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
