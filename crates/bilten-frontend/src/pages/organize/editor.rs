//! The event editor (draft → publish; canceling has its own confirmation page, see
//! [`super::cancel`]), ticket types, quotas and promo codes, and the event's dashboard that
//! holds them.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bilten_domain::{Currency, Discount, Money};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{authed, breadcrumbs, notice, reports};
use crate::api::ticketing::EventStatus;
use crate::api::ticketing::{
    path_segment, Event, EventDetail, PromoCode, Quota, SalesSummary, Visibility,
};
use crate::api::FieldProblem;
use crate::format;
use crate::pages::events::CATEGORIES;
use crate::pages::{after_post, NoticeQuery};
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, select, textarea, Field, FormState};
use crate::Frontend;
use bilten_domain::TicketTypeId;

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route(
            "/organize/{org}/events/new",
            get(new_event).post(create_event),
        )
        .route("/organize/events/{id}", get(dashboard))
        .route(
            "/organize/events/{id}/edit",
            get(edit_event).post(save_event),
        )
        .route("/organize/events/{id}/publish", post(publish))
        .route("/organize/events/{id}/ticket-types", post(add_ticket_type))
        .route("/organize/events/{id}/quotas", post(add_quota))
        .route("/organize/events/{id}/promo-codes", post(add_promo_code))
        .route(
            "/organize/events/{id}/checkin-lists",
            post(add_checkin_list),
        )
        .route("/organize/events/{id}/devices", post(add_device))
        .route(
            "/organize/events/{id}/devices/{device}/revoke",
            post(revoke_device),
        )
}

// ----- the event form -----

/// The event form's fields, in page order, with their labels.
const EVENT_FIELDS: [(&str, &str); 16] = [
    ("title", "Title"),
    ("description", "Description"),
    ("starts_at", "Starts"),
    ("ends_at", "Ends"),
    ("timezone", "Time zone"),
    ("venue_name", "Venue"),
    ("venue_address", "Street address"),
    ("city", "City"),
    ("country", "Country"),
    ("latitude", "Latitude"),
    ("longitude", "Longitude"),
    ("online_url", "Online link"),
    ("currency", "Currency"),
    ("category", "Category"),
    ("image_url", "Image URL"),
    ("hold_minutes", "Hold minutes"),
];

#[derive(Deserialize, Default)]
pub struct EventForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    venue_name: String,
    #[serde(default)]
    venue_address: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    online_url: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    image_url: String,
    #[serde(default)]
    hold_minutes: String,
}

