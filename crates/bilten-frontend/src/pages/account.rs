//! The account page: profile, password, email confirmation and sessions.

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::auth::EmptyForm;
use super::{form_problems, NoticeQuery};
use chrono::{DateTime, Utc};

use bilten_i18n::{t, Locale};

use crate::api::{SessionInfo, TwoFactorStatus};
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, Field, FormState};
use crate::Frontend;

/// The state of the page's two forms when it is shown again after a failed post.
struct AccountForms {
    profile: FormState,
    password: FormState,
    two_factor: FormState,
    passkeys: FormState,
}

impl AccountForms {
    fn new(l: Locale) -> Self {
        Self {
            profile: FormState::new(l),
            password: FormState::new(l),
            two_factor: FormState::new(l),
            passkeys: FormState::new(l),
        }
    }
}

/// The account page again (422) with the passkey form's problems.
pub(super) async fn page_with_passkey_form(
    app: &Frontend,
    visit: &mut Visit,
    passkeys: FormState,
) -> Result<Response, PageError> {
    let forms = AccountForms {
        passkeys,
        ..AccountForms::new(visit.locale)
    };
    account_page(app, visit, forms, None).await
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
    let passkeys = visit
        .authed(app, |token| app.api.passkeys(&forwarded, token))
        .await?;
    let failed = forms.profile.has_errors()
        || forms.password.has_errors()
        || forms.two_factor.has_errors()
        || forms.passkeys.has_errors();
    let profile = if forms.profile.values.is_empty() {
        forms.profile.with_value("name", &user.name)
    } else {
        forms.profile
    };
    let csrf = visit.csrf_token.clone();
    let l = visit.locale;
    let (name, current_password, new_password) = (
        l.t("auth-name"),
        l.t("account-current-password"),
        l.t("auth-new-password"),
    );
    let content = html! {
        (views::notice(notice))
        h1 { (l.t("nav-account-title")) }
        div.account-grid {
            section.panel aria-labelledby="profile-title" {
                h2 #profile-title { (l.t("account-profile")) }
                p { (l.t("account-email-label")) " " strong { (user.email) } " "
                    @if user.email_verified { span.badge { (l.t("account-email-confirmed")) } }
                }
                @if !user.email_verified {
                    p { (l.t("account-email-unconfirmed")) }
                    form method="post" action="/account/verification" {
                        (csrf_field(&csrf))
                        button.secondary type="submit" { (l.t("account-resend-confirmation")) }
                    }
                }
                (error_summary(&profile, &[("name", &name)]))
                form.form method="post" action="/account/profile" novalidate {
                    (csrf_field(&csrf))
                    (field(&Field { name: "name", label: &name, kind: "text", autocomplete: "name", hint: None }, &profile))
                    button type="submit" { (l.t("account-save-name")) }
                }
            }
            section.panel aria-labelledby="password-title" {
                h2 #password-title { (l.t("auth-password")) }
                (error_summary(&forms.password, &[("current_password", &current_password), ("new_password", &new_password)]))
                form.form method="post" action="/account/password" novalidate {
                    (csrf_field(&csrf))
                    (field(&Field { name: "current_password", label: &current_password, kind: "password", autocomplete: "current-password", hint: None }, &forms.password))
                    (field(&Field { name: "new_password", label: &new_password, kind: "password", autocomplete: "new-password", hint: Some(&l.t("account-new-password-hint")) }, &forms.password))
                    button type="submit" { (l.t("account-change-password")) }
                }
            }
        }
        section.panel aria-labelledby="sessions-title" {
            h2 #sessions-title { (l.t("account-sessions")) }
            ul.sessions {
                @for session in &sessions {
                    li { (session_line(l, session)) }
                }
            }
            form method="post" action="/account/logout-everywhere" {
                (csrf_field(&csrf))
                button.danger type="submit" { (l.t("account-logout-everywhere")) }
            }
        }
        (two_factor_section(l, &two_factor, &forms.two_factor, &csrf))
        (super::passkeys::section(l, &passkeys, &forms.passkeys, &csrf))
        (data_section(l))
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(visit.page_with_status(
        status,
        &l.t("nav-account-title"),
        &l.t("account-description"),
        &content,
    ))
}

/// The account page's "Two-factor sign-in" panel: turn it on, or off with a code.
fn two_factor_section(
    l: Locale,
    status: &TwoFactorStatus,
    form: &FormState,
    csrf: &str,
) -> maud::Markup {
    let code = l.t("account-two-factor-code");
    html! {
        section.panel aria-labelledby="two-factor-title" {
            h2 #two-factor-title { (l.t("account-two-factor")) }
            @if status.enabled {
                p { span.badge { (l.t("account-two-factor-on-badge")) } " " (l.t("account-two-factor-on")) " "
                    (t(l, "account-recovery-codes-left", &[("count", status.recovery_codes_left.into())])) }
                (error_summary(form, &[("code", &code)]))
                form.form method="post" action="/account/two-factor/disable" novalidate {
                    (csrf_field(csrf))
                    (field(&Field { name: "code", label: &code, kind: "text", autocomplete: "one-time-code", hint: Some(&l.t("account-two-factor-code-hint")) }, form))
                    button.secondary type="submit" formaction="/account/two-factor/recovery-codes" { (l.t("account-new-recovery-codes")) }
                    " "
                    button.secondary type="submit" { (l.t("account-two-factor-turn-off")) }
                }
            } @else {
                p { (l.t("account-two-factor-pitch")) }
                form method="post" action="/account/two-factor" {
                    (csrf_field(csrf))
                    button type="submit" { (l.t("account-two-factor-set-up")) }
                }
            }
        }
    }
}

/// The account page's "Your data" panel: the export and the way to deletion.
fn data_section(l: Locale) -> maud::Markup {
    html! {
        section.panel aria-labelledby="data-title" {
            h2 #data-title { (l.t("account-data")) }
            p { (l.t("account-data-export-intro")) }
            p { a.button.secondary href="/account/export" download { (l.t("account-data-export")) } }
            p { (l.t("account-delete-intro")) }
            p { a.button.danger href="/account/delete" { (l.t("account-delete")) } }
        }
    }
}

fn session_line(l: Locale, session: &SessionInfo) -> maud::Markup {
    let args = [
        ("created", short_time(l, &session.created_at).into()),
        ("last_used", short_time(l, &session.last_used_at).into()),
    ];
    html! {
        strong { (session.user_agent.clone().unwrap_or_else(|| l.t("account-unknown-browser"))) }
        @if session.current { " " span.badge { (l.t("account-this-device")) } }
        br;
        span.muted {
            (t(l, "account-session-times", &args))
            @if let Some(ip) = &session.ip { (t(l, "account-session-from", &[("ip", ip.into())])) }
        }
    }
}

/// `2026-11-26T01:02:03.456Z` → `Thu, 26 Nov 2026, 01:02 UTC` (in the visitor's language;
/// a session has no time zone of its own).
pub(super) fn short_time(l: Locale, at: &DateTime<Utc>) -> String {
    crate::format::local_datetime_zone(l, *at, chrono_tz::Tz::UTC)
}

pub async fn show(
    State(app): State<Frontend>,
    mut visit: Visit,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let forms = AccountForms::new(visit.locale);
    let notice = query.message(visit.locale);
    let outcome = account_page(&app, &mut visit, forms, notice.as_deref()).await;
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
            match form_problems(
                error,
                FormState::new(visit.locale).with_value("name", &input.name),
            ) {
                Ok(profile) => {
                    let forms = AccountForms {
                        profile,
                        ..AccountForms::new(visit.locale)
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
        Err(error) => match form_problems(error, FormState::new(visit.locale)) {
            Ok(password) => {
                let forms = AccountForms {
                    password,
                    ..AccountForms::new(visit.locale)
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
            &FormState::new(visit.locale),
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
    let l = visit.locale;
    let code = l.t("account-enrol-code");
    let content = html! {
        h1 { (l.t("account-two-factor-set-up")) }
        @if let Some(enrolment) = enrolment {
            ol {
                li { (l.t("account-enrol-step-app")) }
                li { (l.t("account-enrol-step-scan")) }
                li { (l.t("account-enrol-step-code")) }
            }
            div.qr-enrol role="img" aria-label=(l.t("account-enrol-qr-label")) {
                (maud::PreEscaped(&enrolment.qr_svg))
            }
            p { (l.t("account-enrol-key")) " " code.secret { (enrolment.secret) } }
        } @else {
            p { (l.t("account-enrol-again-before")) " "
                a href="/account" { (l.t("account-enrol-start-over")) } " " (l.t("account-enrol-again-after")) }
        }
        (error_summary(form, &[("code", &code)]))
        form.form method="post" action="/account/two-factor/confirm" novalidate {
            (csrf_field(&visit.csrf_token))
            (field(&Field { name: "code", label: &code, kind: "text", autocomplete: "one-time-code", hint: Some(&l.t("account-enrol-code-hint")) }, form))
            button type="submit" { (l.t("account-enrol-submit")) }
        }
    };
    visit.page_with_status(
        status,
        &l.t("account-two-factor-set-up"),
        &l.t("account-enrol-description"),
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
            &visit.locale.t("notice-two-factor-on"),
            &codes,
        )),
        Err(error) => form_problems(error, FormState::new(visit.locale))
            .map(|form| confirm_page(&visit, None, &form)),
    };
    visit.respond(outcome)
}

/// The recovery codes, shown once.
fn recovery_codes_page(visit: &Visit, title: &str, codes: &[String]) -> Response {
    let l = visit.locale;
    let content = html! {
        h1 { (title) }
        p { (l.t("account-recovery-intro")) }
        ul.recovery-codes {
            @for code in codes { li { code { (code) } } }
        }
        p { a.button href="/account?notice=two_factor_on" { (l.t("account-recovery-saved")) } }
    };
    visit.page(
        &l.t("account-recovery-title"),
        &l.t("account-recovery-description"),
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
        Ok(codes) => Ok(recovery_codes_page(
            &visit,
            &visit.locale.t("account-new-recovery-codes"),
            &codes,
        )),
        Err(error) => match form_problems(error, FormState::new(visit.locale)) {
            Ok(two_factor) => {
                let forms = AccountForms {
                    two_factor,
                    ..AccountForms::new(visit.locale)
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
        Err(error) => match form_problems(error, FormState::new(visit.locale)) {
            Ok(two_factor) => {
                let forms = AccountForms {
                    two_factor,
                    ..AccountForms::new(visit.locale)
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
    let l = visit.locale;
    let content = html! {
        h1 { (l.t("account-delete-heading")) }
        section.panel aria-labelledby="consequences-title" {
            h2 #consequences-title { (l.t("account-delete-what-happens")) }
            ul {
                li { (l.t("account-delete-account-gone")) }
                li { (l.t("account-delete-orders-stay")) }
                li { (l.t("account-delete-tickets-unlinked")) }
                li { (l.t("account-delete-only-owner")) }
            }
            p { strong { (l.t("account-delete-final")) } }
        }
        (error_summary(form, &[("password", &l.t("auth-password"))]))
        form.form method="post" action="/account/delete" novalidate {
            (csrf_field(&visit.csrf_token))
            (field(&Field { name: "password", label: &l.t("account-delete-password"), kind: "password", autocomplete: "current-password", hint: Some(&l.t("account-delete-password-hint")) }, form))
            button.danger type="submit" { (l.t("account-delete")) }
            " "
            a href="/account" { (l.t("account-delete-keep")) }
        }
    };
    visit.page_with_status(
        status,
        &l.t("account-delete-heading"),
        &l.t("account-delete-description"),
        &content,
    )
}

pub async fn confirm_delete(State(_app): State<Frontend>, visit: Visit) -> Response {
    if !visit.signed_in() {
        return visit.respond(Err(PageError::SignInRequired));
    }
    let page = delete_page(&visit, &FormState::new(visit.locale));
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
        Err(error) => form_problems(error, FormState::new(visit.locale))
            .map(|form| delete_page(&visit, &form)),
    };
    visit.respond(outcome)
}

#[cfg(test)]
mod tests {
    use super::short_time;
    use bilten_i18n::Locale;

    #[test]
    fn times_are_shortened_to_the_minute_in_the_visitors_language() {
        let at = "2026-11-26T01:02:03.456Z".parse().unwrap();
        assert_eq!(short_time(Locale::En, &at), "Thu, 26 Nov 2026, 01:02 UTC");
        assert_eq!(short_time(Locale::De, &at), "Do., 26.11.2026, 01:02 UTC");
    }
}
