//! Queries on `events`, `ticket_types`, `quotas` and `quota_ticket_types`.

use bilten_domain::{
    EventId, EventStatus, OrganizationId, QuotaId, TicketTypeId, Transition, UserId, Visibility,
};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::decode::{bind_transition, Columns};
use crate::{to_millis, Exec, StoreError, StoreResult};

/// The editable description of an event (everything the organizer sets).
#[derive(Debug, Clone, PartialEq)]
pub struct EventFields {
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    pub currency: String,
    pub category: String,
    pub image_url: Option<String>,
    pub hold_minutes: i64,
    pub buyer_cap: i64,
}

#[derive(Debug, Clone)]
pub struct EventRecord {
    pub id: EventId,
    pub organization_id: OrganizationId,
    pub fields: EventFields,
    pub status: EventStatus,
    pub published_at: Option<DateTime<Utc>>,
    /// Set when a platform admin unpublished the event: it cannot be published again until an
    /// admin releases it.
    pub moderation_locked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const EVENT_COLUMNS: &str = "e.id, e.organization_id, e.title, e.description, e.starts_at, \
    e.ends_at, e.timezone, e.venue_name, e.venue_address, e.city, e.country, e.latitude, \
    e.longitude, e.online_url, e.currency, e.category, e.image_url, e.hold_minutes, \
    e.buyer_cap, e.status, e.published_at, e.moderation_locked_at, e.created_at, e.updated_at";

use crate::decode::corrupt;

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds the editable event fields in the order both `insert_event` and `update_event` list
/// them after their leading parameters, so the two statements cannot drift apart. The
/// coordinates come last, through [`float_placeholders`].
fn bind_fields<'q>(query: AnyQuery<'q>, f: &'q EventFields) -> AnyQuery<'q> {
    query
        .bind(f.title.as_str())
        .bind(f.description.as_str())
        .bind(to_millis(f.starts_at))
        .bind(to_millis(f.ends_at))
        .bind(f.timezone.as_str())
        .bind(f.venue_name.as_deref())
        .bind(f.venue_address.as_deref())
        .bind(f.city.as_deref())
        .bind(f.country.as_deref())
        .bind(f.online_url.as_deref())
        .bind(f.currency.as_str())
        .bind(f.category.as_str())
        .bind(f.image_url.as_deref())
        .bind(f.hold_minutes)
        .bind(f.buyer_cap)
}

/// The nullable `DOUBLE PRECISION` values of a statement (latitude, longitude), written so
/// that one SQL text always has the same parameter types: `$n` for each present value,
/// numbered from `first`, and the literal `NULL` for each absent one. Bind the present values
/// with [`bind_floats`].
///
/// Why not bind `Option<f64>`: sqlx's `Any` driver (0.8) turns a NULL `f64` into a NULL
/// *`real`* (float4) for PostgreSQL, and a present value into a `double precision`. A
/// PostgreSQL connection prepares each SQL text once, with the parameter types of its first
/// execution, and reuses that statement: a connection whose first event had no coordinates
/// then refused every later event that had them ("incorrect binary data format in bind
/// parameter 12"), which looked like random failures across the pool. With this, each variant
/// of the text has one typing, whichever execution comes first.
fn float_placeholders<const N: usize>(values: [Option<f64>; N], first: usize) -> [String; N] {
    let mut next = first;
    values.map(|value| match value {
        Some(_) => {
            next += 1;
            format!("${}", next - 1)
        }
        None => "NULL".to_owned(),
    })
}

/// Binds the present values of [`float_placeholders`], in order, always as `f64`.
fn bind_floats<'q>(mut query: AnyQuery<'q>, values: &[Option<f64>]) -> AnyQuery<'q> {
    for value in values.iter().flatten() {
        query = query.bind(*value);
    }
    query
}

pub async fn insert_event<'e>(
    ex: impl Exec<'e>,
    id: EventId,
    organization: OrganizationId,
    f: &EventFields,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let coordinates = [f.latitude, f.longitude];
    let sql = insert_event_sql(coordinates);
    let query = sqlx::query(&sql)
        .bind(id.to_db())
        .bind(organization.to_db());
    let query = bind_fields(query, f).bind(to_millis(now));
    bind_floats(query, &coordinates).execute(ex).await?;
    Ok(())
}

