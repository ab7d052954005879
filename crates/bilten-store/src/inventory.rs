//! The inventory counters — `held` and `sold` on ticket types and on quotas — and the only
//! ways they move.
//!
//! Every move is one `UPDATE` of one counter row, conditional where it could break a limit:
//! taking stock checks `sold + held + n <= capacity` and giving sold stock back checks
//! `sold >= n`, so the database decides under its row lock, never a read in Rust before the
//! write. The `CHECK`s on both tables (`sold + held <= capacity`, `held >= 0`, `sold >= 0`)
//! back every move up. Callers move rows in one fixed order — ticket types by id, then quotas
//! by id — so concurrent purchases, releases, completions and refunds cannot deadlock.

use std::collections::BTreeMap;

use bilten_domain::{EventId, QuotaId, TicketTypeId};

use crate::{Exec, StoreResult};

/// One counter row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    TicketType(TicketTypeId),
    Quota(QuotaId),
}

/// What happens to `n` tickets (or quota places).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    /// Available → held (a purchase's hold). Refused when fewer than `n` are left.
    Hold,
    /// Held → available (a hold expired or was canceled).
    Release,
    /// Held → sold (a held order completed).
    SellHeld,
    /// Available → sold (a late payment whose hold was already released). Refused when fewer
    /// than `n` are left.
    Sell,
    /// Sold → available (a refund or a canceled event). Refused when fewer than `n` are sold.
    Unsell,
}

impl Movement {
    /// The `SET` list and the extra `WHERE` condition of the move; `$2` is `n`.
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            Self::Hold => ("held = held + $2", "AND sold + held + $2 <= capacity"),
            Self::Release => ("held = held - $2", ""),
            Self::SellHeld => ("held = held - $2, sold = sold + $2", ""),
            Self::Sell => ("sold = sold + $2", "AND sold + held + $2 <= capacity"),
            Self::Unsell => ("sold = sold - $2", "AND sold >= $2"),
        }
    }
}

/// Moves `n` on one counter. False when the move's condition refused it (not enough left, or
/// not that many sold) or the row does not exist; the caller then rolls its transaction back
/// or reports sold-out.
pub async fn shift<'e>(
    ex: impl Exec<'e>,
    counter: Counter,
    movement: Movement,
    n: i64,
) -> StoreResult<bool> {
    let (table, id) = match counter {
        Counter::TicketType(id) => ("ticket_types", id.to_db()),
        Counter::Quota(id) => ("quotas", id.to_db()),
    };
    let sql = shift_sql(table, movement);
    let done = sqlx::query(&sql).bind(id).bind(n).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// The `UPDATE` of [`shift`]. Only static text is formatted in: the table, the `SET` list
/// and the condition.
fn shift_sql(table: &str, movement: Movement) -> String {
    let (set, condition) = movement.sql();
    format!("UPDATE {table} SET {set} WHERE id = $1 {condition}")
}

/// Every text [`shift`] sends (see `crate::sql`).
pub(crate) fn built(_: crate::Dialect) -> Vec<(String, String)> {
    let movements = [
        Movement::Hold,
        Movement::Release,
        Movement::SellHeld,
        Movement::Sell,
        Movement::Unsell,
    ];
    ["ticket_types", "quotas"]
        .into_iter()
        .flat_map(|table| {
            movements
                .into_iter()
                .map(move |m| (format!("shift({table}, {m:?})"), shift_sql(table, m)))
        })
        .collect()
}

/// How many of the given tickets per type fall into each of the event's quotas, in quota id
/// order (the lock order). A ticket type may belong to several quotas.
pub async fn quota_shares<'e>(
    ex: impl Exec<'e>,
    event: EventId,
    per_type: &BTreeMap<TicketTypeId, i64>,
) -> StoreResult<BTreeMap<QuotaId, i64>> {
    let mut shares: BTreeMap<QuotaId, i64> = BTreeMap::new();
    for (quota, ticket_type) in crate::orders::quota_memberships(ex, event).await? {
        if let Some(n) = per_type.get(&ticket_type) {
            *shares.entry(quota).or_default() += n;
        }
    }
    Ok(shares)
}