impl EventForm {
    fn values(&self) -> [(&'static str, &str); 16] {
        [
            ("title", &self.title),
            ("description", &self.description),
            ("starts_at", &self.starts_at),
            ("ends_at", &self.ends_at),
            ("timezone", &self.timezone),
            ("venue_name", &self.venue_name),
            ("venue_address", &self.venue_address),
            ("city", &self.city),
            ("country", &self.country),
            ("latitude", &self.latitude),
            ("longitude", &self.longitude),
            ("online_url", &self.online_url),
            ("currency", &self.currency),
            ("category", &self.category),
            ("image_url", &self.image_url),
            ("hold_minutes", &self.hold_minutes),
        ]
    }

    fn form_state(&self) -> FormState {
        self.values()
            .into_iter()
            .fold(FormState::default(), |form, (name, value)| {
                form.with_value(name, value)
            })
    }

    /// The API body. Local times are read in the event's time zone (what an organizer types
    /// is the time on the venue's clocks); what cannot be read is named per field.
    fn to_body(&self) -> Result<Value, FormState> {
        let mut form = self.form_state();
        let problem = |message: &str| FieldProblem {
            code: "invalid".to_owned(),
            message: message.to_owned(),
        };
        let tz: Option<chrono_tz::Tz> = self.timezone.trim().parse().ok();
        if tz.is_none() {
            form.field_errors.insert(
                "timezone".to_owned(),
                problem("Use a time zone name like Europe/Berlin."),
            );
        }
        let mut time = |name: &str, text: &str| -> Option<DateTime<Utc>> {
            let parsed = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
                .ok()
                .and_then(|local| tz?.from_local_datetime(&local).earliest())
                .map(|t| t.with_timezone(&Utc));
            if parsed.is_none() && tz.is_some() {
                form.field_errors.insert(
                    name.to_owned(),
                    problem("Enter a date and time like 2026-12-31 20:00."),
                );
            }
            parsed
        };
        let starts = time("starts_at", &self.starts_at);
        let ends = time("ends_at", &self.ends_at);
        let mut number = |name: &str, text: &str| -> Option<Value> {
            let text = text.trim();
            if text.is_empty() {
                return Some(Value::Null);
            }
            match text.parse::<f64>() {
                Ok(n) if name == "hold_minutes" && n.fract() == 0.0 => Some(json!(n as i64)),
                Ok(n) if name != "hold_minutes" => Some(json!(n)),
                _ => {
                    form.field_errors
                        .insert(name.to_owned(), problem("Enter a number."));
                    None
                }
            }
        };
        let latitude = number("latitude", &self.latitude);
        let longitude = number("longitude", &self.longitude);
        let hold = number("hold_minutes", &self.hold_minutes);
        let (Some(starts), Some(ends), Some(latitude), Some(longitude), Some(hold)) =
            (starts, ends, latitude, longitude, hold)
        else {
            return Err(form);
        };
        let text = |v: &str| {
            let v = v.trim();
            if v.is_empty() {
                Value::Null
            } else {
                json!(v)
            }
        };
        let mut body = json!({
            "title": self.title.trim(),
            "description": self.description.trim(),
            "starts_at": starts.to_rfc3339(),
            "ends_at": ends.to_rfc3339(),
            "timezone": self.timezone.trim(),
            "venue_name": text(&self.venue_name),
            "venue_address": text(&self.venue_address),
            "city": text(&self.city),
            "country": text(&self.country.to_uppercase()),
            "latitude": latitude,
            "longitude": longitude,
            "online_url": text(&self.online_url),
            "currency": text(&self.currency.to_uppercase()),
            "category": text(&self.category),
            "image_url": text(&self.image_url),
            "hold_minutes": hold,
        });
        // Nulls mean "not given": the API keeps (or defaults) what is not sent.
        if let Some(object) = body.as_object_mut() {
            object.retain(|_, v| !v.is_null());
        }
        Ok(body)
    }

    fn from_event(event: &Event) -> Self {
        let tz = format::zone(&event.timezone);
        let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            title: event.title.clone(),
            description: event.description.clone(),
            starts_at: local(event.starts_at),
            ends_at: local(event.ends_at),
            timezone: event.timezone.clone(),
            venue_name: opt(&event.venue_name),
            venue_address: opt(&event.venue_address),
            city: opt(&event.city),
            country: opt(&event.country),
            latitude: event.latitude.map(|v| v.to_string()).unwrap_or_default(),
            longitude: event.longitude.map(|v| v.to_string()).unwrap_or_default(),
            online_url: opt(&event.online_url),
            currency: event.currency.clone(),
            category: event.category.as_str().to_owned(),
            image_url: opt(&event.image_url),
            hold_minutes: event.hold_minutes.to_string(),
        }
    }
}

fn event_form(visit: &Visit, action: &str, submit: &str, form: &FormState) -> Markup {
    let categories: Vec<(&str, String)> = CATEGORIES
        .iter()
        .map(|c| (*c, format::category_label(c)))
        .collect();
    let text = |name: &'static str, label: &'static str, hint: Option<&'static str>| {
        field(
            &Field {
                name,
                label,
                kind: "text",
                autocomplete: "off",
                hint,
            },
            form,
        )
    };
    html! {
        (error_summary(form, &EVENT_FIELDS))
        form.form.wide method="post" action=(action) novalidate {
            (csrf_field(&visit.csrf_token))
            (text("title", "Title", None))
            (textarea("description", "Description", Some("Blank lines start a new paragraph."), form))
            fieldset {
                legend { "When" }
                (field(&Field { name: "starts_at", label: "Starts", kind: "datetime-local", autocomplete: "off", hint: Some("In the event's time zone.") }, form))
                (field(&Field { name: "ends_at", label: "Ends", kind: "datetime-local", autocomplete: "off", hint: None }, form))
                (text("timezone", "Time zone", Some("Where the event happens, e.g. Europe/Berlin or America/New_York.")))
            }
            fieldset {
                legend { "Where" }
                (text("venue_name", "Venue", Some("Leave the venue empty for an online event.")))
                (text("venue_address", "Street address", None))
                (text("city", "City", None))
                (text("country", "Country", Some("Two letters, e.g. DE.")))
                (text("latitude", "Latitude", Some("Optional: pins the map link, e.g. 52.52.")))
                (text("longitude", "Longitude", None))
                (field(&Field { name: "online_url", label: "Online link", kind: "url", autocomplete: "off", hint: None }, form))
            }
            (text("currency", "Currency", Some("Three letters, e.g. EUR. Fixed once ticket types exist.")))
            (select("category", "Category", &categories, form.value("category"), form))
            (field(&Field { name: "image_url", label: "Image URL", kind: "url", autocomplete: "off", hint: Some("Optional: shown when the event is shared.") }, form))
            (field(&Field { name: "hold_minutes", label: "Hold minutes", kind: "number", autocomplete: "off", hint: Some("How long tickets are held while a buyer pays (default 15).") }, form))
            button type="submit" { (submit) }
        }
    }
}

