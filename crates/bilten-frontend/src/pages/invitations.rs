//! `/invitations/accept?token=…`: the link of an invitation mail. Signed in, one button joins
//! the team; signed out, the page says to sign up or log in with the invited address and comes
//! back here afterwards.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::api::ApiError;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::csrf_field;
use crate::Frontend;

#[derive(Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn page(visit: &Visit, token: &str, problem: Option<&str>) -> Response {
    let here = serde_urlencoded::to_string([("token", token)]).unwrap_or_default();
    let next = serde_urlencoded::to_string([("next", format!("/invitations/accept?{here}"))])
        .unwrap_or_default();
    let l = visit.locale;
    let content = html! {
        h1 { (l.t("invitation-heading")) }
        @if let Some(problem) = problem {
            div.error-summary role="alert" aria-labelledby="invitation-problem-title" {
                h2 #invitation-problem-title { (l.t("invitation-problem")) }
                p { (problem) }
            }
        }
        @if visit.signed_in() {
            p { (l.t("invitation-intro-signed-in")) }
            form method="post" action="/invitations/accept" {
                (csrf_field(&visit.csrf_token))
                input type="hidden" name="token" value=(token);
                button type="submit" { (l.t("invitation-join")) }
            }
        } @else {
            p { (l.t("invitation-intro-signed-out")) }
            p {
                a.button href={ "/signup?" (next) } { (l.t("auth-create-account-link")) }
                " "
                a.button.secondary href={ "/login?" (next) } { (l.t("nav-log-in")) }
            }
        }
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    visit.page_with_status(
        status,
        &l.t("invitation-title"),
        &l.t("invitation-description"),
        &content,
    )
}

pub async fn show(visit: Visit, Query(query): Query<TokenQuery>) -> Response {
    let response = page(&visit, &query.token, None);
    visit.respond(Ok(response))
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    token: String,
}

pub async fn accept(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<AcceptForm>,
) -> Response {
    if !visit.signed_in() {
        return visit.respond(Err(PageError::SignInRequired));
    }
    let forwarded = visit.forwarded.clone();
    let joined = visit
        .authed(&app, |token| {
            app.api.accept_invitation(&forwarded, token, &input.token)
        })
        .await;
    let outcome = match joined {
        Ok(org) => Ok(
            Redirect::to(&format!("/organize/{}?notice=invitation_accepted", org.id))
                .into_response(),
        ),
        Err(ApiError::Rejected(rejection))
            if rejection.status.is_client_error()
                && !crate::session::means_signed_out(rejection.code) =>
        {
            Ok(page(&visit, &input.token, Some(&rejection.message)))
        }
        Err(error) => Err(PageError::from(error)),
    };
    visit.respond(outcome)
}
