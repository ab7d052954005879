//! Orders with inventory holds: `POST /orders`, `GET /orders/{id}`, `DELETE /orders/{id}`.
//!
//! A purchase is parsed ([`super::request`]) and taken by the purchase engine
//! ([`crate::orders::purchase`]): one transaction on the primary for every purchase of the
//! event that arrived meanwhile, under the counter rows' locks (ticket types by id, then quotas
//! by id, then the buyer counters, then promo codes), with the counters' conditional updates
//! and `CHECK`s as the last word. A refusal of one buyer writes nothing for that buyer; a
//! failed transaction writes nothing for anyone. Holds end in [`super::holds`].

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::orders::{CreateOrderRequest, HeldOrder, OrderDetail, OrderResponse};
use bilten_domain::OrderStatus;
use bilten_http::ErrorCode;
use bilten_http::Json;
use bilten_store::orders::{self};
use chrono::Utc;

use super::views::order_view;
use crate::current_user::MaybeUser;
use crate::error::{BackendError, BackendResult};
use crate::AppState;

use super::access::{order_key, visible_order};
use super::holds::release_hold;
use super::request::{idempotency_key, parse_purchase};

/// `POST /orders`: takes the tickets now and holds them until `expires_at`. The purchase
/// engine takes it together with every other purchase of the event arriving meanwhile (see
/// [`crate::orders::purchase`]); the answer is this buyer's own, exactly as if it had run alone.
#[utoipa::path(
    post,
    path = "/orders",
    tag = "orders",
    operation_id = "create_order",
    summary = "Order tickets (held until `expires_at`)",
    params(
        ("Idempotency-Key" = String, Header, description = "1–255 visible ASCII characters; the same key with the same request replays the first answer."),
    ),
    request_body = CreateOrderRequest,
    responses(
        (status = 201, description = "The held order and its access key; a replay answers the same with `Idempotent-Replayed: true`.", body = HeldOrder),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Json(body): Json<CreateOrderRequest>,
) -> BackendResult<Response> {
    let key = idempotency_key(&headers)?;
    let purchase = parse_purchase(&state, actor.as_ref(), body).await?;
    crate::orders::purchase::submit(
        &state,
        purchase,
        key,
        crate::orders::purchase::engine::Mode::Hold,
    )
    .await
}

/// The stored answer for a retried request: the same order for the same body, 422 for a
/// different one.
pub(crate) async fn replay(
    state: &AppState,
    key: &str,
    hash: &str,
) -> BackendResult<Option<Response>> {
    let Some((id, stored_hash)) =
        orders::find_by_idempotency_key(state.store.primary(), key).await?
    else {
        return Ok(None);
    };
    if stored_hash != hash {
        return Err(BackendError::IdempotencyKeyReused);
    }
    let order = orders::find_order(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    let mut response = (
        StatusCode::CREATED,
        Json(HeldOrder {
            order: order_view(&order, Utc::now())?,
            access_key: order_key(state, order.id),
        }),
    )
        .into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(Some(response))
}

/// `GET /orders/{id}`: the buyer or the organization; with the order's tickets once paid.
#[utoipa::path(
    get,
    path = "/orders/{id}",
    tag = "orders",
    operation_id = "get_order",
    summary = "An order",
    params(
        ("id" = String, Path, description = "The order id (`ord_…`)."),
        ("X-Order-Key" = Option<String>, Header, description = "The order's `access_key`, for a guest without an account."),
    ),
    responses(
        (status = 200, description = "The order with its tickets (none until paid).", body = OrderDetail),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> BackendResult<Json<OrderDetail>> {
    let (order, _) = visible_order(&state, actor.as_ref(), &headers, &id).await?;
    let issued = bilten_store::tickets::list_for_order(state.store.primary(), order.id).await?;
    Ok(Json(OrderDetail {
        order: order_view(&order, Utc::now())?,
        tickets: issued.iter().map(super::views::ticket_view).collect(),
    }))
}

/// `DELETE /orders/{id}`: the buyer gives up a pending order; its hold is freed at once.
#[utoipa::path(
    delete,
    path = "/orders/{id}",
    tag = "orders",
    operation_id = "cancel_order",
    summary = "Cancel a pending order (the buyer)",
    params(
        ("id" = String, Path, description = "The order id (`ord_…`)."),
        ("X-Order-Key" = Option<String>, Header, description = "The order's `access_key`, for a guest without an account."),
    ),
    responses(
        (status = 200, description = "The order, `canceled`; the hold is freed.", body = OrderResponse),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> BackendResult<Json<OrderResponse>> {
    let (order, is_buyer) = visible_order(&state, actor.as_ref(), &headers, &id).await?;
    if !is_buyer {
        // Organizers refund or cancel through their own endpoints, not this one.
        return Err(BackendError::Forbidden);
    }
    let now = Utc::now();
    let lapsed = order.status == OrderStatus::Pending && order.expires_at <= now;
    if lapsed {
        release_hold(&state, order.id, OrderStatus::expire(), now).await?;
    }
    if lapsed || !release_hold(&state, order.id, OrderStatus::cancel_pending(), now).await? {
        return Err(BackendError::conflict(
            ErrorCode::OrderNotPending,
            "Only a pending order can be canceled.",
        ));
    }
    let order = orders::find_order(state.store.primary(), order.id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    Ok(Json(OrderResponse {
        order: order_view(&order, now)?,
    }))
}
