//! Queries on `event_translations`: an event's title and description in another language
//! (migration 0021). The event's own `title` and `description` stay on `events`; a language
//! without a row here shows those.

use bilten_domain::EventId;
use bilten_i18n::Locale;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::decode::Columns;
use crate::{to_millis, Exec, StoreResult};

/// One event's title and description in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTranslation {
    pub event_id: EventId,
    pub locale: Locale,
    pub title: String,
    pub description: String,
}

/// Sets the event's title and description in `locale`, replacing what it had in that
/// language. False when there is no such event (one conditional statement: a draft deleted
/// meanwhile is not a foreign-key failure).
pub async fn put<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    locale: Locale,
    title: &str,
    description: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&PUT)
        .bind(event.to_db())
        .bind(locale.code())
        .bind(title)
        .bind(description)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes the event's text in `locale`. False when it had none.
pub async fn remove<'e>(ex: impl Exec<'e>, event: EventId, locale: Locale) -> StoreResult<bool> {
    let done = sqlx::query(&REMOVE)
        .bind(event.to_db())
        .bind(locale.code())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The event's translations, in locale order (`en`, `de`, `es` sort alphabetically as
/// `de`, `en`, `es`; the caller gets them by code).
pub async fn of_event<'e>(ex: impl Exec<'e>, event: EventId) -> StoreResult<Vec<EventTranslation>> {
    let rows = sqlx::query(&OF_EVENT)
        .bind(event.to_db())
        .fetch_all(ex)
        .await?;
    rows.iter().map(decode).collect()
}

/// The translations of several events (a listing page) in one statement, by event then
/// locale. Empty `events`: no statement.
pub async fn of_events<'e>(
    ex: impl Exec<'e>,
    events: &[EventId],
) -> StoreResult<Vec<EventTranslation>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let sql = of_events_sql(events.len());
    let mut query = sqlx::query(&sql);
    for event in events {
        query = query.bind(event.to_db());
    }
    let rows = query.fetch_all(ex).await?;
    rows.iter().map(decode).collect()
}

/// The event's title in `locale`, if it has one (mails and PDFs of an order in that
/// language).
pub async fn title_in<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    locale: Locale,
) -> StoreResult<Option<String>> {
    use sqlx::Row as _;
    let row = sqlx::query(&TITLE_IN)
        .bind(event.to_db())
        .bind(locale.code())
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|r| r.try_get::<String, _>("title")).transpose()?)
}

fn decode(row: &AnyRow) -> StoreResult<EventTranslation> {
    use sqlx::Row as _;
    Ok(EventTranslation {
        event_id: row.parsed("event_id", EventId::from_db)?,
        locale: row.text_enum("locale")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
    })
}

/// The `SELECT` of [`of_events`] for `n` events: `IN ($1, …, $n)`.
fn of_events_sql(n: usize) -> String {
    let placeholders = (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT event_id, locale, title, description FROM event_translations
         WHERE event_id IN ({placeholders}) ORDER BY event_id, locale"
    )
}

/// Every text built here (see `crate::sql`).
pub(crate) fn built(_: crate::Dialect) -> Vec<(String, String)> {
    [1, 3]
        .into_iter()
        .map(|n| (format!("of_events({n})"), of_events_sql(n)))
        .collect()
}

crate::sql::statements! {
    PUT = "INSERT INTO event_translations (event_id, locale, title, description, updated_at)
        SELECT e.id, $2, $3, $4, $5 FROM events e WHERE e.id = $1
        ON CONFLICT (event_id, locale) DO UPDATE SET title = excluded.title,
        description = excluded.description, updated_at = excluded.updated_at";
    REMOVE = "DELETE FROM event_translations WHERE event_id = $1 AND locale = $2";
    OF_EVENT = "SELECT event_id, locale, title, description FROM event_translations
        WHERE event_id = $1 ORDER BY locale";
    TITLE_IN = "SELECT title FROM event_translations WHERE event_id = $1 AND locale = $2";
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_listing_statement_has_a_placeholder_per_event() {
        assert!(of_events_sql(1).contains("IN ($1)"));
        assert!(of_events_sql(3).contains("IN ($1, $2, $3)"));
    }
}
