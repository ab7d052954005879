//! The account page: profile, password, email confirmation and sessions.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::auth::EmptyForm;
use super::{form_problems, NoticeQuery};
use chrono::{DateTime, Utc};

use crate::api::SessionInfo;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, Field, FormState};
use crate::Frontend;

/// The state of the page's two forms when it is shown again after a failed post.
#[derive(Default)]
struct AccountForms {
    profile: FormState,
    password: FormState,
}

async fn account_page(
    app: &Frontend,
    visit: &mut Visit,
    forms: AccountForms,
    notice: Option<&str>,
) -> Result<Response, PageError> {
    if !visit.signed_in() {
        return Err(PageError::SignInRequired);
    }
    let forwarded = visit.forwarded.clone();
    let user = visit
        .authed(app, |token| app.api.me(&forwarded, token))
        .await?;
    let sessions = visit
        .authed(app, |token| app.api.sessions(&forwarded, token))
        .await?;
    let failed = forms.profile.has_errors() || forms.password.has_errors();
    let profile = if forms.profile.values.is_empty() {
        forms.profile.with_value("name", &user.name)
    } else {
        forms.profile
    };
    let csrf = visit.csrf_token.clone();
    let content = html! {
        (views::notice(notice))
        h1 { "Your account" }
        div.account-grid {
            section.panel aria-labelledby="profile-title" {
                h2 #profile-title { "Profile" }
                p { "Email address: " strong { (user.email) } " "
                    @if user.email_verified { span.badge { "confirmed" } }
                }
                @if !user.email_verified {
                    p { "Your email address is not confirmed yet. Open the link we sent you." }
                    form method="post" action="/account/verification" {
                        (csrf_field(&csrf))
                        button.secondary type="submit" { "Send the confirmation email again" }
                    }
                }
                (error_summary(&profile, &[("name", "Name")]))
                form.form method="post" action="/account/profile" novalidate {
                    (csrf_field(&csrf))
                    (field(&Field { name: "name", label: "Name", kind: "text", autocomplete: "name", hint: None }, &profile))
                    button type="submit" { "Save name" }
                }
            }
            section.panel aria-labelledby="password-title" {
                h2 #password-title { "Password" }
                (error_summary(&forms.password, &[("current_password", "Current password"), ("new_password", "New password")]))
                form.form method="post" action="/account/password" novalidate {
                    (csrf_field(&csrf))
                    (field(&Field { name: "current_password", label: "Current password", kind: "password", autocomplete: "current-password", hint: None }, &forms.password))
                    (field(&Field { name: "new_password", label: "New password", kind: "password", autocomplete: "new-password", hint: Some("At least 8 characters. Your other devices will be logged out.") }, &forms.password))
                    button type="submit" { "Change password" }
                }
            }
        }
        section.panel aria-labelledby="sessions-title" {
            h2 #sessions-title { "Where you're logged in" }
            ul.sessions {
                @for session in &sessions {
                    li { (session_line(session)) }
                }
            }
            form method="post" action="/account/logout-everywhere" {
                (csrf_field(&csrf))
                button.danger type="submit" { "Log out everywhere" }
            }
        }
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(visit.page_with_status(
        status,
        "Your account",
        "Your Bilten profile, password and sessions.",
        &content,
    ))
}

fn session_line(session: &SessionInfo) -> maud::Markup {
    html! {
        strong { (session.user_agent.as_deref().unwrap_or("Unknown browser")) }
        @if session.current { " " span.badge { "this device" } }
        br;
        span.muted {
            "Logged in " (short_time(&session.created_at))
            ", last active " (short_time(&session.last_used_at))
            @if let Some(ip) = &session.ip { ", from " (ip) }
        }
    }
}

/// `2026-11-26T01:02:03.456Z` → `2026-11-26 01:02 UTC`.
fn short_time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub async fn show(
    State(app): State<Frontend>,
    mut visit: Visit,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let outcome = account_page(&app, &mut visit, AccountForms::default(), query.message()).await;
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    name: String,
}

pub async fn update_profile(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<ProfileForm>,
) -> Response {
    let forwarded = visit.forwarded.clone();
    let saved = visit
        .authed(&app, |token| {
            app.api.update_name(&forwarded, token, &input.name)
        })
        .await;
    let outcome = match saved {
        Ok(_) => Ok(Redirect::to("/account?notice=name_saved").into_response()),
        Err(error) => {
            match form_problems(error, FormState::default().with_value("name", &input.name)) {
                Ok(profile) => {
                    let forms = AccountForms {
                        profile,
                        ..AccountForms::default()
                    };
                    account_page(&app, &mut visit, forms, None).await
                }
                Err(error) => Err(error),
            }
        }
    };
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<PasswordForm>,
) -> Response {
    let forwarded = visit.forwarded.clone();
    let changed = visit
        .authed(&app, |token| {
            app.api.change_password(
                &forwarded,
                token,
                &input.current_password,
                &input.new_password,
            )
        })
        .await;
    let outcome = match changed {
        Ok(()) => Ok(Redirect::to("/account?notice=password_changed").into_response()),
        Err(error) => match form_problems(error, FormState::default()) {
            Ok(password) => {
                let forms = AccountForms {
                    password,
                    ..AccountForms::default()
                };
                account_page(&app, &mut visit, forms, None).await
            }
            Err(error) => Err(error),
        },
    };
    visit.respond(outcome)
}

pub async fn logout_everywhere(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Response {
    let forwarded = visit.forwarded.clone();
    let outcome = match visit
        .authed(&app, |token| app.api.logout_everywhere(&forwarded, token))
        .await
    {
        Ok(()) => {
            visit.forget_tokens();
            Ok(Redirect::to("/login?notice=logged_out_everywhere").into_response())
        }
        Err(error) => Err(PageError::from(error)),
    };
    visit.respond(outcome)
}

pub async fn resend_verification(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Response {
    let forwarded = visit.forwarded.clone();
    let outcome = match visit
        .authed(&app, |token| app.api.resend_verification(&forwarded, token))
        .await
    {
        Ok(()) => Ok(Redirect::to("/account?notice=verification_sent").into_response()),
        Err(error) => Err(PageError::from(error)),
    };
    visit.respond(outcome)
}

#[cfg(test)]
mod tests {
    use super::short_time;

    #[test]
    fn times_are_shortened_to_the_minute() {
        let at = "2026-11-26T01:02:03.456Z".parse().unwrap();
        assert_eq!(short_time(&at), "2026-11-26 01:02 UTC");
    }
}
