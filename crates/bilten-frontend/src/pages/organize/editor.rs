//! The event's settings: the event form (new event, and its settings page in the console)
//! with pickers for time zone, country and currency, and [`load`], which every event page
//! of the console starts from.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::authed;
use super::console::{self, EventPage, OrgPage};
use super::forms::{country_picker, currency_picker, label_of, time_zone_picker, unprocessable};
use crate::api::ticketing::{Event, EventDetail, EventRequest};
use crate::api::FieldProblem;
use crate::format;
use crate::pages::after_post;
use crate::pages::events::CATEGORIES;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{csrf_field, error_summary, field, select, textarea, Field, FormState};
use crate::Frontend;
use bilten_i18n::Locale;

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route(
            "/organize/{org}/events/new",
            get(new_event).post(create_event),
        )
        .route(
            "/organize/events/{id}/edit",
            get(edit_event).post(save_event),
        )
}

// ----- the event form -----

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
    fn to_body(&self, l: Locale) -> Result<EventRequest, FormState> {
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
        let mut decimal = |name: &str, text: &str| -> Result<Option<f64>, ()> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.parse::<f64>().map(Some).map_err(|_| {
                form.field_errors
                    .insert(name.to_owned(), problem(l.t("editor-number-invalid")));
            })
        };
        let latitude = decimal("latitude", &self.latitude);
        let longitude = decimal("longitude", &self.longitude);
        let hold = match self.hold_minutes.trim() {
            "" => Ok(None),
            text => text.parse::<i64>().map(Some).map_err(|_| {
                form.field_errors.insert(
                    "hold_minutes".to_owned(),
                    problem(l.t("editor-number-invalid")),
                );
            }),
        };
        let (Some(starts), Some(ends), Ok(latitude), Ok(longitude), Ok(hold)) =
            (starts, ends, latitude, longitude, hold)
        else {
            return Err(form);
        };
        // Empty means "not given": the API keeps (or defaults) what is not sent.
        let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        Ok(EventRequest {
            title: Some(self.title.trim().to_owned()),
            description: Some(self.description.trim().to_owned()),
            starts_at: Some(starts.to_rfc3339()),
            ends_at: Some(ends.to_rfc3339()),
            timezone: Some(self.timezone.trim().to_owned()),
            venue_name: text(&self.venue_name),
            venue_address: text(&self.venue_address),
            city: text(&self.city),
            country: text(&self.country.to_uppercase()),
            latitude,
            longitude,
            online_url: text(&self.online_url),
            currency: text(&self.currency.to_uppercase()),
            category: text(&self.category),
            image_url: text(&self.image_url),
            hold_minutes: hold,
            buyer_cap: None,
        })
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
                (time_zone_picker("timezone", label("timezone"), form.value("timezone"), form))
            }
            fieldset {
                legend { (l.t("editor-where")) }
                (text("venue_name", Some(l.t("editor-venue-hint"))))
                (text("venue_address", None))
                (text("city", None))
                (country_picker("country", label("country"), form.value("country"), form))
                (text("latitude", Some(l.t("editor-latitude-hint"))))
                (text("longitude", None))
                (kind_field("online_url", "url", None))
            }
            (currency_picker("currency", label("currency"), form.value("currency"), form))
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
    let organization = console::organization(app, visit, org).await?;
    let l = visit.locale;
    let content = html! {
        h1 { (l.t("org-new-event")) }
        (event_form(visit, &OrgPage::NewEvent.href(org), &l.t("editor-save-draft"), form))
    };
    let framed = console::org_frame(l, &organization, OrgPage::NewEvent, &[], &content);
    Ok(visit.page(
        &l.t("org-new-event"),
        &l.t("editor-new-description"),
        &framed,
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
            let result = authed!(&app, visit, |token, fwd| app
                .api
                .create_event(&fwd, token, &org, &body));
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

/// The settings page with one language's title and description as typed and refused.
pub(super) async fn settings_page_with_translation(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    failed: (Locale, FormState),
) -> Result<Response, PageError> {
    edit_page(app, visit, id, None, None, Some(&failed)).await
}

async fn edit_page(
    app: &Frontend,
    visit: &mut Visit,
    id: &str,
    form: Option<FormState>,
    notice_text: Option<&str>,
    translation: Option<&(Locale, FormState)>,
) -> Result<Response, PageError> {
    let ctx = console::event(app, visit, id).await?;
    let event = &ctx.detail.event;
    let l = visit.locale;
    let form = form.unwrap_or_else(|| EventForm::from_event(event).form_state(l));
    let content = html! {
        (crate::views::notice(notice_text))
        h1 { (EventPage::Settings.label(l)) }
        (event_form(visit, &EventPage::Settings.href(id), &l.t("editor-save"), &form))
        (super::translations::section(visit, event, translation))
    };
    let framed = console::event_frame(l, &ctx, EventPage::Settings, &[], &content);
    Ok(visit.page(
        &format!("{} – {}", EventPage::Settings.label(l), event.title),
        &l.t("editor-edit-description"),
        &framed,
    ))
}

async fn edit_event(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<crate::pages::NoticeQuery>,
) -> Response {
    let notice = super::notice(visit.locale, &query);
    let outcome = edit_page(&app, &mut visit, &id, None, notice.as_deref(), None).await;
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
        Err(form) => edit_page(&app, &mut visit, &id, Some(form), None, None)
            .await
            .map(unprocessable),
        Ok(body) => {
            let result = authed!(&app, visit, |token, fwd| app
                .api
                .update_event(&fwd, token, &id, &body));
            after_post(
                result,
                input.form_state(l),
                |event: Event| format!("/organize/events/{}/edit?notice=event_saved", event.id),
                async |form| edit_page(&app, &mut visit, &id, Some(form), None, None).await,
            )
            .await
        }
    };
    visit.respond(outcome)
}
