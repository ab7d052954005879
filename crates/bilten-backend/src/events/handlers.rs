//! Events, their ticket types and quotas: organizer endpoints and the public listing.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bilten_api::events::{
    Event, EventDetail, EventList, EventResponse, EventStatus, PromoPreview, Quota, QuotaList,
    QuotaResponse, SalesPhase, TicketType, TicketTypeList, TicketTypeResponse, Visibility,
};
use bilten_api::Page;
use bilten_domain::event::SalesPhase as DomainPhase;
use bilten_domain::{
    Capacity, Category, Coordinates, Country, Currency, EventId, EventTitle, FieldError,
    FieldErrors, Money, QuotaId, SalesWindow, TicketTypeId, TimeZoneName,
};
use bilten_http::ErrorCode;
use bilten_http::{Json, Query};
use bilten_store::events::{
    self, EventFields, EventRecord, ListingFilter, NewTicketType, QuotaRecord, TicketTypeRecord,
};
use bilten_store::{Constraint, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::current_user::{CurrentUser, MaybeUser};
use crate::authz::{authorize_in, role_in, Action};
use crate::error::{BackendError, BackendResult};
use crate::idempotency::{self, Scope};
use crate::organizations::handlers::parse_org_id;
use crate::AppState;

const PAGE_DEFAULT: i64 = 20;
const PAGE_MAX: i64 = 100;

pub fn parse_event_id(text: &str) -> BackendResult<EventId> {
    text.parse().map_err(|_| BackendError::NotFound("event"))
}

/// The event, or 404.
pub async fn load_event(state: &AppState, id: EventId) -> BackendResult<EventRecord> {
    events::find_event(state.store.primary(), id)
        .await?
        .ok_or(BackendError::NotFound("event"))
}

/// Loads an event and checks the caller may do `action` in its organization.
pub(crate) async fn event_for(
    state: &AppState,
    actor: &CurrentUser,
    id: &str,
    action: Action,
) -> BackendResult<EventRecord> {
    let event = load_event(state, parse_event_id(id)?).await?;
    authorize_in(state, actor, event.organization_id, action, "event").await?;
    Ok(event)
}

// ---------------------------------------------------------------------------------------
// Request parsing

/// Event fields as sent; all optional so one response can name every bad field, and so the
/// same shape serves create (missing = required error) and patch (missing = unchanged).
#[derive(Deserialize, Serialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    title: Option<String>,
    description: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    timezone: Option<String>,
    venue_name: Option<String>,
    venue_address: Option<String>,
    city: Option<String>,
    country: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    online_url: Option<String>,
    currency: Option<String>,
    category: Option<String>,
    image_url: Option<String>,
    hold_minutes: Option<i64>,
    buyer_cap: Option<i64>,
}

fn required<'a>(value: Option<&'a str>, message: &str) -> Result<&'a str, FieldError> {
    match value.map(str::trim) {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(FieldError::new("required", message)),
    }
}

fn parse_time(value: Option<&str>) -> Result<DateTime<Utc>, FieldError> {
    let text = required(
        value,
        "Give a time (RFC 3339, e.g. 2027-05-01T20:00:00+02:00).",
    )?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| FieldError::new("invalid_time", "Use RFC 3339, e.g. 2027-05-01T20:00:00Z."))
}

pub(crate) fn parse_optional_time(
    value: Option<&str>,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    match value {
        None => Ok(None),
        Some(text) => parse_time(Some(text)).map(Some),
    }
}

fn short_text(value: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(FieldError::new(
            "invalid",
            format!("Use at most {max} characters, no control characters."),
        ));
    }
    Ok(Some(text.to_owned()))
}

fn http_url(value: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(text) = short_text(value, 2000)? else {
        return Ok(None);
    };
    if (text.starts_with("https://") || text.starts_with("http://"))
        && !text.contains(char::is_whitespace)
        && text.len() > "https://".len()
    {
        Ok(Some(text))
    } else {
        Err(FieldError::new("invalid_url", "Use an http(s) URL."))
    }
}

fn bounded(value: Option<i64>, default: i64, min: i64, max: i64) -> Result<i64, FieldError> {
    let value = value.unwrap_or(default);
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            "out_of_range",
            format!("Use a number from {min} to {max}."),
        ))
    }
}

/// Where an event happens, parsed.
struct Place {
    venue_name: Option<String>,
    venue_address: Option<String>,
    city: Option<String>,
    country: Option<String>,
    coordinates: Option<Coordinates>,
    online_url: Option<String>,
}

