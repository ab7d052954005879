//! Promo codes: `POST/GET /events/{id}/promo-codes`, `PATCH /promo-codes/{id}`, and how an
//! order finds and prices its code.
//!
//! The code's text is normalised by [`PromoCode`] (upper-case), so lookups are
//! case-insensitive with a plain unique key. Whether a use is left is decided only inside the
//! purchase transaction (`bilten_store::promo::take_use`); what this module reads beforehand
//! serves error messages and pricing, never the limit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use bilten_api::promo::{PromoCode as PromoCodeView, PromoCodeList, PromoCodeResponse};
use bilten_domain::promo::Discount;
use bilten_domain::DiscountKind;
use bilten_domain::{Currency, FieldError, FieldErrors, PromoCode, PromoCodeId, TicketTypeId};
use bilten_http::ErrorCode;
use bilten_http::Json;
use bilten_store::promo::{self, PromoFields};
use bilten_store::{events, StoreError};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::views::promo_view;
use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::events::lookup::{load_event, parse_event_id};
use crate::events::parse::parse_optional_time;
use crate::AppState;

/// At most this many uses per code (a typo guard, not a business rule).
const MAX_USES_LIMIT: i64 = 10_000_000;

/// A promo code as sent. On PATCH only `active`, `max_uses`, `valid_from`, `valid_until` and
/// `reveals_hidden` may be sent (code, discount and restriction are what orders were priced
/// with); `null` clears `max_uses` and the window ends.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoInput {
    code: Option<String>,
    discount: Option<Value>,
    /// Absent keeps it, `null` clears it.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    max_uses: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    valid_from: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    valid_until: Patch<String>,
    ticket_type_ids: Option<Vec<String>>,
    reveals_hidden: Option<bool>,
    active: Option<bool>,
}

/// A field that may be left out (keep), sent as `null` (clear) or sent with a value.
#[derive(Default)]
enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Self::Clear, Self::Set))
    }
}

impl<T> Patch<T> {
    /// The value after applying this patch to `current`.
    fn over(self, current: Option<T>) -> Option<T> {
        match self {
            Self::Keep => current,
            Self::Clear => None,
            Self::Set(value) => Some(value),
        }
    }
}

fn parse_max_uses(value: Option<i64>) -> Result<Option<i64>, FieldError> {
    match value {
        None => Ok(None),
        Some(n) if (0..=MAX_USES_LIMIT).contains(&n) => Ok(Some(n)),
        Some(_) => Err(FieldError::new(
            "out_of_range",
            format!("Use a number from 0 to {MAX_USES_LIMIT}, or null for no limit."),
        )),
    }
}

