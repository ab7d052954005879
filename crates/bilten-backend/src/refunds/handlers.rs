//! `POST /orders/{id}/refund`: the request read into a [`Selection`], the refund made
//! ([`super::take`], [`super::payout`]) and answered with the order after it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::refunds::{Refund, RefundRequest, RefundResponse};
use bilten_domain::{OrderId, RefundReason, RevocationReason, TicketId, TicketTypeId};
use bilten_http::Json;
use bilten_store::orders::{self, OrderRecord};
use bilten_store::refunds::{self as store, RefundRecord};
use chrono::Utc;

use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::idempotency::{self, Scope};
use crate::orders::views::order_view;
use crate::views::money;
use crate::AppState;

use super::take::{refund, Cause, Selection};

fn parse_selection(input: RefundRequest, order: &OrderRecord) -> BackendResult<Selection> {
    let mut errors = bilten_domain::FieldErrors::default();
    let selection = match (input.lines, input.ticket_ids) {
        (Some(_), Some(_)) => {
            return Err(BackendError::field(
                "ticket_ids",
                "conflicting_fields",
                "Send either lines or ticket_ids, not both.",
            ))
        }
        (None, None) => Selection::Everything,
        (Some(lines), None) => {
            if lines.is_empty() {
                errors.add(
                    "lines",
                    bilten_domain::FieldError::new("required", "List at least one line."),
                );
            }
            let mut parsed: Vec<(TicketTypeId, i64)> = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let id = line
                    .ticket_type_id
                    .as_deref()
                    .and_then(|t| t.parse::<TicketTypeId>().ok())
                    .filter(|t| order.lines.iter().any(|l| l.ticket_type_id == *t));
                match id {
                    Some(id) if parsed.iter().any(|(p, _)| *p == id) => errors.add(
                        format!("lines[{i}].ticket_type_id"),
                        bilten_domain::FieldError::new(
                            "duplicate",
                            "This ticket type is listed twice.",
                        ),
                    ),
                    Some(id) => match line.quantity {
                        Some(q) if q >= 1 => parsed.push((id, q)),
                        _ => errors.add(
                            format!("lines[{i}].quantity"),
                            bilten_domain::FieldError::new(
                                "invalid",
                                "The quantity must be at least 1.",
                            ),
                        ),
                    },
                    None => errors.add(
                        format!("lines[{i}].ticket_type_id"),
                        bilten_domain::FieldError::new(
                            "not_in_order",
                            "This order has no line of this ticket type.",
                        ),
                    ),
                }
            }
            Selection::Lines(parsed)
        }
        (None, Some(ids)) => {
            if ids.is_empty() {
                errors.add(
                    "ticket_ids",
                    bilten_domain::FieldError::new("required", "List at least one ticket."),
                );
            }
            let mut parsed = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                match id.parse::<TicketId>() {
                    Ok(id) if !parsed.contains(&id) => parsed.push(id),
                    Ok(_) => errors.add(
                        format!("ticket_ids[{i}]"),
                        bilten_domain::FieldError::new("duplicate", "This ticket is listed twice."),
                    ),
                    Err(_) => errors.add(
                        format!("ticket_ids[{i}]"),
                        bilten_domain::FieldError::new(
                            "not_in_order",
                            "This order has no such ticket.",
                        ),
                    ),
                }
            }
            Selection::Tickets(parsed)
        }
    };
    if errors.is_empty() {
        Ok(selection)
    } else {
        Err(BackendError::Validation(errors))
    }
}

/// `POST /orders/{id}/refund`: `{}` refunds everything left; `{"lines":[…]}` or
/// `{"ticket_ids":[…]}` refund part of it.
#[utoipa::path(
    post,
    path = "/orders/{id}/refund",
    tag = "refunds",
    operation_id = "refund_order",
    summary = "Refund an order or some of its tickets (managers)",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: 1–255 visible ASCII characters; the same key with the same request replays the first answer (24 hours)."),
        ("id" = String, Path, description = "The order id (`ord_…`)."),
    ),
    request_body = RefundRequest,
    responses(
        (status = 201, description = "The refund and the order after it (with `refunded`).", body = RefundResponse),
    )
)]
pub async fn refund_order(
    State(state): State<AppState>,
    actor: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(input): Json<RefundRequest>,
) -> BackendResult<Response> {
    let key = idempotency::key(&headers)?;
    let hash = idempotency::request_hash(&(actor.user_id, &id, &input));
    // Boxed: the operation's future is large, the key's bookkeeping should not carry it.
    let work = Box::pin(async {
        refund_order_now(State(state.clone()), actor, Path(id.clone()), Json(input))
            .await
            .map(IntoResponse::into_response)
    });
    idempotency::run(&state, Scope::Refund, key, || hash, work).await
}

/// The operation itself; [`refund_order`] runs it once per `Idempotency-Key`.
async fn refund_order_now(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(input): Json<RefundRequest>,
) -> BackendResult<(StatusCode, Json<RefundResponse>)> {
    let id: OrderId = id.parse().map_err(|_| BackendError::NotFound("order"))?;
    let order = orders::find_order(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    authorize_in(
        &state,
        &actor,
        order.organization_id,
        Action::RefundOrders,
        "order",
    )
    .await?;
    let selection = parse_selection(input, &order)?;
    let refund = refund(
        &state,
        order.id,
        &selection,
        Cause {
            reason: RefundReason::Requested,
            revocation: RevocationReason::Refunded,
            requested_by: Some(actor.user_id),
        },
    )
    .await?;
    let order = orders::find_order(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    let refunded = store::refunded_minor(state.store.primary(), id).await?;
    let mut order_view = order_view(&order, Utc::now())?;
    order_view.refunded = Some(money(refunded, &order.currency)?);
    Ok((
        StatusCode::CREATED,
        Json(RefundResponse {
            refund: refund_view(&refund)?,
            order: order_view,
        }),
    ))
}

pub fn refund_view(refund: &RefundRecord) -> BackendResult<Refund> {
    Ok(Refund {
        id: refund.id,
        order_id: refund.order_id,
        amount: money(refund.amount_minor, &refund.currency)?,
        reason: refund.reason,
        status: refund.status,
        provider: refund.provider,
        failure_code: refund.failure_code.clone(),
        ticket_ids: refund.ticket_ids.clone(),
        created_at: refund.created_at,
    })
}
