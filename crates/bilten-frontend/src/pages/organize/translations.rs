//! The event's title and description in other languages (issue #16), a section of the
//! event's settings page: one form per language Bilten speaks, each saved
//! (`PUT /events/{id}/translations/{locale}`) or removed (`DELETE …`) on its own. The inputs
//! carry the `lang` of the language they are in, so a screen reader reads German text as
//! German on an English page.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use bilten_i18n::{t, Locale};
use maud::{html, Markup};

use super::authed;
use crate::api::ticketing::{Event, EventTranslationRequest};
use crate::pages::form_problems;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{csrf_field, error_summary, FormState};
use crate::Frontend;

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route("/organize/events/{id}/translations/{locale}", post(save))
        .route(
            "/organize/events/{id}/translations/{locale}/remove",
            post(remove),
        )
}

/// A language's name in the page's language: "German" on an English page, "Deutsch" on a
/// German one.
pub(super) fn language_name(l: Locale, language: Locale) -> String {
    match language {
        Locale::En => l.t("editor-language-en"),
        Locale::De => l.t("editor-language-de"),
        Locale::Es => l.t("editor-language-es"),
    }
}

/// The form fields of one language's form, unique on the page (the event form above has its
/// own `title` and `description`).
fn names(language: Locale) -> (&'static str, &'static str) {
    match language {
        Locale::En => ("title_en", "description_en"),
        Locale::De => ("title_de", "description_de"),
        Locale::Es => ("title_es", "description_es"),
    }
}

/// The notice after a save or a removal: `translation_saved_de`, `translation_removed_es`.
pub(super) fn notice(l: Locale, key: &str) -> Option<String> {
    let (message, code) = if let Some(code) = key.strip_prefix("translation_saved_") {
        ("org-notice-translation-saved", code)
    } else {
        (
            "org-notice-translation-removed",
            key.strip_prefix("translation_removed_")?,
        )
    };
    let language = Locale::ALL.into_iter().find(|x| x.code() == code)?;
    Some(t(
        l,
        message,
        &[("language", language_name(l, language).into())],
    ))
}

/// A language's form as stored: its translation's text, or empty.
fn stored(l: Locale, event: &Event, language: Locale) -> FormState {
    let (title, description) = names(language);
    let text = event.translation(language);
    FormState::new(l)
        .with_value(title, text.map_or("", |x| x.title.as_str()))
        .with_value(description, text.map_or("", |x| x.description.as_str()))
}

/// The section: a form per language. `failed` is a language whose save was refused, shown
/// with what was typed and its problems.
pub(super) fn section(
    visit: &Visit,
    event: &Event,
    failed: Option<&(Locale, FormState)>,
) -> Markup {
    let l = visit.locale;
    let id = event.id.to_string();
    let forms: Vec<Markup> = Locale::ALL
        .into_iter()
        .map(|language| match failed {
            Some((failed_language, form)) if *failed_language == language => {
                language_form(visit, &id, event, language, form)
            }
            _ => language_form(visit, &id, event, language, &stored(l, event, language)),
        })
        .collect();
    html! {
        section.translations #translations aria-labelledby="translations-title" {
            h2 #translations-title { (l.t("editor-translations-title")) }
            p { (l.t("editor-translations-intro")) }
            @for form in &forms { (form) }
        }
    }
}

fn language_form(
    visit: &Visit,
    id: &str,
    event: &Event,
    language: Locale,
    form: &FormState,
) -> Markup {
    let l = visit.locale;
    let name = language_name(l, language);
    let (title, description) = names(language);
    let title_label = t(
        l,
        "editor-translation-title",
        &[("language", name.as_str().into())],
    );
    let description_label = t(
        l,
        "editor-translation-description",
        &[("language", name.as_str().into())],
    );
    // The text is in `language`; say so where it differs from the page's.
    let lang = (language != l).then_some(language.code());
    let base = format!("/organize/events/{id}/translations/{}", language.code());
    let heading = format!("translation-{}", language.code());
    html! {
        div.translation aria-labelledby=(heading) {
            h3 id=(heading) { (name) }
            (error_summary(form, &[(title, title_label.as_str()), (description, description_label.as_str())]))
            @if event.translation(language).is_none() {
                p.hint { (t(l, "editor-translations-none", &[("language", name.as_str().into())])) }
            }
            form.form.wide method="post" action=(base) novalidate {
                (csrf_field(&visit.csrf_token))
                (text_field(form, title, &title_label, lang))
                (text_area(form, description, &description_label, &l.t("editor-translation-description-hint"), lang))
                button type="submit" { (t(l, "editor-translation-save", &[("language", name.as_str().into())])) }
            }
            @if event.translation(language).is_some() {
                form.inline method="post" action={ (base) "/remove" } {
                    (csrf_field(&visit.csrf_token))
                    button.secondary type="submit" { (t(l, "editor-translation-remove", &[("language", name.as_str().into())])) }
                }
            }
        }
    }
}

