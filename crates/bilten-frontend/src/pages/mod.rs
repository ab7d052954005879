//! The route table of the web app and the pages that belong to no feature in particular.

mod account;
mod admin;
mod auth;
mod calendar;
mod cover;
pub(crate) mod embed;
mod events;
mod invitations;
mod orders;
mod organize;
mod organizers;
mod passkeys;
mod tickets;

use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bilten_i18n::Locale;
use serde::Deserialize;

use crate::api::{ApiError, Rejection};
use crate::assets;
use crate::session::{self, PageError, Visit};
use crate::views::FormState;
use crate::Frontend;

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route("/", get(events::home))
        .route("/events/{id}", get(events::show))
        .route(
            "/events/{id}/availability.json",
            get(events::availability_json),
        )
        .route("/events/{id}/checkout", post(events::checkout))
        .route("/events/{id}/review", post(events::review))
        .route("/events/{id}/calendar.ics", get(calendar::ics))
        .route("/events/{id}/cover", get(cover::cover))
        .route("/embed/events/{id}", get(embed::show))
        .route("/o/{id}", get(organizers::show))
        .route("/orders/{id}", get(orders::show))
        .route("/orders/{id}/cancel", post(orders::cancel))
        .route("/tickets", get(tickets::mine))
        .route("/orders", get(tickets::orders))
        .route("/orders/{id}/pay", post(orders::pay))
        .route("/tickets/{id}/qr.svg", get(tickets::qr))
        .route("/tickets/{id}/pdf", get(tickets::pdf))
        .route("/tickets/{id}/name", post(tickets::rename))
        .route("/signup", get(auth::signup_page).post(auth::signup))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/login/two-factor", post(auth::login_code))
        .route("/login/passkey", post(passkeys::sign_in))
        .route("/login/passkey/options", post(passkeys::sign_in_options))
        .route("/logout", post(auth::logout))
        .route("/verify-email", get(auth::verify_page).post(auth::verify))
        .route(
            "/forgot-password",
            get(auth::forgot_page).post(auth::forgot),
        )
        .route("/reset-password", get(auth::reset_page).post(auth::reset))
        .route(
            "/invitations/accept",
            get(invitations::show).post(invitations::accept),
        )
        .route("/account", get(account::show))
        .route("/account/profile", post(account::update_profile))
        .route("/account/password", post(account::change_password))
        .route(
            "/account/logout-everywhere",
            post(account::logout_everywhere),
        )
        .route("/account/verification", post(account::resend_verification))
        .route("/account/export", get(account::export))
        .route("/account/two-factor", post(account::enrol_two_factor))
        .route(
            "/account/two-factor/confirm",
            post(account::confirm_two_factor),
        )
        .route(
            "/account/two-factor/disable",
            post(account::disable_two_factor),
        )
        .route(
            "/account/two-factor/recovery-codes",
            post(account::renew_recovery_codes),
        )
        .route("/account/passkeys", post(passkeys::register))
        .route(
            "/account/passkeys/options",
            post(passkeys::registration_options),
        )
        .route("/account/passkeys/{id}/remove", post(passkeys::remove))
        .route(
            "/account/delete",
            get(account::confirm_delete).post(account::delete),
        )
        .route("/static/{file}", get(assets::serve))
        .route("/language", get(choose_language))
        .route("/admin", get(admin::users))
        .route("/admin/users/{id}/disabled", post(admin::set_disabled))
        .route("/admin/moderation", get(admin::moderation))
        .route("/admin/events/{id}/unpublish", post(admin::unpublish))
        .route("/admin/events/{id}/release", post(admin::release))
        .merge(organize::routes())
}

#[derive(Debug, Deserialize)]
pub struct LanguageChoice {
    lang: String,
    back: Option<String>,
}

