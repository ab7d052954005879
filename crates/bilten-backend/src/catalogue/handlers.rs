//! The public listing: `GET /events` (published events, soonest first, filters, keyset
//! cursor), `GET /events/{id}` (with live availability, and what a promo code reveals) and an
//! organizer's public page, `GET /organizers/{id}`.

use axum::extract::{Path, State};
use bilten_api::events::{Event, EventDetail, Organizer, OrganizerPage, PromoPreview};
use bilten_api::Page;
use bilten_domain::{Category, Currency, EventId, FieldError, FieldErrors, OrganizationId};
use bilten_http::{Json, Query};
use bilten_store::events::{self, EventRecord, ListingFilter};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::authz::role_in;
use crate::current_user::MaybeUser;
use crate::error::{BackendError, BackendResult};
use crate::events::lookup::{load_event, parse_event_id};
use crate::events::parse::{bounded, parse_optional_time};
use crate::events::views::{effective_available, event_answer, events_answer, ticket_type_view};
use crate::AppState;

const PAGE_DEFAULT: i64 = 20;
const PAGE_MAX: i64 = 100;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    promo_code: Option<String>,
}

/// `GET /events/{id}`: published events for everyone; drafts only for the organization.
/// Ticket types come with live availability (read on the primary; expired holds do not
/// count). Members also see hidden types and counters. `?promo_code=X` shows the hidden
/// types a usable code reveals, and the code's discount (`promo_code: null` when the code is
/// not usable).
#[utoipa::path(
    get,
    path = "/events/{id}",
    tag = "events",
    operation_id = "get_event",
    summary = "An event with its ticket types",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
        EventQuery,
    ),
    responses(
        (status = 200, description = "The event and its ticket types with live availability (members also see counters and hidden types); `promo_code` when asked.", body = EventDetail),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
    Query(query): Query<EventQuery>,
) -> BackendResult<Json<EventDetail>> {
    let event = load_event(&state, parse_event_id(&id)?).await?;
    let member = match &actor {
        Some(actor) => role_in(&state, actor, event.organization_id)
            .await?
            .is_some(),
        None => false,
    };
    if event.status == bilten_domain::EventStatus::Draft && !member {
        return Err(BackendError::NotFound("event"));
    }
    let now = Utc::now();
    let types = events::ticket_types_of(state.store.primary(), event.id, now).await?;
    let quotas = events::quotas_of(state.store.primary(), event.id, now).await?;
    let promo_code = match query
        .promo_code
        .as_deref()
        .map(bilten_domain::PromoCode::parse)
    {
        Some(Ok(code)) => crate::promo::rules::usable_code(&state, event.id, &code, now)
            .await
            .ok(),
        _ => None,
    };
    let ticket_types = types
        .iter()
        .filter(|t| {
            member
                || t.visibility == bilten_domain::Visibility::Public
                || promo_code
                    .as_ref()
                    .is_some_and(|p| crate::promo::rules::reveals(p, t.id))
        })
        .map(|t| {
            let available = effective_available(t, &quotas);
            ticket_type_view(t, available, &event.fields.currency, member, now)
        })
        .collect::<BackendResult<Vec<_>>>()?;
    let preview = match (&promo_code, Currency::parse(&event.fields.currency)) {
        (Some(p), Ok(currency)) => Some(PromoPreview {
            code: p.code.clone(),
            discount: crate::promo::rules::discount_of(p, currency).ok(),
            ticket_type_ids: p.ticket_type_ids.clone(),
        }),
        _ => None,
    };
    let organizer = bilten_store::organizations::find(state.store.primary(), event.organization_id)
        .await?
        .ok_or(BackendError::NotFound("event"))?;
    Ok(Json(EventDetail {
        event: event_answer(state.store.primary(), &event).await?,
        organizer: Organizer {
            id: organizer.id,
            name: organizer.name,
        },
        ticket_types,
        // Asked for: the code or `null`; not asked: absent.
        promo_code: query.promo_code.is_some().then_some(preview),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListingQuery {
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    city: Option<String>,
    category: Option<String>,
    price: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn encode_cursor(e: &EventRecord) -> String {
    format!("{}.{}", e.fields.starts_at.timestamp_millis(), e.id)
}

fn decode_cursor(text: &str) -> Option<(DateTime<Utc>, EventId)> {
    let (millis, id) = text.split_once('.')?;
    let millis: i64 = millis.parse().ok()?;
    Some((
        DateTime::<Utc>::from_timestamp_millis(millis)?,
        id.parse().ok()?,
    ))
}

/// `GET /events`: published events, soonest first, with filters and a keyset cursor.
/// Listings may lag (they read the replica when one is configured).
#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    operation_id = "list_events",
    summary = "Published events",
    params(
        ListingQuery,
    ),
    responses(
        (status = 200, description = "A page, soonest first.", body = Page<Event>),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListingQuery>,
) -> BackendResult<Json<Page<Event>>> {
    let mut e = FieldErrors::new();
    let from = e.check("from", parse_optional_time(query.from.as_deref()));
    let to = e.check("to", parse_optional_time(query.to.as_deref()));
    let category = e.check(
        "category",
        query.category.as_deref().map(Category::parse).transpose(),
    );
    let free = e.check(
        "price",
        match query.price.as_deref() {
            None => Ok(None),
            Some("free") => Ok(Some(true)),
            Some("paid") => Ok(Some(false)),
            Some(_) => Err(FieldError::new("invalid", "Use free or paid.")),
        },
    );
    let after = e.check(
        "cursor",
        query
            .cursor
            .as_deref()
            .map(|c| {
                decode_cursor(c).ok_or_else(|| FieldError::new("invalid", "Not a valid cursor."))
            })
            .transpose(),
    );
    let limit = e.check("limit", bounded(query.limit, PAGE_DEFAULT, 1, PAGE_MAX));
    let (Some(from), Some(to), Some(category), Some(free), Some(after), Some(limit)) =
        (from, to, category, free, after, limit)
    else {
        return Err(e.into());
    };
    let filter = ListingFilter {
        text: query
            .q
            .as_deref()
            .map(|q| {
                q.trim()
                    .to_lowercase()
                    .chars()
                    .take(100)
                    .collect::<String>()
            })
            .filter(|q| !q.is_empty()),
        from,
        to,
        city: query
            .city
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty()),
        category: category.map(|c| c.as_str().to_owned()),
        free,
        after,
    };
    let rows = events::list_published(state.store.read(), &filter, limit + 1).await?;
    let has_more = rows.len() as i64 > limit;
    let page = &rows[..rows.len().min(limit as usize)];
    let next = if has_more {
        page.last().map(encode_cursor)
    } else {
        None
    };
    let items: Vec<Event> = events_answer(state.store.read(), page).await?;
    Ok(Json(Page {
        items,
        next_cursor: next,
    }))
}

/// Most events on an organizer's public page.
const ORGANIZER_EVENTS: i64 = 100;

/// `GET /organizers/{id}`: an organization's name and its published events that have not
/// ended, soonest first (at most 100). An unknown id is 404; an organization with nothing on
/// sale has an empty list.
#[utoipa::path(
    get,
    path = "/organizers/{id}",
    tag = "events",
    operation_id = "get_organizer",
    summary = "An organizer's public page",
    params(
        ("id" = String, Path, description = "The organization id (`org_…`)."),
    ),
    responses(
        (status = 200, description = "The organization's name and its published upcoming events.", body = OrganizerPage),
    )
)]
pub async fn organizer(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> BackendResult<Json<OrganizerPage>> {
    let id: OrganizationId = id
        .parse()
        .map_err(|_| BackendError::NotFound("organizer"))?;
    let organization = bilten_store::organizations::find(state.store.read(), id)
        .await?
        .ok_or(BackendError::NotFound("organizer"))?;
    let rows = events::published_upcoming_of_organization(
        state.store.read(),
        id,
        Utc::now(),
        ORGANIZER_EVENTS,
    )
    .await?;
    Ok(Json(OrganizerPage {
        organizer: Organizer {
            id: organization.id,
            name: organization.name,
        },
        events: events_answer(state.store.read(), &rows).await?,
    }))
}