/// Overwrites the editable fields (the service merged the patch into the current values).
pub async fn update_event<'e>(
    ex: impl Exec<'e>,
    id: EventId,
    f: &EventFields,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let coordinates = [f.latitude, f.longitude];
    let sql = update_event_sql(coordinates);
    let query = sqlx::query(&sql).bind(id.to_db());
    let query = bind_fields(query, f).bind(to_millis(now));
    let done = bind_floats(query, &coordinates).execute(ex).await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

pub async fn find_event<'e>(ex: impl Exec<'e>, id: EventId) -> StoreResult<Option<EventRecord>> {
    let row = sqlx::query(&FIND_EVENT)
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode_event).transpose()
}

/// Every event of an organization (drafts too), newest first.
pub async fn events_of_organization<'e>(
    ex: impl Exec<'e>,
    organization: OrganizationId,
) -> StoreResult<Vec<EventRecord>> {
    let rows = sqlx::query(&EVENTS_OF_ORGANIZATION)
        .bind(organization.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode_event).collect()
}

/// An organization's published events that have not ended by `now`, soonest first, at most
/// `limit` (its public page).
pub async fn published_upcoming_of_organization<'e>(
    ex: impl Exec<'e>,
    organization: OrganizationId,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<EventRecord>> {
    let rows = sqlx::query(&PUBLISHED_UPCOMING_OF_ORGANIZATION)
        .bind(organization.to_db())
        .bind(to_millis(now))
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode_event).collect()
}

/// Publishes a draft that has at least one ticket type and no moderation lock, in one
/// conditional statement. Returns false when the event is not a draft, has no ticket type or
/// is locked by moderation (the caller reads the event to say which).
pub async fn publish<'e>(
    ex: impl Exec<'e>,
    id: EventId,
    t: Transition<EventStatus>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&PUBLISH).bind(id.to_db()).bind(to_millis(now));
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// Takes a published event off sale and out of the public listing (platform moderation): it
/// becomes a draft again, visible only to its organization, whose orders and tickets stay as
/// they are, and it is locked: its organizer cannot publish it until an admin calls
/// [`release_moderation`]. One conditional statement; false when the event was not published.
pub async fn unpublish<'e>(
    ex: impl Exec<'e>,
    id: EventId,
    t: Transition<EventStatus>,
    admin: UserId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = sqlx::query(&UNPUBLISH)
        .bind(id.to_db())
        .bind(to_millis(now))
        .bind(admin.to_db());
    let done = bind_transition(query, &t).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// Lifts an event's moderation lock (an admin's decision): its organizer may publish it
/// again. False when it was not locked.
pub async fn release_moderation<'e>(
    ex: impl Exec<'e>,
    id: EventId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&RELEASE_MODERATION)
        .bind(id.to_db())
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Every event on the platform whose title contains `query`, any status, newest first after
/// the `after` cursor: what platform admins moderate.
pub async fn search_all<'e>(
    ex: impl Exec<'e>,
    query: &str,
    after: Option<EventId>,
    limit: i64,
) -> StoreResult<Vec<EventRecord>> {
    let rows = sqlx::query(&SEARCH_ALL)
        .bind(crate::like_contains(query.trim()))
        .bind(after.map_or_else(String::new, |id| id.to_db()))
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode_event).collect()
}

/// Filters of the public listing. Every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct ListingFilter {
    /// Lower-case words matched against title and description.
    pub text: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Lower-case city name, matched exactly (case-insensitive).
    pub city: Option<String>,
    pub category: Option<String>,
    /// `Some(true)`: only events whose every ticket type is free; `Some(false)`: only events
    /// with at least one paid ticket type.
    pub free: Option<bool>,
    /// Keyset cursor: the `(starts_at, id)` of the last event of the previous page.
    pub after: Option<(DateTime<Utc>, EventId)>,
}

