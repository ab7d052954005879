//! Tickets and the keys that verify them.
//!
//! - `GET /events/{id}/ticket-keys` — public: the event's Ed25519 public keys, so anyone
//!   (a scanner, an auditor) can check a code offline. Drafts answer 404 to non-members.
//! - `POST /events/{id}/ticket-keys/rotate` — manager+: a new key version signs new codes;
//!   older keys stay published and keep verifying the codes already sent.
//! - `GET /events/{id}/revoked?since=<cursor>` — organization members (staff+): codes
//!   revoked since the cursor. Not public: it would tell anyone how many tickets an event
//!   refunded or re-issued, and scanners read it through their own (device) credentials.
//! - `GET /me/tickets`, `GET /tickets/{id}`, `…/qr.svg`, `…/pdf` — the buyer (account or
//!   `X-Order-Key` of the ticket's order) or a member of the event's organization; anyone else
//!   gets 404.
//! - `PATCH /tickets/{id}` `{attendee_name}` — the buyer, until the event starts. The ticket
//!   is re-issued: a new ticket (new id, new code) replaces it, the old one becomes
//!   `revoked` and its code goes on the revocation list, all in one transaction.

use bilten_domain::TicketStatus;
use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::tickets::{
    ReissuedTicket, RenameTicketRequest, RevokedCode, RevokedCodes, RotatedKeys, Ticket, TicketKey,
    TicketKeys, TicketResponse,
};
use bilten_api::Page;
use bilten_domain::ticket_code::TicketClaims;
use bilten_domain::{DisplayName, EventId, FieldError, FieldErrors, TicketId};
use bilten_http::ErrorCode;
use bilten_http::{Json, Query};
use bilten_store::tickets::{self, NewTicket, TicketRecord};
use bilten_store::StoreError;
use chrono::{DateTime, Utc};

use crate::authz::{authorize_in, decide, role_in, Action};
use crate::current_user::{CurrentUser, MaybeUser};
use crate::error::{BackendError, BackendResult};
use crate::events::lookup::{load_event, parse_event_id};
use crate::orders::access::order_key_presented;
use crate::orders::views::ticket_view;
use crate::qr::QrMatrix;
use crate::signing;
use crate::tickets::confirmation::{venue_lines, when_text};
use crate::tickets::render::{ticket_pdf, TicketSheet};
use crate::AppState;

/// The ticket if the caller may see it; the flag says "buyer" (may change it).
async fn visible_ticket(
    state: &AppState,
    actor: Option<&CurrentUser>,
    headers: &HeaderMap,
    id: &str,
) -> BackendResult<(TicketRecord, bool)> {
    let id: TicketId = id.parse().map_err(|_| BackendError::NotFound("ticket"))?;
    let ticket = tickets::find(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("ticket"))?;
    if order_key_presented(state, headers, ticket.order_id) {
        return Ok((ticket, true));
    }
    let Some(actor) = actor else {
        return Err(BackendError::NotFound("ticket"));
    };
    if ticket.buyer_user_id == Some(actor.user_id) {
        return Ok((ticket, true));
    }
    let role = role_in(state, actor, ticket.organization_id).await?;
    decide(role, Action::ViewOrganization, "ticket")?;
    Ok((ticket, false))
}

/// Tickets carry their codes: never cache them in shared caches.
const PRIVATE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "private, no-store");