/// A labelled text input in `lang` (when it differs from the page's), with its problem.
fn text_field(form: &FormState, name: &str, label: &str, lang: Option<&str>) -> Markup {
    let id = format!("field-{name}");
    let error = form.field_errors.get(name);
    let error_id = format!("{id}-error");
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(problem) = error {
                span.field-error id=(error_id) data-code=(problem.code) { span.visually-hidden { (form.locale.t("field-error-prefix")) " " } (problem.message) }
            }
            input id=(id) name=(name) type="text" autocomplete="off" lang=[lang]
                value=(form.value(name)) aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| error_id.as_str())];
        }
    }
}

/// A labelled textarea in `lang`, with its hint and problem.
fn text_area(form: &FormState, name: &str, label: &str, hint: &str, lang: Option<&str>) -> Markup {
    let id = format!("field-{name}");
    let error = form.field_errors.get(name);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = match error {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (label) }
            span.hint id=(hint_id) { (hint) }
            @if let Some(problem) = error {
                span.field-error id=(error_id) data-code=(problem.code) { span.visually-hidden { (form.locale.t("field-error-prefix")) " " } (problem.message) }
            }
            textarea id=(id) name=(name) rows="6" lang=[lang] aria-invalid=[error.map(|_| "true")]
                aria-describedby=(described_by) { (form.value(name)) }
        }
    }
}

/// A language in a console URL; anything else is not a page.
fn language_of(code: &str) -> Result<Locale, PageError> {
    Locale::ALL
        .into_iter()
        .find(|l| l.code() == code)
        .ok_or(PageError::NotFound)
}

/// The form's post: saves the language's title and description and comes back to the
/// settings page, or shows it again with the problems next to the fields.
async fn save(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((id, code)): Path<(String, String)>,
    CsrfForm(input): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let l = visit.locale;
    let outcome = async {
        let language = language_of(&code)?;
        let (title, description) = names(language);
        let value = |name: &str| {
            input
                .iter()
                .find(|(k, _)| k == name)
                .map_or_else(String::new, |(_, v)| v.trim().to_owned())
        };
        let typed = FormState::new(l)
            .with_value(title, &value(title))
            .with_value(description, &value(description));
        let body = EventTranslationRequest {
            title: Some(value(title)),
            description: Some(value(description)),
        };
        let result = authed!(&app, visit, |token, fwd| app
            .api
            .put_event_translation(&fwd, token, &id, language, &body));
        match result {
            Ok(_) => Ok(Redirect::to(&format!(
                "/organize/events/{id}/edit?notice=translation_saved_{}#translation-{}",
                language.code(),
                language.code()
            ))
            .into_response()),
            Err(error) => {
                let mut form = form_problems(error, typed)?;
                // The API names its own fields; the page's are per language.
                form.field_errors = std::mem::take(&mut form.field_errors)
                    .into_iter()
                    .map(|(field, problem)| match field.as_str() {
                        "title" => (title.to_owned(), problem),
                        "description" => (description.to_owned(), problem),
                        _ => (field, problem),
                    })
                    .collect();
                super::editor::settings_page_with_translation(
                    &app,
                    &mut visit,
                    &id,
                    (language, form),
                )
                .await
                .map(super::forms::unprocessable)
            }
        }
    }
    .await;
    visit.respond(outcome)
}

/// The remove button's post.
async fn remove(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((id, code)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let outcome = async {
        let language = language_of(&code)?;
        authed!(&app, visit, |token, fwd| app
            .api
            .delete_event_translation(&fwd, token, &id, language))?;
        Ok(Redirect::to(&format!(
            "/organize/events/{id}/edit?notice=translation_removed_{}#translations",
            language.code()
        ))
        .into_response())
    };
    let outcome = outcome.await;
    visit.respond(outcome)
}
