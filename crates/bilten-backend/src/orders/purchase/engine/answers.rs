//! The answers a batch builds for its buyers from what it holds.

use bilten_domain::OrderStatus;
use bilten_domain::{Currency, EventId, Money, OrderId};
use bilten_store::purchase::LockedInventory;
use chrono::{DateTime, Utc};

use super::{Entry, Priced};
use crate::orders::purchase::views::{BuyerView, LineView, OrderView, TicketEventView};

pub(super) fn attendee_names_json(names: &[String]) -> String {
    if names.iter().all(String::is_empty) {
        "[]".to_owned()
    } else {
        serde_json::to_string(names).unwrap_or_else(|_| "[]".to_owned())
    }
}

pub(super) fn ticket_event_view(inventory: &LockedInventory) -> TicketEventView {
    let e = &inventory.event;
    TicketEventView {
        title: e.title.clone(),
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        timezone: e.timezone.clone(),
        venue_name: e.venue_name.clone(),
        venue_address: e.venue_address.clone(),
        city: e.city.clone(),
        country: e.country.clone(),
        online_url: e.online_url.clone(),
    }
}

pub(super) fn order_view(
    id: OrderId,
    event: EventId,
    entry: &Entry,
    p: &Priced,
    currency: Currency,
    now: DateTime<Utc>,
) -> OrderView {
    let money = |minor: i64| Money::new(minor, currency);
    OrderView {
        id,
        event_id: event,
        status: OrderStatus::Paid,
        expires_at: now,
        buyer: BuyerView {
            email: entry.purchase.email.as_str().to_owned(),
            name: entry.purchase.name.as_str().to_owned(),
        },
        lines: p
            .lines
            .iter()
            .map(|l| LineView {
                ticket_type_id: l.ticket_type_id,
                name: l.name.clone(),
                quantity: l.quantity,
                unit_price: money(l.unit_price_minor),
                discount: money(l.discount_minor),
                total: money(l.quantity * l.unit_price_minor - l.discount_minor),
            })
            .collect(),
        quantity: p.quantity,
        promo_code: entry.promo.as_ref().map(|p| p.code.clone()),
        subtotal: money(p.total.minor() + p.discount),
        discount: money(p.discount),
        total: p.total,
        created_at: now,
        refunded: None,
    }
}
