//! An event's promo codes in the console: the list, a form to add one (code, percent or
//! amount off, max uses, validity window, which ticket types, whether it reveals hidden
//! types, active) and each one's edit page. The API lets a code's limits change, not what
//! orders were priced with: on the edit page the code, its discount and its ticket types are
//! shown, and max uses, the window, reveals-hidden and active are editable.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use bilten_domain::{Currency, Discount, Money, Price};
use bilten_i18n::{t, Locale};
use maud::{html, Markup};

use super::console::{self, EventContext, EventPage};
use super::forms::{invalid, local_input, local_time, unprocessable, whole};
use super::{authed, notice};
use crate::api::ticketing::{path_segment, PromoCode, PromoCodeRequest};
use crate::format;
use crate::pages::{after_post, NoticeQuery};
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, Field, FormState};
use crate::Frontend;

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route("/organize/events/{id}/promo-codes", get(list).post(create))
        .route(
            "/organize/events/{id}/promo-codes/{code}/edit",
            get(edit).post(save),
        )
}

/// The posted fields (ticket types repeat, so a list of pairs).
struct Posted(Vec<(String, String)>);

impl Posted {
    fn value(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == "true")
    }

    fn types(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == "ticket_type_ids")
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn form_state(&self, l: Locale) -> FormState {
        let mut form = FormState::new(l);
        for name in [
            "code",
            "percent",
            "amount",
            "max_uses",
            "valid_from",
            "valid_until",
            "reveals_hidden",
            "active",
        ] {
            form = form.with_value(name, self.value(name));
        }
        form
    }

    /// Max uses and the window, read from the form: `Some(None)` clears a field.
    fn limits(
        &self,
        form: &mut FormState,
        tz: chrono_tz::Tz,
    ) -> Option<(Option<i64>, Option<String>, Option<String>)> {
        let max_uses = whole(form, "max_uses", self.value("max_uses"));
        let from = local_time(form, "valid_from", self.value("valid_from"), tz);
        let until = local_time(form, "valid_until", self.value("valid_until"), tz);
        match (max_uses, from, until) {
            (Ok(max), Ok(from), Ok(until)) => Some((max, from, until)),
            _ => None,
        }
    }
}

fn discount_text(l: Locale, discount: Option<Discount>) -> String {
    match discount {
        Some(Discount::Percent { basis_points }) => t(
            l,
            "editor-discount-percent",
            &[(
                "percent",
                bilten_i18n::format::percent(l, basis_points.get().into()).into(),
            )],
        ),
        Some(Discount::Fixed { amount }) => t(
            l,
            "editor-discount-amount",
            &[("amount", format::price(l, amount.money()).into())],
        ),
        None => "—".to_owned(),
    }
}

fn checkbox(name: &str, label: &str, form: &FormState) -> Markup {
    html! {
        div.check {
            input type="checkbox" id={ "field-" (name) } name=(name) value="true" checked[form.value(name) == "true"];
            label for={ "field-" (name) } { (label) }
        }
    }
}

/// The limits every promo code form has: max uses, the window, reveals-hidden, active.
fn limit_fields(l: Locale, form: &FormState) -> Markup {
    let input = |name: &'static str, label: String, kind: &'static str, hint: Option<String>| {
        field(
            &Field {
                name,
                label: &label,
                kind,
                autocomplete: "off",
                hint: hint.as_deref(),
            },
            form,
        )
    };
    html! {
        (input("max_uses", l.t("editor-max-uses"), "number", Some(l.t("console-max-uses-hint"))))
        fieldset {
            legend { (l.t("console-valid")) }
            (input("valid_from", l.t("console-valid-from"), "datetime-local", Some(l.t("console-valid-hint"))))
            (input("valid_until", l.t("console-valid-until"), "datetime-local", None))
        }
        (checkbox("reveals_hidden", &l.t("console-reveals-hidden"), form))
        (checkbox("active", &l.t("editor-active"), form))
    }
}

