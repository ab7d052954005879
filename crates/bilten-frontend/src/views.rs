//! The layout every page shares, form building blocks, and the error pages.
//!
//! Markup is written with `maud`: its `html!` macro is checked by the compiler (a typo in a tag
//! or a missing variable fails the build, not a request), escapes every interpolated value
//! unless explicitly wrapped in `PreEscaped`, and needs no template files or runtime engine.
//! We chose it over askama because the pages are small functions composed of smaller
//! functions (layout, field, error summary), which is plain Rust with maud, while askama's
//! inheritance and includes would spread one page over several files.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use bilten_i18n::{t, Locale};
use maud::{html, Markup, DOCTYPE};

use crate::api::FieldProblem;
use crate::assets;

/// What the layout needs to know about the visitor.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// A refresh-token cookie is present. A hint for the navigation only; pages that need an
    /// account ask the backend.
    pub signed_in: bool,
    /// For the header's log-out form; `None` where no token could be issued (error pages
    /// rendered outside a handler).
    pub csrf_token: Option<String>,
    /// The request path, to mark the current navigation link.
    pub path: String,
    /// The request's query string, for the language switcher's way back.
    pub query: Option<String>,
    /// The language the page is written in.
    pub locale: Locale,
}

/// The language switcher: a link per language to `/language`, which keeps the choice in a
/// cookie and comes back to this page. Plain links, so it works without JavaScript and on
/// error pages (which have no CSRF token for a form).
fn language_switcher(chrome: &Chrome) -> Markup {
    let back = match &chrome.query {
        Some(query) => format!("{}?{query}", chrome.path),
        None => chrome.path.clone(),
    };
    html! {
        nav.language-switcher aria-label=(chrome.locale.t("language-switcher")) {
            ul {
                @for locale in Locale::ALL {
                    @let href = format!("/language?{}", serde_urlencoded::to_string([("lang", locale.code()), ("back", back.as_str())]).unwrap_or_default());
                    li {
                        a href=(href) lang=(locale.code()) hreflang=(locale.code())
                            aria-current=[(locale == chrome.locale).then_some("true")] { (locale.native_name()) }
                    }
                }
            }
        }
    }
}

pub struct PageMeta<'a> {
    pub title: &'a str,
    pub description: &'a str,
    /// More for `<head>`: Open Graph tags, canonical link, structured data.
    pub head: Option<Markup>,
    /// Load the hold-countdown script (only pages with a held order need it).
    pub countdown: bool,
    /// Load the live-availability script (event pages with tickets on sale).
    pub live_availability: bool,
    /// Load the running-total script (pages with a ticket form).
    pub running_total: bool,
}

impl<'a> PageMeta<'a> {
    pub fn new(title: &'a str, description: &'a str) -> Self {
        Self {
            title,
            description,
            head: None,
            countdown: false,
            live_availability: false,
            running_total: false,
        }
    }
}

const SITE_NAME: &str = "Bilten";