struct Window {
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

fn parse_window(from: Option<&str>, until: Option<&str>, e: &mut FieldErrors) -> Option<Window> {
    let from = e.check("valid_from", parse_optional_time(from));
    let until = e.check("valid_until", parse_optional_time(until));
    let (from, until) = (from?, until?);
    if let (Some(f), Some(u)) = (from, until) {
        if u <= f {
            e.add(
                "valid_until",
                FieldError::new("before_start", "The end must be after the start."),
            );
            return None;
        }
    }
    Some(Window { from, until })
}

fn parse_discount(
    value: Option<Value>,
    currency: Currency,
) -> Result<(DiscountKind, i64), FieldError> {
    let value = value.ok_or_else(|| {
        FieldError::new(
            "required",
            "Give a discount: {\"kind\": \"percent\", \"basis_points\": 2500} or {\"kind\": \"fixed\", \"amount\": {\"amount\": 1000, \"currency\": \"EUR\"}}.",
        )
    })?;
    let discount: Discount = serde_json::from_value(value).map_err(|e| {
        FieldError::new(
            "invalid",
            format!("Not a discount ({e}); use kind percent with basis_points 1-10000, or kind fixed with an amount."),
        )
    })?;
    match discount {
        Discount::Percent { basis_points } => {
            Ok((DiscountKind::Percent, i64::from(basis_points.get())))
        }
        Discount::Fixed { amount } if amount.currency() == currency => {
            Ok((DiscountKind::Fixed, amount.minor()))
        }
        Discount::Fixed { .. } => Err(FieldError::new(
            "currency_mismatch",
            format!(
                "A fixed discount must be in the event's currency ({}).",
                currency.code()
            ),
        )),
    }
}

/// `POST /events/{id}/promo-codes` (managers and owners).
#[utoipa::path(
    post,
    path = "/events/{id}/promo-codes",
    tag = "promo codes",
    operation_id = "create_promo_code",
    summary = "Add a promo code (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    request_body = PromoInput,
    responses(
        (status = 201, description = "The code.", body = PromoCodeResponse),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<PromoInput>,
) -> BackendResult<(StatusCode, Json<PromoCodeResponse>)> {
    let event = load_event(&state, parse_event_id(&id)?).await?;
    authorize_in(
        &state,
        &actor,
        event.organization_id,
        Action::ManageEvents,
        "event",
    )
    .await?;
    let currency = Currency::parse(&event.fields.currency)
        .map_err(|e| BackendError::Internal(e.to_string()))?;
    let now = Utc::now();
    let types = events::ticket_types_of(state.store.primary(), event.id, now).await?;

    let mut e = FieldErrors::new();
    let code = e.check(
        "code",
        body.code
            .as_deref()
            .map_or_else(|| PromoCode::parse(""), PromoCode::parse),
    );
    let discount = e.check("discount", parse_discount(body.discount, currency));
    let max_uses = e.check("max_uses", parse_max_uses(body.max_uses.over(None)));
    let window = parse_window(
        body.valid_from.over(None).as_deref(),
        body.valid_until.over(None).as_deref(),
        &mut e,
    );
    let restricted = e.check("ticket_type_ids", {
        let mut parsed: Vec<TicketTypeId> = Vec::new();
        let mut bad = false;
        for id in body.ticket_type_ids.unwrap_or_default() {
            match id.parse::<TicketTypeId>() {
                Ok(id) if types.iter().any(|t| t.id == id) => {
                    if !parsed.contains(&id) {
                        parsed.push(id);
                    }
                }
                _ => bad = true,
            }
        }
        if bad {
            Err(FieldError::new(
                "invalid",
                "List ticket types of this event (or none for all).",
            ))
        } else {
            Ok(parsed)
        }
    });
    let (Some(code), Some((kind, value)), Some(max_uses), Some(window), Some(restricted)) =
        (code, discount, max_uses, window, restricted)
    else {
        return Err(e.into());
    };
    let id = PromoCodeId::new();
    let fields = PromoFields {
        code: code.as_str(),
        discount_kind: kind,
        discount_value: value,
        max_uses,
        valid_from: window.from,
        valid_until: window.until,
        reveals_hidden: body.reveals_hidden.unwrap_or(false),
        active: body.active.unwrap_or(true),
    };
    let mut tx = state.store.begin().await?;
    match promo::insert(&mut *tx, id, event.id, &fields, now).await {
        Err(err) if err.violates(bilten_store::Constraint::PromoCodesEventCode) => {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(BackendError::Conflict {
                code: ErrorCode::PromoCodeTaken,
                message: "This event already has that promo code.".to_owned(),
            });
        }
        other => other?,
    }
    for ticket_type in &restricted {
        promo::add_ticket_type(&mut *tx, id, *ticket_type).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    let record = promo::find(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("promo code"))?;
    Ok((
        StatusCode::CREATED,
        Json(PromoCodeResponse {
            promo_code: promo_view(&record, currency),
        }),
    ))
}

/// `GET /events/{id}/promo-codes` (members): every code with its uses.
#[utoipa::path(
    get,
    path = "/events/{id}/promo-codes",
    tag = "promo codes",
    operation_id = "list_promo_codes",
    summary = "The event's promo codes (members)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "Every code, newest first, with `uses` and `remaining`.", body = PromoCodeList),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<PromoCodeList>> {
    let event = load_event(&state, parse_event_id(&id)?).await?;
    authorize_in(
        &state,
        &actor,
        event.organization_id,
        Action::ViewOrganization,
        "event",
    )
    .await?;
    let currency = Currency::parse(&event.fields.currency)
        .map_err(|e| BackendError::Internal(e.to_string()))?;
    let items: Vec<PromoCodeView> = promo::of_event(state.store.primary(), event.id)
        .await?
        .iter()
        .map(|p| promo_view(p, currency))
        .collect();
    Ok(Json(PromoCodeList { items }))
}

/// `PATCH /promo-codes/{id}` (managers and owners): deactivate, change the limit or window.
/// A limit below the uses already taken is refused by the database (`max_uses_below_used`).
#[utoipa::path(
    patch,
    path = "/promo-codes/{id}",
    tag = "promo codes",
    operation_id = "update_promo_code",
    summary = "Change a promo code's limits (managers)",
    params(
        ("id" = String, Path, description = "The promo code id (`prm_…`)."),
    ),
    request_body = PromoInput,
    responses(
        (status = 200, description = "The code.", body = PromoCodeResponse),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(patch): Json<PromoInput>,
) -> BackendResult<Json<PromoCodeResponse>> {
    let id: PromoCodeId = id
        .parse()
        .map_err(|_| BackendError::NotFound("promo code"))?;
    let current = promo::find(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("promo code"))?;
    let event = load_event(&state, current.event_id).await?;
    authorize_in(
        &state,
        &actor,
        event.organization_id,
        Action::ManageEvents,
        "promo code",
    )
    .await?;
    let currency = Currency::parse(&event.fields.currency)
        .map_err(|e| BackendError::Internal(e.to_string()))?;
    let mut e = FieldErrors::new();
    for (field, sent) in [
        ("code", patch.code.is_some()),
        ("discount", patch.discount.is_some()),
        ("ticket_type_ids", patch.ticket_type_ids.is_some()),
    ] {
        if sent {
            e.add(
                field,
                FieldError::new(
                    "immutable",
                    "Orders were priced with this; create a new code instead.",
                ),
            );
        }
    }
    let max_uses = e.check(
        "max_uses",
        parse_max_uses(patch.max_uses.over(current.max_uses)),
    );
    let from = patch
        .valid_from
        .over(current.valid_from.map(|t| t.to_rfc3339()));
    let until = patch
        .valid_until
        .over(current.valid_until.map(|t| t.to_rfc3339()));
    let window = parse_window(from.as_deref(), until.as_deref(), &mut e);
    let (Some(max_uses), Some(window)) = (max_uses, window) else {
        return Err(e.into());
    };
    if !e.is_empty() {
        return Err(e.into());
    }
    let fields = PromoFields {
        code: &current.code,
        discount_kind: current.discount_kind,
        discount_value: current.discount_value,
        max_uses,
        valid_from: window.from,
        valid_until: window.until,
        reveals_hidden: patch.reveals_hidden.unwrap_or(current.reveals_hidden),
        active: patch.active.unwrap_or(current.active),
    };
    promo::update(state.store.primary(), id, &fields, Utc::now())
        .await
        .map_err(|err| match err {
            err if err.violates(bilten_store::Constraint::PromoCodesWithinLimit) => {
                BackendError::Conflict {
                    code: ErrorCode::MaxUsesBelowUsed,
                    message: "The limit cannot go below the uses already taken.".to_owned(),
                }
            }
            other => other.into(),
        })?;
    let record = promo::find(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("promo code"))?;
    Ok(Json(PromoCodeResponse {
        promo_code: promo_view(&record, currency),
    }))
}
