//! Orders with inventory holds: `POST /orders`, `GET /orders/{id}`, `DELETE /orders/{id}`,
//! and the worker that ends lapsed holds.
//!
//! A purchase is parsed here and taken by the purchase engine ([`crate::orders::purchase`]): one
//! transaction on the primary for every purchase of the event that arrived meanwhile, under
//! the counter rows' locks (ticket types by id, then quotas by id, then the buyer counters,
//! then promo codes), with the counters' conditional updates and `CHECK`s as the last word.
//! A refusal of one buyer writes nothing for that buyer; a failed transaction writes nothing
//! for anyone.
//!
//! A hold ends exactly once: `orders::end_hold` flips `pending → expired|canceled` with a
//! conditional update and only the winner gives the inventory back, in the same transaction.
//! Until the worker gets to a lapsed hold, reads subtract it (`lapsed`), and a purchase that
//! would be sold out first releases the event's lapsed holds and tries once more, so an
//! expired hold never blocks a buyer.

use bilten_domain::Transition;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::orders::{
    CreateOrderRequest, HeldOrder, OrderDetail, OrderItemRequest, OrderResponse,
};
use bilten_domain::{
    DisplayName, Email, EventId, FieldError, FieldErrors, OrderId, OrderStatus, PromoCode,
    Quantity, TicketTypeId, UserId,
};
use bilten_http::ErrorCode;
use bilten_http::Json;
use bilten_store::inventory::{self, Counter, Movement};
use bilten_store::orders::{self, OrderRecord};
use bilten_store::promo;
use bilten_store::{users, StoreError};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::views::order_view;
use crate::authz::{decide, role_in, Action};
use crate::current_user::{CurrentUser, MaybeUser};
use crate::error::{BackendError, BackendResult};
use crate::AppState;

pub(crate) const IDEMPOTENCY_HEADER: &str = "idempotency-key";
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

/// A purchase request after parsing.
pub(crate) struct Purchase {
    pub(crate) event_id: EventId,
    /// In request order; `items[i]` in errors refers to this index.
    pub(crate) items: Vec<(TicketTypeId, Quantity)>,
    /// Attendee names per item, aligned with `items`; `None` where a name was left blank
    /// (that ticket carries the buyer's name).
    pub(crate) attendees: Vec<Vec<Option<DisplayName>>>,
    pub(crate) email: Email,
    pub(crate) name: DisplayName,
    pub(crate) user: Option<UserId>,
    pub(crate) promo: Option<PromoCode>,
    /// The language the order was placed in; its mails and tickets are written in it. Not
    /// part of the request hash: a retry from a page shown in another language is the same
    /// purchase.
    pub(crate) locale: bilten_i18n::Locale,
}

impl Purchase {
    /// Who the per-buyer cap counts: the account when logged in, else the email address.
    pub(crate) fn buyer_key(&self) -> String {
        match self.user {
            Some(user) => format!("user:{}", user.to_db()),
            None => format!("email:{}", self.email.as_str().to_lowercase()),
        }
    }

    /// A digest of everything that defines the request, for idempotent retries. The caller's
    /// account is part of it, so someone else's retry with the same key never sees this order.
    pub(crate) fn request_hash(&self) -> String {
        #[derive(Serialize)]
        struct Canonical<'a> {
            event: String,
            items: Vec<(String, u32)>,
            email: String,
            name: &'a str,
            user: Option<String>,
            // Absent when no code was sent, so hashes of orders without one are unchanged.
            #[serde(skip_serializing_if = "Option::is_none")]
            promo: Option<&'a str>,
            // Likewise absent when no attendee names were given.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            attendees: Vec<Vec<&'a str>>,
        }
        let canonical = Canonical {
            event: self.event_id.to_string(),
            items: self
                .items
                .iter()
                .map(|(id, q)| (id.to_string(), q.get()))
                .collect(),
            email: self.email.as_str().to_lowercase(),
            name: self.name.as_str(),
            user: self.user.map(|u| u.to_string()),
            promo: self.promo.as_ref().map(PromoCode::as_str),
            attendees: if self.attendees.iter().all(Vec::is_empty) {
                Vec::new()
            } else {
                self.attendees
                    .iter()
                    .map(|names| {
                        names
                            .iter()
                            .map(|n| n.as_ref().map_or("", DisplayName::as_str))
                            .collect()
                    })
                    .collect()
            },
        };
        let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
        hex::encode(Sha256::digest(bytes))
    }
}

pub(crate) fn idempotency_key(headers: &HeaderMap) -> BackendResult<String> {
    let key = headers
        .get(IDEMPOTENCY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BackendError::IdempotencyKeyRequired);
    }
    Ok(key.to_owned())
}

