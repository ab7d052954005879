//! Sign-up, log in, log out, email verification and password reset.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::{form_again, form_problems, NoticeQuery};
use crate::api::{ApiError, LoginAnswer};
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, Field, FormState};
use crate::Frontend;
use bilten_api::ErrorCode;

fn email_field(form: &FormState) -> Markup {
    field(
        &Field {
            name: "email",
            label: &form.locale.t("checkout-email"),
            kind: "email",
            autocomplete: "email",
            hint: None,
        },
        form,
    )
}

/// Where to go after logging in: only a path on this site, so a crafted `?next=` link cannot
/// send a freshly logged-in visitor to someone else's page.
pub(crate) fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.starts_with("/login") =>
        {
            path
        }
        _ => "/account",
    }
}

// ----- sign-up -----

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// Where to go after logging in (an invitation link).
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct SignupQuery {
    next: Option<String>,
}

fn signup_content(visit: &Visit, form: &FormState, next: Option<&str>) -> Markup {
    let l = visit.locale;
    let (name, email, password) = (
        l.t("auth-name"),
        l.t("checkout-email"),
        l.t("auth-password"),
    );
    html! {
        h1 { (l.t("auth-signup-heading")) }
        (error_summary(form, &[("name", &name), ("email", &email), ("password", &password)]))
        form.form method="post" action="/signup" novalidate {
            (csrf_field(&visit.csrf_token))
            @if let Some(next) = next {
                input type="hidden" name="next" value=(next);
            }
            (field(&Field { name: "name", label: &name, kind: "text", autocomplete: "name", hint: Some(&l.t("auth-name-hint")) }, form))
            (email_field(form))
            (field(&Field { name: "password", label: &password, kind: "password", autocomplete: "new-password", hint: Some(&l.t("auth-password-hint")) }, form))
            button type="submit" { (l.t("auth-signup-submit")) }
        }
        p { (l.t("auth-have-account")) " " a href="/login" { (l.t("nav-log-in")) } }
    }
}

pub async fn signup_page(visit: Visit, Query(query): Query<SignupQuery>) -> Response {
    let page = visit.page(
        &visit.locale.t("nav-sign-up"),
        &visit.locale.t("auth-signup-description"),
        &signup_content(&visit, &FormState::new(visit.locale), query.next.as_deref()),
    );
    visit.respond(Ok(page))
}

