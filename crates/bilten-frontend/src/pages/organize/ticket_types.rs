//! An event's ticket types in the console: the list with counters, a form to add one, and
//! each one's edit page (name, description, price, capacity, min/max per order, sales
//! window, hidden or public) — `POST`/`PATCH` with [`TicketTypeRequest`].

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use bilten_domain::{Currency, Money};
use bilten_i18n::{t, Locale};
use maud::{html, Markup};
use serde::Deserialize;

use super::console::{self, EventContext, EventPage};
use super::forms::{invalid, label_of, local_input, local_time, unprocessable, whole};
use super::{authed, notice};
use crate::api::ticketing::{
    path_segment, Event, SalesPhase, TicketType, TicketTypeRequest, Visibility,
};
use crate::format;
use crate::pages::{after_post, NoticeQuery};
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, select, textarea, Field, FormState};
use crate::Frontend;

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route("/organize/events/{id}/ticket-types", get(list).post(create))
        .route(
            "/organize/events/{id}/ticket-types/{ticket_type}/edit",
            get(edit).post(save),
        )
}

const FIELDS: [&str; 9] = [
    "name",
    "description",
    "price",
    "capacity",
    "min_per_order",
    "max_per_order",
    "sales_start",
    "sales_end",
    "visibility",
];

fn labels(l: Locale) -> [(&'static str, String); 9] {
    [
        ("name", l.t("auth-name")),
        ("description", l.t("editor-description")),
        ("price", l.t("order-col-price")),
        ("capacity", l.t("editor-capacity")),
        ("min_per_order", l.t("console-min-per-order")),
        ("max_per_order", l.t("editor-max-per-order")),
        ("sales_start", l.t("editor-sales-start")),
        ("sales_end", l.t("editor-sales-end")),
        ("visibility", l.t("console-visibility")),
    ]
}

#[derive(Deserialize, Default)]
pub struct TicketTypeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    min_per_order: String,
    #[serde(default)]
    max_per_order: String,
    #[serde(default)]
    sales_start: String,
    #[serde(default)]
    sales_end: String,
    #[serde(default)]
    visibility: String,
}

impl TicketTypeForm {
    fn values(&self) -> [&String; 9] {
        [
            &self.name,
            &self.description,
            &self.price,
            &self.capacity,
            &self.min_per_order,
            &self.max_per_order,
            &self.sales_start,
            &self.sales_end,
            &self.visibility,
        ]
    }

    fn form_state(&self, l: Locale) -> FormState {
        FIELDS
            .iter()
            .zip(self.values())
            .fold(FormState::new(l), |form, (name, value)| {
                form.with_value(name, value)
            })
    }

    /// The form as it shows `ticket_type` (times on the event's clocks).
    fn from_ticket_type(ticket_type: &TicketType, event: &Event) -> Self {
        let tz = format::zone(&event.timezone);
        Self {
            name: ticket_type.name.clone(),
            description: ticket_type.description.clone(),
            price: ticket_type.price.to_decimal_string(),
            capacity: ticket_type.capacity.unwrap_or(0).to_string(),
            min_per_order: ticket_type.min_per_order.to_string(),
            max_per_order: ticket_type.max_per_order.to_string(),
            sales_start: local_input(ticket_type.sales_start, tz),
            sales_end: local_input(ticket_type.sales_end, tz),
            visibility: match ticket_type.visibility {
                Some(Visibility::Hidden) => "hidden",
                _ => "public",
            }
            .to_owned(),
        }
    }

    fn to_body(&self, l: Locale, event: &Event) -> Result<TicketTypeRequest, FormState> {
        let mut form = self.form_state(l);
        let currency = Currency::parse(&event.currency).ok();
        let price = match currency.map(|c| Money::parse_decimal(self.price.trim(), c)) {
            Some(Ok(money)) => Some(money.minor()),
            _ => {
                invalid(&mut form, "price", &l.t("editor-price-invalid"));
                None
            }
        };
        let capacity = whole(&mut form, "capacity", &self.capacity);
        let min = whole(&mut form, "min_per_order", &self.min_per_order);
        let max = whole(&mut form, "max_per_order", &self.max_per_order);
        let tz = format::zone(&event.timezone);
        let start = local_time(&mut form, "sales_start", &self.sales_start, tz);
        let end = local_time(&mut form, "sales_end", &self.sales_end, tz);
        let (Some(price), Ok(capacity), Ok(min), Ok(max), Ok(start), Ok(end)) =
            (price, capacity, min, max, start, end)
        else {
            return Err(form);
        };
        Ok(TicketTypeRequest {
            name: Some(self.name.trim().to_owned()),
            description: Some(self.description.trim().to_owned()),
            price: Some(price),
            capacity,
            sales_start: start,
            sales_end: end,
            min_per_order: min,
            max_per_order: max,
            visibility: Some(if self.visibility == "hidden" {
                Visibility::Hidden
            } else {
                Visibility::Public
            }),
        })
    }
}