/// `GET /tickets/{id}`.
#[utoipa::path(
    get,
    path = "/tickets/{id}",
    tag = "tickets",
    operation_id = "get_ticket",
    summary = "A ticket",
    params(
        ("id" = String, Path, description = "The ticket id (`tkt_…`)."),
        ("X-Order-Key" = Option<String>, Header, description = "The order's `access_key`, for a guest without an account."),
    ),
    responses(
        (status = 200, description = "The ticket.", body = TicketResponse),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> BackendResult<Response> {
    let (ticket, _) = visible_ticket(&state, actor.as_ref(), &headers, &id).await?;
    let ticket = ticket_view(&ticket);
    Ok(([PRIVATE], Json(TicketResponse { ticket })).into_response())
}

/// `GET /tickets/{id}/qr.svg`.
#[utoipa::path(
    get,
    path = "/tickets/{id}/qr.svg",
    tag = "tickets",
    operation_id = "get_ticket_qr",
    summary = "The ticket's QR code",
    params(
        ("id" = String, Path, description = "The ticket id (`tkt_…`)."),
        ("X-Order-Key" = Option<String>, Header, description = "The order's `access_key`, for a guest without an account."),
    ),
    responses(
        (status = 200, description = "An SVG image.", body = String, content_type = "image/svg+xml"),
    )
)]
pub async fn qr_svg(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> BackendResult<Response> {
    let (ticket, _) = visible_ticket(&state, actor.as_ref(), &headers, &id).await?;
    let svg = QrMatrix::encode(&ticket.code)?.to_svg();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), PRIVATE], svg).into_response())
}

/// `GET /tickets/{id}/pdf`.
#[utoipa::path(
    get,
    path = "/tickets/{id}/pdf",
    tag = "tickets",
    operation_id = "get_ticket_pdf",
    summary = "The ticket as a one-page PDF",
    params(
        ("id" = String, Path, description = "The ticket id (`tkt_…`)."),
        ("X-Order-Key" = Option<String>, Header, description = "The order's `access_key`, for a guest without an account."),
    ),
    responses(
        (status = 200, description = "A PDF.", body = Vec<u8>, content_type = "application/pdf"),
    )
)]
pub async fn pdf(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> BackendResult<Response> {
    let (t, _) = visible_ticket(&state, actor.as_ref(), &headers, &id).await?;
    // In the language the caller asks for (the web app passes the page's), else English.
    let locale = crate::language::asked(&headers);
    let title =
        crate::events::views::title_in(state.store.primary(), t.event_id, &t.event_title, locale)
            .await?;
    let when = when_text(
        locale,
        t.event_starts_at,
        t.event_ends_at,
        &t.event_timezone,
    );
    let venue = venue_lines(
        locale,
        t.venue_name.as_deref(),
        t.venue_address.as_deref(),
        t.city.as_deref(),
        t.country.as_deref(),
        t.online_url.as_deref(),
    );
    let ticket_id = t.id.to_string();
    let qr = QrMatrix::encode(&t.code)?;
    let bytes = ticket_pdf(
        &TicketSheet {
            locale,
            event_title: &title,
            when: &when,
            venue: &venue,
            holder: &t.attendee_name,
            ticket_type: &t.ticket_type_name,
            ticket_id: &ticket_id,
            order_id: &t.order_id.to_string(),
            code: &t.code,
        },
        &qr,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"ticket-{ticket_id}.pdf\""),
            ),
            (PRIVATE.0, PRIVATE.1.to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// `PATCH /tickets/{id}`: the buyer renames the attendee; the ticket is re-issued.
#[utoipa::path(
    patch,
    path = "/tickets/{id}",
    tag = "tickets",
    operation_id = "rename_ticket",
    summary = "Re-issue a ticket for another name (the buyer)",
    params(
        ("id" = String, Path, description = "The ticket id (`tkt_…`)."),
        ("X-Order-Key" = Option<String>, Header, description = "The order's `access_key`, for a guest without an account."),
    ),
    request_body = RenameTicketRequest,
    responses(
        (status = 200, description = "A new ticket; the old one is revoked.", body = ReissuedTicket),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<RenameTicketRequest>,
) -> BackendResult<Response> {
    let (old, is_buyer) = visible_ticket(&state, actor.as_ref(), &headers, &id).await?;
    if !is_buyer {
        return Err(BackendError::Forbidden);
    }
    let mut e = FieldErrors::new();
    let name = e.check(
        "attendee_name",
        body.attendee_name
            .as_deref()
            .ok_or_else(|| FieldError::new("required", "Give the attendee's name."))
            .and_then(DisplayName::parse),
    );
    let Some(name) = name else {
        return Err(e.into());
    };
    let now = Utc::now();
    if now >= old.event_starts_at {
        return Err(BackendError::conflict(
            ErrorCode::EventStarted,
            "The event has started; tickets can no longer be changed.",
        ));
    }
    if old.status != TicketStatus::Valid {
        return Err(ticket_not_valid());
    }
    let (key_version, signer) = signing::current_signer(&state, old.event_id).await?;
    let new_id = TicketId::new();
    let code = signer.sign(&TicketClaims::new(new_id, old.ticket_type_id));
    let mut tx = state.store.begin().await?;
    let replaced = tickets::reissue(
        &mut tx,
        old.id,
        TicketStatus::revoke(),
        &NewTicket {
            id: new_id,
            order_id: old.order_id,
            event_id: old.event_id,
            ticket_type_id: old.ticket_type_id,
            attendee_name: name.as_str(),
            code: &code,
            key_version,
            now,
        },
    )
    .await?;
    if !replaced {
        tx.rollback().await.map_err(StoreError::from)?;
        return Err(ticket_not_valid());
    }
    tx.commit().await.map_err(StoreError::from)?;
    let ticket = tickets::find(state.store.primary(), new_id)
        .await?
        .ok_or(BackendError::NotFound("ticket"))?;
    Ok((
        [PRIVATE],
        Json(ReissuedTicket {
            ticket: ticket_view(&ticket),
            replaces: old.id,
        }),
    )
        .into_response())
}

fn ticket_not_valid() -> BackendError {
    BackendError::conflict(
        ErrorCode::TicketNotValid,
        "This ticket was canceled or replaced; use its newest version.",
    )
}

/// `GET /me/tickets?cursor=…&limit=…`: tickets of orders bought with this account, newest
/// first.
#[utoipa::path(
    get,
    path = "/me/tickets",
    tag = "tickets",
    operation_id = "list_my_tickets",
    summary = "The caller's tickets",
    params(
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page."),
        ("limit" = Option<i64>, Query, description = "1–500, default 100."),
    ),
    responses(
        (status = 200, description = "A page, newest first.", body = Page<Ticket>),
    )
)]
pub async fn mine(
    State(state): State<AppState>,
    actor: CurrentUser,
    Query(query): Query<HashMap<String, String>>,
) -> BackendResult<Json<Page<Ticket>>> {
    let limit = parse_limit(query.get("limit"))?;
    let after = match query.get("cursor") {
        Some(text) => Some(
            decode_ticket_cursor(text)
                .ok_or_else(|| BackendError::field("cursor", "invalid", "Not a valid cursor."))?,
        ),
        None => None,
    };
    let page = tickets::list_for_user(state.store.primary(), actor.user_id, after, limit).await?;
    let next = (page.len() as i64 == limit)
        .then(|| {
            page.last()
                .map(|t| format!("{}.{}", t.issued_at.timestamp_millis(), t.id))
        })
        .flatten();
    Ok(Json(Page {
        items: page.iter().map(ticket_view).collect(),
        next_cursor: next,
    }))
}

