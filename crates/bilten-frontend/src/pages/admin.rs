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
    let notice = match query.notice.key() {
        Some("disabled") => Some("The account is disabled and its sessions have ended."),
        Some("enabled") => Some("The account is enabled again."),
        _ => None,
    };
    let csrf = visit.csrf_token.clone();
    let content = html! {
        (views::notice(notice))
        h1 { "Administration" }
        p { a href="/admin/moderation" { "Organizations and events (moderation)" } }
        section.panel aria-labelledby="health-title" {
            h2 #health-title { "Platform health" }
            p { "Backend: " @if ready { span.badge { "ready" } } @else { span.tag.sold-out { "not ready" } } }
            @if let Some(checks) = health.get("checks").and_then(|c| c.as_object()) {
                ul.plain-list { @for (name, state) in checks { li { (name) ": " (state.as_str().unwrap_or("?")) } } }
            }
        }
        h2 #users-title { "Users" }
        (views::error_summary(form, &[]))
        form.search-form method="get" action="/admin" role="search" aria-label="Search users" {
            div.field { label for="field-q" { "Name or email" } input #field-q type="search" name="q" value=(query.q); }
            div.search-actions { button type="submit" { "Search" } }
        }
        div.table-wrap {
            table aria-labelledby="users-title" {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for user in &page.items {
                        tr {
                            th scope="row" { (user.name) }
                            td { (user.email) @if user.email_verified { " " span.badge { "confirmed" } } }
                            td { (user.role.as_str()) }
                            td.order-actions {
                                @for (disabled, label) in [(true, "Disable"), (false, "Enable")] {
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
            p { a.button href={ "/admin?" (serde_urlencoded::to_string([("q", query.q.as_str()), ("cursor", cursor.as_str())]).unwrap_or_default()) } { "More users" } }
        }
    };
    Ok(visit.page(
        "Administration",
        "Bilten platform administration.",
        &content,
    ))
}

pub async fn users(
    State(app): State<Frontend>,
    mut visit: Visit,
    Query(query): Query<UserQuery>,
) -> Response {
    let outcome = users_page(&app, &mut visit, &query, &FormState::default()).await;
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
        FormState::default(),
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
    let notice = match query.notice.key() {
        Some("unpublished") => {
            Some("The event is unpublished: off sale and out of the listing until you release it.")
        }
        Some("released") => Some("The event is released: its organizer may publish it again."),
        _ => None,
    };
    let csrf = visit.csrf_token.clone();
    let content = html! {
        (views::notice(notice))
        h1 { "Moderation" }
        p { a href="/admin" { "Back to administration" } }
        (views::error_summary(form, &[]))
        form.search-form method="get" action="/admin/moderation" role="search" aria-label="Search organizations and events" {
            div.field { label for="field-q" { "Organization name or event title" } input #field-q type="search" name="q" value=(query.q); }
            div.search-actions { button type="submit" { "Search" } }
        }
        h2 #orgs-title { "Organizations" }
        div.table-wrap {
            table aria-labelledby="orgs-title" {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Members" } th scope="col" { "Events" } } }
                tbody {
                    @for org in &organizations.items {
                        tr { th scope="row" { (org.name) } td { (org.members) } td { (org.events) } }
                    }
                }
            }
        }
        h2 #events-title { "Events" }
        div.table-wrap {
            table aria-labelledby="events-title" {
                thead { tr { th scope="col" { "Title" } th scope="col" { "Starts" } th scope="col" { "Status" } th scope="col" { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for event in &events.items {
                        tr {
                            th scope="row" { (event.title) }
                            td { (event.starts_at.format("%Y-%m-%d %H:%M UTC")) }
                            td {
                                (event.status.as_str())
                                @if event.moderation_locked { " (locked by moderation)" }
                            }
                            td.order-actions {
                                @if event.status == EventStatus::Published {
                                    form method="post" action={ "/admin/events/" (event.id) "/unpublish" } {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        button.secondary type="submit" { "Unpublish" span.visually-hidden { " " (event.title) } }
                                    }
                                }
                                @if event.moderation_locked {
                                    form method="post" action={ "/admin/events/" (event.id) "/release" } {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        button.secondary type="submit" { "Release" span.visually-hidden { " " (event.title) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(visit.page("Moderation", "Bilten platform moderation.", &content))
}

pub async fn moderation(
    State(app): State<Frontend>,
    mut visit: Visit,
    Query(query): Query<ModerationQuery>,
) -> Response {
    let outcome = moderation_page(&app, &mut visit, &query, &FormState::default()).await;
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
        FormState::default(),
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
        FormState::default(),
        |()| "/admin/moderation?notice=released".to_owned(),
        async |form| moderation_page(&app, &mut visit, &ModerationQuery::default(), &form).await,
    )
    .await;
    visit.respond(outcome)
}
