//! How events, ticket types and quotas are shown: the contract's types from the stored rows,
//! with availability as buyers see it.

use bilten_api::events::{
    Event, EventTranslation as TranslationView, Quota, SalesPhase, TicketType,
};
use bilten_domain::event::SalesPhase as DomainPhase;
use bilten_domain::{Category, Currency, Money, SalesWindow};
use bilten_store::event_translations::{self, EventTranslation};
use bilten_store::events::{EventRecord, QuotaRecord, TicketTypeRecord};
use bilten_store::Exec;
use chrono::{DateTime, Utc};

use crate::error::{BackendError, BackendResult};

/// The event's title for a reader of `locale` (an order's mails and its PDF tickets): its
/// translation in that language when the organizer gave one, else its own title.
pub(crate) async fn title_in<'e>(
    ex: impl Exec<'e>,
    event: bilten_domain::EventId,
    own: &str,
    locale: bilten_i18n::Locale,
) -> BackendResult<String> {
    Ok(event_translations::title_in(ex, event, locale)
        .await?
        .unwrap_or_else(|| own.to_owned()))
}

/// An event with its translations, read with `ex` (see [`event_view`]).
pub(crate) async fn event_answer<'e>(ex: impl Exec<'e>, e: &EventRecord) -> BackendResult<Event> {
    let translations = event_translations::of_event(ex, e.id).await?;
    Ok(event_view(e, &translations))
}

/// Events with their translations, read in one statement with `ex` (a listing page).
pub(crate) async fn events_answer<'e>(
    ex: impl Exec<'e>,
    list: &[EventRecord],
) -> BackendResult<Vec<Event>> {
    let ids: Vec<_> = list.iter().map(|e| e.id).collect();
    let translations = event_translations::of_events(ex, &ids).await?;
    Ok(list.iter().map(|e| event_view(e, &translations)).collect())
}

/// An event as the API shows it, with those of `translations` that are its own, in the
/// order of `Locale::ALL`.
pub(crate) fn event_view(e: &EventRecord, translations: &[EventTranslation]) -> Event {
    let mut own: Vec<TranslationView> = translations
        .iter()
        .filter(|t| t.event_id == e.id)
        .map(|t| TranslationView {
            locale: t.locale,
            title: t.title.clone(),
            description: t.description.clone(),
        })
        .collect();
    own.sort_by_key(|t| t.locale);
    let f = &e.fields;
    Event {
        id: e.id,
        organization_id: e.organization_id,
        status: e.status,
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
        translations: own,
    }
}

pub fn sales_window(t: &TicketTypeRecord) -> SalesWindow {
    SalesWindow::new(t.sales_start, t.sales_end).unwrap_or(SalesWindow::ALWAYS)
}

/// A ticket type as buyers see it; `organizer` adds the counters. `currency` is the event's,
/// valid since the event was created.
pub(crate) fn ticket_type_view(
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
        visibility: if organizer { Some(t.visibility) } else { None },
    })
}

pub(crate) fn quota_view(q: &QuotaRecord) -> Quota {
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