/// Published events, soonest first, `limit` rows after the cursor.
pub async fn list_published<'e>(
    ex: impl Exec<'e>,
    filter: &ListingFilter,
    limit: i64,
) -> StoreResult<Vec<EventRecord>> {
    let pattern = filter.text.as_ref().map(|t| {
        let cleaned: String = t
            .chars()
            .filter(|c| !matches!(c, '%' | '_' | '\\'))
            .collect();
        format!("%{cleaned}%")
    });
    let (after_time, after_id) = filter.after.map_or((None, String::new()), |(t, id)| {
        (Some(to_millis(t)), id.to_db())
    });
    let rows = sqlx::query(&LIST_PUBLISHED)
        .bind(pattern)
        .bind(filter.from.map(to_millis))
        .bind(filter.to.map(to_millis))
        .bind(filter.city.clone())
        .bind(filter.category.clone())
        .bind(filter.free.map(i64::from))
        .bind(after_time)
        .bind(after_id)
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode_event).collect()
}

fn decode_event(row: &AnyRow) -> StoreResult<EventRecord> {
    let id: String = row.try_get("id")?;
    let org: String = row.try_get("organization_id")?;
    Ok(EventRecord {
        id: EventId::from_db(&id).map_err(corrupt)?,
        organization_id: OrganizationId::from_db(&org).map_err(corrupt)?,
        fields: EventFields {
            title: row.try_get("title")?,
            description: row.try_get("description")?,
            starts_at: row.time("starts_at")?,
            ends_at: row.time("ends_at")?,
            timezone: row.try_get("timezone")?,
            venue_name: row.try_get("venue_name")?,
            venue_address: row.try_get("venue_address")?,
            city: row.try_get("city")?,
            country: row.try_get("country")?,
            latitude: row.try_get("latitude")?,
            longitude: row.try_get("longitude")?,
            online_url: row.try_get("online_url")?,
            currency: row.try_get("currency")?,
            category: row.try_get("category")?,
            image_url: row.try_get("image_url")?,
            hold_minutes: row.try_get("hold_minutes")?,
            buyer_cap: row.try_get("buyer_cap")?,
        },
        status: row.text_enum("status")?,
        published_at: row.opt_time("published_at")?,
        moderation_locked_at: row.opt_time("moderation_locked_at")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

// ---------------------------------------------------------------------------------------
// Ticket types

#[derive(Debug, Clone)]
pub struct NewTicketType {
    pub id: TicketTypeId,
    pub event_id: EventId,
    pub name: String,
    pub description: String,
    pub price_minor: i64,
    pub capacity: i64,
    pub sales_start: Option<DateTime<Utc>>,
    pub sales_end: Option<DateTime<Utc>>,
    pub min_per_order: i64,
    pub max_per_order: i64,
    pub visibility: Visibility,
}

#[derive(Debug, Clone)]
pub struct TicketTypeRecord {
    pub id: TicketTypeId,
    pub event_id: EventId,
    pub name: String,
    pub description: String,
    pub price_minor: i64,
    pub capacity: i64,
    pub held: i64,
    pub sold: i64,
    /// Tickets of pending orders whose hold has run out but that the expiry worker has not
    /// released yet. They do not count: availability is `capacity - sold - held + lapsed`.
    pub lapsed: i64,
    pub sales_start: Option<DateTime<Utc>>,
    pub sales_end: Option<DateTime<Utc>>,
    pub min_per_order: i64,
    pub max_per_order: i64,
    pub visibility: Visibility,
}

impl TicketTypeRecord {
    /// Tickets a buyer could take now (display; the sale itself is a conditional update).
    pub fn available(&self) -> i64 {
        (self.capacity - self.sold - self.held + self.lapsed).max(0)
    }
}

pub async fn insert_ticket_type<'e>(
    ex: impl Exec<'e>,
    t: &NewTicketType,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let query = sqlx::query(&INSERT_TICKET_TYPE)
        .bind(t.id.to_db())
        .bind(t.event_id.to_db());
    bind_settings(query, t, now).execute(ex).await?;
    Ok(())
}

/// `lapsed` (see [`TicketTypeRecord::lapsed`]) needs the current time.
/// The `INSERT` of [`insert_event`]: coordinates bound when present, else the literal `NULL`.
fn insert_event_sql(coordinates: [Option<f64>; 2]) -> String {
    let [latitude, longitude] = float_placeholders(coordinates, 19);
    format!(
        "INSERT INTO events (id, organization_id, title, description, starts_at, ends_at,
             timezone, venue_name, venue_address, city, country, online_url, currency,
             category, image_url, hold_minutes, buyer_cap, status, created_at, updated_at,
             latitude, longitude)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 'draft', $18, $18, {latitude}, {longitude})"
    )
}