/// A place to go: a venue (name, city, country; address and coordinates optional) or an
/// online URL. Errors go into `e`.
fn parse_place(input: &EventInput, e: &mut FieldErrors) -> Option<Place> {
    let venue_name = e.check("venue_name", short_text(input.venue_name.as_deref(), 200));
    let venue_address = e.check(
        "venue_address",
        short_text(input.venue_address.as_deref(), 500),
    );
    let city = e.check("city", short_text(input.city.as_deref(), 120));
    let country = e.check(
        "country",
        input.country.as_deref().map(Country::parse).transpose(),
    );
    let coordinates = match (input.latitude, input.longitude) {
        (Some(lat), Some(lon)) => e.check("latitude", Coordinates::new(lat, lon).map(Some)),
        (None, None) => Some(None),
        _ => {
            e.add(
                "longitude",
                FieldError::new("incomplete", "Give both latitude and longitude."),
            );
            None
        }
    };
    let online_url = e.check("online_url", http_url(input.online_url.as_deref()));
    let place = Place {
        venue_name: venue_name?,
        venue_address: venue_address?,
        city: city?,
        country: country?.map(|c| c.as_str().to_owned()),
        coordinates: coordinates?,
        online_url: online_url?,
    };
    let has_venue = place.venue_name.is_some() && place.city.is_some() && place.country.is_some();
    if !has_venue && place.online_url.is_none() {
        e.add(
            "venue_name",
            FieldError::new(
                "venue_or_online_required",
                "Give a venue (name, city, country) or an online URL.",
            ),
        );
        return None;
    }
    Some(place)
}

/// Parses and checks a complete event description.
fn parse_event(input: &EventInput) -> Result<EventFields, FieldErrors> {
    let mut e = FieldErrors::new();
    let title = e.check(
        "title",
        required(input.title.as_deref(), "Give the event a title.").and_then(EventTitle::parse),
    );
    let description = e.check(
        "description",
        match input.description.as_deref() {
            Some(d) if d.chars().count() > 20_000 => {
                Err(FieldError::new("too_long", "Use at most 20000 characters."))
            }
            d => Ok(d.unwrap_or_default().trim().to_owned()),
        },
    );
    let starts_at = e.check("starts_at", parse_time(input.starts_at.as_deref()));
    let ends_at = e.check("ends_at", parse_time(input.ends_at.as_deref()));
    if let (Some(start), Some(end)) = (starts_at, ends_at) {
        if end <= start {
            e.add(
                "ends_at",
                FieldError::new("before_start", "The event must end after it starts."),
            );
        }
    }
    let timezone = e.check(
        "timezone",
        required(input.timezone.as_deref(), "Give an IANA time zone.")
            .and_then(TimeZoneName::parse),
    );
    let place = parse_place(input, &mut e);
    let currency = e.check(
        "currency",
        required(input.currency.as_deref(), "Give a currency such as EUR.")
            .and_then(Currency::parse),
    );
    let category = e.check(
        "category",
        required(input.category.as_deref(), "Choose a category.").and_then(Category::parse),
    );
    let image_url = e.check("image_url", http_url(input.image_url.as_deref()));
    let hold_minutes = e.check("hold_minutes", bounded(input.hold_minutes, 15, 1, 1440));
    let buyer_cap = e.check("buyer_cap", bounded(input.buyer_cap, 10, 1, 1000));
    let fields = (|| {
        let place = place?;
        Some(EventFields {
            title: title?.as_str().to_owned(),
            description: description?,
            starts_at: starts_at?,
            ends_at: ends_at?,
            timezone: timezone?.as_str().to_owned(),
            venue_name: place.venue_name,
            venue_address: place.venue_address,
            city: place.city,
            country: place.country,
            latitude: place.coordinates.map(|c| c.lat()),
            longitude: place.coordinates.map(|c| c.lon()),
            online_url: place.online_url,
            currency: currency?.code().to_owned(),
            category: category?.as_str().to_owned(),
            image_url: image_url?,
            hold_minutes: hold_minutes?,
            buyer_cap: buyer_cap?,
        })
    })();
    match fields {
        Some(fields) if e.is_empty() => Ok(fields),
        _ => Err(e),
    }
}

