//! Passkeys in the web app: the account page's "Passkeys" panel (list, add, remove) and the
//! login page's "Sign in with a passkey". The browser's part (`static/passkeys.js`) asks for
//! options here, calls `navigator.credentials.create()`/`.get()`, and posts the answer with
//! the form; everything else is ordinary forms with CSRF tokens and redirects. Without
//! JavaScript the passkey forms stay hidden and nothing else changes.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use bilten_i18n::{t, Locale};
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::{local_path, EmptyForm};
use crate::api::{ApiError, Passkey};
use crate::assets;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{csrf_field, error_summary, field, Field, FormState};
use crate::Frontend;

/// The script, loaded by the pages that have a passkey form.
fn script() -> Markup {
    html! { script src=(assets::passkeys_script_path()) defer {} }
}

/// The status line the script writes into when the browser refused or failed.
fn status_line(l: Locale) -> Markup {
    html! { p.muted role="status" aria-live="polite" data-passkey-status data-failed=(l.t("passkey-failed")) {} }
}

/// The account page's panel: the passkeys with their remove buttons, and the add form.
pub(super) fn section(l: Locale, passkeys: &[Passkey], form: &FormState, csrf: &str) -> Markup {
    let name = l.t("account-passkey-name");
    html! {
        section.panel aria-labelledby="passkeys-title" {
            h2 #passkeys-title { (l.t("account-passkeys")) }
            p { (l.t("account-passkeys-pitch")) }
            @if passkeys.is_empty() {
                p.muted { (l.t("account-passkeys-none")) }
            } @else {
                ul.sessions {
                    @for passkey in passkeys {
                        li {
                            strong { (passkey.name) }
                            br;
                            span.muted {
                                (t(l, "account-passkey-added", &[("created", super::account::short_time(l, &passkey.created_at).into())]))
                                @if let Some(used) = &passkey.last_used_at {
                                    (t(l, "account-passkey-last-used", &[("last_used", super::account::short_time(l, used).into())]))
                                }
                            }
                            form method="post" action=(format!("/account/passkeys/{}/remove", passkey.id)) {
                                (csrf_field(csrf))
                                button.secondary type="submit" aria-label=(t(l, "account-passkey-remove-label", &[("name", passkey.name.clone().into())])) { (l.t("account-passkey-remove")) }
                            }
                        }
                    }
                }
            }
            p.muted data-passkey-unsupported { (l.t("account-passkey-unsupported")) }
            (error_summary(form, &[("name", &name)]))
            form.form method="post" action="/account/passkeys" data-passkey="register" data-options="/account/passkeys/options" hidden novalidate {
                (csrf_field(csrf))
                input type="hidden" name="credential" value="";
                (field(&Field { name: "name", label: &name, kind: "text", autocomplete: "off", hint: Some(&l.t("account-passkey-name-hint")) }, form))
                button type="submit" { (l.t("account-passkey-add")) }
                (status_line(l))
            }
            (script())
        }
    }
}

/// The login page's passkey form (shown by the script where the browser has passkeys).
pub(super) fn sign_in_form(l: Locale, csrf: &str, next: Option<&str>) -> Markup {
    html! {
        form.form method="post" action="/login/passkey" data-passkey="sign-in" data-options="/login/passkey/options" hidden {
            h2 { (l.t("auth-passkey-heading")) }
            (csrf_field(csrf))
            input type="hidden" name="credential" value="";
            @if let Some(next) = next {
                input type="hidden" name="next" value=(next);
            }
            button.secondary type="submit" { (l.t("auth-passkey-submit")) }
            (status_line(l))
        }
        (script())
    }
}

/// The options as JSON for the script, or the API's refusal with its status.
fn json_answer<T: serde::Serialize>(result: Result<T, ApiError>) -> Result<Response, PageError> {
    match result {
        Ok(options) => Ok(Json(options).into_response()),
        Err(ApiError::Rejected(rejection)) => Ok((
            rejection.status,
            Json(serde_json::json!({ "error": { "code": rejection.code, "message": rejection.message } })),
        )
            .into_response()),
        Err(other) => Err(PageError::from(other)),
    }
}

/// `POST /account/passkeys/options`: creation options for the script.
pub async fn registration_options(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Response {
    if !visit.signed_in() {
        return visit.respond(Err(PageError::SignInRequired));
    }
    let forwarded = visit.forwarded.clone();
    let options = visit
        .authed(&app, |token| {
            app.api.passkey_registration_options(&forwarded, token)
        })
        .await;
    let outcome = json_answer(options);
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    credential: String,
}

/// The browser's answer from the form's hidden field: JSON, or nothing (the API names the
/// missing field).
fn parsed<T: serde::de::DeserializeOwned>(credential: &str) -> Option<T> {
    serde_json::from_str(credential).ok()
}

/// `POST /account/passkeys`: adds the passkey the script made.
pub async fn register(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<RegisterForm>,
) -> Response {
    let forwarded = visit.forwarded.clone();
    let credential: Option<bilten_api::passkeys::RegistrationCredential> =
        parsed(&input.credential);
    let added = visit
        .authed(&app, |token| {
            app.api
                .register_passkey(&forwarded, token, &input.name, credential.clone())
        })
        .await;
    let outcome = match added {
        Ok(_) => Ok(Redirect::to("/account?notice=passkey_added").into_response()),
        Err(error) => match super::form_problems(
            error,
            FormState::new(visit.locale).with_value("name", &input.name),
        ) {
            Ok(mut form) => {
                // Problems with the browser's answer have no field on the page.
                if form.field_errors.keys().any(|f| f != "name") {
                    form.field_errors.retain(|f, _| f == "name");
                    form.summary = Some(visit.locale.t("passkey-failed"));
                }
                super::account::page_with_passkey_form(&app, &mut visit, form).await
            }
            Err(error) => Err(error),
        },
    };
    visit.respond(outcome)
}

/// `POST /account/passkeys/{id}/remove`.
pub async fn remove(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Response {
    let forwarded = visit.forwarded.clone();
    let outcome = match visit
        .authed(&app, |token| app.api.remove_passkey(&forwarded, token, &id))
        .await
    {
        Ok(()) => Ok(Redirect::to("/account?notice=passkey_removed").into_response()),
        Err(error) => Err(PageError::from(error)),
    };
    visit.respond(outcome)
}

/// `POST /login/passkey/options`: request options for the script.
pub async fn sign_in_options(
    State(app): State<Frontend>,
    visit: Visit,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Response {
    let outcome = json_answer(app.api.passkey_sign_in_options(&visit.forwarded).await);
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    credential: String,
    next: Option<String>,
}

/// `POST /login/passkey`: signs in with the script's answer; a refusal shows the login page
/// again with the reason.
pub async fn sign_in(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<SignInForm>,
) -> Response {
    let credential = parsed(&input.credential);
    let outcome = match app
        .api
        .sign_in_with_passkey(&visit.forwarded, credential)
        .await
    {
        Ok(tokens) => {
            visit.store_tokens(&tokens);
            Ok(Redirect::to(local_path(input.next.as_deref())).into_response())
        }
        Err(error) => match super::form_problems(error, FormState::new(visit.locale)) {
            Ok(mut form) => {
                form.field_errors.clear();
                form.summary = Some(visit.locale.t("passkey-failed"));
                Ok(super::auth::login_again(
                    &visit,
                    &form,
                    input.next.as_deref(),
                ))
            }
            Err(error) => Err(error),
        },
    };
    visit.respond(outcome)
}
