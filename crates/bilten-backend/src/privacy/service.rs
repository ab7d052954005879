//! Personal data rules: the export, account deletion, anonymizing an order, and the retention
//! job. Each function owns its transactions; the SQL is `bilten_store::privacy`.

use std::time::Duration;

use bilten_api::privacy::{
    AccountExport, ExportedAccount, ExportedMembership, ExportedOrder, ExportedOrderItem,
    ExportedSession, ExportedTicket,
};
use bilten_domain::{OrderId, UserId};
use bilten_http::ErrorCode;
use bilten_store::privacy::{self, AnonymizeReason};
use bilten_store::{events, orders, organizations, tickets, users, StoreError};
use chrono::{DateTime, Months, Utc};
use tokio_util::sync::CancellationToken;

use crate::error::{BackendError, BackendResult};
use crate::AppState;

/// The version of [`AccountExport`]'s shape.
const EXPORT_FORMAT: u32 = 1;

/// Everything held about `user`.
pub async fn export(state: &AppState, user_id: UserId) -> BackendResult<AccountExport> {
    let db = state.store.primary();
    let user = users::get(db, user_id).await?;
    let memberships = organizations::list_for_user(db, user_id)
        .await?
        .into_iter()
        .map(|(org, role)| ExportedMembership {
            organization_id: org.id,
            organization_name: org.name,
            role,
        })
        .collect();
    let mut exported = Vec::new();
    let verified = user.email_verified_at.map(|_| user.email.as_str());
    for id in privacy::orders_of_user(db, user_id, verified).await? {
        if let Some(order) = export_order(state, id).await? {
            exported.push(order);
        }
    }
    let sessions = privacy::sessions_of_user(db, user_id)
        .await?
        .into_iter()
        .map(|s| ExportedSession {
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            ended_at: s.revoked_at,
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect();
    Ok(AccountExport {
        format: EXPORT_FORMAT,
        exported_at: Utc::now(),
        account: ExportedAccount {
            id: user.id,
            email: user.email.to_string(),
            name: user.name.to_string(),
            role: user.platform_role,
            email_verified_at: user.email_verified_at,
            password_changed_at: user.password_changed_at,
            created_at: user.created_at,
        },
        memberships,
        orders: exported,
        sessions,
        two_factor_enabled: bilten_store::two_factor::enabled(db, user_id).await?,
    })
}

async fn export_order(state: &AppState, id: OrderId) -> BackendResult<Option<ExportedOrder>> {
    let db = state.store.primary();
    let Some(order) = orders::find_order(db, id).await? else {
        return Ok(None);
    };
    let event = events::find_event(db, order.event_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let tickets = tickets::list_for_order(db, id)
        .await?
        .into_iter()
        .map(|t| ExportedTicket {
            id: t.id,
            ticket_type_name: t.ticket_type_name,
            attendee_name: t.attendee_name,
            status: t.status,
            issued_at: t.issued_at,
        })
        .collect();
    Ok(Some(ExportedOrder {
        id: order.id,
        event_title: event.fields.title,
        event_starts_at: event.fields.starts_at,
        status: order.status,
        buyer_email: order.buyer_email,
        buyer_name: order.buyer_name,
        currency: order.currency,
        total_minor: order.total_minor,
        discount_minor: order.discount_minor,
        promo_code: order.promo_code,
        created_at: order.created_at,
        items: order
            .lines
            .into_iter()
            .map(|l| ExportedOrderItem {
                ticket_type_id: l.ticket_type_id,
                ticket_type_name: l.ticket_type_name,
                quantity: l.quantity,
                unit_price_minor: l.unit_price_minor,
                total_minor: l.total_minor,
                attendee_names: l.attendee_names,
            })
            .collect(),
        tickets,
    }))
}

/// Deletes `user`'s account after checking `password`: refused while the account is the only
/// owner of an organization. Its orders are anonymized (kept for accounting), then the
/// account becomes a tombstone, all in one transaction.
pub async fn delete_account(
    state: &AppState,
    user_id: UserId,
    password: String,
) -> BackendResult<()> {
    let user = users::get(state.store.primary(), user_id).await?;
    if !state
        .hasher
        .verify(password, Some(user.password_hash))
        .await?
    {
        return Err(BackendError::field(
            "password",
            "incorrect",
            "The password is wrong.",
        ));
    }
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    // Decided inside the transaction that deletes the memberships, so an owner leaving at the
    // same moment cannot leave an organization without owners.
    let sole = privacy::solely_owned(&mut *tx, user_id).await?;
    if !sole.is_empty() {
        let names: Vec<String> = sole.into_iter().map(|(_, name)| name).collect();
        return Err(BackendError::conflict(
            ErrorCode::LastOwner,
            format!(
                "You are the only owner of {}: make someone else an owner (or remove the organization) first.",
                names.join(", ")
            ),
        ));
    }
    let verified = user.email_verified_at.map(|_| user.email.as_str());
    for order in privacy::orders_of_user(&mut *tx, user_id, verified).await? {
        privacy::anonymize_order(&mut tx, order, AnonymizeReason::AccountDeleted, None, now)
            .await?;
    }
    privacy::delete_account(&mut tx, user_id, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(user = %user_id, "account deleted; its orders are anonymized");
    Ok(())
}

/// Anonymizes one order for its organizer (the caller checked the role). Answers when it was
/// anonymized; an order anonymized before keeps its first record.
pub async fn anonymize_order(
    state: &AppState,
    order: &orders::OrderRecord,
    by: UserId,
) -> BackendResult<DateTime<Utc>> {
    if order.status == bilten_domain::OrderStatus::Pending && order.released_at.is_none() {
        return Err(BackendError::conflict(
            ErrorCode::OrderPending,
            "The order's hold is still open: cancel it or wait until it ends.",
        ));
    }
    let now = Utc::now();
    let mut tx = state.store.begin().await?;
    let done = privacy::anonymize_order(
        &mut tx,
        order.id,
        AnonymizeReason::OrganizerRequest,
        Some(by),
        now,
    )
    .await?;
    let at = privacy::anonymized_at(&mut *tx, order.id)
        .await?
        .unwrap_or(now);
    tx.commit().await.map_err(StoreError::from)?;
    if done {
        tracing::info!(order = %order.id, by = %by, "order anonymized on request");
    }
    Ok(at)
}

/// Orders anonymized per transaction by the retention job.
const RETENTION_BATCH: i64 = 100;

/// Anonymizes every order of an event that ended more than `months` before `now`, and removes
/// what else outlived the period (stale sessions, expired invitations, the text of old mails;
/// sign-in challenges a day after they expired). Idempotent: a second run finds nothing.
/// Returns how many orders it anonymized.
pub async fn apply_retention(
    state: &AppState,
    months: u32,
    now: DateTime<Utc>,
) -> BackendResult<u64> {
    let cutoff = now
        .checked_sub_months(Months::new(months))
        .ok_or_else(|| BackendError::Internal(format!("{months} months before {now}")))?;
    let mut tx = state.store.begin().await?;
    let purged = privacy::purge_stale(&mut tx, cutoff, now - chrono::Duration::days(1)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if purged != privacy::Purged::default() {
        tracing::info!(
            ?purged,
            "retention: stale sessions, invitations and mail texts removed"
        );
    }
    let mut total = 0;
    loop {
        let due =
            privacy::due_for_retention(state.store.primary(), cutoff, RETENTION_BATCH).await?;
        if due.is_empty() {
            return Ok(total);
        }
        let mut tx = state.store.begin().await?;
        let mut anonymized = 0;
        for order in &due {
            if privacy::anonymize_order(&mut tx, *order, AnonymizeReason::Retention, None, now)
                .await?
            {
                anonymized += 1;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        // Orders another process anonymized meanwhile are not counted; the next query no
        // longer finds them either way.
        total += anonymized;
    }
}

/// The retention job: every `every`, [`apply_retention`] with the configured months.
pub struct RetentionWorker {
    state: AppState,
    months: u32,
    every: Duration,
}

impl RetentionWorker {
    /// `None` when the retention period is off.
    pub fn new(state: AppState) -> Option<Self> {
        Some(Self {
            months: state.retention_months?,
            state,
            every: Duration::from_secs(3600),
        })
    }

    pub async fn run(self, shutdown: CancellationToken) {
        // A first pass soon after start, then hourly.
        let mut wait = Duration::from_secs(60);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
            wait = self.every;
            match apply_retention(&self.state, self.months, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    orders = n,
                    months = self.months,
                    "retention: personal data of past events anonymized"
                ),
                Err(error) => tracing::warn!(%error, "retention job failed; retrying later"),
            }
        }
    }
}