/// The current values as input, so a patch is merged and then validated as a whole.
fn input_from(f: &EventFields) -> EventInput {
    EventInput {
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        starts_at: Some(f.starts_at.to_rfc3339()),
        ends_at: Some(f.ends_at.to_rfc3339()),
        timezone: Some(f.timezone.clone()),
        venue_name: f.venue_name.clone(),
        venue_address: f.venue_address.clone(),
        city: f.city.clone(),
        country: f.country.clone(),
        latitude: f.latitude,
        longitude: f.longitude,
        online_url: f.online_url.clone(),
        currency: Some(f.currency.clone()),
        category: Some(f.category.clone()),
        image_url: f.image_url.clone(),
        hold_minutes: Some(f.hold_minutes),
        buyer_cap: Some(f.buyer_cap),
    }
}

fn merge(current: EventInput, patch: EventInput) -> EventInput {
    EventInput {
        title: patch.title.or(current.title),
        description: patch.description.or(current.description),
        starts_at: patch.starts_at.or(current.starts_at),
        ends_at: patch.ends_at.or(current.ends_at),
        timezone: patch.timezone.or(current.timezone),
        venue_name: patch.venue_name.or(current.venue_name),
        venue_address: patch.venue_address.or(current.venue_address),
        city: patch.city.or(current.city),
        country: patch.country.or(current.country),
        latitude: patch.latitude.or(current.latitude),
        longitude: patch.longitude.or(current.longitude),
        online_url: patch.online_url.or(current.online_url),
        currency: patch.currency.or(current.currency),
        category: patch.category.or(current.category),
        image_url: patch.image_url.or(current.image_url),
        hold_minutes: patch.hold_minutes.or(current.hold_minutes),
        buyer_cap: patch.buyer_cap.or(current.buyer_cap),
    }
}

// ---------------------------------------------------------------------------------------
// Views

/// An event as the API shows it.
pub(crate) fn event_view(e: &EventRecord) -> Event {
    let f = &e.fields;
    Event {
        id: e.id,
        organization_id: e.organization_id,
        // The table's CHECK allows only the three statuses and the catalogue's categories.
        status: EventStatus::parse(&e.status).unwrap_or(EventStatus::Draft),
        title: f.title.clone(),
        description: f.description.clone(),
        starts_at: f.starts_at,
        ends_at: f.ends_at,
        timezone: f.timezone.clone(),
        venue_name: f.venue_name.clone(),
        venue_address: f.venue_address.clone(),
        city: f.city.clone(),
        country: f.country.clone(),
        latitude: f.latitude,
        longitude: f.longitude,
        online_url: f.online_url.clone(),
        currency: f.currency.clone(),
        category: Category::parse(&f.category).unwrap_or(Category::Other),
        image_url: f.image_url.clone(),
        hold_minutes: f.hold_minutes,
        buyer_cap: f.buyer_cap,
        published_at: e.published_at,
        moderation_locked: e.moderation_locked_at.is_some(),
    }
}

pub fn sales_window(t: &TicketTypeRecord) -> SalesWindow {
    SalesWindow::new(t.sales_start, t.sales_end).unwrap_or(SalesWindow::ALWAYS)
}

/// A ticket type as buyers see it; `organizer` adds the counters. `currency` is the event's,
/// valid since the event was created.
fn ticket_type_view(
    t: &TicketTypeRecord,
    available: i64,
    currency: &str,
    organizer: bool,
    now: DateTime<Utc>,
) -> BackendResult<TicketType> {
    let currency = Currency::parse(currency).map_err(|e| BackendError::Internal(e.to_string()))?;
    let sales_phase = match sales_window(t).phase(now) {
        DomainPhase::NotOpen => SalesPhase::NotOpen,
        DomainPhase::Closed => SalesPhase::Closed,
        DomainPhase::Open if available == 0 => SalesPhase::SoldOut,
        DomainPhase::Open => SalesPhase::OnSale,
    };
    let counter = |value: i64| organizer.then_some(value);
    Ok(TicketType {
        id: t.id,
        name: t.name.clone(),
        description: t.description.clone(),
        price: Money::new(t.price_minor, currency),
        available,
        sales_start: t.sales_start,
        sales_end: t.sales_end,
        sales_phase,
        min_per_order: t.min_per_order,
        max_per_order: t.max_per_order,
        capacity: counter(t.capacity),
        sold: counter(t.sold),
        held: counter(t.held - t.lapsed),
        visibility: if organizer {
            Some(if t.visibility == "hidden" {
                Visibility::Hidden
            } else {
                Visibility::Public
            })
        } else {
            None
        },
    })
}

