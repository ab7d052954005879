//! A purchase request read into a [`Purchase`] (items, buyer, attendees, promo code,
//! language) and its idempotency key: the input of `POST /orders` and `POST /purchases`.

use axum::http::HeaderMap;
use bilten_api::orders::{CreateOrderRequest, OrderItemRequest};
use bilten_domain::{
    DisplayName, Email, EventId, FieldError, FieldErrors, PromoCode, Quantity, TicketTypeId, UserId,
};
use bilten_store::users;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::AppState;

pub(crate) const IDEMPOTENCY_HEADER: &str = "idempotency-key";

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

pub(crate) fn buyer_cap_error(cap: u32) -> BackendError {
    BackendError::LimitExceeded {
        field: "items".to_owned(),
        message: format!("At most {cap} tickets per buyer for this event."),
    }
}