/// The `UPDATE` of [`update_event`], coordinates as in [`insert_event_sql`].
fn update_event_sql(coordinates: [Option<f64>; 2]) -> String {
    let [latitude, longitude] = float_placeholders(coordinates, 18);
    format!(
        "UPDATE events SET title = $2, description = $3, starts_at = $4, ends_at = $5,
             timezone = $6, venue_name = $7, venue_address = $8, city = $9, country = $10,
             online_url = $11, currency = $12, category = $13, image_url = $14,
             hold_minutes = $15, buyer_cap = $16, updated_at = $17,
             latitude = {latitude}, longitude = {longitude}
         WHERE id = $1"
    )
}

fn quotas_of_sql() -> String {
    format!(
        "SELECT q.id, q.event_id, q.name, q.capacity, q.held - {} AS held, q.sold + {} AS sold,
                qt.ticket_type_id,
                CAST(COALESCE((SELECT SUM(l.quantity) FROM order_lines l
                          JOIN orders o ON o.id = l.order_id
                          JOIN quota_ticket_types m ON m.ticket_type_id = l.ticket_type_id
                          WHERE m.quota_id = q.id AND o.status = 'pending'
                            AND o.released_at IS NULL AND o.expires_at <= $2), 0) AS BIGINT)
                    AS lapsed
         FROM quotas q LEFT JOIN quota_ticket_types qt ON qt.quota_id = q.id
         WHERE q.event_id = $1 ORDER BY q.id, qt.ticket_type_id",
        crate::leases::held_by_leases_of_quota("q.id"),
        crate::leases::sold_by_leases_of_quota("q.id"),
    )
}
/// The filters of [`ticket_type_select`].
const TICKET_TYPES_OF_EVENT: &str = "t.event_id = $1";
const TICKET_TYPE_BY_ID: &str = "t.id = $1";

/// Every text built here (see `crate::sql`).
pub(crate) fn built(_: crate::Dialect) -> Vec<(String, String)> {
    let mut built = vec![
        (
            "ticket_type_select(of event)".to_owned(),
            ticket_type_select(TICKET_TYPES_OF_EVENT),
        ),
        (
            "ticket_type_select(by id)".to_owned(),
            ticket_type_select(TICKET_TYPE_BY_ID),
        ),
        ("quotas_of".to_owned(), quotas_of_sql()),
    ];
    for (variant, coordinates) in [
        ("both", [Some(1.0), Some(2.0)]),
        ("none", [None, None]),
        ("latitude only", [Some(1.0), None]),
    ] {
        built.push((
            format!("insert_event({variant})"),
            insert_event_sql(coordinates),
        ));
        built.push((
            format!("update_event({variant})"),
            update_event_sql(coordinates),
        ));
    }
    built
}

fn ticket_type_select(filter: &str) -> String {
    // Places of live inventory leases are for sale, not held by a buyer: out of `held`, and
    // what the leases sold into `sold` (see crate::leases).
    format!(
        "SELECT t.id, t.event_id, t.name, t.description, t.price_minor, t.capacity,
                t.held - {held_by_leases} AS held, t.sold + {sold_by_leases} AS sold,
                t.sales_start, t.sales_end, t.min_per_order, t.max_per_order,
                t.visibility,
                CAST(COALESCE((SELECT SUM(l.quantity) FROM order_lines l
                          JOIN orders o ON o.id = l.order_id
                          WHERE l.ticket_type_id = t.id AND o.status = 'pending'
                            AND o.released_at IS NULL AND o.expires_at <= $2), 0) AS BIGINT)
                    AS lapsed
         FROM ticket_types t WHERE {filter} ORDER BY t.position, t.id",
        held_by_leases = crate::leases::held_by_leases_of_type("t.id"),
        sold_by_leases = crate::leases::sold_by_leases_of_type("t.id"),
    )
}

