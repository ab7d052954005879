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
use crate::api::ticketing::SalesPhase;
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
use bilten_i18n::{t, Locale};

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

/// The label of field `name` among `labels` (the name itself for one not listed).
fn label_of<'a>(labels: &'a [(&'static str, String)], name: &'static str) -> &'a str {
    labels
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(name, |(_, label)| label.as_str())
}

/// The event form's fields, in page order, with their labels.
fn event_fields(l: Locale) -> [(&'static str, String); 16] {
    [
        ("title", l.t("admin-event-title")),
        ("description", l.t("editor-description")),
        ("starts_at", l.t("admin-starts")),
        ("ends_at", l.t("editor-ends")),
        ("timezone", l.t("editor-timezone")),
        ("venue_name", l.t("editor-venue")),
        ("venue_address", l.t("editor-street")),
        ("city", l.t("search-city")),
        ("country", l.t("editor-country")),
        ("latitude", l.t("editor-latitude")),
        ("longitude", l.t("editor-longitude")),
        ("online_url", l.t("editor-online-link")),
        ("currency", l.t("editor-currency")),
        ("category", l.t("search-category")),
        ("image_url", l.t("editor-image-url")),
        ("hold_minutes", l.t("editor-hold-minutes")),
    ]
}

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

    fn form_state(&self, l: Locale) -> FormState {
        self.values()
            .into_iter()
            .fold(FormState::new(l), |form, (name, value)| {
                form.with_value(name, value)
            })
    }

    /// The API body. Local times are read in the event's time zone (what an organizer types
    /// is the time on the venue's clocks); what cannot be read is named per field.
    fn to_body(&self, l: Locale) -> Result<Value, FormState> {
        let mut form = self.form_state(l);
        let problem = |message: String| FieldProblem {
            code: "invalid".to_owned(),
            message,
        };
        let tz: Option<chrono_tz::Tz> = self.timezone.trim().parse().ok();
        if tz.is_none() {
            form.field_errors.insert(
                "timezone".to_owned(),
                problem(l.t("editor-timezone-invalid")),
            );
        }
        let mut time = |name: &str, text: &str| -> Option<DateTime<Utc>> {
            let parsed = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
                .ok()
                .and_then(|local| tz?.from_local_datetime(&local).earliest())
                .map(|t| t.with_timezone(&Utc));
            if parsed.is_none() && tz.is_some() {
                form.field_errors
                    .insert(name.to_owned(), problem(l.t("editor-date-time-invalid")));
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
                        .insert(name.to_owned(), problem(l.t("editor-number-invalid")));
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
    let l = visit.locale;
    let categories: Vec<(&str, String)> = CATEGORIES
        .iter()
        .map(|c| (*c, format::category_label(l, c)))
        .collect();
    let fields = event_fields(l);
    let label = |name: &'static str| label_of(&fields, name);
    let kind_field = |name: &'static str, kind: &'static str, hint: Option<String>| {
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
    let text = |name: &'static str, hint: Option<String>| kind_field(name, "text", hint);
    let summary_labels: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, label)| (*n, label.as_str()))
        .collect();
    html! {
        (error_summary(form, &summary_labels))
        form.form.wide method="post" action=(action) novalidate {
            (csrf_field(&visit.csrf_token))
            (text("title", None))
            (textarea("description", label("description"), Some(&l.t("editor-description-hint")), form))
            fieldset {
                legend { (l.t("my-orders-col-when")) }
                (kind_field("starts_at", "datetime-local", Some(l.t("editor-starts-hint"))))
                (kind_field("ends_at", "datetime-local", None))
                (text("timezone", Some(l.t("editor-timezone-hint"))))
            }
            fieldset {
                legend { (l.t("editor-where")) }
                (text("venue_name", Some(l.t("editor-venue-hint"))))
                (text("venue_address", None))
                (text("city", None))
                (text("country", Some(l.t("editor-country-hint"))))
                (text("latitude", Some(l.t("editor-latitude-hint"))))
                (text("longitude", None))
                (kind_field("online_url", "url", None))
            }
            (text("currency", Some(l.t("editor-currency-hint"))))
            (select("category", label("category"), &categories, form.value("category"), form))
            (kind_field("image_url", "url", Some(l.t("editor-image-url-hint"))))
            (kind_field("hold_minutes", "number", Some(l.t("editor-hold-minutes-hint"))))
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
    let l = visit.locale;
    let content = html! {
        (breadcrumbs(l, &[(&l.t("nav-organize"), Some("/organize".to_owned())), (&organization.name, Some(format!("/organize/{org}"))), (&l.t("org-new-event"), None)]))
        h1 { (l.t("org-new-event")) }
        (event_form(visit, &format!("/organize/{org}/events/new"), &l.t("editor-save-draft"), form))
    };
    Ok(visit.page(
        &l.t("org-new-event"),
        &l.t("editor-new-description"),
        &content,
    ))
}

async fn new_event(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(org): Path<String>,
) -> Response {
    let form = FormState::new(visit.locale)
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
    let l = visit.locale;
    let outcome = match input.to_body(l) {
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
                input.form_state(l),
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
    let l = visit.locale;
    let form = form.unwrap_or_else(|| EventForm::from_event(event).form_state(l));
    let content = html! {
        (breadcrumbs(l, &[(&l.t("nav-organize"), Some("/organize".to_owned())), (&event.title, Some(format!("/organize/events/{id}"))), (&l.t("editor-edit-crumb"), None)]))
        h1 { (t(l, "editor-edit-heading", &[("event", event.title.as_str().into())])) }
        (event_form(visit, &format!("/organize/events/{}/edit", path_segment(id)), &l.t("editor-save"), &form))
    };
    Ok(visit.page(
        &l.t("editor-edit-title"),
        &l.t("editor-edit-description"),
        &content,
    ))
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
    let l = visit.locale;
    let outcome = match input.to_body(l) {
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
                input.form_state(l),
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
struct DashboardForms {
    status: FormState,
    checkin: FormState,
    ticket_type: FormState,
    quota: FormState,
    promo: FormState,
}

impl DashboardForms {
    fn new(l: Locale) -> Self {
        Self {
            status: FormState::new(l),
            checkin: FormState::new(l),
            ticket_type: FormState::new(l),
            quota: FormState::new(l),
            promo: FormState::new(l),
        }
    }
}

fn stat(label: &str, value: &str) -> Markup {
    html! { div.stat { dt { (label) } dd { (value) } } }
}

fn stats(l: Locale, summary: &SalesSummary, checkins: Option<i64>) -> Markup {
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
            a.button href={ "/organize/events/" (event.id) "/edit" } { (l.t("editor-edit-details")) }
            @if event.status == EventStatus::Draft {
                form method="post" action={ "/organize/events/" (event.id) "/publish" } {
                    (csrf_field(&visit.csrf_token))
                    button type="submit" { (l.t("editor-publish")) }
                }
            }
            @if event.status == EventStatus::Published {
                a href={ "/events/" (event.id) } { (l.t("editor-view-public")) }
                // A page of its own says what canceling refunds before anything happens.
                a.button.danger href={ "/organize/events/" (event.id) "/cancel" } { (l.t("editor-cancel-event")) }
            }
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

fn ticket_types_section(visit: &Visit, detail: &EventDetail, form: &FormState) -> Markup {
    let event = &detail.event;
    let tz = format::zone(&event.timezone);
    let l = visit.locale;
    let labels = [
        ("name", l.t("auth-name")),
        ("price", l.t("order-col-price")),
        ("capacity", l.t("editor-capacity")),
        ("max_per_order", l.t("editor-max-per-order")),
        ("sales_start", l.t("editor-sales-start")),
        ("sales_end", l.t("editor-sales-end")),
    ];
    let label = |name: &'static str| label_of(&labels, name);
    let summary_labels: Vec<(&str, &str)> = labels.iter().map(|(n, l)| (*n, l.as_str())).collect();
    html! {
        section.panel aria-labelledby="types-title" {
            h2 #types-title { (l.t("editor-ticket-types")) }
            @if detail.ticket_types.is_empty() {
                p { (l.t("editor-ticket-types-none")) }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr { th scope="col" { (label("name")) } th.number scope="col" { (label("price")) } th.number scope="col" { (label("capacity")) } th.number scope="col" { (l.t("stats-sold")) } th.number scope="col" { (l.t("editor-held")) } th scope="col" { (l.t("editor-sales")) } } }
                        tbody {
                            @for t in &detail.ticket_types {
                                tr {
                                    th scope="row" { (t.name) @if t.visibility == Some(Visibility::Hidden) { " " span.tag { (l.t("editor-hidden")) } } }
                                    td.number { (format::price(l, t.price)) }
                                    td.number { (t.capacity.unwrap_or(0)) }
                                    td.number { (t.sold.unwrap_or(0)) }
                                    td.number { (t.held.unwrap_or(0)) }
                                    td {
                                        (sales_phase_label(l, t.sales_phase))
                                        @if let Some(start) = t.sales_start { br; span.muted { (bilten_i18n::t(l, "editor-sales-from", &[("date_time", format::local_datetime(l, start, tz).into())])) } }
                                        @if let Some(end) = t.sales_end { br; span.muted { (bilten_i18n::t(l, "editor-sales-until", &[("date_time", format::local_datetime(l, end, tz).into())])) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { (l.t("editor-add-ticket-type")) }
            (error_summary(form, &summary_labels))
            form.form method="post" action={ "/organize/events/" (event.id) "/ticket-types" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "name", label: label("name"), kind: "text", autocomplete: "off", hint: None }, form))
                (field(&Field { name: "price", label: label("price"), kind: "text", autocomplete: "off", hint: Some(&l.t("editor-price-hint")) }, form))
                (field(&Field { name: "capacity", label: label("capacity"), kind: "number", autocomplete: "off", hint: None }, form))
                (field(&Field { name: "max_per_order", label: label("max_per_order"), kind: "number", autocomplete: "off", hint: Some(&l.t("editor-max-per-order-hint")) }, form))
                (field(&Field { name: "sales_start", label: label("sales_start"), kind: "datetime-local", autocomplete: "off", hint: Some(&l.t("editor-sales-start-hint")) }, form))
                (field(&Field { name: "sales_end", label: label("sales_end"), kind: "datetime-local", autocomplete: "off", hint: Some(&l.t("editor-optional")) }, form))
                button type="submit" { (l.t("editor-add-ticket-type-submit")) }
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
    let l = visit.locale;
    let (quota_name, quota_capacity, capacity, types) = (
        l.t("editor-quota-name"),
        l.t("editor-quota-capacity"),
        l.t("editor-capacity"),
        l.t("editor-ticket-types"),
    );
    html! {
        section.panel aria-labelledby="quotas-title" {
            h2 #quotas-title { (l.t("editor-quotas")) }
            p.muted { (l.t("editor-quotas-intro")) }
            @if !quotas.is_empty() {
                ul.plain-list {
                    @for q in quotas {
                        li { strong { (q.name) } ": " (t(l, "editor-quota-line", &[("sold", q.sold.into()), ("held", q.held.into()), ("available", q.available.into()), ("capacity", q.capacity.into())])) " — "
                            (q.ticket_type_ids.iter().map(&name_of).collect::<Vec<_>>().join(", ")) }
                    }
                }
            }
            @if !detail.ticket_types.is_empty() {
                (error_summary(form, &[("quota_name", &quota_name), ("quota_capacity", &capacity), ("ticket_type_ids", &types)]))
                form.form method="post" action={ "/organize/events/" (detail.event.id) "/quotas" } novalidate {
                    (csrf_field(&visit.csrf_token))
                    (field(&Field { name: "quota_name", label: &quota_name, kind: "text", autocomplete: "off", hint: None }, form))
                    (field(&Field { name: "quota_capacity", label: &quota_capacity, kind: "number", autocomplete: "off", hint: None }, form))
                    fieldset #field-ticket_type_ids {
                        legend { (l.t("editor-quota-covers")) }
                        @for t in &detail.ticket_types {
                            div.check {
                                input type="checkbox" id={ "quota-" (t.id) } name="ticket_type_ids" value=(t.id);
                                label for={ "quota-" (t.id) } { (t.name) }
                            }
                        }
                    }
                    button type="submit" { (l.t("editor-add-quota")) }
                }
            }
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

fn promo_section(visit: &Visit, event: &Event, codes: &[PromoCode], form: &FormState) -> Markup {
    let l = visit.locale;
    let (code_label, percent, amount, max_uses) = (
        l.t("auth-code"),
        l.t("editor-percent-off"),
        l.t("editor-amount-off"),
        l.t("editor-max-uses"),
    );
    html! {
        section.panel aria-labelledby="promo-title" {
            h2 #promo-title { (l.t("editor-promo-codes")) }
            @if !codes.is_empty() {
                div.table-wrap {
                    table {
                        thead { tr { th scope="col" { (code_label) } th scope="col" { (l.t("order-discount")) } th.number scope="col" { (l.t("editor-used")) } th scope="col" { (l.t("admin-status")) } } }
                        tbody {
                            @for code in codes {
                                tr {
                                    th scope="row" { code { (code.code) } }
                                    td { (discount_text(l, code.discount)) }
                                    td.number { @if let Some(max) = code.max_uses { (t(l, "editor-uses-of", &[("uses", code.uses.into()), ("max", max.into())])) } @else { (code.uses) } }
                                    td { @if code.active { (l.t("editor-active")) } @else { (l.t("editor-inactive")) } }
                                }
                            }
                        }
                    }
                }
            }
            (error_summary(form, &[("code", &code_label), ("percent", &percent), ("amount", &amount), ("max_uses", &max_uses)]))
            form.form method="post" action={ "/organize/events/" (event.id) "/promo-codes" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "code", label: &code_label, kind: "text", autocomplete: "off", hint: Some(&l.t("editor-code-hint")) }, form))
                (field(&Field { name: "percent", label: &percent, kind: "number", autocomplete: "off", hint: Some(&l.t("editor-percent-hint")) }, form))
                (field(&Field { name: "amount", label: &amount, kind: "text", autocomplete: "off", hint: Some(&l.t("editor-amount-hint")) }, form))
                (field(&Field { name: "max_uses", label: &max_uses, kind: "number", autocomplete: "off", hint: Some(&l.t("editor-optional")) }, form))
                button type="submit" { (l.t("editor-add-promo-code")) }
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
    let l = visit.locale;
    let (list_name, device_name) = (l.t("editor-list-name"), l.t("editor-device-name"));
    let content = html! {
        (breadcrumbs(l, &[(&l.t("nav-organize"), Some("/organize".to_owned())), (&l.t("org-organization"), Some(format!("/organize/{}", event.organization_id))), (&event.title, None)]))
        (views::notice(notice_text))
        p { span.tag { (super::event_status_label(l, event.status)) } }
        h1 { (event.title) }
        p { (format::time_range(l, event.starts_at, event.ends_at, tz)) }
        (status_actions(visit, event, &forms.status))
        nav.subnav aria-label=(l.t("my-orders-col-event")) {
            ul {
                li { a href={ "/organize/events/" (event.id) "/orders" } { (l.t("report-orders")) } }
                li { a href={ "/organize/events/" (event.id) "/attendees" } { (l.t("report-attendees")) } }
            }
        }
        h2 { (l.t("editor-sales")) }
        (stats(l, &summary, Some(checked_in)))
        (reports::sales_chart(l, &summary.per_day))
        section.panel aria-labelledby="checkin-title" {
            h2 #checkin-title { (l.t("editor-checkin")) }
            (reports::checkin_table(l, &checkins))
            (error_summary(&forms.checkin, &[("list_name", &list_name), ("device_name", &device_name)]))
            form.form method="post" action={ "/organize/events/" (event.id) "/checkin-lists" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "list_name", label: &l.t("editor-new-list"), kind: "text", autocomplete: "off", hint: Some(&l.t("editor-new-list-hint")) }, &forms.checkin))
                button type="submit" { (l.t("editor-add-list")) }
            }
            h3 { (l.t("device-list")) }
            (reports::devices_table(visit, &event.id.to_string(), &devices))
            form.form method="post" action={ "/organize/events/" (event.id) "/devices" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "device_name", label: &l.t("editor-new-device"), kind: "text", autocomplete: "off", hint: Some(&l.t("editor-new-device-hint")) }, &forms.checkin))
                button type="submit" { (l.t("editor-add-device")) }
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
        &l.t("editor-dashboard-description"),
        &content,
    ))
}

async fn dashboard(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let (forms, notice) = (
        DashboardForms::new(visit.locale),
        notice(visit.locale, &query),
    );
    let outcome = dashboard_page(&app, &mut visit, &id, forms, notice.as_deref()).await;
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
        |()| back(id, notice),
        async |status| {
            dashboard_page(
                app,
                &mut visit,
                id,
                DashboardForms {
                    status,
                    ..DashboardForms::new(l)
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
        let message = form.locale.t("editor-whole-number");
        invalid(form, name, &message);
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
        let message = form.locale.t("editor-date-time-invalid");
        invalid(form, name, &message);
        Err(Unreadable)
    }
}

impl TicketTypeForm {
    fn to_body(&self, l: Locale, event: &Event) -> Result<Value, FormState> {
        let mut form = FormState::new(l)
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
                invalid(&mut form, "price", &l.t("editor-price-invalid"));
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
    let l = visit.locale;
    let outcome = async {
        let detail = load(&app, &mut visit, &id).await?;
        let again = async |visit: &mut Visit, ticket_type: FormState| {
            dashboard_page(
                &app,
                visit,
                &id,
                DashboardForms {
                    ticket_type,
                    ..DashboardForms::new(l)
                },
                None,
            )
            .await
        };
        match input.to_body(l, &detail.event) {
            Err(form) => again(&mut visit, form).await,
            Ok(body) => {
                let result = authed!(&app, visit, |token, fwd| app.api.create_ticket_type(
                    &fwd,
                    token,
                    &id,
                    body.clone()
                ));
                let mut form = FormState::new(l);
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
    let l = visit.locale;
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
    let mut form = FormState::new(l)
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
                    ..DashboardForms::new(l)
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
                            ..DashboardForms::new(l)
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
    let l = visit.locale;
    let outcome = async {
        let detail = load(&app, &mut visit, &id).await?;
        let mut form = FormState::new(l)
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
                    invalid(&mut form, "percent", &l.t("editor-percent-invalid"));
                    None
                }
            },
            ("", amount) if !amount.is_empty() => match Currency::parse(&detail.event.currency)
                .ok()
                .map(|c| Money::parse_decimal(amount, c))
            {
                Some(Ok(money)) => Some(json!({ "kind": "fixed", "amount": money })),
                _ => {
                    invalid(&mut form, "amount", &l.t("editor-amount-invalid"));
                    None
                }
            },
            _ => {
                invalid(&mut form, "percent", &l.t("editor-discount-required"));
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
                    ..DashboardForms::new(l)
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
    let l = visit.locale;
    let result = authed!(app, visit, |token, fwd| app
        .api
        .create_named(&fwd, token, id, what, name));
    after_post(
        result,
        FormState::new(l).with_value(field_name, name),
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
                    ..DashboardForms::new(l)
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
    let l = visit.locale;
    let result = authed!(&app, visit, |token, fwd| app
        .api
        .revoke_device(&fwd, token, &device));
    let outcome = after_post(
        result,
        FormState::new(l),
        |()| back(&id, "device_revoked"),
        async |checkin| {
            dashboard_page(
                &app,
                &mut visit,
                &id,
                DashboardForms {
                    checkin,
                    ..DashboardForms::new(l)
                },
                None,
            )
            .await
        },
    )
    .await;
    visit.respond(outcome)
}