/// The attendee names of `items[i]`: at most one per ticket, each a display name or blank
/// (blank: that ticket carries the buyer's name).
fn parse_attendees(
    e: &mut FieldErrors,
    i: usize,
    item: &OrderItemRequest,
    quantity: Option<Quantity>,
) -> Vec<Option<DisplayName>> {
    let given = item.attendees.as_deref().unwrap_or_default();
    if let Some(quantity) = quantity {
        if given.len() > quantity.get() as usize {
            e.add(
                format!("items[{i}].attendees"),
                FieldError::new("too_many", "Give at most one name per ticket."),
            );
            return Vec::new();
        }
    }
    given
        .iter()
        .enumerate()
        .map(|(j, name)| {
            if name.trim().is_empty() {
                return None;
            }
            e.check(
                &format!("items[{i}].attendees[{j}]"),
                DisplayName::parse(name),
            )
        })
        .collect()
}

/// The order's language: one of the codes `bilten_i18n` ships, English when not given.
fn parse_locale(code: Option<&str>) -> Result<bilten_i18n::Locale, FieldError> {
    match code {
        None => Ok(bilten_i18n::Locale::En),
        Some(code) => bilten_i18n::Locale::ALL
            .into_iter()
            .find(|l| l.code() == code)
            .ok_or_else(|| FieldError::new("invalid", "Use one of en, de and es.")),
    }
}

pub(crate) async fn parse_purchase(
    state: &AppState,
    actor: Option<&CurrentUser>,
    body: CreateOrderRequest,
) -> BackendResult<Purchase> {
    let mut e = FieldErrors::new();
    let event_id = e.check(
        "event_id",
        body.event_id
            .as_deref()
            .ok_or_else(|| FieldError::new("required", "Say which event."))
            .and_then(|id| {
                id.parse::<EventId>()
                    .map_err(|_| FieldError::new("invalid", "Not an event id."))
            }),
    );
    let items_input = body.items.unwrap_or_default();
    if items_input.is_empty() {
        e.add(
            "items",
            FieldError::new("required", "Choose at least one ticket."),
        );
    }
    if items_input.len() > 50 {
        e.add(
            "items",
            FieldError::new("too_many", "At most 50 lines per order."),
        );
    }
    let mut items = Vec::with_capacity(items_input.len());
    let mut attendees = Vec::with_capacity(items_input.len());
    for (i, item) in items_input.iter().enumerate() {
        let id = e.check(
            &format!("items[{i}].ticket_type_id"),
            item.ticket_type_id
                .as_deref()
                .ok_or_else(|| FieldError::new("required", "Say which ticket type."))
                .and_then(|id| {
                    id.parse::<TicketTypeId>()
                        .map_err(|_| FieldError::new("invalid", "Not a ticket type id."))
                }),
        );
        let quantity = e.check(
            &format!("items[{i}].quantity"),
            item.quantity
                .ok_or_else(|| FieldError::new("required", "Say how many."))
                .and_then(Quantity::from_i64),
        );
        let names = parse_attendees(&mut e, i, item, quantity);
        if let (Some(id), Some(quantity)) = (id, quantity) {
            if items.iter().any(|(other, _)| *other == id) {
                e.add(
                    format!("items[{i}].ticket_type_id"),
                    FieldError::new("duplicate", "List each ticket type once."),
                );
            } else {
                items.push((id, quantity));
                attendees.push(names);
            }
        }
    }
    // A malformed code cannot be one we issued: the same answer as an unknown one.
    let promo = match body.promo_code.as_deref() {
        None => None,
        Some(text) => Some(PromoCode::parse(text).map_err(|_| BackendError::PromoInvalid)?),
    };
    // The buyer: as sent, or the logged-in account's own details.
    let account = match actor {
        Some(actor) => Some(users::get(state.store.primary(), actor.user_id).await?),
        None => None,
    };
    let locale = e.check("locale", parse_locale(body.locale.as_deref()));
    let buyer = body.buyer.unwrap_or_default();
    let email = e.check(
        "buyer.email",
        match (buyer.email.as_deref(), &account) {
            (Some(email), _) => Email::parse(email),
            (None, Some(account)) => Ok(account.email.clone()),
            (None, None) => Err(FieldError::new("required", "Give the buyer's email.")),
        },
    );
    let name = e.check(
        "buyer.name",
        match (buyer.name.as_deref(), &account) {
            (Some(name), _) => DisplayName::parse(name),
            (None, Some(account)) => Ok(account.name.clone()),
            (None, None) => Err(FieldError::new("required", "Give the buyer's name.")),
        },
    );
    match (event_id, email, name, locale) {
        (Some(event_id), Some(email), Some(name), Some(locale)) if e.is_empty() => Ok(Purchase {
            event_id,
            items,
            attendees,
            email,
            name,
            user: actor.map(|a| a.user_id),
            promo,
            locale,
        }),
        _ => Err(e.into()),
    }
}

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

