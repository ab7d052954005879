//! How an order and its tickets are shown: the contract's `Order` and `Ticket` from the
//! stored rows. The tickets room and the checkout show tickets the same way.

use bilten_api::orders::{Buyer, Order, OrderLine};
use bilten_api::tickets::{Ticket, TicketEvent};
use bilten_domain::Money;
use bilten_store::orders::OrderRecord;
use bilten_store::tickets::TicketRecord;
use chrono::{DateTime, Utc};

use crate::error::BackendResult;

/// An order as the API shows it. A pending order whose hold has run out reads as `expired`
/// even before the worker has marked it.
pub fn order_view(order: &OrderRecord, now: DateTime<Utc>) -> BackendResult<Order> {
    let status = order.status.shown(order.expires_at <= now);
    let currency = crate::views::currency(&order.currency)?;
    let money = |minor: i64| Money::new(minor, currency);
    Ok(Order {
        id: order.id,
        event_id: order.event_id,
        status,
        expires_at: order.expires_at,
        buyer: Buyer {
            email: order.buyer_email.clone(),
            name: order.buyer_name.clone(),
        },
        lines: order
            .lines
            .iter()
            .map(|l| OrderLine {
                ticket_type_id: l.ticket_type_id,
                name: l.ticket_type_name.clone(),
                quantity: l.quantity,
                unit_price: money(l.unit_price_minor),
                discount: money(l.discount_minor),
                total: money(l.total_minor),
            })
            .collect(),
        quantity: order.quantity,
        promo_code: order.promo_code.clone(),
        subtotal: money(order.total_minor + order.discount_minor),
        discount: money(order.discount_minor),
        total: money(order.total_minor),
        created_at: order.created_at,
        refunded: None,
    })
}

/// A ticket as the API shows it.
pub fn ticket_view(t: &TicketRecord) -> Ticket {
    Ticket {
        id: t.id,
        order_id: t.order_id,
        event_id: t.event_id,
        ticket_type_id: t.ticket_type_id,
        ticket_type: t.ticket_type_name.clone(),
        attendee_name: t.attendee_name.clone(),
        status: t.status,
        code: t.code.clone(),
        key_version: t.key_version,
        issued_at: t.issued_at,
        event: TicketEvent {
            title: t.event_title.clone(),
            starts_at: t.event_starts_at,
            ends_at: t.event_ends_at,
            timezone: t.event_timezone.clone(),
            venue_name: t.venue_name.clone(),
            venue_address: t.venue_address.clone(),
            city: t.city.clone(),
            country: t.country.clone(),
            online_url: t.online_url.clone(),
        },
        qr_svg_url: format!("/api/v1/tickets/{}/qr.svg", t.id),
        pdf_url: format!("/api/v1/tickets/{}/pdf", t.id),
    }
}
