//! The account page: profile, password, email confirmation and sessions.

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::auth::EmptyForm;
use super::{form_problems, NoticeQuery};
use chrono::{DateTime, Utc};

use crate::api::{SessionInfo, TwoFactorStatus};
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, Field, FormState};
use crate::Frontend;

/// The state of the page's two forms when it is shown again after a failed post.
#[derive(Default)]
struct AccountForms {
    profile: FormState,
    password: FormState,
    two_factor: FormState,
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
    let two_factor = visit
        .authed(app, |token| app.api.two_factor_status(&forwarded, token))
        .await?;
    let failed =
        forms.profile.has_errors() || forms.password.has_errors() || forms.two_factor.has_errors();
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
        (two_factor_section(&two_factor, &forms.two_factor, &csrf))
        (data_section())
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

/// The account page's "Two-factor sign-in" panel: turn it on, or off with a code.
fn two_factor_section(status: &TwoFactorStatus, form: &FormState, csrf: &str) -> maud::Markup {
    html! {
        section.panel aria-labelledby="two-factor-title" {
            h2 #two-factor-title { "Two-factor sign-in" }
            @if status.enabled {
                p { span.badge { "on" } " Logging in asks for a code from your authenticator app after the password. "
                    (status.recovery_codes_left) " recovery codes left." }
                (error_summary(form, &[("code", "Code")]))
                form.form method="post" action="/account/two-factor/disable" novalidate {
                    (csrf_field(csrf))
                    (field(&Field { name: "code", label: "Code from your app (or a recovery code)", kind: "text", autocomplete: "one-time-code", hint: Some("Needed for new recovery codes or to turn two-factor sign-in off.") }, form))
                    button.secondary type="submit" formaction="/account/two-factor/recovery-codes" { "New recovery codes" }
                    " "
                    button.secondary type="submit" { "Turn two-factor sign-in off" }
                }
            } @else {
                p { "Protect your account with a second step at login: a 6-digit code from an authenticator app on your phone. Some organizations require it of their team." }
                form method="post" action="/account/two-factor" {
                    (csrf_field(csrf))
                    button type="submit" { "Set up two-factor sign-in" }
                }
            }
        }
    }
}

/// The account page's "Your data" panel: the export and the way to deletion.
fn data_section() -> maud::Markup {
    html! {
        section.panel aria-labelledby="data-title" {
            h2 #data-title { "Your data" }
            p { "Download everything we hold about you — your profile, organizations, orders with their tickets, and sessions — as a JSON file." }
            p { a.button.secondary href="/account/export" download { "Download my data" } }
            p { "Deleting your account cannot be undone. The next page says what it removes and what organizers keep." }
            p { a.button.danger href="/account/delete" { "Delete my account" } }
        }
    }
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

/// `POST /account/two-factor`: a new secret, shown as a QR code and as text, and the form that
/// confirms it with the app's first code.
pub async fn enrol_two_factor(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(_): CsrfForm<super::auth::EmptyForm>,
) -> Response {
    let forwarded = visit.forwarded.clone();
    let outcome = match visit
        .authed(&app, |token| app.api.enrol_two_factor(&forwarded, token))
        .await
    {
        Ok(enrolment) => Ok(confirm_page(
            &visit,
            Some(&enrolment),
            &FormState::default(),
        )),
        Err(error) => Err(PageError::from(error)),
    };
    visit.respond(outcome)
}

fn confirm_page(
    visit: &Visit,
    enrolment: Option<&crate::api::TwoFactorEnrolment>,
    form: &FormState,
) -> Response {
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let content = html! {
        h1 { "Set up two-factor sign-in" }
        @if let Some(enrolment) = enrolment {
            ol {
                li { "Open an authenticator app on your phone (for example Aegis, Google Authenticator or 1Password) and add an account." }
                li { "Scan this QR code, or type the key below." }
                li { "Type the 6-digit code the app shows." }
            }
            div.qr-enrol role="img" aria-label="QR code for your authenticator app" {
                (maud::PreEscaped(&enrolment.qr_svg))
            }
            p { "Key: " code.secret { (enrolment.secret) } }
        } @else {
            p { "Type the code your authenticator app shows now for Bilten, or "
                a href="/account" { "start over" } " with a new QR code." }
        }
        (error_summary(form, &[("code", "Code")]))
        form.form method="post" action="/account/two-factor/confirm" novalidate {
            (csrf_field(&visit.csrf_token))
            (field(&Field { name: "code", label: "Code from the app", kind: "text", autocomplete: "one-time-code", hint: Some("6 digits; a new one every 30 seconds.") }, form))
            button type="submit" { "Turn on" }
        }
    };
    visit.page_with_status(
        status,
        "Set up two-factor sign-in",
        "Add a second step to your Bilten login.",
        &content,
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /account/two-factor/confirm`: on, and the recovery codes, shown this once.
pub async fn confirm_two_factor(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<CodeForm>,
) -> Response {
    let forwarded = visit.forwarded.clone();
    let confirmed = visit
        .authed(&app, |token| {
            app.api.confirm_two_factor(&forwarded, token, &input.code)
        })
        .await;
    let outcome = match confirmed {
        Ok(codes) => Ok(recovery_codes_page(
            &visit,
            "Two-factor sign-in is on",
            &codes,
        )),
        Err(error) => {
            form_problems(error, FormState::default()).map(|form| confirm_page(&visit, None, &form))
        }
    };
    visit.respond(outcome)
}

/// The recovery codes, shown once.
fn recovery_codes_page(visit: &Visit, title: &str, codes: &[String]) -> Response {
    let content = html! {
        h1 { (title) }
        p { "Keep these recovery codes somewhere safe (print them, or store them in a password manager). Each one logs you in once if you lose your phone. They are shown only now." }
        ul.recovery-codes {
            @for code in codes { li { code { (code) } } }
        }
        p { a.button href="/account?notice=two_factor_on" { "I have saved them" } }
    };
    visit.page(
        "Your recovery codes",
        "Recovery codes for your Bilten login.",
        &content,
    )
}

/// `POST /account/two-factor/recovery-codes`: ten new codes, confirmed with a code.
pub async fn renew_recovery_codes(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<CodeForm>,
) -> Response {
    let forwarded = visit.forwarded.clone();
    let renewed = visit
        .authed(&app, |token| {
            app.api.renew_recovery_codes(&forwarded, token, &input.code)
        })
        .await;
    let outcome = match renewed {
        Ok(codes) => Ok(recovery_codes_page(&visit, "New recovery codes", &codes)),
        Err(error) => match form_problems(error, FormState::default()) {
            Ok(two_factor) => {
                let forms = AccountForms {
                    two_factor,
                    ..AccountForms::default()
                };
                account_page(&app, &mut visit, forms, None).await
            }
            Err(error) => Err(error),
        },
    };
    visit.respond(outcome)
}

/// `POST /account/two-factor/disable`, with a code.
pub async fn disable_two_factor(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<CodeForm>,
) -> Response {
    let forwarded = visit.forwarded.clone();
    let disabled = visit
        .authed(&app, |token| {
            app.api.disable_two_factor(&forwarded, token, &input.code)
        })
        .await;
    let outcome = match disabled {
        Ok(()) => Ok(Redirect::to("/account?notice=two_factor_off").into_response()),
        Err(error) => match form_problems(error, FormState::default()) {
            Ok(two_factor) => {
                let forms = AccountForms {
                    two_factor,
                    ..AccountForms::default()
                };
                account_page(&app, &mut visit, forms, None).await
            }
            Err(error) => Err(error),
        },
    };
    visit.respond(outcome)
}

/// `GET /account/export`: the backend's JSON download, passed through.
pub async fn export(State(app): State<Frontend>, mut visit: Visit) -> Response {
    let outcome = async {
        if !visit.signed_in() {
            return Err(PageError::SignInRequired);
        }
        let forwarded = visit.forwarded.clone();
        let answer = visit
            .authed(&app, |token| app.api.export_my_data(&forwarded, token))
            .await?;
        let disposition = answer
            .content_disposition
            .unwrap_or_else(|| "attachment; filename=\"bilten-data.json\"".to_owned());
        let mut response = answer.body.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        Ok(response)
    }
    .await;
    visit.respond(outcome)
}

/// The confirmation page of the deletion: what goes, what stays, and the password.
fn delete_page(visit: &Visit, form: &FormState) -> Response {
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let content = html! {
        h1 { "Delete your account" }
        section.panel aria-labelledby="consequences-title" {
            h2 #consequences-title { "What happens" }
            ul {
                li { "Your account, your sessions and your organization memberships are deleted, and you are logged out everywhere." }
                li { "Your orders stay with the organizers you bought from, because they must keep accounting records (10 years under German commercial and tax law, HGB §257 and AO §147). Your name and email are removed from them, and from the names on their tickets." }
                li { "Your tickets are no longer linked to you: download the ones you still need before you go." }
                li { "If you are the only owner of an organization, make someone else an owner first." }
            }
            p { strong { "This cannot be undone." } }
        }
        (error_summary(form, &[("password", "Password")]))
        form.form method="post" action="/account/delete" novalidate {
            (csrf_field(&visit.csrf_token))
            (field(&Field { name: "password", label: "Your password", kind: "password", autocomplete: "current-password", hint: Some("We ask for it so nobody else can delete your account from a device you left logged in.") }, form))
            button.danger type="submit" { "Delete my account" }
            " "
            a href="/account" { "Keep my account" }
        }
    };
    visit.page_with_status(
        status,
        "Delete your account",
        "Delete your Bilten account.",
        &content,
    )
}

pub async fn confirm_delete(State(_app): State<Frontend>, visit: Visit) -> Response {
    if !visit.signed_in() {
        return visit.respond(Err(PageError::SignInRequired));
    }
    let page = delete_page(&visit, &FormState::default());
    visit.respond(Ok(page))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    password: String,
}

pub async fn delete(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<DeleteForm>,
) -> Response {
    let forwarded = visit.forwarded.clone();
    let deleted = visit
        .authed(&app, |token| {
            app.api.delete_account(&forwarded, token, &input.password)
        })
        .await;
    let outcome = match deleted {
        Ok(()) => {
            visit.forget_tokens();
            Ok(Redirect::to("/?notice=account_deleted").into_response())
        }
        Err(error) => {
            form_problems(error, FormState::default()).map(|form| delete_page(&visit, &form))
        }
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