pub fn layout(meta: &PageMeta<'_>, chrome: &Chrome, content: &Markup) -> Markup {
    let l = chrome.locale;
    let nav_link = |href: &str, label: &str| {
        let current = chrome.path == href;
        html! {
            li { a href=(href) aria-current=[current.then_some("page")] { (label) } }
        }
    };
    html! {
        (DOCTYPE)
        html lang=(l.code()) dir=(l.direction().as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (meta.title) " · " (SITE_NAME) }
                meta name="description" content=(meta.description);
                link rel="stylesheet" href=(assets::stylesheet_path());
                @if let Some(head) = &meta.head { (head) }
                @if meta.countdown {
                    script src=(assets::countdown_script_path()) defer {}
                }
                @if meta.live_availability {
                    script src=(assets::availability_script_path()) defer {}
                }
                @if meta.running_total {
                    script src=(assets::total_script_path()) defer {}
                }
            }
            body {
                a.skip-link href="#main" { (l.t("skip-to-content")) }
                header.site-header {
                    div.bar {
                        a.brand href="/" { (SITE_NAME) }
                        nav.site-nav aria-label=(l.t("nav-main")) {
                            ul {
                                (nav_link("/", &l.t("nav-events")))
                                (nav_link("/tickets", &l.t("nav-my-tickets")))
                                @if chrome.signed_in {
                                    (nav_link("/organize", &l.t("nav-organize")))
                                    (nav_link("/account", &l.t("nav-account")))
                                    @if let Some(token) = &chrome.csrf_token {
                                        li {
                                            form method="post" action="/logout" {
                                                (csrf_field(token))
                                                button.link-button type="submit" { (l.t("nav-log-out")) }
                                            }
                                        }
                                    }
                                } @else {
                                    (nav_link("/login", &l.t("nav-log-in")))
                                    (nav_link("/signup", &l.t("nav-sign-up")))
                                }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    (content)
                }
                footer.site-footer {
                    div.bar {
                        p { (t(l, "footer-tagline", &[("site", SITE_NAME.into())])) " "
                            a href="/" { (l.t("footer-find-events")) } }
                        (language_switcher(chrome))
                    }
                }
            }
        }
    }
}

pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(token); }
}

/// A form's state when it is shown again: what the visitor typed (never passwords) and what
/// was wrong, per field and overall.
#[derive(Debug)]
pub struct FormState {
    /// The language of the form's own words (its error summary, "Error:" before a problem).
    pub locale: Locale,
    pub values: BTreeMap<&'static str, String>,
    pub field_errors: BTreeMap<String, FieldProblem>,
    pub summary: Option<String>,
}

impl FormState {
    pub fn new(locale: Locale) -> Self {
        Self {
            locale,
            values: BTreeMap::new(),
            field_errors: BTreeMap::new(),
            summary: None,
        }
    }

    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    pub fn has_errors(&self) -> bool {
        self.summary.is_some() || !self.field_errors.is_empty()
    }

    pub fn with_value(mut self, field: &'static str, value: &str) -> Self {
        self.values.insert(field, value.to_owned());
        self
    }
}

pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub autocomplete: &'a str,
    pub hint: Option<&'a str>,
}

/// A labelled input with its hint and error tied to it by `aria-describedby`, so a screen
/// reader announces them on focus.
pub fn field(spec: &Field<'_>, form: &FormState) -> Markup {
    let id = format!("field-{}", spec.name);
    let error = form.field_errors.get(spec.name);
    let hint_id = spec.hint.map(|_| format!("{id}-hint"));
    let error_id = error.map(|_| format!("{id}-error"));
    let described_by: Vec<&str> = [hint_id.as_deref(), error_id.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let described_by = (!described_by.is_empty()).then(|| described_by.join(" "));
    // Passwords are never echoed back into the page.
    let value = (spec.kind != "password").then(|| form.value(spec.name));
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (spec.label) }
            @if let (Some(hint), Some(hint_id)) = (spec.hint, &hint_id) {
                span.hint id=(hint_id) { (hint) }
            }
            @if let (Some(problem), Some(error_id)) = (error, &error_id) {
                span.field-error id=(error_id) data-code=(problem.code) { span.visually-hidden { (form.locale.t("field-error-prefix")) " " } (problem.message) }
            }
            input id=(id) name=(spec.name) type=(spec.kind) autocomplete=(spec.autocomplete)
                value=[value] aria-invalid=[error.map(|_| "true")]
                aria-describedby=[described_by];
        }
    }
}

/// A labelled `<select>` with its error, like [`field`].
pub fn select(
    name: &str,
    label: &str,
    options: &[(&str, String)],
    selected: &str,
    form: &FormState,
) -> Markup {
    let id = format!("field-{name}");
    let error = form.field_errors.get(name);
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(problem) = error {
                span.field-error id={ (id) "-error" } data-code=(problem.code) { span.visually-hidden { (form.locale.t("field-error-prefix")) " " } (problem.message) }
            }
            select id=(id) name=(name) aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("{id}-error"))] {
                @for (value, text) in options {
                    option value=(value) selected[*value == selected] { (text) }
                }
            }
        }
    }
}

