//! Room **privacy**: personal data (GDPR): `GET /me/export`, `DELETE /me`, `POST /orders/{id}/anonymize`, and
//! the retention job that anonymizes orders of long-past events (see docs/OPERATIONS.md).

mod service;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::privacy::{AccountExport, AnonymizedOrder, DeleteAccountRequest};
use bilten_domain::{FieldError, FieldErrors, OrderId};
use bilten_http::Json;
use bilten_store::orders;

pub use service::{apply_retention, RetentionWorker};

use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::routing::{route, Route};
use crate::AppState;

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    route!(User, delete_me),
    route!(User, export),
    route!(Organizer, anonymize_order),
];

#[utoipa::path(
    get,
    path = "/me/export",
    tag = "privacy",
    operation_id = "export_my_data",
    summary = "Download everything held about the caller",
    responses(
        (status = 200, description = "The account, memberships, orders with their tickets, and sessions, as a JSON download (`Content-Disposition: attachment`).", body = AccountExport),
    )
)]
pub async fn export(State(state): State<AppState>, user: CurrentUser) -> BackendResult<Response> {
    let export = service::export(&state, user.user_id).await?;
    let filename = format!("bilten-data-{}.json", export.exported_at.format("%Y-%m-%d"));
    Ok((
        [
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Json(export),
    )
        .into_response())
}

#[utoipa::path(
    delete,
    path = "/me",
    tag = "privacy",
    operation_id = "delete_me",
    summary = "Delete the caller's account",
    request_body = DeleteAccountRequest,
    responses(
        (status = 204, description = "The account is deleted and every session ended; its orders stay for the organizers' accounting with the buyer's name and email anonymized."),
    )
)]
pub async fn delete_me(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<DeleteAccountRequest>,
) -> BackendResult<StatusCode> {
    let password = match body.password.as_deref() {
        Some(p) if !p.is_empty() => p,
        _ => {
            return Err(FieldErrors::single(
                "password",
                FieldError::new("required", "Confirm with your password."),
            )
            .into())
        }
    };
    if password.len() > 1024 {
        // Nothing valid is this long; do not spend Argon2 time on it.
        return Err(BackendError::field(
            "password",
            "incorrect",
            "The password is wrong.",
        ));
    }
    service::delete_account(&state, user.user_id, password.to_owned()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/orders/{id}/anonymize",
    tag = "privacy",
    operation_id = "anonymize_order",
    summary = "Anonymize an order on its buyer's request (managers)",
    params(
        ("id" = String, Path, description = "The order id (`ord_…`)."),
    ),
    responses(
        (status = 200, description = "The buyer's name and email, attendee names and the mails about the order are gone; amounts, payments, refunds and tickets stay. Repeating it answers the first time.", body = AnonymizedOrder),
    )
)]
pub async fn anonymize_order(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<AnonymizedOrder>> {
    let id: OrderId = id.parse().map_err(|_| BackendError::NotFound("order"))?;
    let order = orders::find_order(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    authorize_in(
        &state,
        &actor,
        order.organization_id,
        Action::ErasePersonalData,
        "order",
    )
    .await?;
    let anonymized_at = service::anonymize_order(&state, &order, actor.user_id).await?;
    Ok(Json(AnonymizedOrder {
        order_id: order.id,
        anonymized_at,
    }))
}