fn quota_view(q: &QuotaRecord) -> Quota {
    Quota {
        id: q.id,
        name: q.name.clone(),
        capacity: q.capacity,
        sold: q.sold,
        held: q.held - q.lapsed,
        available: q.available(),
        ticket_type_ids: q.ticket_type_ids.clone(),
    }
}

/// What a buyer could take of a ticket type now: its own room, shrunk to what each quota it
/// belongs to has left.
pub(crate) fn effective_available(t: &TicketTypeRecord, quotas: &[QuotaRecord]) -> i64 {
    quotas
        .iter()
        .filter(|q| q.ticket_type_ids.contains(&t.id))
        .map(QuotaRecord::available)
        .fold(t.available(), i64::min)
}

// ---------------------------------------------------------------------------------------
// Handlers: events

/// `POST /organizations/{id}/events`: a draft (managers and owners).
#[utoipa::path(
    post,
    path = "/organizations/{id}/events",
    tag = "events",
    operation_id = "create_event",
    summary = "Create a draft event (managers)",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: 1–255 visible ASCII characters; the same key with the same request replays the first answer (24 hours)."),
        ("id" = String, Path, description = "The organization id (`org_…`)."),
    ),
    request_body = EventInput,
    responses(
        (status = 201, description = "The draft.", body = EventResponse),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    actor: CurrentUser,
    headers: HeaderMap,
    Path(org): Path<String>,
    Json(body): Json<EventInput>,
) -> BackendResult<Response> {
    let key = idempotency::key(&headers)?;
    let hash = idempotency::request_hash(&(actor.user_id, &org, &body));
    // Boxed: the operation's future is large, the key's bookkeeping should not carry it.
    let work = Box::pin(async {
        create_now(State(state.clone()), actor, Path(org.clone()), Json(body))
            .await
            .map(IntoResponse::into_response)
    });
    idempotency::run(&state, Scope::CreateEvent, key, || hash, work).await
}

/// The operation itself; [`create`] runs it once per `Idempotency-Key`.
async fn create_now(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(org): Path<String>,
    Json(body): Json<EventInput>,
) -> BackendResult<(StatusCode, Json<EventResponse>)> {
    let org = parse_org_id(&org)?;
    authorize_in(&state, &actor, org, Action::ManageEvents, "organization").await?;
    let fields = parse_event(&body)?;
    let id = EventId::new();
    events::insert_event(state.store.primary(), id, org, &fields, Utc::now()).await?;
    let event = load_event(&state, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(EventResponse {
            event: event_view(&event),
        }),
    ))
}

/// `GET /organizations/{id}/events`: every event of the organization, drafts included.
#[utoipa::path(
    get,
    path = "/organizations/{id}/events",
    tag = "events",
    operation_id = "list_organization_events",
    summary = "Every event of an organization (members)",
    params(
        ("id" = String, Path, description = "The organization id (`org_…`)."),
    ),
    responses(
        (status = 200, description = "Every event, drafts included.", body = EventList),
    )
)]
pub async fn list_for_organization(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(org): Path<String>,
) -> BackendResult<Json<EventList>> {
    let org = parse_org_id(&org)?;
    authorize_in(
        &state,
        &actor,
        org,
        Action::ViewOrganization,
        "organization",
    )
    .await?;
    let list = events::events_of_organization(state.store.primary(), org).await?;
    let items: Vec<Event> = list.iter().map(event_view).collect();
    Ok(Json(EventList { items }))
}

/// `PATCH /events/{id}`: fields not sent stay as they are.
#[utoipa::path(
    patch,
    path = "/events/{id}",
    tag = "events",
    operation_id = "update_event",
    summary = "Change an event (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    request_body = EventInput,
    responses(
        (status = 200, description = "The event.", body = EventResponse),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
    Json(patch): Json<EventInput>,
) -> BackendResult<Json<EventResponse>> {
    let event = event_for(&state, &actor, &id, Action::ManageEvents).await?;
    if event.status == "canceled" {
        return Err(BackendError::conflict(
            ErrorCode::EventCanceled,
            "This event is canceled.",
        ));
    }
    let currency_change = patch
        .currency
        .as_deref()
        .is_some_and(|c| !c.trim().eq_ignore_ascii_case(&event.fields.currency));
    let fields = parse_event(&merge(input_from(&event.fields), patch))?;
    if currency_change {
        let types = events::ticket_types_of(state.store.primary(), event.id, Utc::now()).await?;
        if !types.is_empty() {
            return Err(BackendError::field(
                "currency",
                "currency_locked",
                "The currency cannot change once ticket types exist.",
            ));
        }
    }
    events::update_event(state.store.primary(), event.id, &fields, Utc::now()).await?;
    let event = load_event(&state, event.id).await?;
    Ok(Json(EventResponse {
        event: event_view(&event),
    }))
}

