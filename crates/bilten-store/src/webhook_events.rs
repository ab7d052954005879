//! The webhook deduplication ledger (`webhook_events`).

use chrono::{DateTime, Utc};

use crate::{to_millis, Exec, StoreResult};

/// Claims an event id for processing: true for the first delivery, false for a duplicate.
/// Call it in the transaction that applies the event's effect; on PostgreSQL a concurrent
/// duplicate waits on the row until that transaction ends and then sees it.
pub async fn claim<'e>(
    ex: impl Exec<'e>,
    provider: &str,
    event_id: &str,
    event_type: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(&CLAIM)
        .bind(provider)
        .bind(event_id)
        .bind(event_type)
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records what a claimed event did.
pub async fn set_outcome<'e>(
    ex: impl Exec<'e>,
    provider: &str,
    event_id: &str,
    outcome: &str,
) -> StoreResult<()> {
    sqlx::query(&SET_OUTCOME)
        .bind(provider)
        .bind(event_id)
        .bind(outcome)
        .execute(ex)
        .await?;
    Ok(())
}

/// The recorded outcome of an event, if it was processed.
pub async fn outcome<'e>(
    ex: impl Exec<'e>,
    provider: &str,
    event_id: &str,
) -> StoreResult<Option<String>> {
    let outcome: Option<String> = sqlx::query_scalar(&OUTCOME)
        .bind(provider)
        .bind(event_id)
        .fetch_optional(ex)
        .await?;
    Ok(outcome)
}

crate::sql::statements! {
    CLAIM = "INSERT INTO webhook_events (provider, event_id, event_type, outcome, received_at)
        VALUES ($1, $2, $3, 'received', $4)
        ON CONFLICT (provider, event_id) DO NOTHING";
    SET_OUTCOME = "UPDATE webhook_events SET outcome = $3 WHERE provider = $1 AND event_id = $2";
    OUTCOME = "SELECT outcome FROM webhook_events WHERE provider = $1 AND event_id = $2";
}