/// Ticket types of an event with live availability. Read on the primary.
pub async fn ticket_types_of<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    now: DateTime<Utc>,
) -> StoreResult<Vec<TicketTypeRecord>> {
    let rows = sqlx::query(&ticket_type_select(TICKET_TYPES_OF_EVENT))
        .bind(event.to_db())
        .bind(to_millis(now))
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode_ticket_type).collect()
}

/// One ticket type with live availability.
pub async fn find_ticket_type<'e>(
    ex: impl Exec<'e>,
    id: TicketTypeId,
    now: DateTime<Utc>,
) -> StoreResult<Option<TicketTypeRecord>> {
    let row = sqlx::query(&ticket_type_select(TICKET_TYPE_BY_ID))
        .bind(id.to_db())
        .bind(to_millis(now))
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(decode_ticket_type).transpose()
}

/// Binds a ticket type's settings and the time, in the order both `INSERT_TICKET_TYPE` and
/// `UPDATE_TICKET_TYPE` take them after their ids.
fn bind_settings<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    t: &'q NewTicketType,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(&t.name)
        .bind(&t.description)
        .bind(t.price_minor)
        .bind(t.capacity)
        .bind(t.sales_start.map(to_millis))
        .bind(t.sales_end.map(to_millis))
        .bind(t.min_per_order)
        .bind(t.max_per_order)
        .bind(t.visibility.as_str())
        .bind(to_millis(now))
}

/// Overwrites a ticket type's settings (not its counters). A capacity below what is sold and
/// held is refused by `ticket_types_no_oversell` (`StoreError::Check`).
pub async fn update_ticket_type<'e>(
    ex: impl Exec<'e>,
    t: &NewTicketType,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let query = sqlx::query(&UPDATE_TICKET_TYPE).bind(t.id.to_db());
    let done = bind_settings(query, t, now).execute(ex).await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// Deletes a draft event (its ticket types and quotas go with it). False: not a draft.
