//! An event's ticket types and quotas (organizer side): create, list, change.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::events::{Quota, QuotaList, QuotaResponse, TicketTypeList, TicketTypeResponse};
use bilten_domain::{
    Capacity, Currency, EventId, FieldError, FieldErrors, QuotaId, SalesWindow, TicketTypeId,
};
use bilten_http::ErrorCode;
use bilten_http::Json;
use bilten_store::events::{self, NewTicketType};
use bilten_store::{Constraint, StoreError};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::lookup::{event_for, load_event};
use super::parse::{bounded, parse_optional_time, required, short_text};
use super::views::{effective_available, quota_view, ticket_type_view};
use crate::authz::{authorize_in, Action};
use crate::current_user::CurrentUser;
use crate::error::{BackendError, BackendResult};
use crate::idempotency::{self, Scope};
use crate::AppState;

#[derive(Deserialize, Serialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketTypeInput {
    name: Option<String>,
    description: Option<String>,
    /// Integer minor units of the event currency; 0 = free.
    price: Option<i64>,
    capacity: Option<i64>,
    sales_start: Option<String>,
    sales_end: Option<String>,
    min_per_order: Option<i64>,
    max_per_order: Option<i64>,
    visibility: Option<String>,
}

/// Parses a new ticket type of an event priced in `currency`.
fn parse_ticket_type(
    body: &TicketTypeInput,
    event_id: EventId,
    currency: Currency,
) -> Result<NewTicketType, FieldErrors> {
    let mut e = FieldErrors::new();
    let name = e.check(
        "name",
        required(body.name.as_deref(), "Name the ticket type.")
            .and_then(|n| short_text(Some(n), 120).map(Option::unwrap_or_default)),
    );
    let description = e.check("description", short_text(body.description.as_deref(), 2000));
    let price = e.check(
        "price",
        match body.price {
            None => Err(FieldError::new(
                "required",
                "Give a price in minor units (0 = free).",
            )),
            Some(minor) => bilten_domain::Price::from_minor(minor, currency),
        },
    );
    let capacity = e.check(
        "capacity",
        body.capacity
            .ok_or_else(|| FieldError::new("required", "Give a capacity."))
            .and_then(Capacity::from_i64),
    );
    let start = e.check(
        "sales_start",
        parse_optional_time(body.sales_start.as_deref()),
    );
    let end = e.check("sales_end", parse_optional_time(body.sales_end.as_deref()));
    let window = match (start, end) {
        (Some(start), Some(end)) => e.check("sales_end", SalesWindow::new(start, end)),
        _ => None,
    };
    let min = e.check("min_per_order", bounded(body.min_per_order, 1, 1, 1000));
    let max = e.check("max_per_order", bounded(body.max_per_order, 10, 1, 1000));
    if let (Some(min), Some(max)) = (min, max) {
        if max < min {
            e.add(
                "max_per_order",
                FieldError::new("below_minimum", "The maximum must be at least the minimum."),
            );
        }
    }
    let visibility = e.check(
        "visibility",
        bilten_domain::Visibility::parse(body.visibility.as_deref().unwrap_or("public"))
            .ok_or_else(|| FieldError::new("invalid", "Use public or hidden.")),
    );
    let (
        Some(name),
        Some(description),
        Some(price),
        Some(capacity),
        Some(window),
        Some(min),
        Some(max),
        Some(visibility),
    ) = (
        name,
        description,
        price,
        capacity,
        window,
        min,
        max,
        visibility,
    )
    else {
        return Err(e);
    };
    if !e.is_empty() {
        return Err(e);
    }
    Ok(NewTicketType {
        id: TicketTypeId::new(),
        event_id,
        name,
        description: description.unwrap_or_default(),
        price_minor: price.minor(),
        capacity: i64::from(capacity.get()),
        sales_start: window.starts_at(),
        sales_end: window.ends_at(),
        min_per_order: min,
        max_per_order: max,
        visibility,
    })
}

