//! Orders with inventory holds: `POST /orders`, `GET /orders/{id}`, `DELETE /orders/{id}`,
//! and the worker that ends lapsed holds.
//!
//! A purchase takes its inventory in one transaction on the primary: a conditional
//! `UPDATE … WHERE sold + held + n <= capacity` per ticket type (sorted by id), then per quota
//! (sorted by id), then the per-buyer counter, then the order rows. Any refusal rolls the
//! whole transaction back, so nothing is half-taken. Rust never compares a count it read
//! earlier with a limit.
//!
//! A hold ends exactly once: `orders::end_hold` flips `pending → expired|canceled` with a
//! conditional update and only the winner gives the inventory back, in the same transaction.
//! Until the worker gets to a lapsed hold, reads subtract it (`lapsed`), and a purchase that
//! would be sold out first releases the event's lapsed holds and tries once more, so an
//! expired hold never blocks a buyer.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_domain::event::SalesPhase;
use bilten_domain::order::check_buyer_cap;
use bilten_domain::{
    Currency, DisplayName, Email, EventId, FieldError, FieldErrors, Money, OrderId, OrderStatus,
    PromoCode, Quantity, QuotaId, TicketTypeId, UserId,
};
use bilten_http::Json;
use bilten_store::events::EventRecord;
use bilten_store::inventory::{self, Counter, Movement};
use bilten_store::orders::{self, NewOrder, OrderRecord};
use bilten_store::promo::{self, PromoRecord, UseRefused};
use bilten_store::{events, users, StoreError};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::auth::{CurrentUser, MaybeUser};
use crate::authz::{decide, role_in, Action};
use crate::error::{BackendError, BackendResult};
use crate::events::{load_event, sales_window};
use crate::promo as promos;
use crate::AppState;

const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Header carrying an order's access key (guests have no account to prove they bought it).
const ORDER_KEY_HEADER: &str = "x-order-key";
const ORDER_KEY_PREFIX: &str = "ok_";

/// The keyed MAC behind an order's access key. Derived, not stored: the same order always has
/// the same key, so an idempotent replay can return it again, and nothing in the database
/// lets a reader of a backup act on orders. Domain-separated from every other use of the key.
fn order_key_mac(state: &AppState, id: OrderId) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(state.refresh_key.expose_secret().as_bytes())
        .expect("HMAC accepts keys of any length");
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    event_id: Option<String>,
    items: Option<Vec<ItemInput>>,
    promo_code: Option<String>,
    buyer: Option<BuyerInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    ticket_type_id: Option<String>,
    quantity: Option<i64>,
    /// Names for this item's tickets, at most `quantity`; the rest carry the buyer's name.
    attendees: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyerInput {
    email: Option<String>,
    name: Option<String>,
}

/// A purchase request after parsing.
struct Purchase {
    event_id: EventId,
    /// In request order; `items[i]` in errors refers to this index.
    items: Vec<(TicketTypeId, Quantity)>,
    /// Attendee names per item, aligned with `items`; `None` where a name was left blank
    /// (that ticket carries the buyer's name).
    attendees: Vec<Vec<Option<DisplayName>>>,
    email: Email,
    name: DisplayName,
    user: Option<UserId>,
    promo: Option<PromoCode>,
}

impl Purchase {
    /// Who the per-buyer cap counts: the account when logged in, else the email address.
    fn buyer_key(&self) -> String {
        match self.user {
            Some(user) => format!("user:{}", user.to_db()),
            None => format!("email:{}", self.email.as_str().to_lowercase()),
        }
    }