/// `POST /events/{id}/publish`: a draft with at least one ticket type goes on sale, unless a
/// platform admin unpublished it and has not released it (`409 moderation_locked`).
#[utoipa::path(
    post,
    path = "/events/{id}/publish",
    tag = "events",
    operation_id = "publish_event",
    summary = "Publish a draft (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 200, description = "The event, on sale.", body = EventResponse),
    )
)]
pub async fn publish(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<Json<EventResponse>> {
    let event = event_for(&state, &actor, &id, Action::ManageEvents).await?;
    if !events::publish(state.store.primary(), event.id, Utc::now()).await? {
        // Refused: read the event again to say why (it may have changed meanwhile).
        let event = load_event(&state, event.id).await?;
        return Err(if event.status != "draft" {
            BackendError::conflict(ErrorCode::NotADraft, "Only a draft can be published.")
        } else if event.moderation_locked_at.is_some() {
            BackendError::conflict(
                ErrorCode::ModerationLocked,
                "A platform admin took this event off sale; it can be published again once \
                 an admin releases it.",
            )
        } else {
            BackendError::conflict(
                ErrorCode::NoTicketTypes,
                "Add at least one ticket type before publishing.",
            )
        });
    }
    let event = load_event(&state, event.id).await?;
    Ok(Json(EventResponse {
        event: event_view(&event),
    }))
}

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
    if event.status == "draft" && !member {
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
        Some(Ok(code)) => crate::promo::handlers::usable_code(&state, event.id, &code, now)
            .await
            .ok(),
        _ => None,
    };
    let ticket_types = types
        .iter()
        .filter(|t| {
            member
                || t.visibility == "public"
                || promo_code
                    .as_ref()
                    .is_some_and(|p| crate::promo::handlers::reveals(p, t.id))
        })
        .map(|t| {
            let available = effective_available(t, &quotas);
            ticket_type_view(t, available, &event.fields.currency, member, now)
        })
        .collect::<BackendResult<Vec<_>>>()?;
    let preview = match (&promo_code, Currency::parse(&event.fields.currency)) {
        (Some(p), Ok(currency)) => Some(PromoPreview {
            code: p.code.clone(),
            discount: crate::promo::handlers::discount_of(p, currency).ok(),
            ticket_type_ids: p.ticket_type_ids.clone(),
        }),
        _ => None,
    };
    Ok(Json(EventDetail {
        event: event_view(&event),
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
    let items: Vec<Event> = page.iter().map(event_view).collect();
    Ok(Json(Page {
        items,
        next_cursor: next,
    }))
}

// ---------------------------------------------------------------------------------------
// Handlers: ticket types and quotas

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
        match body.visibility.as_deref().unwrap_or("public") {
            v @ ("public" | "hidden") => Ok(v.to_owned()),
            _ => Err(FieldError::new("invalid", "Use public or hidden.")),
        },
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
    if event.status == "canceled" {
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
        visibility: patch.visibility.or(Some(current.visibility.clone())),
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
        bilten_store::leases::Counters::Lock(state.store.dialect()),
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

/// `DELETE /events/{id}` (managers and owners): only a draft, which has no orders.
#[utoipa::path(
    delete,
    path = "/events/{id}",
    tag = "events",
    operation_id = "delete_event",
    summary = "Delete a draft (managers)",
    params(
        ("id" = String, Path, description = "The event id (`evt_…`)."),
    ),
    responses(
        (status = 204, description = "Deleted."),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    actor: CurrentUser,
    Path(id): Path<String>,
) -> BackendResult<StatusCode> {
    let event = event_for(&state, &actor, &id, Action::ManageEvents).await?;
    if events::delete_draft(state.store.primary(), event.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(BackendError::conflict(
            ErrorCode::NotADraft,
            "Only a draft can be deleted; cancel a published event instead.",
        ))
    }
}