async fn new_event_page(
    app: &Frontend,
    visit: &mut Visit,
    org: &str,
    form: &FormState,
) -> Result<Response, PageError> {
    let list = authed!(app, visit, |token, fwd| app
        .api
        .my_organizations(&fwd, token))?;
    let Some(organization) = list.into_iter().find(|o| o.id.to_string() == org) else {
        return Err(PageError::NotFound);
    };
    let content = html! {
        (breadcrumbs(&[("Organize", Some("/organize".to_owned())), (&organization.name, Some(format!("/organize/{org}"))), ("New event", None)]))
        h1 { "New event" }
        (event_form(visit, &format!("/organize/{org}/events/new"), "Save draft", form))
    };
    Ok(visit.page("New event", "Create an event on Bilten.", &content))
}

async fn new_event(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(org): Path<String>,
) -> Response {
    let form = FormState::default()
        .with_value("timezone", "Europe/Berlin")
        .with_value("currency", "EUR")
        .with_value("category", "music")
        .with_value("hold_minutes", "15");
    let outcome = new_event_page(&app, &mut visit, &org, &form).await;
    visit.respond(outcome)
}

async fn create_event(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(org): Path<String>,
    CsrfForm(input): CsrfForm<EventForm>,
) -> Response {
    let outcome = match input.to_body() {
        Err(form) => new_event_page(&app, &mut visit, &org, &form)
            .await
            .map(unprocessable),
        Ok(body) => {
            let result = authed!(&app, visit, |token, fwd| app.api.create_event(
                &fwd,
                token,
                &org,
                body.clone()
            ));
            after_post(
                result,
                input.form_state(),
                |event: Event| format!("/organize/events/{}?notice=event_created", event.id),
                async |form| new_event_page(&app, &mut visit, &org, &form).await,
            )
            .await
        }
    };
    visit.respond(outcome)
}

fn unprocessable(mut page: Response) -> Response {
    *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    page
}

/// The event as its organization sees it. The ticket types come from the members-only list,
/// so someone outside the organization gets 404 even for a published event.
pub(super) async fn load(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
) -> Result<EventDetail, PageError> {
    let ticket_types = authed!(app, visit, |token, fwd| app
        .api
        .ticket_types(&fwd, token, id))?;
    let detail = authed!(app, visit, |token, fwd| {
        let api = app.api.clone();
        let fwd = fwd.clone();
        let id = id.to_owned();
        async move { api.event(&fwd, Some(&token), &id).await }
    })?;
    Ok(EventDetail {
        ticket_types,
        ..detail
    })
}

async fn edit_page(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    form: Option<FormState>,
) -> Result<Response, PageError> {
    let detail = load(app, visit, id).await?;
    let event = &detail.event;
    let form = form.unwrap_or_else(|| EventForm::from_event(event).form_state());
    let content = html! {
        (breadcrumbs(&[("Organize", Some("/organize".to_owned())), (&event.title, Some(format!("/organize/events/{id}"))), ("Edit", None)]))
        h1 { "Edit " (event.title) }
        (event_form(visit, &format!("/organize/events/{}/edit", path_segment(id)), "Save", &form))
    };
    Ok(visit.page("Edit event", "Edit an event on Bilten.", &content))
}

