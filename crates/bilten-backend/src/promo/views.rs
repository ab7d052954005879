//! A promo code as the organizer's API shows it.

use bilten_api::promo::PromoCode as PromoCodeView;
use bilten_domain::Currency;
use bilten_store::promo::PromoRecord;

use super::rules::discount_of;

/// A stored code with its discount, uses left and window.
pub fn promo_view(record: &PromoRecord, currency: Currency) -> PromoCodeView {
    PromoCodeView {
        id: record.id,
        event_id: record.event_id,
        code: record.code.clone(),
        discount: discount_of(record, currency).ok(),
        max_uses: record.max_uses,
        uses: record.uses,
        remaining: record.max_uses.map(|m| (m - record.uses).max(0)),
        valid_from: record.valid_from,
        valid_until: record.valid_until,
        ticket_type_ids: record.ticket_type_ids.clone(),
        reveals_hidden: record.reveals_hidden,
        active: record.active,
        created_at: record.created_at,
    }
}