/// The language switcher's target: keeps the chosen language in a cookie and goes back to
/// the page the visitor was on. Only a path on this site is followed back (`/…`, not
/// `//host` or `/\host`, which browsers read as another site); anything else goes home.
/// A language we do not ship is ignored, so a crafted link changes nothing.
async fn choose_language(mut visit: Visit, Query(choice): Query<LanguageChoice>) -> Response {
    if let Some(locale) = Locale::parse(&choice.lang) {
        visit.choose_language(locale);
    }
    let back = choice
        .back
        .filter(|back| back.starts_with('/') && !back.starts_with("//") && !back.starts_with("/\\"))
        .unwrap_or_else(|| "/".to_owned());
    visit.respond(Ok(axum::response::Redirect::to(&back).into_response()))
}

/// `?notice=` names one of a fixed set of messages shown after a redirect (post/redirect/get).
/// Only known keys are shown, so a crafted link cannot put its own words on our page.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

impl NoticeQuery {
    /// The raw key, for pages with messages of their own.
    pub fn key(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    pub fn message(&self, locale: Locale) -> Option<String> {
        Some(match self.notice.as_deref()? {
            "account_created" => locale.t("notice-account-created"),
            "logged_out" => locale.t("notice-logged-out"),
            "logged_out_everywhere" => locale.t("notice-logged-out-everywhere"),
            "session_ended" => locale.t("notice-session-ended"),
            "name_saved" => locale.t("notice-name-saved"),
            "password_changed" => locale.t("notice-password-changed"),
            "password_reset" => locale.t("notice-password-reset"),
            "email_verified" => locale.t("notice-email-verified"),
            "verification_sent" => locale.t("notice-verification-sent"),
            "sign_in_expired" => locale.t("notice-sign-in-expired"),
            "two_factor_on" => locale.t("notice-two-factor-on"),
            "two_factor_off" => locale.t("notice-two-factor-off"),
            "passkey_added" => locale.t("notice-passkey-added"),
            "passkey_removed" => locale.t("notice-passkey-removed"),
            "account_deleted" => locale.t("notice-account-deleted"),
            "reset_sent" => locale.t("notice-reset-sent"),
            _ => return None,
        })
    }
}

/// Turns an API refusal of a form into what the form shows: each field's problem next to the
/// field, and the API's message in the summary when no single field is at fault. Refusals
/// that are not about the form (signed out, backend failing) stay errors.
pub fn form_problems(error: ApiError, mut form: FormState) -> Result<FormState, PageError> {
    match error {
        ApiError::Rejected(Rejection {
            status,
            code,
            message,
            fields,
        }) if status.is_client_error() && !session::means_signed_out(code) => {
            if fields.is_empty() {
                form.summary = Some(message);
            } else {
                form.field_errors = fields;
            }
            Ok(form)
        }
        other => Err(PageError::from(other)),
    }
}

/// The usual answer to a refused form: the same page again with status 422, showing what the
/// visitor typed and each problem next to its field — or the error page when the refusal is
/// not about the form (signed out, backend failing).
pub fn form_again(
    visit: &Visit,
    error: ApiError,
    form: FormState,
    title: &str,
    description: &str,
    render: impl FnOnce(&FormState) -> maud::Markup,
) -> Result<Response, PageError> {
    form_problems(error, form).map(|form| {
        visit.page_with_status(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            title,
            description,
            &render(&form),
        )
    })
}

/// A form post's answer: on success a redirect to `success(value)`; when the API refused the
/// form, the page again (status 422) from `again` with the visitor's input and the problems.
pub async fn after_post<T>(
    result: Result<T, ApiError>,
    form: FormState,
    success: impl FnOnce(T) -> String,
    again: impl AsyncFnOnce(FormState) -> Result<Response, PageError>,
) -> Result<Response, PageError> {
    match result {
        Ok(value) => Ok(axum::response::Redirect::to(&success(value)).into_response()),
        Err(error) => {
            let form = form_problems(error, form)?;
            let mut page = again(form).await?;
            *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}