async fn edit_event(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Response {
    let outcome = edit_page(&app, &mut visit, &id, None).await;
    visit.respond(outcome)
}

async fn save_event(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<EventForm>,
) -> Response {
    let outcome = match input.to_body() {
        Err(form) => edit_page(&app, &mut visit, &id, Some(form))
            .await
            .map(unprocessable),
        Ok(body) => {
            let result = authed!(&app, visit, |token, fwd| app.api.update_event(
                &fwd,
                token,
                &id,
                body.clone()
            ));
            after_post(
                result,
                input.form_state(),
                |event: Event| format!("/organize/events/{}?notice=event_saved", event.id),
                async |form| edit_page(&app, &mut visit, &id, Some(form)).await,
            )
            .await
        }
    };
    visit.respond(outcome)
}

// ----- the dashboard -----

/// The forms on the dashboard, as shown again after a refused post.
#[derive(Default)]
struct DashboardForms {
    status: FormState,
    checkin: FormState,
    ticket_type: FormState,
    quota: FormState,
    promo: FormState,
}

fn stat(label: &str, value: &str) -> Markup {
    html! { div.stat { dt { (label) } dd { (value) } } }
}

fn stats(summary: &SalesSummary, checkins: Option<i64>) -> Markup {
    let totals = &summary.totals;
    html! {
        dl.stats {
            (stat("Sold", &format!("{} of {}", totals.sold, totals.capacity)))
            (stat("Held now", &totals.held.to_string()))
            (stat("Gross", &totals.gross.format_display()))
            (stat("Refunds", &totals.refunds.format_display()))
            (stat("Net", &totals.net.format_display()))
            @if !totals.discount.is_zero() { (stat("Discounts", &format::price(totals.discount))) }
            @if let Some(checkins) = checkins { (stat("Checked in", &checkins.to_string())) }
        }
    }
}

fn status_actions(visit: &Visit, event: &Event, form: &FormState) -> Markup {
    html! {
        (error_summary(form, &[]))
        div.order-actions {
            a.button href={ "/organize/events/" (event.id) "/edit" } { "Edit details" }
            @if event.status == EventStatus::Draft {
                form method="post" action={ "/organize/events/" (event.id) "/publish" } {
                    (csrf_field(&visit.csrf_token))
                    button type="submit" { "Publish" }
                }
            }
            @if event.status == EventStatus::Published {
                a href={ "/events/" (event.id) } { "View the public page" }
                // A page of its own says what canceling refunds before anything happens.
                a.button.danger href={ "/organize/events/" (event.id) "/cancel" } { "Cancel the event…" }
            }
        }
    }
}

fn ticket_types_section(visit: &Visit, detail: &EventDetail, form: &FormState) -> Markup {
    let event = &detail.event;
    let tz = format::zone(&event.timezone);
    html! {
        section.panel aria-labelledby="types-title" {
            h2 #types-title { "Ticket types" }
            @if detail.ticket_types.is_empty() {
                p { "Add at least one ticket type before publishing." }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr { th scope="col" { "Name" } th.number scope="col" { "Price" } th.number scope="col" { "Capacity" } th.number scope="col" { "Sold" } th.number scope="col" { "Held" } th scope="col" { "Sales" } } }
                        tbody {
                            @for t in &detail.ticket_types {
                                tr {
                                    th scope="row" { (t.name) @if t.visibility == Some(Visibility::Hidden) { " " span.tag { "hidden" } } }
                                    td.number { (format::price(t.price)) }
                                    td.number { (t.capacity.unwrap_or(0)) }
                                    td.number { (t.sold.unwrap_or(0)) }
                                    td.number { (t.held.unwrap_or(0)) }
                                    td {
                                        (t.sales_phase.as_str().replace('_', " "))
                                        @if let Some(start) = t.sales_start { br; span.muted { "from " (format::local_datetime(start, tz)) } }
                                        @if let Some(end) = t.sales_end { br; span.muted { "until " (format::local_datetime(end, tz)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Add a ticket type" }
            (error_summary(form, &[("name", "Name"), ("price", "Price"), ("capacity", "Capacity"), ("max_per_order", "Most per order"), ("sales_start", "Sales start"), ("sales_end", "Sales end")]))
            form.form method="post" action={ "/organize/events/" (event.id) "/ticket-types" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "name", label: "Name", kind: "text", autocomplete: "off", hint: None }, form))
                (field(&Field { name: "price", label: "Price", kind: "text", autocomplete: "off", hint: Some("In the event's currency, e.g. 25.00; 0 for free.") }, form))
                (field(&Field { name: "capacity", label: "Capacity", kind: "number", autocomplete: "off", hint: None }, form))
                (field(&Field { name: "max_per_order", label: "Most per order", kind: "number", autocomplete: "off", hint: Some("Default 10.") }, form))
                (field(&Field { name: "sales_start", label: "Sales start", kind: "datetime-local", autocomplete: "off", hint: Some("Optional, in the event's time zone.") }, form))
                (field(&Field { name: "sales_end", label: "Sales end", kind: "datetime-local", autocomplete: "off", hint: Some("Optional.") }, form))
                button type="submit" { "Add ticket type" }
            }
        }
    }
}

fn quotas_section(
    visit: &Visit,
    detail: &EventDetail,
    quotas: &[Quota],
    form: &FormState,
) -> Markup {
    let name_of = |id: &TicketTypeId| {
        detail
            .ticket_types
            .iter()
            .find(|t| t.id == *id)
            .map_or(id.to_string(), |t| t.name.clone())
    };
    html! {
        section.panel aria-labelledby="quotas-title" {
            h2 #quotas-title { "Quotas" }
            p.muted { "A quota is a shared limit over several ticket types, e.g. the venue's capacity over early-bird and regular tickets." }
            @if !quotas.is_empty() {
                ul.plain-list {
                    @for q in quotas {
                        li { strong { (q.name) } ": " (q.sold) " sold, " (q.held) " held, " (q.available) " of " (q.capacity) " left — "
                            (q.ticket_type_ids.iter().map(&name_of).collect::<Vec<_>>().join(", ")) }
                    }
                }
            }
            @if !detail.ticket_types.is_empty() {
                (error_summary(form, &[("quota_name", "Quota name"), ("quota_capacity", "Capacity"), ("ticket_type_ids", "Ticket types")]))
                form.form method="post" action={ "/organize/events/" (detail.event.id) "/quotas" } novalidate {
                    (csrf_field(&visit.csrf_token))
                    (field(&Field { name: "quota_name", label: "Quota name", kind: "text", autocomplete: "off", hint: None }, form))
                    (field(&Field { name: "quota_capacity", label: "Quota capacity", kind: "number", autocomplete: "off", hint: None }, form))
                    fieldset #field-ticket_type_ids {
                        legend { "Ticket types it covers" }
                        @for t in &detail.ticket_types {
                            div.check {
                                input type="checkbox" id={ "quota-" (t.id) } name="ticket_type_ids" value=(t.id);
                                label for={ "quota-" (t.id) } { (t.name) }
                            }
                        }
                    }
                    button type="submit" { "Add quota" }
                }
            }
        }
    }
}

fn discount_text(discount: Option<Discount>) -> String {
    match discount {
        Some(Discount::Percent { basis_points }) => {
            let bp = basis_points.get();
            if bp % 100 == 0 {
                format!("{}% off", bp / 100)
            } else {
                format!("{}.{:02}% off", bp / 100, bp % 100)
            }
        }
        Some(Discount::Fixed { amount }) => format!("{} off", format::price(amount.money())),
        None => "—".to_owned(),
    }
}

fn promo_section(visit: &Visit, event: &Event, codes: &[PromoCode], form: &FormState) -> Markup {
    html! {
        section.panel aria-labelledby="promo-title" {
            h2 #promo-title { "Promo codes" }
            @if !codes.is_empty() {
                div.table-wrap {
                    table {
                        thead { tr { th scope="col" { "Code" } th scope="col" { "Discount" } th.number scope="col" { "Used" } th scope="col" { "Status" } } }
                        tbody {
                            @for code in codes {
                                tr {
                                    th scope="row" { code { (code.code) } }
                                    td { (discount_text(code.discount)) }
                                    td.number { (code.uses) @if let Some(max) = code.max_uses { " of " (max) } }
                                    td { @if code.active { "active" } @else { "inactive" } }
                                }
                            }
                        }
                    }
                }
            }
            (error_summary(form, &[("code", "Code"), ("percent", "Percent off"), ("amount", "Amount off"), ("max_uses", "Most uses")]))
            form.form method="post" action={ "/organize/events/" (event.id) "/promo-codes" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "code", label: "Code", kind: "text", autocomplete: "off", hint: Some("Letters and digits, e.g. EARLYBIRD.") }, form))
                (field(&Field { name: "percent", label: "Percent off", kind: "number", autocomplete: "off", hint: Some("Either a percentage…") }, form))
                (field(&Field { name: "amount", label: "Amount off", kind: "text", autocomplete: "off", hint: Some("…or a fixed amount, e.g. 5.00.") }, form))
                (field(&Field { name: "max_uses", label: "Most uses", kind: "number", autocomplete: "off", hint: Some("Optional.") }, form))
                button type="submit" { "Add promo code" }
            }
        }
    }
}

async fn dashboard_page(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    forms: DashboardForms,
    notice_text: Option<&str>,
) -> Result<Response, PageError> {
    let detail = load(app, visit, id).await?;
    let summary = authed!(app, visit, |token, fwd| app
        .api
        .sales_summary(&fwd, token, id))?;
    let quotas = authed!(app, visit, |token, fwd| app.api.quotas(&fwd, token, id))?;
    let codes = authed!(app, visit, |token, fwd| app
        .api
        .promo_codes(&fwd, token, id))?;
    let checkins = reports::checkins(app, visit, id).await?;
    let checked_in: i64 = checkins.iter().map(|l| l.checked_in).sum();
    let devices = reports::devices(app, visit, id).await?;
    let event = &detail.event;
    let tz = format::zone(&event.timezone);
    let content = html! {
        (breadcrumbs(&[("Organize", Some("/organize".to_owned())), ("Organization", Some(format!("/organize/{}", event.organization_id))), (&event.title, None)]))
        (views::notice(notice_text))
        p { span.tag { (event.status.as_str()) } }
        h1 { (event.title) }
        p { (format::time_range(event.starts_at, event.ends_at, tz)) }
        (status_actions(visit, event, &forms.status))
        nav.subnav aria-label="Event" {
            ul {
                li { a href={ "/organize/events/" (event.id) "/orders" } { "Orders" } }
                li { a href={ "/organize/events/" (event.id) "/attendees" } { "Attendees" } }
            }
        }
        h2 { "Sales" }
        (stats(&summary, Some(checked_in)))
        (reports::sales_chart(&summary.per_day))
        section.panel aria-labelledby="checkin-title" {
            h2 #checkin-title { "Check-in" }
            (reports::checkin_table(&checkins))
            (error_summary(&forms.checkin, &[("list_name", "List name"), ("device_name", "Device name")]))
            form.form method="post" action={ "/organize/events/" (event.id) "/checkin-lists" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "list_name", label: "New check-in list", kind: "text", autocomplete: "off", hint: Some("E.g. Main entrance. A list covers every ticket type.") }, &forms.checkin))
                button type="submit" { "Add list" }
            }
            h3 { "Scanner devices" }
            (reports::devices_table(visit, &event.id.to_string(), &devices))
            form.form method="post" action={ "/organize/events/" (event.id) "/devices" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "device_name", label: "New device", kind: "text", autocomplete: "off", hint: Some("E.g. Gate A phone. It gets a one-time pairing code.") }, &forms.checkin))
                button type="submit" { "Add device" }
            }
        }
        (ticket_types_section(visit, &detail, &forms.ticket_type))
        (quotas_section(visit, &detail, &quotas, &forms.quota))
        (promo_section(visit, event, &codes, &forms.promo))
    };
    let failed = [
        &forms.status,
        &forms.ticket_type,
        &forms.quota,
        &forms.promo,
    ]
    .iter()
    .any(|f| f.has_errors());
    let status = if failed {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok(visit.page_with_status(
        status,
        &event.title,
        "Your event's dashboard on Bilten.",
        &content,
    ))
}

