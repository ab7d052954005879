//! Who may see an order: its buyer (by account, or by presenting the order's access key in
//! `X-Order-Key`, derived from the order's id, never stored) or a member of its organization.

use axum::http::HeaderMap;
use bilten_domain::OrderId;
use bilten_store::orders::{self, OrderRecord};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::authz::{decide, role_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::AppState;

/// Header carrying an order's access key (guests have no account to prove they bought it).
const ORDER_KEY_HEADER: &str = "x-order-key";
const ORDER_KEY_PREFIX: &str = "ok_";

/// The keyed MAC behind an order's access key. Derived, not stored: the same order always has
/// the same key, so an idempotent replay can return it again, and nothing in the database
/// lets a reader of a backup act on orders. Domain-separated from every other use of the key.
fn order_key_mac(state: &AppState, id: OrderId) -> Hmac<Sha256> {
    let mut mac = crate::secrets::keyed_mac(&state.refresh_key);
    mac.update(b"bilten order access key v1:");
    mac.update(id.to_db().as_bytes());
    mac
}

/// The secret that lets whoever holds it read and cancel one order (returned at creation, and
/// put in the links mailed to the buyer).
pub(crate) fn order_key(state: &AppState, id: OrderId) -> String {
    format!(
        "{ORDER_KEY_PREFIX}{}",
        hex::encode(order_key_mac(state, id).finalize().into_bytes())
    )
}

/// Whether `presented` is the order's access key (constant-time comparison).
fn order_key_matches(state: &AppState, id: OrderId, presented: &str) -> bool {
    presented
        .strip_prefix(ORDER_KEY_PREFIX)
        .and_then(|hex_text| hex::decode(hex_text).ok())
        .is_some_and(|bytes| order_key_mac(state, id).verify_slice(&bytes).is_ok())
}

/// Whether the request presents `order`'s access key in `X-Order-Key`.
pub(crate) fn order_key_presented(state: &AppState, headers: &HeaderMap, order: OrderId) -> bool {
    headers
        .get(ORDER_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|key| order_key_matches(state, order, key))
}

/// The order if the caller is its buyer (by account, or by presenting the order's access key
/// in `X-Order-Key`) or a member of the event's organization; else 404. The flag says "buyer".
pub(crate) async fn visible_order(
    state: &AppState,
    actor: Option<&CurrentUser>,
    headers: &HeaderMap,
    id: &str,
) -> BackendResult<(OrderRecord, bool)> {
    let id: OrderId = id.parse().map_err(|_| BackendError::NotFound("order"))?;
    let order = orders::find_order(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    if order_key_presented(state, headers, order.id) {
        return Ok((order, true));
    }
    let Some(actor) = actor else {
        return Err(BackendError::NotFound("order"));
    };
    if order.buyer_user_id == Some(actor.user_id) {
        return Ok((order, true));
    }
    let role = role_in(state, actor, order.organization_id).await?;
    decide(role, Action::ViewOrganization, "order")?;
    Ok((order, false))
}
