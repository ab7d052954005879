//! Queries on `promo_codes` and `promo_code_ticket_types`.
//!
//! A use is consumed by [`take_use`], a conditional update inside the purchase transaction:
//! the database decides under its row lock whether a use is left, so two buyers can never both
//! get the last one (the `promo_codes_within_limit` CHECK backs it up). [`release_use`] gives
//! it back in the transaction that ends the order's hold.

use bilten_domain::{DiscountKind, EventId, PromoCodeId, TicketTypeId};
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{to_millis, Exec, StoreResult};

use crate::decode::{corrupt, Columns};

/// A promo code as stored. `discount_value` is in basis points for a `percent` kind, in minor
/// units of the event currency for `fixed`.
#[derive(Debug, Clone)]
pub struct PromoRecord {
    pub id: PromoCodeId,
    pub event_id: EventId,
    pub code: String,
    pub discount_kind: DiscountKind,
    pub discount_value: i64,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub reveals_hidden: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Empty: the code applies to every ticket type of the event.
    pub ticket_type_ids: Vec<TicketTypeId>,
}

impl PromoRecord {
    /// Whether the code applies to ticket type `id`.
    pub fn applies_to(&self, id: TicketTypeId) -> bool {
        self.ticket_type_ids.is_empty() || self.ticket_type_ids.contains(&id)
    }

    /// Active and inside its validity window at `now`.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.active
            && self.valid_from.is_none_or(|from| from <= now)
            && self.valid_until.is_none_or(|until| now < until)
    }
}

/// Everything a promo code is defined by (insert and full update).
pub struct PromoFields<'a> {
    pub code: &'a str,
    pub discount_kind: DiscountKind,
    pub discount_value: i64,
    pub max_uses: Option<i64>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub reveals_hidden: bool,
    pub active: bool,
}

/// Inserts a promo code; a code the event already has violates
/// [`Constraint::PromoCodesEventCode`](crate::Constraint).
pub async fn insert<'e>(
    ex: impl Exec<'e>,
    id: PromoCodeId,
    event: EventId,
    f: &PromoFields<'_>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&INSERT)
        .bind(id.to_db())
        .bind(event.to_db())
        .bind(f.code)
        .bind(f.discount_kind.as_str())
        .bind(f.discount_value)
        .bind(f.max_uses)
        .bind(f.valid_from.map(to_millis))
        .bind(f.valid_until.map(to_millis))
        .bind(i64::from(f.reveals_hidden))
        .bind(i64::from(f.active))
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn add_ticket_type<'e>(
    ex: impl Exec<'e>,
    promo: PromoCodeId,
    ticket_type: TicketTypeId,
) -> StoreResult<()> {
    sqlx::query(&ADD_TICKET_TYPE)
        .bind(promo.to_db())
        .bind(ticket_type.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn clear_ticket_types<'e>(ex: impl Exec<'e>, promo: PromoCodeId) -> StoreResult<()> {
    sqlx::query(&CLEAR_TICKET_TYPES)
        .bind(promo.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Changes what an organizer may change after creation (limit, window, active, reveal). A
/// limit below the uses already taken is `StoreError::Check` (`promo_codes_within_limit`).
pub async fn update<'e>(
    ex: impl Exec<'e>,
    id: PromoCodeId,
    f: &PromoFields<'_>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(&UPDATE)
        .bind(id.to_db())
        .bind(f.max_uses)
        .bind(f.valid_from.map(to_millis))
        .bind(f.valid_until.map(to_millis))
        .bind(i64::from(f.reveals_hidden))
        .bind(i64::from(f.active))
        .bind(to_millis(now))
        .execute(ex)
        .await?;
    Ok(())
}

const SELECT: &str = "SELECT p.id, p.event_id, p.code, p.discount_kind, p.discount_value,
        p.max_uses, p.uses, p.valid_from, p.valid_until, p.reveals_hidden, p.active,
        p.created_at, m.ticket_type_id
     FROM promo_codes p
     LEFT JOIN promo_code_ticket_types m ON m.promo_code_id = p.id";

/// Folds `SELECT` rows (one per restricted ticket type) into records, keeping row order.
fn fold(rows: &[sqlx::any::AnyRow]) -> StoreResult<Vec<PromoRecord>> {
    let mut out: Vec<PromoRecord> = Vec::new();
    for row in rows {
        let id = row.parsed("id", PromoCodeId::from_db)?;
        let member: Option<String> = row.try_get("ticket_type_id")?;
        let member = member
            .map(|m| TicketTypeId::from_db(&m))
            .transpose()
            .map_err(corrupt)?;
        if let Some(last) = out.last_mut().filter(|p| p.id == id) {
            last.ticket_type_ids.extend(member);
            continue;
        }
        out.push(PromoRecord {
            id,
            event_id: row.parsed("event_id", EventId::from_db)?,
            code: row.try_get("code")?,
            discount_kind: row.text_enum("discount_kind")?,
            discount_value: row.try_get("discount_value")?,
            max_uses: row.try_get("max_uses")?,
            uses: row.try_get("uses")?,
            valid_from: row.opt_time("valid_from")?,
            valid_until: row.opt_time("valid_until")?,
            reveals_hidden: row.try_get::<i64, _>("reveals_hidden")? == 1,
            active: row.try_get::<i64, _>("active")? == 1,
            created_at: row.time("created_at")?,
            ticket_type_ids: member.into_iter().collect(),
        });
    }
    Ok(out)
}

pub async fn find<'e>(ex: impl Exec<'e>, id: PromoCodeId) -> StoreResult<Option<PromoRecord>> {
    let rows = sqlx::query(&FIND).bind(id.to_db()).fetch_all(ex).await?;
    Ok(fold(&rows)?.into_iter().next())
}

/// The event's promo code with this (normalised, upper-case) text.
pub async fn find_by_code<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    code: &str,
) -> StoreResult<Option<PromoRecord>> {
    let rows = sqlx::query(&FIND_BY_CODE)
        .bind(event.to_db())
        .bind(code)
        .fetch_all(ex)
        .await?;
    Ok(fold(&rows)?.into_iter().next())
}