async fn dashboard(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let outcome = dashboard_page(
        &app,
        &mut visit,
        &id,
        DashboardForms::default(),
        notice(&query),
    )
    .await;
    visit.respond(outcome)
}

fn back(id: &str, notice: &str) -> String {
    format!("/organize/events/{}?notice={notice}", path_segment(id))
}

async fn publish(
    State(app): State<Frontend>,
    visit: Visit,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<crate::pages::auth::EmptyForm>,
) -> Response {
    event_status_action(&app, visit, &id, "publish", None, "event_published").await
}

/// `POST /events/{id}/{action}` (publish, cancel), then back to the dashboard with `notice`,
/// or the dashboard again with the refusal.
pub(super) async fn event_status_action(
    app: &Frontend,
    mut visit: Visit,
    id: &str,
    action: &str,
    body: Option<serde_json::Value>,
    notice: &str,
) -> Response {
    let result = authed!(app, visit, |token, fwd| app.api.event_action(
        &fwd,
        token,
        id,
        action,
        body.clone()
    ));
    let outcome = after_post(
        result,
        FormState::default(),
        |()| back(id, notice),
        async |status| {
            dashboard_page(
                app,
                &mut visit,
                id,
                DashboardForms {
                    status,
                    ..DashboardForms::default()
                },
                None,
            )
            .await
        },
    )
    .await;
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct TicketTypeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    max_per_order: String,
    #[serde(default)]
    sales_start: String,
    #[serde(default)]
    sales_end: String,
}