/// `POST /events/{id}/ticket-types` (managers and owners).
#[utoipa::path(
    post,
    path = "/events/{id}/ticket-types",
    tag = "events",
    operation_id = "create_ticket_type",
    summary = "Add a ticket type (managers)",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: 1–255 visible ASCII characters; the same key with the same request replays the first answer (24 hours)."),
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    request_body = TicketTypeInput,
    responses(
        (status = 201, description = "The ticket type with counters.", body = TicketTypeResponse),
    )
)]
pub async fn create_ticket_type(
    State(state): State<AppState>,
    actor: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<TicketTypeInput>,
) -> BackendResult<Response> {
    let key = idempotency::key(&headers)?;
    let hash = idempotency::request_hash(&(actor.user_id, &id, &body));
    // Boxed: the operation's future is large, the key's bookkeeping should not carry it.
    let work = Box::pin(async {
        create_ticket_type_now(State(state.clone()), actor, Path(id.clone()), Json(body))
            .await
            .map(IntoResponse::into_response)
    });
    idempotency::run(&state, Scope::CreateTicketType, key, || hash, work).await
}

/// The operation itself; [`create_ticket_type`] runs it once per `Idempotency-Key`.
async fn create_ticket_type_now(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<TicketTypeInput>,
) -> BackendResult<(StatusCode, Json<TicketTypeResponse>)> {
    let event = event_for(&state, &actor, &id, Action::ManageEvents).await?;
    if event.status == bilten_domain::EventStatus::Canceled {
        return Err(BackendError::conflict(
            ErrorCode::EventCanceled,
            "This event is canceled.",
        ));
    }
    let currency = Currency::parse(&event.fields.currency)
        .map_err(|err| BackendError::Internal(err.to_string()))?;
    let ticket_type = parse_ticket_type(&body, event.id, currency)?;
    let now = Utc::now();
    events::insert_ticket_type(state.store.primary(), &ticket_type, now).await?;
    let types = events::ticket_types_of(state.store.primary(), event.id, now).await?;
    let created = types
        .iter()
        .find(|t| t.id == ticket_type.id)
        .ok_or(BackendError::NotFound("ticket type"))?;
    Ok((
        StatusCode::CREATED,
        Json(TicketTypeResponse {
            ticket_type: ticket_type_view(
                created,
                created.available(),
                &event.fields.currency,
                true,
                now,
            )?,
        }),
    ))
}