fn parse_limit(text: Option<&String>) -> BackendResult<i64> {
    match text {
        None => Ok(100),
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| BackendError::field("limit", "out_of_range", "Between 1 and 500.")),
    }
}

fn decode_ticket_cursor(text: &str) -> Option<(DateTime<Utc>, TicketId)> {
    let (millis, id) = text.split_once('.')?;
    Some((
        DateTime::<Utc>::from_timestamp_millis(millis.parse().ok()?)?,
        id.parse().ok()?,
    ))
}

fn key_views(keys: &[tickets::EventKeyRecord]) -> BackendResult<Vec<TicketKey>> {
    keys.iter()
        .map(|k| {
            Ok(TicketKey {
                version: k.key_version,
                key_id: k.key_id.clone(),
                public_key: k.public_key.clone(),
                status: k.status,
                created_at: k.created_at,
            })
        })
        .collect()
}

/// `GET /events/{id}/ticket-keys`: public keys; codes name theirs by `key_id`.
#[utoipa::path(
    get,
    path = "/events/{id}/ticket-keys",
    tag = "tickets",
    operation_id = "get_ticket_keys",
    summary = "The event's public signing keys",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "The keys; `signing_version` signs new codes.", body = TicketKeys),
    )
)]
pub async fn keys(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
) -> BackendResult<Json<TicketKeys>> {
    let event = load_event(&state, parse_event_id(&id)?).await?;
    if event.status == bilten_domain::EventStatus::Draft {
        let Some(actor) = actor else {
            return Err(BackendError::NotFound("event"));
        };
        let role = role_in(&state, &actor, event.organization_id).await?;
        decide(role, Action::ViewOrganization, "event")?;
    }
    let keys = signing::published_keys(&state, event.id).await?;
    let signing_version = keys
        .iter()
        .filter(|k| k.status == bilten_domain::KeyStatus::Active)
        .map(|k| k.key_version)
        .max();
    Ok(Json(TicketKeys {
        event_id: event.id,
        algorithm: "Ed25519".to_owned(),
        signing_version,
        keys: key_views(&keys)?,
    }))
}

