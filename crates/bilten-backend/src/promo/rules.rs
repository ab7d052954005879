//! How an order finds and prices its code: the usable code for a text, what it reveals, its
//! discount over an order's lines. The public listing and the purchase engine apply them.

use bilten_domain::promo::{apply, Discount, DiscountedTotals, LineAmount};
use bilten_domain::DiscountKind;
use bilten_domain::{Currency, EventId, FieldError, Money, Price, PromoCode, TicketTypeId};
use bilten_store::promo::{self, PromoRecord};
use chrono::{DateTime, Utc};

use crate::error::{BackendError, BackendResult};
use crate::AppState;

/// The discount a stored code gives, in the event's currency.
pub fn discount_of(record: &PromoRecord, currency: Currency) -> BackendResult<Discount> {
    let corrupt = |e: FieldError| BackendError::Internal(format!("promo {}: {e:?}", record.id));
    match record.discount_kind {
        DiscountKind::Percent => {
            Discount::percent(u32::try_from(record.discount_value).unwrap_or(0)).map_err(corrupt)
        }
        DiscountKind::Fixed => Price::from_minor(record.discount_value, currency)
            .and_then(Discount::fixed)
            .map_err(corrupt),
    }
}

/// The event's code for `text` if it is usable now; `promo_code_invalid` otherwise (unknown,
/// malformed, inactive, outside its window — one answer, so guessing learns nothing more).
pub async fn usable_code(
    state: &AppState,
    event: EventId,
    text: &PromoCode,
    now: DateTime<Utc>,
) -> BackendResult<PromoRecord> {
    match promo::find_by_code(state.store.primary(), event, text.as_str()).await? {
        Some(record) if record.usable_at(now) => Ok(record),
        _ => Err(BackendError::PromoInvalid),
    }
}

/// Whether `record` makes a hidden ticket type `id` visible and purchasable.
pub fn reveals(record: &PromoRecord, id: TicketTypeId) -> bool {
    record.reveals_hidden && record.applies_to(id)
}

/// Prices lines `(ticket type, quantity × unit price)` with the code: the discount of the
/// eligible lines, spread by largest remainder. `promo_code_not_applicable` when no line is
/// eligible. Never negative: a fixed discount is capped at the eligible subtotal.
pub fn price_with(
    record: &PromoRecord,
    currency: Currency,
    lines: &[(TicketTypeId, Money)],
) -> BackendResult<DiscountedTotals> {
    if !lines.iter().any(|(id, _)| record.applies_to(*id)) {
        return Err(BackendError::PromoNotApplicable);
    }
    let amounts: Vec<LineAmount> = lines
        .iter()
        .map(|(id, amount)| LineAmount {
            amount: *amount,
            eligible: record.applies_to(*id),
        })
        .collect();
    apply(&discount_of(record, currency)?, currency, &amounts)
        .map_err(|e| BackendError::Internal(e.to_string()))
}