fn ticket_type_form(visit: &Visit, action: &str, submit: &str, form: &FormState) -> Markup {
    let l = visit.locale;
    let labels = labels(l);
    let label = |name: &'static str| label_of(&labels, name);
    let summary: Vec<(&str, &str)> = labels.iter().map(|(n, l)| (*n, l.as_str())).collect();
    let input = |name: &'static str, kind: &'static str, hint: Option<String>| {
        field(
            &Field {
                name,
                label: label(name),
                kind,
                autocomplete: "off",
                hint: hint.as_deref(),
            },
            form,
        )
    };
    let visibility = [
        ("public", l.t("console-visibility-public")),
        ("hidden", l.t("console-visibility-hidden")),
    ];
    html! {
        (error_summary(form, &summary))
        form.form.wide method="post" action=(action) novalidate {
            (csrf_field(&visit.csrf_token))
            (input("name", "text", None))
            (textarea("description", label("description"), Some(&l.t("editor-optional")), form))
            (input("price", "text", Some(l.t("editor-price-hint"))))
            (input("capacity", "number", None))
            fieldset {
                legend { (l.t("console-per-order")) }
                (input("min_per_order", "number", Some(l.t("console-min-per-order-hint"))))
                (input("max_per_order", "number", Some(l.t("editor-max-per-order-hint"))))
            }
            fieldset {
                legend { (l.t("editor-sales")) }
                (input("sales_start", "datetime-local", Some(l.t("editor-sales-start-hint"))))
                (input("sales_end", "datetime-local", Some(l.t("editor-optional"))))
            }
            (select("visibility", label("visibility"), &visibility, form.value("visibility"), form))
            button type="submit" { (submit) }
        }
    }
}

fn sales_phase_label(l: Locale, phase: SalesPhase) -> String {
    match phase {
        SalesPhase::NotOpen => l.t("phase-not-open"),
        SalesPhase::OnSale => l.t("phase-on-sale"),
        SalesPhase::SoldOut => l.t("tickets-sold-out"),
        SalesPhase::Closed => l.t("phase-closed"),
    }
}