pub async fn signup(
    State(app): State<Frontend>,
    visit: Visit,
    CsrfForm(input): CsrfForm<SignupForm>,
) -> Response {
    let outcome = match app
        .api
        .register(&visit.forwarded, &input.email, &input.password, &input.name)
        .await
    {
        Ok(_) => {
            let next = local_path(input.next.as_deref());
            let to = if next == "/account" {
                "/login?notice=account_created".to_owned()
            } else {
                let query =
                    serde_urlencoded::to_string([("notice", "account_created"), ("next", next)])
                        .unwrap_or_default();
                format!("/login?{query}")
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(error) => form_again(
            &visit,
            error,
            FormState::new(visit.locale)
                .with_value("name", &input.name)
                .with_value("email", &input.email),
            &visit.locale.t("nav-sign-up"),
            &visit.locale.t("auth-signup-description"),
            |form| signup_content(&visit, form, input.next.as_deref()),
        ),
    };
    visit.respond(outcome)
}

// ----- log in / log out -----

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    #[serde(flatten)]
    notice: NoticeQuery,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

fn login_content(
    visit: &Visit,
    form: &FormState,
    next: Option<&str>,
    notice: Option<&str>,
) -> Markup {
    let l = visit.locale;
    let (email, password) = (l.t("checkout-email"), l.t("auth-password"));
    html! {
        (views::notice(notice))
        h1 { (l.t("nav-log-in")) }
        (error_summary(form, &[("email", &email), ("password", &password)]))
        form.form method="post" action="/login" novalidate {
            (csrf_field(&visit.csrf_token))
            @if let Some(next) = next {
                input type="hidden" name="next" value=(next);
            }
            (email_field(form))
            (field(&Field { name: "password", label: &password, kind: "password", autocomplete: "current-password", hint: None }, form))
            button type="submit" { (l.t("nav-log-in")) }
        }
        (super::passkeys::sign_in_form(l, &visit.csrf_token, next))
        p { a href="/forgot-password" { (l.t("auth-forgot-link")) } }
        p { (l.t("auth-new-here")) " " a href="/signup" { (l.t("auth-create-account-link")) } }
    }
}

/// The login page again (422) with `form`'s problems: a passkey sign-in that was refused.
pub(super) fn login_again(visit: &Visit, form: &FormState, next: Option<&str>) -> Response {
    visit.page_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &visit.locale.t("nav-log-in"),
        &visit.locale.t("auth-login-description"),
        &login_content(visit, form, next, None),
    )
}

pub async fn login_page(visit: Visit, Query(query): Query<LoginQuery>) -> Response {
    let page = visit.page(
        &visit.locale.t("nav-log-in"),
        &visit.locale.t("auth-login-description"),
        &login_content(
            &visit,
            &FormState::new(visit.locale),
            query.next.as_deref(),
            query.notice.message(visit.locale).as_deref(),
        ),
    );
    visit.respond(Ok(page))
}

pub async fn login(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<LoginForm>,
) -> Response {
    let outcome = match app
        .api
        .login(&visit.forwarded, &input.email, &input.password)
        .await
    {
        Ok(LoginAnswer::Tokens(tokens)) => {
            visit.store_tokens(&tokens);
            Ok(Redirect::to(local_path(input.next.as_deref())).into_response())
        }
        Ok(LoginAnswer::TwoFactor(challenge)) => Ok(code_page(
            &visit,
            &challenge.challenge_token,
            input.next.as_deref(),
            &FormState::new(visit.locale),
        )),
        Err(error) => form_again(
            &visit,
            error,
            FormState::new(visit.locale).with_value("email", &input.email),
            &visit.locale.t("nav-log-in"),
            &visit.locale.t("auth-login-description"),
            |form| login_content(&visit, form, input.next.as_deref(), None),
        ),
    };
    visit.respond(outcome)
}

/// The second step of a login: the code from the authenticator app, or a recovery code. The
/// challenge (short-lived, not a session) travels in the form.
fn code_page(visit: &Visit, challenge: &str, next: Option<&str>, form: &FormState) -> Response {
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let l = visit.locale;
    let code = l.t("auth-code");
    let content = html! {
        h1 { (l.t("auth-code-heading")) }
        p { (l.t("auth-code-intro")) }
        (error_summary(form, &[("code", &code)]))
        form.form method="post" action="/login/two-factor" novalidate {
            (csrf_field(&visit.csrf_token))
            input type="hidden" name="challenge_token" value=(challenge);
            @if let Some(next) = next {
                input type="hidden" name="next" value=(next);
            }
            (field(&Field { name: "code", label: &code, kind: "text", autocomplete: "one-time-code", hint: Some(&l.t("auth-code-hint")) }, form))
            button type="submit" { (l.t("nav-log-in")) }
        }
        p { a href="/login" { (l.t("auth-start-again")) } }
    };
    visit.page_with_status(
        status,
        &l.t("auth-code-heading"),
        &l.t("auth-code-description"),
        &content,
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    challenge_token: String,
    #[serde(default)]
    code: String,
    next: Option<String>,
}

pub async fn login_code(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<CodeForm>,
) -> Response {
    let outcome = match app
        .api
        .login_two_factor(&visit.forwarded, &input.challenge_token, &input.code)
        .await
    {
        Ok(tokens) => {
            visit.store_tokens(&tokens);
            Ok(Redirect::to(local_path(input.next.as_deref())).into_response())
        }
        // The challenge ran out (time or wrong codes): the password again.
        Err(ApiError::Rejected(rejection))
            if rejection.code == ErrorCode::InvalidOrExpiredToken =>
        {
            Ok(Redirect::to("/login?notice=sign_in_expired").into_response())
        }
        Err(error) => form_problems(error, FormState::new(visit.locale))
            .map(|form| code_page(&visit, &input.challenge_token, input.next.as_deref(), &form)),
    };
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct EmptyForm {}

pub async fn logout(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Response {
    if visit.signed_in() {
        let forwarded = visit.forwarded.clone();
        // Whatever the backend answers, the browser forgets the tokens: logging out must not
        // depend on the backend being up. A session it could not end expires on its own.
        if let Err(ApiError::Unavailable(cause)) = visit
            .authed(&app, |token| app.api.logout(&forwarded, token))
            .await
        {
            tracing::warn!(%cause, "logout could not reach the backend; cookies cleared anyway");
        }
        visit.forget_tokens();
    }
    visit.respond(Ok(Redirect::to("/?notice=logged_out").into_response()))
}

// ----- email verification -----

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

fn link_problem(visit: &Visit, heading: &str, explanation: &str) -> Response {
    let content = html! {
        h1 { (heading) }
        p { (explanation) }
        p { a href="/account" { (visit.locale.t("auth-go-to-account")) } " · " a href="/" { (visit.locale.t("auth-browse-events")) } }
    };
    visit.page_with_status(StatusCode::BAD_REQUEST, heading, explanation, &content)
}

/// The link in the verification email opens this page, and a click on its button verifies.
/// Verifying on GET would let mail scanners that prefetch links confirm addresses nobody read.
pub async fn verify_page(visit: Visit, Query(query): Query<TokenQuery>) -> Response {
    let page = match query.token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => {
            let l = visit.locale;
            let content = html! {
                h1 { (l.t("auth-verify-heading")) }
                p { (l.t("auth-verify-intro")) }
                form method="post" action="/verify-email" {
                    (csrf_field(&visit.csrf_token))
                    input type="hidden" name="token" value=(token);
                    button type="submit" { (l.t("auth-verify-submit")) }
                }
            };
            visit.page(
                &l.t("auth-verify-title"),
                &l.t("auth-verify-description"),
                &content,
            )
        }
        None => link_problem(
            &visit,
            &visit.locale.t("auth-link-incomplete"),
            &visit.locale.t("auth-link-incomplete-verify"),
        ),
    };
    visit.respond(Ok(page))
}

pub async fn verify(
    State(app): State<Frontend>,
    visit: Visit,
    CsrfForm(input): CsrfForm<TokenForm>,
) -> Response {
    let outcome = match app.api.verify_email(&visit.forwarded, &input.token).await {
        Ok(_) if visit.signed_in() => {
            Ok(Redirect::to("/account?notice=email_verified").into_response())
        }
        Ok(_) => Ok(Redirect::to("/login?notice=email_verified").into_response()),
        Err(ApiError::Rejected(rejection)) if rejection.status.is_client_error() => {
            Ok(link_problem(
                &visit,
                &visit.locale.t("auth-link-expired"),
                &visit.locale.t("auth-link-expired-verify"),
            ))
        }
        Err(error) => Err(PageError::from(error)),
    };
    visit.respond(outcome)
}

// ----- forgotten password -----

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

fn forgot_content(visit: &Visit, form: &FormState, notice: Option<&str>) -> Markup {
    let l = visit.locale;
    html! {
        (views::notice(notice))
        h1 { (l.t("auth-forgot-heading")) }
        p { (l.t("auth-forgot-intro")) }
        (error_summary(form, &[("email", &l.t("checkout-email"))]))
        form.form method="post" action="/forgot-password" novalidate {
            (csrf_field(&visit.csrf_token))
            (email_field(form))
            button type="submit" { (l.t("auth-forgot-submit")) }
        }
        p { a href="/login" { (l.t("auth-back-to-login")) } }
    }
}

pub async fn forgot_page(visit: Visit, Query(query): Query<NoticeQuery>) -> Response {
    let page = visit.page(
        &visit.locale.t("auth-forgot-title"),
        &visit.locale.t("auth-forgot-description"),
        &forgot_content(
            &visit,
            &FormState::new(visit.locale),
            query.message(visit.locale).as_deref(),
        ),
    );
    visit.respond(Ok(page))
}

pub async fn forgot(
    State(app): State<Frontend>,
    visit: Visit,
    CsrfForm(input): CsrfForm<ForgotForm>,
) -> Response {
    let outcome = match app
        .api
        .forgot_password(&visit.forwarded, &input.email)
        .await
    {
        Ok(()) => Ok(Redirect::to("/forgot-password?notice=reset_sent").into_response()),
        Err(error) => form_again(
            &visit,
            error,
            FormState::new(visit.locale).with_value("email", &input.email),
            &visit.locale.t("auth-forgot-title"),
            &visit.locale.t("auth-forgot-description"),
            |form| forgot_content(&visit, form, None),
        ),
    };
    visit.respond(outcome)
}

// ----- password reset -----

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

fn reset_content(visit: &Visit, form: &FormState, token: &str) -> Markup {
    let l = visit.locale;
    let new_password = l.t("auth-new-password");
    html! {
        h1 { (l.t("auth-reset-heading")) }
        (error_summary(form, &[("password", &new_password)]))
        @if form.field_errors.contains_key("token") || form.summary.is_some() {
            p { a href="/forgot-password" { (l.t("auth-reset-new-link")) } }
        }
        form.form method="post" action="/reset-password" novalidate {
            (csrf_field(&visit.csrf_token))
            input type="hidden" name="token" value=(token);
            (field(&Field { name: "password", label: &new_password, kind: "password", autocomplete: "new-password", hint: Some(&l.t("auth-reset-hint")) }, form))
            button type="submit" { (l.t("auth-reset-submit")) }
        }
    }
}

pub async fn reset_page(visit: Visit, Query(query): Query<TokenQuery>) -> Response {
    let page = match query.token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => visit.page(
            &visit.locale.t("auth-reset-heading"),
            &visit.locale.t("auth-reset-description"),
            &reset_content(&visit, &FormState::new(visit.locale), token),
        ),
        None => link_problem(
            &visit,
            &visit.locale.t("auth-link-incomplete"),
            &visit.locale.t("auth-link-incomplete-reset"),
        ),
    };
    visit.respond(Ok(page))
}

pub async fn reset(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<ResetForm>,
) -> Response {
    let outcome = match app
        .api
        .reset_password(&visit.forwarded, &input.token, &input.password)
        .await
    {
        Ok(()) => {
            // The reset ended every session, this browser's too.
            if visit.signed_in() {
                visit.forget_tokens();
            }
            Ok(Redirect::to("/login?notice=password_reset").into_response())
        }
        Err(error) => form_again(
            &visit,
            error,
            FormState::new(visit.locale),
            &visit.locale.t("auth-reset-heading"),
            &visit.locale.t("auth-reset-description"),
            |form| reset_content(&visit, form, &input.token),
        ),
    };
    visit.respond(outcome)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site_are_followed_after_login() {
        assert_eq!(local_path(Some("/tickets")), "/tickets");
        assert_eq!(local_path(Some("/account?notice=x")), "/account?notice=x");
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "/login",
        ] {
            assert_eq!(local_path(Some(hostile)), "/account", "{hostile}");
        }
        assert_eq!(local_path(None), "/account");
    }
}