fn invalid(form: &mut FormState, name: &str, message: &str) {
    form.field_errors.insert(
        name.to_owned(),
        FieldProblem {
            code: "invalid".to_owned(),
            message: message.to_owned(),
        },
    );
}

/// A field that could not be read; its problem is already on the form.
struct Unreadable;

/// A whole number from a form field; empty is `None`.
fn whole(form: &mut FormState, name: &str, text: &str) -> Result<Option<i64>, Unreadable> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = text.parse() {
        Ok(Some(n))
    } else {
        invalid(form, name, "Enter a whole number.");
        Err(Unreadable)
    }
}

fn local_time(
    form: &mut FormState,
    name: &str,
    text: &str,
    tz: chrono_tz::Tz,
) -> Result<Option<String>, Unreadable> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|local| tz.from_local_datetime(&local).earliest());
    if let Some(at) = parsed {
        Ok(Some(at.with_timezone(&Utc).to_rfc3339()))
    } else {
        invalid(form, name, "Enter a date and time like 2026-12-31 20:00.");
        Err(Unreadable)
    }
}

impl TicketTypeForm {
    fn to_body(&self, event: &Event) -> Result<Value, FormState> {
        let mut form = FormState::default()
            .with_value("name", &self.name)
            .with_value("price", &self.price)
            .with_value("capacity", &self.capacity)
            .with_value("max_per_order", &self.max_per_order)
            .with_value("sales_start", &self.sales_start)
            .with_value("sales_end", &self.sales_end);
        let currency = Currency::parse(&event.currency).ok();
        let price = match currency.map(|c| Money::parse_decimal(self.price.trim(), c)) {
            Some(Ok(money)) => Some(money.minor()),
            _ => {
                invalid(
                    &mut form,
                    "price",
                    "Enter a price like 25.00, or 0 for free.",
                );
                None
            }
        };
        let capacity = whole(&mut form, "capacity", &self.capacity);
        let max = whole(&mut form, "max_per_order", &self.max_per_order);
        let tz = format::zone(&event.timezone);
        let start = local_time(&mut form, "sales_start", &self.sales_start, tz);
        let end = local_time(&mut form, "sales_end", &self.sales_end, tz);
        let (Some(price), Ok(capacity), Ok(max), Ok(start), Ok(end)) =
            (price, capacity, max, start, end)
        else {
            return Err(form);
        };
        let mut body = json!({ "name": self.name.trim(), "price": price, "capacity": capacity,
            "max_per_order": max, "sales_start": start, "sales_end": end });
        if let Some(object) = body.as_object_mut() {
            object.retain(|_, v| !v.is_null());
        }
        Ok(body)
    }
}