fn table(l: Locale, ctx: &EventContext) -> Markup {
    let event = &ctx.detail.event;
    let tz = format::zone(&event.timezone);
    let id = ctx.id();
    html! {
        @if ctx.detail.ticket_types.is_empty() {
            p { (l.t("editor-ticket-types-none")) }
        } @else {
            div.table-wrap tabindex="0" role="region" aria-label=(l.t("editor-ticket-types")) {
                table {
                    thead { tr {
                        th scope="col" { (l.t("auth-name")) }
                        th.number scope="col" { (l.t("order-col-price")) }
                        th.number scope="col" { (l.t("editor-capacity")) }
                        th.number scope="col" { (l.t("stats-sold")) }
                        th.number scope="col" { (l.t("editor-held")) }
                        th scope="col" { (l.t("editor-sales")) }
                        th scope="col" { span.visually-hidden { (l.t("admin-actions")) } }
                    } }
                    tbody {
                        @for tt in &ctx.detail.ticket_types {
                            tr {
                                th scope="row" { (tt.name) @if tt.visibility == Some(Visibility::Hidden) { " " span.tag { (l.t("editor-hidden")) } } }
                                td.number { (format::price(l, tt.price)) }
                                td.number { (tt.capacity.unwrap_or(0)) }
                                td.number { (tt.sold.unwrap_or(0)) }
                                td.number { (tt.held.unwrap_or(0)) }
                                td {
                                    (sales_phase_label(l, tt.sales_phase))
                                    @if let Some(start) = tt.sales_start { br; span.muted { (t(l, "editor-sales-from", &[("date_time", format::local_datetime(l, start, tz).into())])) } }
                                    @if let Some(end) = tt.sales_end { br; span.muted { (t(l, "editor-sales-until", &[("date_time", format::local_datetime(l, end, tz).into())])) } }
                                    br; span.muted { (t(l, "console-per-order-range", &[("min", tt.min_per_order.into()), ("max", tt.max_per_order.into())])) }
                                }
                                td { a href={ "/organize/events/" (path_segment(&id)) "/ticket-types/" (tt.id) "/edit" } { (l.t("console-edit")) span.visually-hidden { " " (tt.name) } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn list_page(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    form: &FormState,
    notice_text: Option<&str>,
) -> Result<Response, PageError> {
    let ctx = console::event(app, visit, id).await?;
    let l = visit.locale;
    let content = html! {
        (views::notice(notice_text))
        h1 { (l.t("editor-ticket-types")) }
        (table(l, &ctx))
        section.panel aria-labelledby="add-type" {
            h2 #add-type { (l.t("editor-add-ticket-type")) }
            (ticket_type_form(visit, &EventPage::TicketTypes.href(id), &l.t("editor-add-ticket-type-submit"), form))
        }
    };
    Ok(console::event_page(
        visit,
        &ctx,
        EventPage::TicketTypes,
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
    let form = FormState::new(l)
        .with_value("min_per_order", "1")
        .with_value("max_per_order", "10")
        .with_value("visibility", "public");
    let notice = notice(l, &query);
    let outcome = list_page(&app, &mut visit, &id, &form, notice.as_deref()).await;
    visit.respond(outcome)
}

async fn create(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<TicketTypeForm>,
) -> Response {
    let l = visit.locale;
    let outcome = async {
        let ctx = console::event(&app, &mut visit, &id).await?;
        match input.to_body(l, &ctx.detail.event) {
            Err(form) => list_page(&app, &mut visit, &id, &form, None)
                .await
                .map(unprocessable),
            Ok(body) => {
                let result = authed!(&app, visit, |token, fwd| app
                    .api
                    .create_ticket_type(&fwd, token, &id, &body));
                after_post(
                    result,
                    input.form_state(l),
                    |()| {
                        format!(
                            "{}?notice=ticket_type_added",
                            EventPage::TicketTypes.href(&id)
                        )
                    },
                    async |form| list_page(&app, &mut visit, &id, &form, None).await,
                )
                .await
            }
        }
    }
    .await;
    visit.respond(outcome)
}

async fn edit_page(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    ticket_type: &str,
    form: Option<FormState>,
) -> Result<Response, PageError> {
    let ctx = console::event(app, visit, id).await?;
    let Some(current) = ctx
        .detail
        .ticket_types
        .iter()
        .find(|t| t.id.to_string() == ticket_type)
    else {
        return Err(PageError::NotFound);
    };
    let l = visit.locale;
    let form = form.unwrap_or_else(|| {
        TicketTypeForm::from_ticket_type(current, &ctx.detail.event).form_state(l)
    });
    let action = format!(
        "{}/{}/edit",
        EventPage::TicketTypes.href(id),
        path_segment(ticket_type)
    );
    let heading = t(
        l,
        "console-edit-ticket-type",
        &[("name", current.name.as_str().into())],
    );
    let content = html! {
        h1 { (heading) }
        p.muted { (t(l, "console-ticket-type-counts", &[("sold", current.sold.unwrap_or(0).into()), ("held", current.held.unwrap_or(0).into())])) }
        (ticket_type_form(visit, &action, &l.t("editor-save"), &form))
    };
    let crumbs = [(current.name.clone(), None)];
    let framed = console::event_frame(l, &ctx, EventPage::TicketTypes, &crumbs, &content);
    Ok(visit.page(&heading, &l.t("editor-dashboard-description"), &framed))
}

async fn edit(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((id, ticket_type)): Path<(String, String)>,
) -> Response {
    let outcome = edit_page(&app, &mut visit, &id, &ticket_type, None).await;
    visit.respond(outcome)
}

async fn save(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((id, ticket_type)): Path<(String, String)>,
    CsrfForm(input): CsrfForm<TicketTypeForm>,
) -> Response {
    let l = visit.locale;
    let outcome = async {
        let ctx = console::event(&app, &mut visit, &id).await?;
        match input.to_body(l, &ctx.detail.event) {
            Err(form) => edit_page(&app, &mut visit, &id, &ticket_type, Some(form))
                .await
                .map(unprocessable),
            Ok(body) => {
                let result = authed!(&app, visit, |token, fwd| app.api.update_ticket_type(
                    &fwd,
                    token,
                    &ticket_type,
                    &body
                ));
                after_post(
                    result,
                    input.form_state(l),
                    |()| {
                        format!(
                            "{}?notice=ticket_type_saved",
                            EventPage::TicketTypes.href(&id)
                        )
                    },
                    async |form| edit_page(&app, &mut visit, &id, &ticket_type, Some(form)).await,
                )
                .await
            }
        }
    }
    .await;
    visit.respond(outcome)
}