/// `GET /events/{id}/ticket-types`: every type with counters (members).
#[utoipa::path(
    get,
    path = "/events/{id}/ticket-types",
    tag = "events",
    operation_id = "list_ticket_types",
    summary = "Every ticket type with counters (members)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "Every ticket type with counters.", body = TicketTypeList),
    )
)]
pub async fn list_ticket_types(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<TicketTypeList>> {
    let event = event_for(&state, &actor, &id, Action::ViewOrganization).await?;
    let now = Utc::now();
    let types = events::ticket_types_of(state.store.primary(), event.id, now).await?;
    let quotas = events::quotas_of(state.store.primary(), event.id, now).await?;
    let items = types
        .iter()
        .map(|t| {
            let available = effective_available(t, &quotas);
            ticket_type_view(t, available, &event.fields.currency, true, now)
        })
        .collect::<BackendResult<Vec<_>>>()?;
    Ok(Json(TicketTypeList { items }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaInput {
    name: Option<String>,
    capacity: Option<i64>,
    ticket_type_ids: Option<Vec<String>>,
}

/// `POST /events/{id}/quotas`: a shared limit over some of the event's ticket types.
#[utoipa::path(
    post,
    path = "/events/{id}/quotas",
    tag = "events",
    operation_id = "create_quota",
    summary = "Add a quota (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    request_body = QuotaInput,
    responses(
        (status = 201, description = "The quota with its counters.", body = QuotaResponse),
    )
)]
pub async fn create_quota(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<QuotaInput>,
) -> BackendResult<(StatusCode, Json<QuotaResponse>)> {
    let event = event_for(&state, &actor, &id, Action::ManageEvents).await?;
    let now = Utc::now();
    let types = events::ticket_types_of(state.store.primary(), event.id, now).await?;
    let mut e = FieldErrors::new();
    let name = e.check(
        "name",
        required(body.name.as_deref(), "Name the quota.")
            .and_then(|n| short_text(Some(n), 120).map(Option::unwrap_or_default)),
    );
    let capacity = e.check(
        "capacity",
        body.capacity
            .ok_or_else(|| FieldError::new("required", "Give a capacity."))
            .and_then(Capacity::from_i64),
    );
    let members = e.check("ticket_type_ids", {
        let ids = body.ticket_type_ids.unwrap_or_default();
        let mut parsed: Vec<TicketTypeId> = Vec::new();
        let mut bad = ids.is_empty();
        for id in &ids {
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
                "List one or more ticket types of this event.",
            ))
        } else {
            Ok(parsed)
        }
    });
    let (Some(name), Some(capacity), Some(members)) = (name, capacity, members) else {
        return Err(e.into());
    };
    let id = QuotaId::new();
    let capacity = i64::from(capacity.get());
    let mut tx = state.store.begin().await?;
    match events::create_quota(&mut tx, id, event.id, &name, capacity, &members, now).await {
        Ok(()) => tx.commit().await.map_err(StoreError::from)?,
        Err(error) => {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(match error {
                // The quota starts with what its ticket types already hold and sold.
                error if error.violates(Constraint::QuotasNoOversell) => BackendError::conflict(
                    ErrorCode::CapacityBelowTaken,
                    "The capacity cannot be below the tickets these types already sold or hold.",
                ),
                StoreError::NotFound => BackendError::field(
                    "ticket_type_ids",
                    "invalid",
                    "List one or more ticket types of this event.",
                ),
                other => other.into(),
            });
        }
    }
    let quotas = events::quotas_of(state.store.primary(), event.id, now).await?;
    let created = quotas
        .iter()
        .find(|q| q.id == id)
        .ok_or(BackendError::NotFound("quota"))?;
    Ok((
        StatusCode::CREATED,
        Json(QuotaResponse {
            quota: quota_view(created),
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaPatchInput {
    name: Option<String>,
    capacity: Option<i64>,
}

/// `PATCH /events/{id}/quotas/{quota}` (managers and owners): name and capacity; fields not
/// sent stay. Its ticket types are what it counted from its start, so they are not changed
/// here. A capacity below what is sold and held is refused (`capacity_below_taken`, 409).
#[utoipa::path(
    patch,
    path = "/events/{id}/quotas/{quota}",
    tag = "events",
    operation_id = "update_quota",
    summary = "Change a quota's name or capacity (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
        ("quota" = String, Path, description = "The quota id (`quo_…`)."),
    ),
    request_body = QuotaPatchInput,
    responses(
        (status = 200, description = "The quota with its counters.", body = QuotaResponse),
    )
)]
pub async fn update_quota(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path((id, quota)): Path<(String, String)>,
    Json(patch): Json<QuotaPatchInput>,
) -> BackendResult<Json<QuotaResponse>> {
    let event = event_for(&state, &actor, &id, Action::ManageEvents).await?;
    let quota: QuotaId = quota.parse().map_err(|_| BackendError::NotFound("quota"))?;
    let now = Utc::now();
    let current = events::quotas_of(state.store.primary(), event.id, now)
        .await?
        .into_iter()
        .find(|q| q.id == quota)
        .ok_or(BackendError::NotFound("quota"))?;
    let mut e = FieldErrors::new();
    let name = e.check(
        "name",
        required(
            Some(patch.name.as_deref().unwrap_or(&current.name)),
            "Name the quota.",
        )
        .and_then(|n| short_text(Some(n), 120).map(Option::unwrap_or_default)),
    );
    let capacity = e.check(
        "capacity",
        Capacity::from_i64(patch.capacity.unwrap_or(current.capacity)),
    );
    let (Some(name), Some(capacity)) = (name, capacity) else {
        return Err(e.into());
    };
    let capacity = i64::from(capacity.get());
    // Places leased to the purchase engine count as held on the ticket types but not on the
    // quota: give them back first, so the capacity is checked against what buyers hold and
    // bought.
    let mut tx = state.store.begin().await?;
    bilten_store::leases::settle(
        &mut tx,
        bilten_store::leases::Which::TicketTypes(&current.ticket_type_ids),
        now,
        bilten_store::leases::Counters::Lock,
    )
    .await?;
    events::update_quota(&mut *tx, quota, event.id, &name, capacity)
        .await
        .map_err(|e| match e {
            e if e.violates(Constraint::QuotasNoOversell) => BackendError::conflict(
                ErrorCode::CapacityBelowTaken,
                "The capacity cannot go below the tickets already sold or held.",
            ),
            StoreError::NotFound => BackendError::NotFound("quota"),
            other => other.into(),
        })?;
    tx.commit().await.map_err(StoreError::from)?;
    let quotas = events::quotas_of(state.store.primary(), event.id, now).await?;
    let stored = quotas
        .iter()
        .find(|q| q.id == quota)
        .ok_or(BackendError::NotFound("quota"))?;
    Ok(Json(QuotaResponse {
        quota: quota_view(stored),
    }))
}

/// `GET /events/{id}/quotas` (members).
#[utoipa::path(
    get,
    path = "/events/{id}/quotas",
    tag = "events",
    operation_id = "list_quotas",
    summary = "The event's quotas (members)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "Every quota with its counters.", body = QuotaList),
    )
)]
pub async fn list_quotas(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<QuotaList>> {
    let event = event_for(&state, &actor, &id, Action::ViewOrganization).await?;
    let quotas = events::quotas_of(state.store.primary(), event.id, Utc::now()).await?;
    let items: Vec<Quota> = quotas.iter().map(quota_view).collect();
    Ok(Json(QuotaList { items }))
}

/// `PATCH /ticket-types/{id}` (managers and owners): fields not sent stay. Lowering the
/// capacity below what is sold and held is refused by the database constraint.
#[utoipa::path(
    patch,
    path = "/ticket-types/{id}",
    tag = "events",
    operation_id = "update_ticket_type",
    summary = "Change a ticket type (managers)",
    params(
        ("id" = String, Path, description = "The ticket type id (`tty_…`)."),
    ),
    request_body = TicketTypeInput,
    responses(
        (status = 200, description = "The ticket type with counters.", body = TicketTypeResponse),
    )
)]
pub async fn update_ticket_type(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(patch): Json<TicketTypeInput>,
) -> BackendResult<Json<TicketTypeResponse>> {
    let id: TicketTypeId = id
        .parse()
        .map_err(|_| BackendError::NotFound("ticket type"))?;
    let now = Utc::now();
    let current = events::find_ticket_type(state.store.primary(), id, now)
        .await?
        .ok_or(BackendError::NotFound("ticket type"))?;
    let event = load_event(&state, current.event_id).await?;
    authorize_in(
        &state,
        &actor,
        event.organization_id,
        Action::ManageEvents,
        "ticket type",
    )
    .await?;
    let merged = TicketTypeInput {
        name: patch.name.or(Some(current.name.clone())),
        description: patch.description.or(Some(current.description.clone())),
        price: patch.price.or(Some(current.price_minor)),
        capacity: patch.capacity.or(Some(current.capacity)),
        sales_start: patch
            .sales_start
            .or(current.sales_start.map(|t| t.to_rfc3339())),
        sales_end: patch
            .sales_end
            .or(current.sales_end.map(|t| t.to_rfc3339())),
        min_per_order: patch.min_per_order.or(Some(current.min_per_order)),
        max_per_order: patch.max_per_order.or(Some(current.max_per_order)),
        visibility: patch
            .visibility
            .or(Some(current.visibility.as_str().to_owned())),
    };
    let currency = Currency::parse(&event.fields.currency)
        .map_err(|err| BackendError::Internal(err.to_string()))?;
    let mut updated = parse_ticket_type(&merged, event.id, currency)?;
    updated.id = id;
    // Places leased to the purchase engine count as held: give them back first, so the
    // capacity is checked against what buyers hold and bought.
    let mut tx = state.store.begin().await?;
    bilten_store::leases::settle(
        &mut tx,
        bilten_store::leases::Which::TicketTypes(&[id]),
        now,
        bilten_store::leases::Counters::Lock,
    )
    .await?;
    events::update_ticket_type(&mut *tx, &updated, now)
        .await
        .map_err(|e| match e {
            e if e.violates(Constraint::TicketTypesNoOversell) => BackendError::conflict(
                ErrorCode::CapacityBelowTaken,
                "The capacity cannot go below the tickets already sold or held.",
            ),
            other => other.into(),
        })?;
    tx.commit().await.map_err(StoreError::from)?;
    let quotas = events::quotas_of(state.store.primary(), event.id, now).await?;
    let stored = events::find_ticket_type(state.store.primary(), id, now)
        .await?
        .ok_or(BackendError::NotFound("ticket type"))?;
    let available = effective_available(&stored, &quotas);
    Ok(Json(TicketTypeResponse {
        ticket_type: ticket_type_view(&stored, available, &event.fields.currency, true, now)?,
    }))
}