pub async fn delete_draft<'e>(ex: impl Exec<'e>, id: EventId) -> StoreResult<bool> {
    let done = sqlx::query(&DELETE_DRAFT)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

fn decode_ticket_type(row: &AnyRow) -> StoreResult<TicketTypeRecord> {
    let id: String = row.try_get("id")?;
    let event: String = row.try_get("event_id")?;
    Ok(TicketTypeRecord {
        id: TicketTypeId::from_db(&id).map_err(corrupt)?,
        event_id: EventId::from_db(&event).map_err(corrupt)?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        price_minor: row.try_get("price_minor")?,
        capacity: row.try_get("capacity")?,
        held: row.try_get("held")?,
        sold: row.try_get("sold")?,
        lapsed: row.try_get("lapsed")?,
        sales_start: row.opt_time("sales_start")?,
        sales_end: row.opt_time("sales_end")?,
        min_per_order: row.try_get("min_per_order")?,
        max_per_order: row.try_get("max_per_order")?,
        visibility: row.text_enum("visibility")?,
    })
}

// ---------------------------------------------------------------------------------------
// Quotas

#[derive(Debug, Clone)]
pub struct QuotaRecord {
    pub id: QuotaId,
    pub event_id: EventId,
    pub name: String,
    pub capacity: i64,
    pub held: i64,
    pub sold: i64,
    pub lapsed: i64,
    pub ticket_type_ids: Vec<TicketTypeId>,
}

impl QuotaRecord {
    pub fn available(&self) -> i64 {
        (self.capacity - self.sold - self.held + self.lapsed).max(0)
    }
}

/// Creates a quota over `members` (ticket types of `event`) whose counters start at what those
/// types already hold and sold, so the quota counts every ticket of its members, whenever it
/// was added. Run it in a transaction.
///
/// Why: a quota that started at zero over a type that had sold did not count those sales, and
/// refunding one of them (`sold - n WHERE sold >= n`) was refused, so refunds and event
/// cancellation failed and the order stayed paid.
///
/// The member rows are locked first, by id (the order of every inventory move), so no hold,
/// sale or refund changes them between the sum and the commit; and every move reads the
/// quota memberships only after locking its ticket types, so it either ran before the quota
/// (and is in the sum) or sees the quota. `StoreError::NotFound` when a member is not a
/// ticket type of the event; `StoreError::Check` (`quotas_no_oversell`) when the capacity is
/// below what the members already hold and sold.
pub async fn create_quota(
    conn: &mut sqlx::AnyConnection,
    id: QuotaId,
    event: EventId,
    name: &str,
    capacity: i64,
    members: &[TicketTypeId],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut members = members.to_vec();
    members.sort();
    members.dedup();
    for member in &members {
        let locked = sqlx::query(&CREATE_QUOTA_LOCK_TYPE)
            .bind(member.to_db())
            .bind(event.to_db())
            .execute(&mut *conn)
            .await?;
        if locked.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
    }
    // Leased places are counted as held on the members but not on the new quota: settle the
    // members' leases first, so the quota's starting counts below are exact.
    crate::leases::settle(
        conn,
        crate::leases::Which::TicketTypes(&members),
        now,
        crate::leases::Counters::AlreadyLocked,
    )
    .await?;
    sqlx::query(&CREATE_QUOTA_INSERT)
        .bind(id.to_db())
        .bind(event.to_db())
        .bind(name)
        .bind(capacity)
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
    for member in &members {
        sqlx::query(&CREATE_QUOTA_MEMBER)
            .bind(id.to_db())
            .bind(member.to_db())
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(&CREATE_QUOTA_COUNT_MEMBERS)
        .bind(id.to_db())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Renames a quota of `event` and sets its capacity. Run it in a transaction after settling
/// the leases on its ticket types, so the capacity is checked against what buyers hold and
/// bought. `StoreError::NotFound` when the quota is not the event's; `StoreError::Check`
/// (`quotas_no_oversell`) when the capacity is below what is sold and held.
pub async fn update_quota<'e>(
    ex: impl Exec<'e>,
    id: QuotaId,
    event: EventId,
    name: &str,
    capacity: i64,
) -> StoreResult<()> {
    let done = sqlx::query(&UPDATE_QUOTA)
        .bind(id.to_db())
        .bind(event.to_db())
        .bind(name)
        .bind(capacity)
        .execute(ex)
        .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// Quotas of an event with their members and live availability (one row per member,
/// folded here so the caller's executor is used once).
pub async fn quotas_of<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    now: DateTime<Utc>,
) -> StoreResult<Vec<QuotaRecord>> {
    let sql = quotas_of_sql();
    let rows = sqlx::query(&sql)
        .bind(event.to_db())
        .bind(to_millis(now))
        .fetch_all(ex)
        .await?;
    let mut quotas: Vec<QuotaRecord> = Vec::new();
    for row in &rows {
        let id = row.parsed("id", QuotaId::from_db)?;
        if quotas.last().is_none_or(|q| q.id != id) {
            quotas.push(QuotaRecord {
                id,
                event_id: row.parsed("event_id", EventId::from_db)?,
                name: row.try_get("name")?,
                capacity: row.try_get("capacity")?,
                held: row.try_get("held")?,
                sold: row.try_get("sold")?,
                lapsed: row.try_get("lapsed")?,
                ticket_type_ids: Vec::new(),
            });
        }
        if let Some(member) = row.try_get::<Option<String>, _>("ticket_type_id")? {
            if let Some(quota) = quotas.last_mut() {
                quota
                    .ticket_type_ids
                    .push(TicketTypeId::from_db(&member).map_err(corrupt)?);
            }
        }
    }
    Ok(quotas)
}

crate::sql::statements! {
    FIND_EVENT = format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.id = $1");
    EVENTS_OF_ORGANIZATION =
        format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.organization_id = $1 ORDER BY e.id DESC");
    PUBLISHED_UPCOMING_OF_ORGANIZATION = format!("SELECT {EVENT_COLUMNS} FROM events e
        WHERE e.organization_id = $1 AND e.status = 'published' AND e.ends_at >= $2
        ORDER BY e.starts_at, e.id LIMIT $3");
    SEARCH_ALL = format!("SELECT {EVENT_COLUMNS} FROM events e
        WHERE LOWER(e.title) LIKE $1 ESCAPE '\\' AND ($2 = '' OR e.id < $2)
        ORDER BY e.id DESC LIMIT $3");
    LIST_PUBLISHED = format!("SELECT {EVENT_COLUMNS} FROM events e
        WHERE e.status = 'published'
        AND ($1 IS NULL OR LOWER(e.title) LIKE $1 OR LOWER(e.description) LIKE $1)
        AND ($2 IS NULL OR e.ends_at >= $2)
        AND ($3 IS NULL OR e.starts_at < $3)
        AND ($4 IS NULL OR LOWER(e.city) = $4)
        AND ($5 IS NULL OR e.category = $5)
        AND ($6 IS NULL
        OR ($6 = 1 AND NOT EXISTS (SELECT 1 FROM ticket_types t
        WHERE t.event_id = e.id AND t.price_minor > 0))
        OR ($6 = 0 AND EXISTS (SELECT 1 FROM ticket_types t
        WHERE t.event_id = e.id AND t.price_minor > 0)))
        AND ($7 IS NULL OR e.starts_at > $7 OR (e.starts_at = $7 AND e.id > $8))
        ORDER BY e.starts_at, e.id
        LIMIT $9");
    PUBLISH = "UPDATE events SET published_at = $2, updated_at = $2, status = $3
        WHERE id = $1 AND status = $4 AND moderation_locked_at IS NULL
        AND EXISTS (SELECT 1 FROM ticket_types t WHERE t.event_id = $1)";
    UNPUBLISH = "UPDATE events SET published_at = NULL, updated_at = $2,
        moderation_locked_at = $2, moderation_locked_by = $3, status = $4
        WHERE id = $1 AND status = $5";
    RELEASE_MODERATION =
        "UPDATE events SET moderation_locked_at = NULL, moderation_locked_by = NULL,
        updated_at = $2
        WHERE id = $1 AND moderation_locked_at IS NOT NULL";
    INSERT_TICKET_TYPE =
        "INSERT INTO ticket_types (id, event_id, name, description, price_minor, capacity,
        sales_start, sales_end, min_per_order, max_per_order, visibility, position,
        created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
        (SELECT COUNT(*) FROM ticket_types WHERE event_id = $2), $12, $12)";
    UPDATE_TICKET_TYPE =
        "UPDATE ticket_types SET name = $2, description = $3, price_minor = $4, capacity = $5,
        sales_start = $6, sales_end = $7, min_per_order = $8, max_per_order = $9,
        visibility = $10, updated_at = $11
        WHERE id = $1";
    DELETE_DRAFT = "DELETE FROM events WHERE id = $1 AND status = 'draft'";
    CREATE_QUOTA_LOCK_TYPE = "UPDATE ticket_types SET held = held WHERE id = $1 AND event_id = $2";
    CREATE_QUOTA_INSERT =
        "INSERT INTO quotas (id, event_id, name, capacity, created_at) VALUES ($1, $2, $3, $4, $5)";
    UPDATE_QUOTA = "UPDATE quotas SET name = $3, capacity = $4 WHERE id = $1 AND event_id = $2";
    CREATE_QUOTA_MEMBER = "INSERT INTO quota_ticket_types (quota_id, ticket_type_id) VALUES ($1, $2)";
    CREATE_QUOTA_COUNT_MEMBERS = "UPDATE quotas SET
        held = (SELECT CAST(COALESCE(SUM(t.held), 0) AS BIGINT) FROM ticket_types t
        JOIN quota_ticket_types m ON m.ticket_type_id = t.id
        WHERE m.quota_id = quotas.id),
        sold = (SELECT CAST(COALESCE(SUM(t.sold), 0) AS BIGINT) FROM ticket_types t
        JOIN quota_ticket_types m ON m.ticket_type_id = t.id
        WHERE m.quota_id = quotas.id)
        WHERE id = $1";
}
