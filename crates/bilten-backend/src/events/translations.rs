//! An event's title and description in other languages (issue #16): set or replace one
//! language's text, or remove it. The event answers (organizer and public) carry every
//! translation; which one a page shows is the reader's business (see `bilten_api::events::
//! Event::title_in`), so the public read cache keeps one copy per URL, emptied by these
//! writes like by any other.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use bilten_api::events::{EventResponse, EventTranslationRequest};
use bilten_domain::{EventStatus, EventTitle, FieldError, FieldErrors};
use bilten_http::{ErrorCode, Json};
use bilten_i18n::Locale;
use bilten_store::event_translations;
use bilten_store::events::EventRecord;
use chrono::Utc;

use super::lookup::{event_for, load_event};
use super::views::event_answer;
use crate::authz::Action;
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::AppState;

/// Longest translated description, as for the event's own.
const DESCRIPTION_MAX: usize = 20_000;

/// A locale in a path: exactly one of our codes (`en`, `de`, `es`).
fn parse_locale(code: &str) -> Result<Locale, FieldError> {
    <Locale as bilten_domain::TextEnum>::parse(code).ok_or_else(|| {
        FieldError::new(
            "unsupported_locale",
            format!("Use one of: {}.", Locale::ALL.map(Locale::code).join(", ")),
        )
    })
}

/// The title and description of a request, checked like the event's own.
fn parse_text(body: &EventTranslationRequest) -> Result<(EventTitle, String), FieldErrors> {
    let mut e = FieldErrors::new();
    let title = e.check(
        "title",
        EventTitle::parse(body.title.as_deref().unwrap_or_default()),
    );
    let description = e.check(
        "description",
        match body.description.as_deref().map(str::trim) {
            Some(d) if d.chars().count() > DESCRIPTION_MAX => Err(FieldError::new(
                "too_long",
                format!("Use at most {DESCRIPTION_MAX} characters."),
            )),
            d => Ok(d.unwrap_or_default().to_owned()),
        },
    );
    match (title, description) {
        (Some(title), Some(description)) if e.is_empty() => Ok((title, description)),
        _ => Err(e),
    }
}

/// The event a manager may change the texts of: not canceled (like the event itself).
async fn changeable(state: &AppState, actor: &CurrentUser, id: &str) -> BackendResult<EventRecord> {
    let event = event_for(state, actor, id, Action::ManageEvents).await?;
    if event.status == EventStatus::Canceled {
        return Err(BackendError::conflict(
            ErrorCode::EventCanceled,
            "This event is canceled.",
        ));
    }
    Ok(event)
}

/// `PUT /events/{id}/translations/{locale}` (managers and owners).
#[utoipa::path(
    put,
    path = "/events/{id}/translations/{locale}",
    tag = "events",
    operation_id = "put_event_translation",
    summary = "Set an event's title and description in a language (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
        ("locale" = String, Path, description = "The language: `en`, `de` or `es` (another is `422 validation_failed`, `fields.locale.code` `unsupported_locale`)."),
    ),
    request_body = EventTranslationRequest,
    responses(
        (status = 200, description = "The event with every translation.", body = EventResponse),
    )
)]
pub async fn put_translation(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path((id, locale)): Path<(String, String)>,
    Json(body): Json<EventTranslationRequest>,
) -> BackendResult<Json<EventResponse>> {
    let event = changeable(&state, &actor, &id).await?;
    let mut e = FieldErrors::new();
    let locale = e.check("locale", parse_locale(&locale));
    let text = match parse_text(&body) {
        Ok(text) => Some(text),
        Err(errors) => {
            for (field, error) in errors.iter() {
                e.add(field.clone(), error.clone());
            }
            None
        }
    };
    let (Some(locale), Some((title, description))) = (locale, text) else {
        return Err(e.into());
    };
    if !event_translations::put(
        state.store.primary(),
        event.id,
        locale,
        title.as_str(),
        &description,
        Utc::now(),
    )
    .await?
    {
        return Err(BackendError::NotFound("event"));
    }
    let event = load_event(&state, event.id).await?;
    Ok(Json(EventResponse {
        event: event_answer(state.store.primary(), &event).await?,
    }))
}

/// `DELETE /events/{id}/translations/{locale}` (managers and owners): the language shows the
/// event's own text again. Removing one it does not have is done too.
#[utoipa::path(
    delete,
    path = "/events/{id}/translations/{locale}",
    tag = "events",
    operation_id = "delete_event_translation",
    summary = "Remove an event's title and description in a language (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
        ("locale" = String, Path, description = "The language: `en`, `de` or `es` (another is `422 validation_failed`)."),
    ),
    responses(
        (status = 204, description = "Removed (or there was none)."),
    )
)]
pub async fn delete_translation(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path((id, locale)): Path<(String, String)>,
) -> BackendResult<StatusCode> {
    let event = changeable(&state, &actor, &id).await?;
    let locale = parse_locale(&locale).map_err(|e| FieldErrors::single("locale", e))?;
    event_translations::remove(state.store.primary(), event.id, locale).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_a_locale_by_its_exact_code() {
        assert_eq!(parse_locale("de").unwrap(), Locale::De);
        assert_eq!(parse_locale("fr").unwrap_err().code, "unsupported_locale");
        assert!(parse_locale("de-AT").is_err());
        assert!(parse_locale("").is_err());
    }

    #[test]
    fn a_translation_needs_a_title_and_keeps_its_limits() {
        let request = |title: &str, description: &str| EventTranslationRequest {
            title: Some(title.to_owned()),
            description: Some(description.to_owned()),
        };
        let (title, description) = parse_text(&request(" Sommerjazz ", " Musik ")).unwrap();
        assert_eq!(
            (title.as_str(), description.as_str()),
            ("Sommerjazz", "Musik")
        );
        let codes = |errors: FieldErrors| {
            errors
                .iter()
                .map(|(field, e)| format!("{field}:{}", e.code))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(parse_text(&EventTranslationRequest::default()).unwrap_err()),
            ["title:required"]
        );
        assert_eq!(
            codes(parse_text(&request(&"x".repeat(201), &"y".repeat(20_001))).unwrap_err()),
            ["description:too_long", "title:too_long"]
        );
    }
}