/// Every promo code of an event, newest first.
pub async fn of_event<'e>(ex: impl Exec<'e>, event: EventId) -> StoreResult<Vec<PromoRecord>> {
    let rows = sqlx::query(&OF_EVENT)
        .bind(event.to_db())
        .fetch_all(ex)
        .await?;
    fold(&rows)
}

/// Why [`take_use`] took nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseRefused {
    /// Deactivated, or outside its window, at the moment of the purchase.
    Unusable,
    /// Every use is taken.
    Exhausted,
}

/// Takes one use of a promo code if it is active, inside its window and has a use left. The
/// condition and the increment are one statement, so concurrent purchases (in any number of
/// processes) serialise on the row and never pass `max_uses`.
pub async fn take_use(
    tx: &mut crate::Tx,
    id: PromoCodeId,
    now: DateTime<Utc>,
) -> StoreResult<Result<(), UseRefused>> {
    let now = to_millis(now);
    let done = sqlx::query(&TAKE_USE)
        .bind(id.to_db())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 1 {
        return Ok(Ok(()));
    }
    // Refused: say why (read in the same transaction, so it is the state that refused us).
    let row = sqlx::query(&TAKE_USE_WHY_NOT)
        .bind(id.to_db())
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Ok(Err(UseRefused::Unusable));
    };
    let active = row.try_get::<i64, _>("active")? == 1;
    let from: Option<i64> = row.try_get("valid_from")?;
    let until: Option<i64> = row.try_get("valid_until")?;
    let in_window = from.is_none_or(|f| f <= now) && until.is_none_or(|u| u > now);
    Ok(Err(if active && in_window {
        UseRefused::Exhausted
    } else {
        UseRefused::Unusable
    }))
}

/// Takes a use again for an order paid after its hold was released (which gave the use
/// back). Only the limit is checked: the buyer was entitled to the code when they ordered, so a
/// code deactivated or past its window since then does not matter. False: the uses are gone,
/// and like sold-out tickets the late payment must be refunded.
pub async fn retake_use<'e>(ex: impl Exec<'e>, id: PromoCodeId) -> StoreResult<bool> {
    let done = sqlx::query(&RETAKE_USE)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives one use back (the order carrying it ended its hold).
pub async fn release_use<'e>(ex: impl Exec<'e>, id: PromoCodeId) -> StoreResult<()> {
    sqlx::query(&RELEASE_USE)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// For the invariant check: `(uses, live orders carrying the code)`, where live means a
/// pending order whose hold is not yet released, or a paid one.
pub async fn ledger<'e>(ex: impl Exec<'e>, id: PromoCodeId) -> StoreResult<(i64, i64)> {
    let row = sqlx::query(&LEDGER).bind(id.to_db()).fetch_one(ex).await?;
    Ok((row.try_get("uses")?, row.try_get("live")?))
}

crate::sql::statements! {
    INSERT = "INSERT INTO promo_codes (id, event_id, code, discount_kind, discount_value, max_uses,
        valid_from, valid_until, reveals_hidden, active, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)";
    ADD_TICKET_TYPE =
        "INSERT INTO promo_code_ticket_types (promo_code_id, ticket_type_id) VALUES ($1, $2)";
    CLEAR_TICKET_TYPES = "DELETE FROM promo_code_ticket_types WHERE promo_code_id = $1";
    UPDATE = "UPDATE promo_codes SET max_uses = $2, valid_from = $3, valid_until = $4,
        reveals_hidden = $5, active = $6, updated_at = $7
        WHERE id = $1";
    FIND = format!("{SELECT} WHERE p.id = $1 ORDER BY m.ticket_type_id");
    FIND_BY_CODE =
        format!("{SELECT} WHERE p.event_id = $1 AND p.code = $2 ORDER BY m.ticket_type_id");
    OF_EVENT =
        format!("{SELECT} WHERE p.event_id = $1 ORDER BY p.created_at DESC, p.id, m.ticket_type_id");
    TAKE_USE = "UPDATE promo_codes SET uses = uses + 1
        WHERE id = $1 AND active = 1 AND (max_uses IS NULL OR uses < max_uses)
        AND (valid_from IS NULL OR valid_from <= $2)
        AND (valid_until IS NULL OR valid_until > $2)";
    TAKE_USE_WHY_NOT = "SELECT active, valid_from, valid_until FROM promo_codes WHERE id = $1";
    RETAKE_USE = "UPDATE promo_codes SET uses = uses + 1
        WHERE id = $1 AND (max_uses IS NULL OR uses < max_uses)";
    RELEASE_USE = "UPDATE promo_codes SET uses = uses - 1 WHERE id = $1";
    LEDGER = "SELECT p.uses,
        (SELECT COUNT(*) FROM orders o WHERE o.promo_code_id = p.id
        AND ((o.status = 'pending' AND o.released_at IS NULL)
        OR o.status IN ('paid', 'partially_refunded'))) AS live
        FROM promo_codes p WHERE p.id = $1";
}