    /// A digest of everything that defines the request, for idempotent retries. The caller's
    /// account is part of it, so someone else's retry with the same key never sees this order.
    fn request_hash(&self) -> String {
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

fn idempotency_key(headers: &HeaderMap) -> BackendResult<String> {
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
    item: &ItemInput,
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

async fn parse_purchase(
    state: &AppState,
    actor: Option<&CurrentUser>,
    body: OrderInput,
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
    let buyer = body.buyer.unwrap_or(BuyerInput {
        email: None,
        name: None,
    });
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
    match (event_id, email, name) {
        (Some(event_id), Some(email), Some(name)) if e.is_empty() => Ok(Purchase {
            event_id,
            items,
            attendees,
            email,
            name,
            user: actor.map(|a| a.user_id),
            promo,
        }),
        _ => Err(e.into()),
    }
}

/// Why taking inventory failed; nothing was written.
enum TakeError {
    SoldOut {
        item: usize,
        what: String,
    },
    BuyerCap,
    Promo(UseRefused),
    /// The idempotency key was stored by a concurrent request with the same key.
    KeyTaken,
    Store(StoreError),
}

impl From<StoreError> for TakeError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// A priced line, ready to store.
struct Line {
    item: usize,
    ticket_type_id: TicketTypeId,
    name: String,
    attendees: Vec<String>,
    quantity: i64,
    unit_price_minor: i64,
    /// This line's share of the promo discount.
    discount_minor: i64,
}

struct Plan<'a> {
    purchase: &'a Purchase,
    lines: Vec<Line>,
    currency: Currency,
    total: Money,
    promo: Option<&'a PromoRecord>,
    discount: i64,
    buyer_cap: i64,
    expires_at: DateTime<Utc>,
    key: &'a str,
    hash: &'a str,
}

/// The one transaction that takes the inventory and writes the order.
async fn take(
    state: &AppState,
    plan: &Plan<'_>,
    id: OrderId,
    now: DateTime<Utc>,
) -> Result<(), TakeError> {
    let purchase = plan.purchase;
    let mut tx = state.store.begin().await?;
    // Fixed lock order: ticket types by id, then quotas by id, then the buyer counter.
    let mut lines: Vec<&Line> = plan.lines.iter().collect();
    lines.sort_by_key(|l| l.ticket_type_id);
    for line in &lines {
        let counter = Counter::TicketType(line.ticket_type_id);
        if !inventory::shift(&mut *tx, counter, Movement::Hold, line.quantity).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(TakeError::SoldOut {
                item: line.item,
                what: format!(
                    "“{}” has fewer than {} tickets left.",
                    line.name, line.quantity
                ),
            });
        }
    }
    let memberships = orders::quota_memberships(&mut *tx, purchase.event_id).await?;
    let mut per_quota: BTreeMap<QuotaId, (i64, usize)> = BTreeMap::new();
    for (quota, ticket_type) in memberships {
        if let Some(line) = lines.iter().find(|l| l.ticket_type_id == ticket_type) {
            let entry = per_quota.entry(quota).or_insert((0, line.item));
            entry.0 += line.quantity;
            entry.1 = entry.1.min(line.item);
        }
    }
    for (quota, (n, item)) in &per_quota {
        if !inventory::shift(&mut *tx, Counter::Quota(*quota), Movement::Hold, *n).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(TakeError::SoldOut {
                item: *item,
                what: "Not enough tickets are left in this ticket's shared allocation.".to_owned(),
            });
        }
    }
    let quantity: i64 = plan.lines.iter().map(|l| l.quantity).sum();
    let buyer_key = purchase.buyer_key();
    if !orders::take_buyer_count(
        &mut *tx,
        purchase.event_id,
        &buyer_key,
        quantity,
        plan.buyer_cap,
    )
    .await?
    {
        tx.rollback().await.map_err(StoreError::from)?;
        return Err(TakeError::BuyerCap);
    }
    // Last in the lock order: the promo code's use (same order on release).
    if let Some(promo) = plan.promo {
        if let Err(refused) = promo::take_use(&mut tx, promo.id, now).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(TakeError::Promo(refused));
        }
    }
    let inserted = orders::insert_order(
        &mut *tx,
        &NewOrder {
            id,
            event_id: purchase.event_id,
            buyer_user_id: purchase.user,
            buyer_key: &buyer_key,
            buyer_email: purchase.email.as_str(),
            buyer_name: purchase.name.as_str(),
            status: OrderStatus::Pending.as_str(),
            expires_at: plan.expires_at,
            total_minor: plan.total.minor(),
            currency: plan.currency.code(),
            quantity,
            promo_code_id: plan.promo.map(|p| p.id),
            discount_minor: plan.discount,
            idempotency_key: plan.key,
            request_hash: plan.hash,
            now,
        },
    )
    .await;
    match inserted {
        Err(e) if e.is_unique("idempotency") => {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(TakeError::KeyTaken);
        }
        other => other?,
    }
    for line in &plan.lines {
        orders::insert_line(
            &mut *tx,
            id,
            line.ticket_type_id,
            line.quantity,
            line.unit_price_minor,
            line.discount_minor,
            &line.attendees,
        )
        .await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Checks each item against its ticket type (visible, on sale, per-order limits) and prices
/// it. Nothing is taken here; that is the transaction's job.
async fn price_lines(
    state: &AppState,
    event: &EventRecord,
    purchase: &Purchase,
    promo_code: Option<&PromoRecord>,
    currency: Currency,
    now: DateTime<Utc>,
) -> BackendResult<(Vec<Line>, Money, i64)> {
    let types = events::ticket_types_of(state.store.primary(), event.id, now).await?;
    let mut lines = Vec::with_capacity(purchase.items.len());
    let mut total = Money::zero(currency);
    for (item, (id, quantity)) in purchase.items.iter().enumerate() {
        let field = format!("items[{item}]");
        // Hidden types are only reachable through a promo code that reveals them; without
        // one they do not exist.
        let Some(t) = types.iter().find(|t| {
            t.id == *id
                && (t.visibility == "public"
                    || promo_code.is_some_and(|p| promos::reveals(p, t.id)))
        }) else {
            return Err(BackendError::field(
                &format!("{field}.ticket_type_id"),
                "not_found",
                "This event has no such ticket type.",
            ));
        };
        let closed = match sales_window(t).phase(now) {
            SalesPhase::NotOpen => return Err(BackendError::SalesNotOpen { field }),
            SalesPhase::Closed => true,
            SalesPhase::Open => now >= event.fields.ends_at,
        };
        if closed {
            return Err(BackendError::SalesClosed { field });
        }
        let min = u32::try_from(t.min_per_order).unwrap_or(1);
        let max = u32::try_from(t.max_per_order).unwrap_or(u32::MAX);
        if let Err(problem) = quantity.check_order_limits(min, max) {
            return Err(BackendError::LimitExceeded {
                field,
                message: problem.message,
            });
        }
        let price = bilten_domain::Price::from_minor(t.price_minor, currency)
            .map_err(|e| BackendError::Internal(e.to_string()))?;
        total = price
            .checked_mul(quantity.get())
            .and_then(|line| total.checked_add(line))
            .map_err(|e| BackendError::Internal(e.to_string()))?;
        lines.push(Line {
            item,
            ticket_type_id: *id,
            name: t.name.clone(),
            attendees: purchase.attendees[item]
                .iter()
                .map(|n| {
                    n.as_ref()
                        .map_or_else(String::new, |n| n.as_str().to_owned())
                })
                .collect(),
            quantity: i64::from(quantity.get()),
            unit_price_minor: t.price_minor,
            discount_minor: 0,
        });
    }
    let Some(promo_code) = promo_code else {
        return Ok((lines, total, 0));
    };
    let amounts: Vec<(TicketTypeId, Money)> = lines
        .iter()
        .map(|l| {
            (
                l.ticket_type_id,
                Money::new(l.quantity * l.unit_price_minor, currency),
            )
        })
        .collect();
    let priced = promos::price_with(promo_code, currency, &amounts)?;
    for (line, discounted) in lines.iter_mut().zip(&priced.lines) {
        line.discount_minor = discounted.discount.minor();
    }
    Ok((lines, priced.total, priced.discount.minor()))
}

/// `POST /orders`: takes the tickets now and holds them until `expires_at`.
pub async fn create(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Json(body): Json<OrderInput>,
) -> BackendResult<Response> {
    let key = idempotency_key(&headers)?;
    let purchase = parse_purchase(&state, actor.as_ref(), body).await?;
    let hash = purchase.request_hash();
    if let Some(response) = replay(&state, &key, &hash).await? {
        return Ok(response);
    }
    let event = load_event(&state, purchase.event_id).await?;
    let now = Utc::now();
    match event.status.as_str() {
        "published" => {}
        "draft" => return Err(BackendError::NotFound("event")),
        _ => {
            return Err(BackendError::conflict(
                "event_not_on_sale",
                "This event is not on sale.",
            ))
        }
    }
    let currency = Currency::parse(&event.fields.currency)
        .map_err(|e| BackendError::Internal(e.to_string()))?;
    let promo_code = match &purchase.promo {
        Some(text) => Some(promos::usable_code(&state, event.id, text, now).await?),
        None => None,
    };
    let (lines, total, discount) = price_lines(
        &state,
        &event,
        &purchase,
        promo_code.as_ref(),
        currency,
        now,
    )
    .await?;
    let requested: u32 = purchase.items.iter().map(|(_, q)| q.get()).sum();
    let cap = u32::try_from(event.fields.buyer_cap).unwrap_or(u32::MAX);
    // Only the arithmetic on the request itself here; what the buyer already holds is
    // counted inside the purchase transaction.
    if let Err(exceeded) = check_buyer_cap(cap, 0, requested) {
        return Err(buyer_cap_error(exceeded.cap));
    }
    let plan = Plan {
        purchase: &purchase,
        lines,
        currency,
        total,
        promo: promo_code.as_ref(),
        discount,
        buyer_cap: event.fields.buyer_cap,
        expires_at: now + chrono::Duration::minutes(event.fields.hold_minutes),
        key: &key,
        hash: &hash,
    };
    let id = OrderId::new();
    let mut retried = false;
    loop {
        match take(&state, &plan, id, now).await {
            Ok(()) => break,
            Err(TakeError::SoldOut { item, what }) => {
                // Lapsed holds still sit in the counters until released; release this event's
                // and try once more before telling the buyer it is gone.
                if !retried && release_lapsed(&state, Some(event.id), Utc::now()).await? > 0 {
                    retried = true;
                    continue;
                }
                return Err(BackendError::SoldOut {
                    field: format!("items[{item}]"),
                    message: what,
                });
            }
            Err(TakeError::BuyerCap) => return Err(buyer_cap_error(cap)),
            Err(TakeError::Promo(UseRefused::Unusable)) => return Err(BackendError::PromoInvalid),
            Err(TakeError::Promo(UseRefused::Exhausted)) => {
                // Uses of lapsed holds count until released, like their tickets.
                if !retried && release_lapsed(&state, Some(event.id), Utc::now()).await? > 0 {
                    retried = true;
                    continue;
                }
                return Err(BackendError::PromoExhausted);
            }
            Err(TakeError::KeyTaken) => {
                return replay(&state, &key, &hash)
                    .await?
                    .ok_or_else(|| BackendError::Internal("idempotent order vanished".into()));
            }
            Err(TakeError::Store(e)) => return Err(e.into()),
        }
    }
    state.business.orders.with_label_values(&["created"]).inc();
    let order = orders::find_order(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "order": order_view(&order, Utc::now()),
            "access_key": order_key(&state, order.id),
        })),
    )
        .into_response())
}