async fn add_ticket_type(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<TicketTypeForm>,
) -> Response {
    let outcome = async {
        let detail = load(&app, &mut visit, &id).await?;
        let again = async |visit: &mut Visit, ticket_type: FormState| {
            dashboard_page(
                &app,
                visit,
                &id,
                DashboardForms {
                    ticket_type,
                    ..DashboardForms::default()
                },
                None,
            )
            .await
        };
        match input.to_body(&detail.event) {
            Err(form) => again(&mut visit, form).await,
            Ok(body) => {
                let result = authed!(&app, visit, |token, fwd| app.api.create_ticket_type(
                    &fwd,
                    token,
                    &id,
                    body.clone()
                ));
                let mut form = FormState::default();
                for (name, value) in [
                    ("name", &input.name),
                    ("price", &input.price),
                    ("capacity", &input.capacity),
                    ("max_per_order", &input.max_per_order),
                    ("sales_start", &input.sales_start),
                    ("sales_end", &input.sales_end),
                ] {
                    form.values.insert(name, value.clone());
                }
                after_post(
                    result,
                    form,
                    |()| back(&id, "ticket_type_added"),
                    async |form| again(&mut visit, form).await,
                )
                .await
            }
        }
    }
    .await;
    visit.respond(outcome)
}

async fn add_quota(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let value = |name: &str| {
        input
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let types: Vec<&str> = input
        .iter()
        .filter(|(k, _)| k == "ticket_type_ids")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut form = FormState::default()
        .with_value("quota_name", value("quota_name"))
        .with_value("quota_capacity", value("quota_capacity"));
    let outcome = match whole(&mut form, "quota_capacity", value("quota_capacity")) {
        Err(Unreadable) => {
            dashboard_page(
                &app,
                &mut visit,
                &id,
                DashboardForms {
                    quota: form,
                    ..DashboardForms::default()
                },
                None,
            )
            .await
        }
        Ok(capacity) => {
            let body = json!({ "name": value("quota_name").trim(), "capacity": capacity, "ticket_type_ids": types });
            let result = authed!(&app, visit, |token, fwd| app.api.create_quota(
                &fwd,
                token,
                &id,
                body.clone()
            ));
            after_post(
                result,
                form,
                |()| back(&id, "quota_added"),
                async |quota| {
                    dashboard_page(
                        &app,
                        &mut visit,
                        &id,
                        DashboardForms {
                            quota,
                            ..DashboardForms::default()
                        },
                        None,
                    )
                    .await
                },
            )
            .await
        }
    };
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct PromoForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    percent: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    max_uses: String,
}

async fn add_promo_code(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<PromoForm>,
) -> Response {
    let outcome = async {
        let detail = load(&app, &mut visit, &id).await?;
        let mut form = FormState::default()
            .with_value("code", &input.code)
            .with_value("percent", &input.percent)
            .with_value("amount", &input.amount)
            .with_value("max_uses", &input.max_uses);
        let discount = match (input.percent.trim(), input.amount.trim()) {
            (percent, "") if !percent.is_empty() => match percent.parse::<f64>() {
                Ok(p) if p > 0.0 && p <= 100.0 => {
                    Some(json!({ "kind": "percent", "basis_points": (p * 100.0).round() as i64 }))
                }
                _ => {
                    invalid(
                        &mut form,
                        "percent",
                        "Enter a percentage between 0 and 100.",
                    );
                    None
                }
            },
            ("", amount) if !amount.is_empty() => match Currency::parse(&detail.event.currency)
                .ok()
                .map(|c| Money::parse_decimal(amount, c))
            {
                Some(Ok(money)) => Some(json!({ "kind": "fixed", "amount": money })),
                _ => {
                    invalid(&mut form, "amount", "Enter an amount like 5.00.");
                    None
                }
            },
            _ => {
                invalid(
                    &mut form,
                    "percent",
                    "Give either a percentage or an amount off.",
                );
                None
            }
        };
        let max_uses = whole(&mut form, "max_uses", &input.max_uses);
        let again = async |visit: &mut Visit, promo: FormState| {
            dashboard_page(
                &app,
                visit,
                &id,
                DashboardForms {
                    promo,
                    ..DashboardForms::default()
                },
                None,
            )
            .await
        };
        let (Some(discount), Ok(max_uses)) = (discount, max_uses) else {
            return again(&mut visit, form).await;
        };
        let mut body = json!({ "code": input.code.trim(), "discount": discount });
        if let Some(max) = max_uses {
            body["max_uses"] = json!(max);
        }
        let result = authed!(&app, visit, |token, fwd| app.api.create_promo_code(
            &fwd,
            token,
            &id,
            body.clone()
        ));
        after_post(
            result,
            form,
            |()| back(&id, "promo_code_added"),
            async |form| again(&mut visit, form).await,
        )
        .await
    }
    .await;
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct CheckinForm {
    #[serde(default)]
    list_name: String,
    #[serde(default)]
    device_name: String,
}

/// A check-in list or a device: both are `{name}` posts answered on the dashboard.
async fn add_named(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    what: &str,
    field_name: &'static str,
    name: &str,
) -> Result<Response, PageError> {
    let result = authed!(app, visit, |token, fwd| app
        .api
        .create_named(&fwd, token, id, what, name));
    after_post(
        result,
        FormState::default().with_value(field_name, name),
        |()| {
            back(
                id,
                if what == "devices" {
                    "device_added"
                } else {
                    "checkin_list_added"
                },
            )
        },
        async |mut checkin: FormState| {
            if let Some(problem) = checkin.field_errors.remove("name") {
                checkin.field_errors.insert(field_name.to_owned(), problem);
            }
            dashboard_page(
                app,
                visit,
                id,
                DashboardForms {
                    checkin,
                    ..DashboardForms::default()
                },
                None,
            )
            .await
        },
    )
    .await
}

async fn add_checkin_list(
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

async fn revoke_device(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((id, device)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<crate::pages::auth::EmptyForm>,
) -> Response {
    let result = authed!(&app, visit, |token, fwd| app
        .api
        .revoke_device(&fwd, token, &device));
    let outcome = after_post(
        result,
        FormState::default(),
        |()| back(&id, "device_revoked"),
        async |checkin| {
            dashboard_page(
                &app,
                &mut visit,
                &id,
                DashboardForms {
                    checkin,
                    ..DashboardForms::default()
                },
                None,
            )
            .await
        },
    )
    .await;
    visit.respond(outcome)
}