/// A labelled multi-line text input with its hint and error, like [`field`].
pub fn textarea(name: &str, label: &str, hint: Option<&str>, form: &FormState) -> Markup {
    let id = format!("field-{name}");
    let error = form.field_errors.get(name);
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(hint) = hint { span.hint id={ (id) "-hint" } { (hint) } }
            @if let Some(problem) = error {
                span.field-error id={ (id) "-error" } data-code=(problem.code) { span.visually-hidden { (form.locale.t("field-error-prefix")) " " } (problem.message) }
            }
            textarea id=(id) name=(name) rows="6" aria-invalid=[error.map(|_| "true")]
                aria-describedby=[hint.map(|_| format!("{id}-hint"))] { (form.value(name)) }
        }
    }
}

/// The list of problems at the top of a form, each linking to its field. It takes focus
/// semantics from `role="alert"` so it is announced when the page re-renders.
pub fn error_summary(form: &FormState, labels: &[(&str, &str)]) -> Markup {
    if !form.has_errors() {
        return html! {};
    }
    // In the order the fields appear on the page, so the summary reads like the form; a field
    // the page does not label (the API may name one) comes last under its own name.
    let mut problems: Vec<(&str, &str, &FieldProblem)> = labels
        .iter()
        .filter_map(|(name, label)| Some((*name, *label, form.field_errors.get(*name)?)))
        .collect();
    problems.extend(
        form.field_errors
            .iter()
            .filter(|(name, _)| !labels.iter().any(|(field, _)| field == name))
            .map(|(name, problem)| (name.as_str(), name.as_str(), problem)),
    );
    html! {
        div.error-summary role="alert" aria-labelledby="error-summary-title" {
            h2 #error-summary-title { (form.locale.t("error-summary-title")) }
            ul {
                @if let Some(summary) = &form.summary {
                    li { (summary) }
                }
                @for (name, label, problem) in &problems {
                    li { a href={ "#field-" (name) } { (label) ": " (problem.message) } }
                }
            }
        }
    }
}

pub fn notice(message: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = message {
            div.notice role="status" { p { (message) } }
        }
    }
}

/// The content of the page shown for an error status, inside the layout.
pub fn error_page(status: StatusCode, chrome: &Chrome, request_id: Option<&str>) -> Markup {
    let l = chrome.locale;
    let (title, heading, body): (String, String, Markup) = match status {
        StatusCode::NOT_FOUND => (
            l.t("error-not-found-title"),
            l.t("error-not-found-heading"),
            html! {
                p { (l.t("error-not-found-body")) }
                p { a href="/" { (l.t("error-not-found-link")) } }
            },
        ),
        StatusCode::FORBIDDEN => (
            l.t("error-form-expired-title"),
            l.t("error-form-expired-heading"),
            html! {
                p { (l.t("error-form-expired-body")) }
                p { (l.t("error-form-expired-retry")) }
            },
        ),
        StatusCode::METHOD_NOT_ALLOWED | StatusCode::BAD_REQUEST => (
            l.t("error-bad-request-title"),
            l.t("error-bad-request-heading"),
            html! { p { a href="/" { (l.t("error-home-link")) } } },
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            l.t("error-unavailable-title"),
            l.t("error-unavailable-heading"),
            html! { p { (l.t("error-unavailable-body")) } },
        ),
        _ => (
            l.t("error-internal-title"),
            l.t("error-internal-heading"),
            html! {
                p { (l.t("error-internal-body")) }
                @if let Some(id) = request_id {
                    p.muted { (l.t("error-internal-reference")) " " code { (id) } }
                }
            },
        ),
    };
    let content = html! {
        h1 { (heading) }
        (body)
    };
    layout(
        &PageMeta::new(&title, &l.t("error-description")),
        chrome,
        &content,
    )
}
