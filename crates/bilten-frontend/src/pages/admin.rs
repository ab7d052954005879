//! Platform administration: users (search, disable), the platform's health, and moderation
//! (every organization, every event, unpublishing an event and releasing it again).
//!
//! Only platform admins get anything: the backend answers `403 forbidden` to everyone else,
//! which these pages show as "not found" (the admin area does not announce itself).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::organize::authed;
use super::{after_post, NoticeQuery};
use crate::api::ticketing::EventStatus;
use crate::api::ApiError;
use crate::format;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, FormState};
use crate::Frontend;

/// 403 from an admin route means "not an admin": shown as 404.
fn hidden(error: ApiError) -> PageError {
    match error {
        ApiError::Rejected(rejection) if rejection.status == StatusCode::FORBIDDEN => {
            PageError::NotFound
        }
        other => PageError::from(other),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UserQuery {
    #[serde(default)]
    q: String,
    cursor: Option<String>,
    #[serde(flatten)]
    notice: NoticeQuery,
}

async fn users_page(
    app: &Frontend,
    visit: &mut Visit,
    query: &UserQuery,
    form: &FormState,
) -> Result<Response, PageError> {
    let mut pairs = vec![("q", query.q.as_str())];
    if let Some(cursor) = &query.cursor {
        pairs.push(("cursor", cursor));
    }
    let api_query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let page = authed!(app, visit, |token, fwd| app
        .api
        .admin_users(&fwd, token, &api_query))
    .map_err(hidden)?;
    let (ready, health) = match app.api.readiness().await {
        Ok(answer) => answer,
        Err(cause) => (false, serde_json::json!({ "error": cause })),
    };
    let l = visit.locale;
    let notice = match query.notice.key() {
        Some("disabled") => Some(l.t("admin-notice-disabled")),
        Some("enabled") => Some(l.t("admin-notice-enabled")),
        _ => None,
    };
    let csrf = visit.csrf_token.clone();
    let content = html! {
        (views::notice(notice.as_deref()))
        h1 { (l.t("admin-title")) }
        p { a href="/admin/moderation" { (l.t("admin-moderation-link")) } }
        section.panel aria-labelledby="health-title" {
            h2 #health-title { (l.t("admin-health")) }
            p { (l.t("admin-backend")) " " @if ready { span.badge { (l.t("admin-ready")) } } @else { span.tag.sold-out { (l.t("admin-not-ready")) } } }
            @if let Some(checks) = health.get("checks").and_then(|c| c.as_object()) {
                ul.plain-list { @for (name, state) in checks { li { (name) ": " (state.as_str().unwrap_or("?")) } } }
            }
        }
        h2 #users-title { (l.t("admin-users")) }
        (views::error_summary(form, &[]))
        form.search-form method="get" action="/admin" role="search" aria-label=(l.t("admin-search-users")) {
            div.field { label for="field-q" { (l.t("admin-name-or-email")) } input #field-q type="search" name="q" value=(query.q); }
            div.search-actions { button type="submit" { (l.t("search-submit")) } }
        }
        div.table-wrap {
            table aria-labelledby="users-title" {
                thead { tr { th scope="col" { (l.t("auth-name")) } th scope="col" { (l.t("admin-email")) } th scope="col" { (l.t("admin-role")) } th scope="col" { span.visually-hidden { (l.t("admin-actions")) } } } }
                tbody {
                    @for user in &page.items {
                        tr {
                            th scope="row" { (user.name) }
                            td { (user.email) @if user.email_verified { " " span.badge { (l.t("account-email-confirmed")) } } }
                            td { (user.role.as_str()) }
                            td.order-actions {
                                @for (disabled, label) in [(true, l.t("admin-disable")), (false, l.t("admin-enable"))] {
                                    form method="post" action={ "/admin/users/" (user.id) "/disabled" } {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        input type="hidden" name="disabled" value=(disabled);
                                        button.secondary type="submit" { (label) span.visually-hidden { " " (user.email) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(cursor) = &page.next_cursor {
            p { a.button href={ "/admin?" (serde_urlencoded::to_string([("q", query.q.as_str()), ("cursor", cursor.as_str())]).unwrap_or_default()) } { (l.t("admin-more-users")) } }
        }
    };
    Ok(visit.page(&l.t("admin-title"), &l.t("admin-description"), &content))
}

pub async fn users(
    State(app): State<Frontend>,
    mut visit: Visit,
    Query(query): Query<UserQuery>,
) -> Response {
    let form = FormState::new(visit.locale);
    let outcome = users_page(&app, &mut visit, &query, &form).await;
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    disabled: bool,
}

pub async fn set_disabled(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(input): CsrfForm<DisableForm>,
) -> Response {
    let result = authed!(&app, visit, |token, fwd| app.api.set_user_disabled(
        &fwd,
        token,
        &id,
        input.disabled
    ));
    if let Err(ApiError::Rejected(rejection)) = &result {
        if rejection.status == StatusCode::FORBIDDEN {
            return visit.respond(Err(PageError::NotFound));
        }
    }
    let notice = if input.disabled {
        "disabled"
    } else {
        "enabled"
    };
    let outcome = after_post(
        result,
        FormState::new(visit.locale),
        |()| format!("/admin?notice={notice}"),
        async |form| users_page(&app, &mut visit, &UserQuery::default(), &form).await,
    )
    .await;
    visit.respond(outcome)
}

#[derive(Debug, Default, Deserialize)]
pub struct ModerationQuery {
    #[serde(default)]
    q: String,
    #[serde(flatten)]
    notice: NoticeQuery,
}

async fn moderation_page(
    app: &Frontend,
    visit: &mut Visit,
    query: &ModerationQuery,
    form: &FormState,
) -> Result<Response, PageError> {
    let api_query = serde_urlencoded::to_string([("q", query.q.as_str())]).unwrap_or_default();
    let organizations = authed!(app, visit, |token, fwd| app
        .api
        .admin_organizations(&fwd, token, &api_query))
    .map_err(hidden)?;
    let events = authed!(app, visit, |token, fwd| app
        .api
        .admin_events(&fwd, token, &api_query))
    .map_err(hidden)?;
    let l = visit.locale;
    let notice = match query.notice.key() {
        Some("unpublished") => Some(l.t("admin-notice-unpublished")),
        Some("released") => Some(l.t("admin-notice-released")),
        _ => None,
    };
    let csrf = visit.csrf_token.clone();
    let content = html! {
        (views::notice(notice.as_deref()))
        h1 { (l.t("admin-moderation")) }
        p { a href="/admin" { (l.t("admin-back")) } }
        (views::error_summary(form, &[]))
        form.search-form method="get" action="/admin/moderation" role="search" aria-label=(l.t("admin-search-moderation")) {
            div.field { label for="field-q" { (l.t("admin-org-or-event")) } input #field-q type="search" name="q" value=(query.q); }
            div.search-actions { button type="submit" { (l.t("search-submit")) } }
        }
        h2 #orgs-title { (l.t("admin-organizations")) }
        div.table-wrap {
            table aria-labelledby="orgs-title" {
                thead { tr { th scope="col" { (l.t("auth-name")) } th scope="col" { (l.t("admin-members")) } th scope="col" { (l.t("nav-events")) } } }
                tbody {
                    @for org in &organizations.items {
                        tr { th scope="row" { (org.name) } td { (org.members) } td { (org.events) } }
                    }
                }
            }
        }
        h2 #events-title { (l.t("nav-events")) }
        div.table-wrap {
            table aria-labelledby="events-title" {
                thead { tr { th scope="col" { (l.t("admin-event-title")) } th scope="col" { (l.t("admin-starts")) } th scope="col" { (l.t("admin-status")) } th scope="col" { span.visually-hidden { (l.t("admin-actions")) } } } }
                tbody {
                    @for event in &events.items {
                        tr {
                            th scope="row" { (event.title) }
                            td { (format::local_datetime_zone(l, event.starts_at, chrono_tz::Tz::UTC)) }
                            td {
                                (super::organize::event_status_label(l, event.status))
                                @if event.moderation_locked { " " (l.t("admin-locked")) }
                            }
                            td.order-actions {
                                @if event.status == EventStatus::Published {
                                    form method="post" action={ "/admin/events/" (event.id) "/unpublish" } {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        button.secondary type="submit" { (l.t("admin-unpublish")) span.visually-hidden { " " (event.title) } }
                                    }
                                }
                                @if event.moderation_locked {
                                    form method="post" action={ "/admin/events/" (event.id) "/release" } {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        button.secondary type="submit" { (l.t("admin-release")) span.visually-hidden { " " (event.title) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(visit.page(
        &l.t("admin-moderation"),
        &l.t("admin-moderation-description"),
        &content,
    ))
}

pub async fn moderation(
    State(app): State<Frontend>,
    mut visit: Visit,
    Query(query): Query<ModerationQuery>,
) -> Response {
    let form = FormState::new(visit.locale);
    let outcome = moderation_page(&app, &mut visit, &query, &form).await;
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct UnpublishForm {}

pub async fn unpublish(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(_input): CsrfForm<UnpublishForm>,
) -> Response {
    let result = authed!(&app, visit, |token, fwd| app
        .api
        .unpublish_event(&fwd, token, &id));
    if let Err(ApiError::Rejected(rejection)) = &result {
        if rejection.status == StatusCode::FORBIDDEN {
            return visit.respond(Err(PageError::NotFound));
        }
    }
    let outcome = after_post(
        result,
        FormState::new(visit.locale),
        |()| "/admin/moderation?notice=unpublished".to_owned(),
        async |form| moderation_page(&app, &mut visit, &ModerationQuery::default(), &form).await,
    )
    .await;
    visit.respond(outcome)
}

/// `POST /admin/events/{id}/release`: lifts the moderation lock of an unpublished event.
pub async fn release(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(_input): CsrfForm<UnpublishForm>,
) -> Response {
    let result = authed!(&app, visit, |token, fwd| app
        .api
        .release_event(&fwd, token, &id));
    if let Err(ApiError::Rejected(rejection)) = &result {
        if rejection.status == StatusCode::FORBIDDEN {
            return visit.respond(Err(PageError::NotFound));
        }
    }
    let outcome = after_post(
        result,
        FormState::new(visit.locale),
        |()| "/admin/moderation?notice=released".to_owned(),
        async |form| moderation_page(&app, &mut visit, &ModerationQuery::default(), &form).await,
    )
    .await;
    visit.respond(outcome)
}