/// `POST /events/{id}/ticket-keys/rotate`: new codes are signed with a new key from now on.
#[utoipa::path(
    post,
    path = "/events/{id}/ticket-keys/rotate",
    tag = "tickets",
    operation_id = "rotate_ticket_keys",
    summary = "Add the next signing key (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 201, description = "The new signing version and every key.", body = RotatedKeys),
    )
)]
pub async fn rotate(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Response> {
    let event = load_event(&state, parse_event_id(&id)?).await?;
    authorize_in(
        &state,
        &actor,
        event.organization_id,
        Action::ManageEvents,
        "event",
    )
    .await?;
    let version = signing::rotate(&state, event.id).await?;
    let keys = tickets::list_keys(state.store.primary(), event.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(RotatedKeys {
            signing_version: version,
            keys: key_views(&keys)?,
        }),
    )
        .into_response())
}

/// `GET /events/{id}/revoked?since=<cursor>&limit=…`: codes revoked after the cursor,
/// oldest first, and the cursor to ask with next time (the same one when nothing is new).
#[utoipa::path(
    get,
    path = "/events/{id}/revoked",
    tag = "tickets",
    operation_id = "list_revoked_codes",
    summary = "Codes revoked after a cursor",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
        ("since" = Option<String>, Query, description = "The `next_cursor` of the last answer; absent: from the start."),
        ("limit" = Option<i64>, Query, description = "Items per page."),
    ),
    responses(
        (status = 200, description = "Revoked codes, oldest first.", body = RevokedCodes),
    )
)]
pub async fn revoked(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> BackendResult<Json<RevokedCodes>> {
    let event_id: EventId = parse_event_id(&id)?;
    let event = load_event(&state, event_id).await?;
    authorize_in(
        &state,
        &actor,
        event.organization_id,
        Action::ViewOrganization,
        "event",
    )
    .await?;
    let limit = parse_limit(query.get("limit"))?;
    let since = query.get("since").filter(|s| !s.is_empty());
    let after = match since {
        Some(text) => Some(
            text.split_once('.')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id)))
                .ok_or_else(|| BackendError::field("since", "invalid", "Not a valid cursor."))?,
        ),
        None => None,
    };
    let page = tickets::revocations_since(state.store.primary(), event.id, after, limit).await?;
    let next = page
        .last()
        .map(|r| format!("{}.{}", r.revoked_at.timestamp_millis(), r.id))
        .or_else(|| since.cloned());
    let items = page
        .iter()
        .map(|r| {
            Ok(RevokedCode {
                code: r.code.clone(),
                ticket_id: r.ticket_id,
                reason: r.reason,
                revoked_at: r.revoked_at,
            })
        })
        .collect::<BackendResult<_>>()?;
    Ok(Json(RevokedCodes {
        items,
        next_cursor: next,
        has_more: page.len() as i64 == limit,
    }))
}