fn buyer_cap_error(cap: u32) -> BackendError {
    BackendError::LimitExceeded {
        field: "items".to_owned(),
        message: format!("At most {cap} tickets per buyer for this event."),
    }
}

/// The stored answer for a retried request: the same order for the same body, 422 for a
/// different one.
async fn replay(state: &AppState, key: &str, hash: &str) -> BackendResult<Option<Response>> {
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
        Json(json!({
            "order": order_view(&order, Utc::now()),
            "access_key": order_key(state, order.id),
        })),
    )
        .into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(Some(response))
}

/// An order as the API shows it. A pending order whose hold has run out reads as `expired`
/// even before the worker has marked it.
pub fn order_view(order: &OrderRecord, now: DateTime<Utc>) -> Value {
    let status = if order.status == "pending" && order.expires_at <= now {
        "expired"
    } else {
        order.status.as_str()
    };
    let money = |minor: i64| match Currency::parse(&order.currency) {
        Ok(c) => serde_json::to_value(Money::new(minor, c)).unwrap_or(Value::Null),
        Err(_) => json!({ "amount": minor, "currency": order.currency }),
    };
    json!({
        "id": order.id.to_string(),
        "event_id": order.event_id.to_string(),
        "status": status,
        "expires_at": order.expires_at,
        "buyer": { "email": order.buyer_email, "name": order.buyer_name },
        "lines": order.lines.iter().map(|l| json!({
            "ticket_type_id": l.ticket_type_id.to_string(),
            "name": l.ticket_type_name,
            "quantity": l.quantity,
            "unit_price": money(l.unit_price_minor),
            "discount": money(l.discount_minor),
            "total": money(l.total_minor),
        })).collect::<Vec<_>>(),
        "quantity": order.quantity,
        "promo_code": order.promo_code,
        "subtotal": money(order.total_minor + order.discount_minor),
        "discount": money(order.discount_minor),
        "total": money(order.total_minor),
        "created_at": order.created_at,
    })
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
pub async fn get(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> BackendResult<Json<Value>> {
    let (order, _) = visible_order(&state, actor.as_ref(), &headers, &id).await?;
    let issued = bilten_store::tickets::list_for_order(state.store.primary(), order.id).await?;
    Ok(Json(json!({
        "order": order_view(&order, Utc::now()),
        "tickets": issued.iter().map(crate::tickets::ticket_view).collect::<Vec<_>>(),
    })))
}

/// `DELETE /orders/{id}`: the buyer gives up a pending order; its hold is freed at once.
pub async fn cancel(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> BackendResult<Json<Value>> {
    let (order, is_buyer) = visible_order(&state, actor.as_ref(), &headers, &id).await?;
    if !is_buyer {
        // Organizers refund or cancel through their own endpoints, not this one.
        return Err(BackendError::Forbidden);
    }
    let now = Utc::now();
    let lapsed = order.status == "pending" && order.expires_at <= now;
    if lapsed {
        release_hold(&state, order.id, OrderStatus::Expired, now).await?;
    }
    if lapsed || !release_hold(&state, order.id, OrderStatus::Canceled, now).await? {
        return Err(BackendError::conflict(
            "order_not_pending",
            "Only a pending order can be canceled.",
        ));
    }
    let order = orders::find_order(state.store.primary(), order.id)
        .await?
        .ok_or(BackendError::NotFound("order"))?;
    Ok(Json(json!({ "order": order_view(&order, now) })))
}

/// Ends a pending order's hold (`Expired` or `Canceled`) and gives its inventory back, in one
/// transaction. False when the order was not pending any more (someone else won).
pub async fn release_hold(
    state: &AppState,
    id: OrderId,
    to: OrderStatus,
    now: DateTime<Utc>,
) -> BackendResult<bool> {
    let mut tx = state.store.begin().await?;
    if !release_hold_in(&mut tx, id, to, now).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return Ok(false);
    }
    tx.commit().await.map_err(StoreError::from)?;
    let label = to.as_str();
    state.business.orders.with_label_values(&[label]).inc();
    if to == OrderStatus::Expired {
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
    to: OrderStatus,
    now: DateTime<Utc>,
) -> BackendResult<bool> {
    if !orders::end_hold(&mut **tx, id, to.as_str(), now).await? {
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
            if release_hold(state, id, OrderStatus::Expired, now).await? {
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
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.every) => {}
            }
            if let Err(error) = release_lapsed(&self.state, None, Utc::now()).await {
                tracing::warn!(%error, "releasing lapsed holds failed; retrying later");
            }
        }
    }
}