pub(crate) fn buyer_cap_error(cap: u32) -> BackendError {
    BackendError::LimitExceeded {
        field: "items".to_owned(),
        message: format!("At most {cap} tickets per buyer for this event."),
    }
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

/// Ends a pending order's hold by `t` ([`OrderStatus::expire`] or
/// [`OrderStatus::cancel_pending`]) and gives its inventory back, in one transaction. False when the order was not pending any more (someone else won).
pub async fn release_hold(
    state: &AppState,
    id: OrderId,
    t: Transition<OrderStatus>,
    now: DateTime<Utc>,
) -> BackendResult<bool> {
    let mut tx = state.store.begin().await?;
    if !release_hold_in(&mut tx, id, t, now).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return Ok(false);
    }
    tx.commit().await.map_err(StoreError::from)?;
    if let Some(order) = orders::find_order(state.store.primary(), id).await? {
        let types: Vec<TicketTypeId> = order.quantities_per_type().into_keys().collect();
        crate::orders::purchase::capacity_returned(state, &types).await;
    }
    let label = t.to().as_str();
    state.business.orders.with_label_values(&[label]).inc();
    if t.to() == OrderStatus::Expired {
        state.business.holds_expired.inc();
    }
    Ok(true)
}

/// [`release_hold`] inside the caller's transaction (a webhook's or an event cancellation's,
/// so the release commits with their other effects). False, with nothing written, when the
/// order was not pending any more.
pub async fn release_hold_in(
    tx: &mut bilten_store::Tx,
    id: OrderId,
    t: Transition<OrderStatus>,
    now: DateTime<Utc>,
) -> BackendResult<bool> {
    if !orders::end_hold(&mut **tx, id, t, now).await? {
        return Ok(false);
    }
    let order = orders::find_order(&mut **tx, id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    // Same lock order as a purchase: ticket types by id, quotas by id, buyer counter.
    let per_type = order.quantities_per_type();
    for (ticket_type, n) in &per_type {
        let counter = Counter::TicketType(*ticket_type);
        inventory::shift(&mut **tx, counter, Movement::Release, *n).await?;
    }
    for (quota, n) in inventory::quota_shares(&mut **tx, order.event_id, &per_type).await? {
        inventory::shift(&mut **tx, Counter::Quota(quota), Movement::Release, n).await?;
    }
    orders::release_buyer_count(&mut **tx, order.event_id, &order.buyer_key, order.quantity)
        .await?;
    if let Some(promo_code) = order.promo_code_id {
        promo::release_use(&mut **tx, promo_code).await?;
    }
    Ok(true)
}

/// Marks lapsed holds `expired` and releases their inventory (all events, or one).
/// Returns how many this call released.
pub async fn release_lapsed(
    state: &AppState,
    event: Option<EventId>,
    now: DateTime<Utc>,
) -> BackendResult<usize> {
    let mut released = 0;
    loop {
        let due = orders::lapsed_holds(state.store.primary(), now, event, 100).await?;
        let batch = due.len();
        for id in due {
            if release_hold(state, id, OrderStatus::expire(), now).await? {
                released += 1;
            }
        }
        if batch < 100 {
            return Ok(released);
        }
    }
}

/// The background task that ends lapsed holds, in every backend process. Replicas may race
/// on the same order; the conditional status update lets exactly one of them release it.
pub struct HoldExpiryWorker {
    state: AppState,
    every: Duration,
}

impl HoldExpiryWorker {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            every: Duration::from_secs(5),
        }
    }

    pub async fn run(self, shutdown: CancellationToken) {
        // Idempotency keys past their day are swept about once a minute (a key's own request
        // already ignores an expired row; this only keeps the table small).
        let mut rounds: u32 = 0;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.every) => {}
            }
            rounds = rounds.wrapping_add(1);
            if rounds.is_multiple_of(12) {
                if let Err(error) = crate::idempotency::sweep(&self.state).await {
                    tracing::warn!(%error, "sweeping expired idempotency keys failed; retrying later");
                }
            }
            if let Err(error) = release_lapsed(&self.state, None, Utc::now()).await {
                tracing::warn!(%error, "releasing lapsed holds failed; retrying later");
            }
            // Inventory leases of processes that died (or stopped selling) come back too.
            if let Err(error) =
                crate::orders::purchase::engine::settle_expired_leases(&self.state, Utc::now())
                    .await
            {
                tracing::warn!(%error, "settling expired inventory leases failed; retrying later");
            }
        }
    }
}