fn summary_labels(l: Locale) -> Vec<(&'static str, String)> {
    vec![
        ("code", l.t("auth-code")),
        ("percent", l.t("editor-percent-off")),
        ("amount", l.t("editor-amount-off")),
        ("discount", l.t("order-discount")),
        ("max_uses", l.t("editor-max-uses")),
        ("valid_from", l.t("console-valid-from")),
        ("valid_until", l.t("console-valid-until")),
        ("ticket_type_ids", l.t("editor-ticket-types")),
    ]
}

fn create_form(visit: &Visit, ctx: &EventContext, form: &FormState, chosen: &[String]) -> Markup {
    let l = visit.locale;
    let labels = summary_labels(l);
    let summary: Vec<(&str, &str)> = labels.iter().map(|(n, s)| (*n, s.as_str())).collect();
    let (code_label, percent, amount) = (
        l.t("auth-code"),
        l.t("editor-percent-off"),
        l.t("editor-amount-off"),
    );
    html! {
        (error_summary(form, &summary))
        form.form.wide method="post" action=(EventPage::PromoCodes.href(&ctx.id())) novalidate {
            (csrf_field(&visit.csrf_token))
            (field(&Field { name: "code", label: &code_label, kind: "text", autocomplete: "off", hint: Some(&l.t("editor-code-hint")) }, form))
            fieldset {
                legend { (l.t("order-discount")) }
                (field(&Field { name: "percent", label: &percent, kind: "number", autocomplete: "off", hint: Some(&l.t("editor-percent-hint")) }, form))
                (field(&Field { name: "amount", label: &amount, kind: "text", autocomplete: "off", hint: Some(&l.t("editor-amount-hint")) }, form))
            }
            fieldset #field-ticket_type_ids {
                legend { (l.t("console-applies-to")) }
                p.hint { (l.t("console-applies-to-hint")) }
                @for tt in &ctx.detail.ticket_types {
                    div.check {
                        input type="checkbox" id={ "promo-" (tt.id) } name="ticket_type_ids" value=(tt.id) checked[chosen.contains(&tt.id.to_string())];
                        label for={ "promo-" (tt.id) } { (tt.name) }
                    }
                }
            }
            (limit_fields(l, form))
            button type="submit" { (l.t("editor-add-promo-code")) }
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
    let codes = authed!(app, visit, |token, fwd| app
        .api
        .promo_codes(&fwd, token, id))?;
    let l = visit.locale;
    let tz = format::zone(&ctx.detail.event.timezone);
    let content = html! {
        (views::notice(notice_text))
        h1 { (l.t("editor-promo-codes")) }
        @if codes.is_empty() {
            p { (l.t("console-no-promo-codes")) }
        } @else {
            div.table-wrap tabindex="0" role="region" aria-label=(l.t("editor-promo-codes")) {
                table {
                    thead { tr {
                        th scope="col" { (l.t("auth-code")) }
                        th scope="col" { (l.t("order-discount")) }
                        th.number scope="col" { (l.t("editor-used")) }
                        th scope="col" { (l.t("console-valid")) }
                        th scope="col" { (l.t("admin-status")) }
                        th scope="col" { span.visually-hidden { (l.t("admin-actions")) } }
                    } }
                    tbody {
                        @for code in &codes {
                            tr {
                                th scope="row" { code { (code.code) } }
                                td { (discount_text(l, code.discount)) }
                                td.number { @if let Some(max) = code.max_uses { (t(l, "editor-uses-of", &[("uses", code.uses.into()), ("max", max.into())])) } @else { (code.uses) } }
                                td {
                                    @if let Some(from) = code.valid_from { (t(l, "editor-sales-from", &[("date_time", format::local_datetime(l, from, tz).into())])) br; }
                                    @if let Some(until) = code.valid_until { (t(l, "editor-sales-until", &[("date_time", format::local_datetime(l, until, tz).into())])) }
                                    @if code.valid_from.is_none() && code.valid_until.is_none() { (l.t("console-always")) }
                                }
                                td {
                                    @if code.active { (l.t("editor-active")) } @else { (l.t("editor-inactive")) }
                                    @if code.reveals_hidden { br; span.muted { (l.t("console-reveals-hidden-short")) } }
                                }
                                td { a href={ (EventPage::PromoCodes.href(id)) "/" (code.id) "/edit" } { (l.t("console-edit")) span.visually-hidden { " " (code.code) } } }
                            }
                        }
                    }
                }
            }
        }
        section.panel aria-labelledby="add-promo" {
            h2 #add-promo { (l.t("editor-add-promo-code")) }
            (create_form(visit, &ctx, form, chosen))
        }
    };
    Ok(console::event_page(
        visit,
        &ctx,
        EventPage::PromoCodes,
        &l.t("editor-dashboard-description"),
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
    let form = FormState::new(l).with_value("active", "true");
    let outcome = list_page(&app, &mut visit, &id, &form, &[], notice.as_deref()).await;
    visit.respond(outcome)
}

async fn create(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let l = visit.locale;
    let input = Posted(input);
    let chosen = input.types();
    let outcome = async {
        let ctx = console::event(&app, &mut visit, &id).await?;
        let mut form = input.form_state(l);
        let currency = Currency::parse(&ctx.detail.event.currency).ok();
        let discount = match (input.value("percent").trim(), input.value("amount").trim()) {
            (percent, "") if !percent.is_empty() => {
                match percent.replace(',', ".").parse::<f64>() {
                    Ok(p) if p > 0.0 && p <= 100.0 => {
                        #[expect(
                            clippy::cast_possible_truncation,
                            clippy::cast_sign_loss,
                            reason = "0 < p <= 100, so p * 100 fits a u32"
                        )]
                        let basis_points = (p * 100.0).round() as u32;
                        Discount::percent(basis_points).ok()
                    }
                    _ => None,
                }
                .or_else(|| {
                    invalid(&mut form, "percent", &l.t("editor-percent-invalid"));
                    None
                })
            }
            ("", amount) if !amount.is_empty() => currency
                .and_then(|c| Money::parse_decimal(amount, c).ok())
                .and_then(|money| Price::new(money).ok())
                .and_then(|price| Discount::fixed(price).ok())
                .or_else(|| {
                    invalid(&mut form, "amount", &l.t("editor-amount-invalid"));
                    None
                }),
            _ => {
                invalid(&mut form, "percent", &l.t("editor-discount-required"));
                None
            }
        };
        let tz = format::zone(&ctx.detail.event.timezone);
        let limits = input.limits(&mut form, tz);
        let (Some(discount), Some((max_uses, from, until))) = (discount, limits) else {
            return list_page(&app, &mut visit, &id, &form, &chosen, None)
                .await
                .map(unprocessable);
        };
        let body = PromoCodeRequest {
            code: Some(input.value("code").trim().to_owned()),
            discount: Some(discount),
            max_uses: max_uses.map(Some),
            valid_from: from.map(Some),
            valid_until: until.map(Some),
            ticket_type_ids: Some(chosen.iter().filter_map(|id| id.parse().ok()).collect()),
            reveals_hidden: Some(input.checked("reveals_hidden")),
            active: Some(input.checked("active")),
        };
        let result = authed!(&app, visit, |token, fwd| app
            .api
            .create_promo_code(&fwd, token, &id, &body));
        after_post(
            result,
            form,
            |()| {
                format!(
                    "{}?notice=promo_code_added",
                    EventPage::PromoCodes.href(&id)
                )
            },
            async |form| list_page(&app, &mut visit, &id, &form, &chosen, None).await,
        )
        .await
    }
    .await;
    visit.respond(outcome)
}

fn form_of(l: Locale, code: &PromoCode, tz: chrono_tz::Tz) -> FormState {
    let flag = |on: bool| if on { "true" } else { "" };
    FormState::new(l)
        .with_value(
            "max_uses",
            &code.max_uses.map(|m| m.to_string()).unwrap_or_default(),
        )
        .with_value("valid_from", &local_input(code.valid_from, tz))
        .with_value("valid_until", &local_input(code.valid_until, tz))
        .with_value("reveals_hidden", flag(code.reveals_hidden))
        .with_value("active", flag(code.active))
}

async fn edit_page(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    code_id: &str,
    form: Option<FormState>,
) -> Result<Response, PageError> {
    let ctx = console::event(app, visit, id).await?;
    let codes = authed!(app, visit, |token, fwd| app
        .api
        .promo_codes(&fwd, token, id))?;
    let Some(code) = codes.into_iter().find(|c| c.id.to_string() == code_id) else {
        return Err(PageError::NotFound);
    };
    let l = visit.locale;
    let tz = format::zone(&ctx.detail.event.timezone);
    let form = form.unwrap_or_else(|| form_of(l, &code, tz));
    let types: Vec<&str> = ctx
        .detail
        .ticket_types
        .iter()
        .filter(|t| code.ticket_type_ids.contains(&t.id))
        .map(|t| t.name.as_str())
        .collect();
    let labels = summary_labels(l);
    let summary: Vec<(&str, &str)> = labels.iter().map(|(n, s)| (*n, s.as_str())).collect();
    let heading = t(
        l,
        "console-edit-promo-code",
        &[("code", code.code.as_str().into())],
    );
    let action = format!(
        "{}/{}/edit",
        EventPage::PromoCodes.href(id),
        path_segment(code_id)
    );
    let content = html! {
        h1 { (heading) }
        dl.facts {
            dt { (l.t("order-discount")) } dd { (discount_text(l, code.discount)) }
            dt { (l.t("console-applies-to")) } dd { @if types.is_empty() { (l.t("console-all-types")) } @else { (types.join(", ")) } }
            dt { (l.t("editor-used")) } dd { (code.uses) }
        }
        p.muted { (l.t("console-promo-fixed")) }
        (error_summary(&form, &summary))
        form.form.wide method="post" action=(action) novalidate {
            (csrf_field(&visit.csrf_token))
            (limit_fields(l, &form))
            button type="submit" { (l.t("editor-save")) }
        }
    };
    let crumbs = [(code.code.clone(), None)];
    let framed = console::event_frame(l, &ctx, EventPage::PromoCodes, &crumbs, &content);
    Ok(visit.page(&heading, &l.t("editor-dashboard-description"), &framed))
}

async fn edit(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((id, code)): Path<(String, String)>,
) -> Response {
    let outcome = edit_page(&app, &mut visit, &id, &code, None).await;
    visit.respond(outcome)
}

async fn save(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((id, code)): Path<(String, String)>,
    CsrfForm(input): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let l = visit.locale;
    let input = Posted(input);
    let outcome = async {
        let ctx = console::event(&app, &mut visit, &id).await?;
        let mut form = input.form_state(l);
        let tz = format::zone(&ctx.detail.event.timezone);
        let Some((max_uses, from, until)) = input.limits(&mut form, tz) else {
            return edit_page(&app, &mut visit, &id, &code, Some(form))
                .await
                .map(unprocessable);
        };
        // An emptied field clears the limit.
        let body = PromoCodeRequest {
            max_uses: Some(max_uses),
            valid_from: Some(from),
            valid_until: Some(until),
            reveals_hidden: Some(input.checked("reveals_hidden")),
            active: Some(input.checked("active")),
            ..PromoCodeRequest::default()
        };
        let result = authed!(&app, visit, |token, fwd| app
            .api
            .update_promo_code(&fwd, token, &code, &body));
        after_post(
            result,
            form,
            |()| {
                format!(
                    "{}?notice=promo_code_saved",
                    EventPage::PromoCodes.href(&id)
                )
            },
            async |form| edit_page(&app, &mut visit, &id, &code, Some(form)).await,
        )
        .await
    }
    .await;
    visit.respond(outcome)
}
