//! Anonymizing an order on its buyer's request: a confirmation page of its own that says what
//! goes and what stays, then `POST /api/v1/orders/{id}/anonymize`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::html;

use super::{authed, breadcrumbs};
use crate::api::ticketing::path_segment;
use crate::api::ApiError;
use crate::pages::auth::EmptyForm;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::csrf_field;
use crate::Frontend;

pub fn routes() -> Router<Frontend> {
    Router::new().route(
        "/organize/orders/{id}/anonymize",
        get(confirm).post(anonymize),
    )
}

fn page(visit: &Visit, id: &str, problem: Option<&str>) -> Response {
    let l = visit.locale;
    let content = html! {
        (breadcrumbs(l, &[(&l.t("nav-organize"), Some("/organize".to_owned())), (&l.t("order-label"), Some(format!("/organize/orders/{}", path_segment(id)))), (&l.t("anonymize-crumb"), None)]))
        h1 { (l.t("anonymize-heading")) }
        @if let Some(problem) = problem {
            div.error-summary role="alert" aria-labelledby="anonymize-problem-title" {
                h2 #anonymize-problem-title { (l.t("anonymize-problem")) }
                p { (problem) }
            }
        }
        section.panel aria-labelledby="anonymize-what" {
            h2 #anonymize-what { (l.t("account-delete-what-happens")) }
            ul {
                li { (l.t("anonymize-removed")) }
                li { (l.t("anonymize-kept")) }
                li { (l.t("anonymize-when")) }
            }
        }
        form method="post" action={ "/organize/orders/" (path_segment(id)) "/anonymize" } {
            (csrf_field(&visit.csrf_token))
            button.danger type="submit" { (l.t("anonymize-submit")) }
            " "
            a href={ "/organize/orders/" (path_segment(id)) } { (l.t("anonymize-keep")) }
        }
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    visit.page_with_status(
        status,
        &l.t("anonymize-title"),
        &l.t("anonymize-description"),
        &content,
    )
}

async fn confirm(visit: Visit, Path(id): Path<String>) -> Response {
    if !visit.signed_in() {
        return visit.respond(Err(PageError::SignInRequired));
    }
    let response = page(&visit, &id, None);
    visit.respond(Ok(response))
}

async fn anonymize(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Response {
    let result = authed!(&app, visit, |token, fwd| app
        .api
        .anonymize_order(&fwd, token, &id));
    let outcome = match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/organize/orders/{}?notice=anonymized",
            path_segment(&id)
        ))
        .into_response()),
        Err(ApiError::Rejected(r)) if r.status == StatusCode::CONFLICT => {
            Ok(page(&visit, &id, Some(&r.message)))
        }
        Err(error) => Err(PageError::from(error)),
    };
    visit.respond(outcome)
}
