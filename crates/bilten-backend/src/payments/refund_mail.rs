//! The buyer's mails about money going back and events being called off. Rendered here and
//! enqueued in the outbox in the transaction that settles the refund or cancels the order, with
//! a dedupe key per cause so each is sent once.

use bilten_domain::{Currency, Money};
use bilten_mail::templates::{escape_html, layout, Rendered};

fn amount_text(minor: i64, currency: &str) -> String {
    match Currency::parse(currency) {
        Ok(c) => Money::new(minor, c).format_display(),
        Err(_) => format!("{minor} {currency}"),
    }
}

fn render(subject: String, name: &str, paragraphs: &[String]) -> Rendered {
    let text = format!("Hello {name},\n\n{}\n", paragraphs.join("\n\n"));
    let body = format!(
        "<p>Hello {}</p>{}",
        escape_html(name),
        paragraphs.iter().fold(String::new(), |mut html, p| {
            html.push_str("<p>");
            html.push_str(&escape_html(p));
            html.push_str("</p>");
            html
        })
    );
    Rendered {
        html: layout(&subject, &body),
        subject,
        text,
    }
}

/// An organizer refunded some or all tickets of an order.
pub fn refunded(
    name: &str,
    event_title: &str,
    amount_minor: i64,
    currency: &str,
    tickets: usize,
    whole_order: bool,
) -> Rendered {
    let what = if whole_order {
        "your order".to_owned()
    } else if tickets == 1 {
        "1 ticket of your order".to_owned()
    } else {
        format!("{tickets} tickets of your order")
    };
    render(
        format!("Refund for {event_title}"),
        name,
        &[
            format!(
                "The organizer of {event_title} has refunded {what}: {} is on its way back to your payment method.",
                amount_text(amount_minor, currency)
            ),
            if tickets == 0 {
                "Your tickets are unchanged.".to_owned()
            } else {
                "The refunded tickets are no longer valid; any others stay valid.".to_owned()
            },
        ],
    )
}

/// A payment we could not use was given back whole (a late payment for tickets that sold out
/// meanwhile, or a second payment for an order already paid or closed). `reason` is one
/// sentence on why.
pub fn payment_returned(
    name: &str,
    event_title: &str,
    amount_minor: i64,
    currency: &str,
    reason: &str,
) -> Rendered {
    render(
        format!("Your payment for {event_title} was refunded"),
        name,
        &[
            format!(
                "{reason} The full amount, {}, is on its way back to your payment method.",
                amount_text(amount_minor, currency)
            ),
            "No ticket was issued for this payment.".to_owned(),
        ],
    )
}

/// The event was canceled; `refund_minor` is what goes back (0 for free or unpaid orders).
pub fn event_canceled(
    name: &str,
    event_title: &str,
    refund_minor: i64,
    currency: &str,
    was_paid: bool,
) -> Rendered {
    let money = if refund_minor > 0 {
        format!(
            "You get a full refund of {} to your payment method.",
            amount_text(refund_minor, currency)
        )
    } else if was_paid {
        "Your tickets were free, so there is nothing to refund.".to_owned()
    } else {
        "Your order had not been paid, so nothing was charged.".to_owned()
    };
    let mut paragraphs = vec![
        format!("We are sorry: {event_title} has been canceled by its organizer."),
        money,
    ];
    if was_paid {
        paragraphs.push("Your tickets for this event are no longer valid.".to_owned());
    }
    render(format!("{event_title} is canceled"), name, &paragraphs)
}
