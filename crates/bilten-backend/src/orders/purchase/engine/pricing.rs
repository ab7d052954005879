//! Pricing a purchase against the locked ticket types, and what it makes of the order.

use bilten_domain::Visibility;

use bilten_domain::event::SalesPhase;
use bilten_domain::order::check_buyer_cap;
use bilten_domain::OrderStatus;
use bilten_domain::{Currency, Money, Price, SalesWindow, TicketTypeId};
use bilten_store::purchase::LockedInventory;
use chrono::{DateTime, Utc};

use super::{Entry, Mode, Payment};
use crate::error::{BackendError, BackendResult};
use crate::orders::request::buyer_cap_error;
use crate::promo::rules as promos;

/// A priced purchase inside the batch.
pub(super) struct Priced {
    pub(super) lines: Vec<PricedLine>,
    pub(super) total: Money,
    pub(super) discount: i64,
    pub(super) quantity: i64,
}

pub(super) struct PricedLine {
    pub(super) ticket_type_id: TicketTypeId,
    pub(super) name: String,
    pub(super) quantity: i64,
    pub(super) unit_price_minor: i64,
    pub(super) discount_minor: i64,
    pub(super) attendees: Vec<String>,
}

/// Prices entry's items against the locked ticket types: visible, on sale, within per-order
/// limits, and the promo code's discount.
pub(super) fn price(
    entry: &Entry,
    inventory: &LockedInventory,
    currency: Currency,
    now: DateTime<Utc>,
) -> BackendResult<Priced> {
    let purchase = &entry.purchase;
    let promo = entry.promo.as_ref();
    let mut lines = Vec::with_capacity(purchase.items.len());
    let mut total = Money::zero(currency);
    for (item, (id, quantity)) in purchase.items.iter().enumerate() {
        let field = format!("items[{item}]");
        let Some(t) = inventory.ticket_types.iter().find(|t| {
            t.id == *id
                && (t.visibility == Visibility::Public
                    || promo.is_some_and(|p| promos::reveals(p, t.id)))
        }) else {
            return Err(BackendError::field(
                &format!("{field}.ticket_type_id"),
                "not_found",
                "This event has no such ticket type.",
            ));
        };
        let window = SalesWindow::new(t.sales_start, t.sales_end).unwrap_or(SalesWindow::ALWAYS);
        let closed = match window.phase(now) {
            SalesPhase::NotOpen => return Err(BackendError::SalesNotOpen { field }),
            SalesPhase::Closed => true,
            SalesPhase::Open => now >= inventory.event.ends_at,
        };
        if closed {
            return Err(BackendError::SalesClosed { field });
        }
        let min = u32::try_from(t.min_per_order).unwrap_or(1);
        let max = u32::try_from(t.max_per_order).unwrap_or(u32::MAX);
        if let Err(problem) = quantity.check_order_limits(min, max) {
            return Err(BackendError::LimitExceeded {
                field,
                message: problem.message,
            });
        }
        let price = Price::from_minor(t.price_minor, currency)
            .map_err(|e| BackendError::Internal(e.to_string()))?;
        total = price
            .checked_mul(quantity.get())
            .and_then(|line| total.checked_add(line))
            .map_err(|e| BackendError::Internal(e.to_string()))?;
        lines.push(PricedLine {
            ticket_type_id: *id,
            name: t.name.clone(),
            quantity: i64::from(quantity.get()),
            unit_price_minor: t.price_minor,
            discount_minor: 0,
            attendees: purchase.attendees[item]
                .iter()
                .map(|n| {
                    n.as_ref()
                        .map_or_else(String::new, |n| n.as_str().to_owned())
                })
                .collect(),
        });
    }
    let quantity: i64 = lines.iter().map(|l| l.quantity).sum();
    let cap = u32::try_from(inventory.event.buyer_cap).unwrap_or(u32::MAX);
    if let Err(exceeded) = check_buyer_cap(cap, 0, u32::try_from(quantity).unwrap_or(u32::MAX)) {
        return Err(buyer_cap_error(exceeded.cap));
    }
    let (total, discount) = match promo {
        None => (total, 0),
        Some(promo) => {
            let amounts: Vec<(TicketTypeId, Money)> = lines
                .iter()
                .map(|l| {
                    (
                        l.ticket_type_id,
                        Money::new(l.quantity * l.unit_price_minor, currency),
                    )
                })
                .collect();
            let discounted = promos::price_with(promo, currency, &amounts)?;
            for (line, d) in lines.iter_mut().zip(&discounted.lines) {
                line.discount_minor = d.discount.minor();
            }
            (discounted.total, discounted.discount.minor())
        }
    };
    check_payment(entry.mode, total)?;
    Ok(Priced {
        lines,
        total,
        discount,
        quantity,
    })
}

/// Money changes hands only for a paid order, and only through a card that succeeds.
fn check_payment(mode: Mode, total: Money) -> BackendResult<()> {
    if let (Mode::Pay(payment), true) = (mode, total.minor() > 0) {
        match payment {
            Payment::TestCardSucceeds => {}
            Payment::TestCardDeclined(code) => {
                return Err(BackendError::PaymentDeclined {
                    decline_code: code,
                    message: crate::payments::test_card::decline_message(code).to_owned(),
                })
            }
            Payment::None => {
                return Err(BackendError::field(
                    "test_card",
                    "payment_required",
                    "This order costs money: give a test_card, or create the order with \
                     POST /orders and pay on the provider's page (POST /orders/{id}/checkout).",
                ))
            }
        }
    }
    Ok(())
}

pub(super) fn status_of(mode: Mode) -> OrderStatus {
    match mode {
        Mode::Hold => OrderStatus::Pending,
        Mode::Pay(_) => OrderStatus::Paid,
    }
}

/// When a hold ends; a completed order's `expires_at` is its completion time.
pub(super) fn expiry_of(mode: Mode, now: DateTime<Utc>, hold_minutes: i64) -> DateTime<Utc> {
    match mode {
        Mode::Hold => now + chrono::Duration::minutes(hold_minutes),
        Mode::Pay(_) => now,
    }
}
