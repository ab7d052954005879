//! The buyer's mails about money going back and events being called off, written in the
//! language the order was placed in (`orders.locale`). Rendered here and enqueued in the
//! outbox in the transaction that settles the refund or cancels the order, with a dedupe key
//! per cause so each is sent once.

use bilten_domain::{Currency, Money};
use bilten_i18n::{format as i18n_format, t, Locale};
use bilten_mail::templates::{escape_html, layout_in, Rendered};

/// The language of an order's mails: the one it was placed in (the store's CHECK keeps it one
/// we speak; anything else reads as English).
pub(crate) fn order_locale(stored: &str) -> Locale {
    Locale::parse(stored).unwrap_or(Locale::En)
}

fn amount_text(locale: Locale, minor: i64, currency: &str) -> String {
    match Currency::parse(currency) {
        Ok(c) => i18n_format::money(locale, Money::new(minor, c)),
        Err(_) => format!("{minor} {currency}"),
    }
}

fn render(locale: Locale, subject: String, name: &str, paragraphs: &[String]) -> Rendered {
    let hello = t(locale, "mail-hello", &[("name", name.into())]);
    let text = format!("{hello}\n\n{}\n", paragraphs.join("\n\n"));
    let body = paragraphs
        .iter()
        .fold(format!("<p>{}</p>", escape_html(&hello)), |mut html, p| {
            html.push_str("<p>");
            html.push_str(&escape_html(p));
            html.push_str("</p>");
            html
        });
    Rendered {
        html: layout_in(locale, &subject, &body),
        subject,
        text,
    }
}

/// What the organizer refunded, for [`refunded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refunded {
    /// The whole order, tickets and money.
    WholeOrder,
    /// This many tickets (and their money).
    Tickets(usize),
    /// Money only: no ticket was taken back.
    AmountOnly,
}

/// An organizer refunded some or all of an order.
pub fn refunded(
    locale: Locale,
    name: &str,
    event_title: &str,
    amount_minor: i64,
    currency: &str,
    what: Refunded,
) -> Rendered {
    let amount = amount_text(locale, amount_minor, currency);
    let args = [("event", event_title.into()), ("amount", amount.into())];
    let first = match what {
        Refunded::WholeOrder => t(locale, "mail-refunded-order", &args),
        Refunded::Tickets(count) => t(
            locale,
            "mail-refunded-tickets",
            &[args[0].clone(), args[1].clone(), ("count", count.into())],
        ),
        Refunded::AmountOnly => t(locale, "mail-refunded-amount", &args),
    };
    let second = match what {
        Refunded::AmountOnly => t(locale, "mail-refund-tickets-unchanged", &[]),
        Refunded::WholeOrder | Refunded::Tickets(_) => {
            t(locale, "mail-refund-tickets-invalid", &[])
        }
    };
    render(
        locale,
        t(
            locale,
            "mail-refund-subject",
            &[("event", event_title.into())],
        ),
        name,
        &[first, second],
    )
}

/// Why a payment we could not use was given back, for [`payment_returned`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// It arrived after the hold ran out, and the tickets sold out meanwhile.
    SoldOutAfterExpiry,
    /// Another payment had already paid the order.
    AlreadyPaid,
    /// The order was canceled before the payment arrived.
    OrderClosed,
}

/// A payment we could not use was given back whole.
pub fn payment_returned(
    locale: Locale,
    name: &str,
    event_title: &str,
    amount_minor: i64,
    currency: &str,
    why: Returned,
) -> Rendered {
    let reason = match why {
        Returned::SoldOutAfterExpiry => t(locale, "mail-returned-sold-out", &[]),
        Returned::AlreadyPaid => t(locale, "mail-returned-already-paid", &[]),
        Returned::OrderClosed => t(locale, "mail-returned-order-closed", &[]),
    };
    let amount = amount_text(locale, amount_minor, currency);
    render(
        locale,
        t(
            locale,
            "mail-returned-subject",
            &[("event", event_title.into())],
        ),
        name,
        &[
            format!(
                "{reason} {}",
                t(locale, "mail-returned-amount", &[("amount", amount.into())])
            ),
            t(locale, "mail-returned-no-ticket", &[]),
        ],
    )
}

/// The event was canceled; `refund_minor` is what goes back (0 for free or unpaid orders).
pub fn event_canceled(
    locale: Locale,
    name: &str,
    event_title: &str,
    refund_minor: i64,
    currency: &str,
    was_paid: bool,
) -> Rendered {
    let money = if refund_minor > 0 {
        let amount = amount_text(locale, refund_minor, currency);
        t(locale, "mail-canceled-refund", &[("amount", amount.into())])
    } else if was_paid {
        t(locale, "mail-canceled-free", &[])
    } else {
        t(locale, "mail-canceled-unpaid", &[])
    };
    let mut paragraphs = vec![
        t(
            locale,
            "mail-canceled-intro",
            &[("event", event_title.into())],
        ),
        money,
    ];
    if was_paid {
        paragraphs.push(t(locale, "mail-canceled-tickets-invalid", &[]));
    }
    render(
        locale,
        t(
            locale,
            "mail-canceled-subject",
            &[("event", event_title.into())],
        ),
        name,
        &paragraphs,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_is_written_in_the_language_of_the_order() {
        let refund = |locale, what| refunded(locale, "Ana", "Jazz Night", 2500, "EUR", what);
        let en = refund(Locale::En, Refunded::Tickets(2));
        assert_eq!(en.subject, "Refund for Jazz Night");
        assert!(en.text.starts_with("Hello Ana,"), "{}", en.text);
        assert!(en.text.contains("refunded 2 tickets of your order: €25.00"));
        let de = refund(Locale::De, Refunded::Tickets(1));
        assert_eq!(de.subject, "Erstattung für Jazz Night");
        assert!(de.text.starts_with("Hallo Ana,"), "{}", de.text);
        assert!(de.text.contains("1 Ticket"), "{}", de.text);
        assert!(de.text.contains("25,00\u{a0}€"), "{}", de.text);
        assert!(de.html.contains("lang=\"de\""), "{}", de.html);
        let es = refund(Locale::Es, Refunded::WholeOrder);
        assert_eq!(es.subject, "Reembolso de Jazz Night");
        assert!(es.text.contains("25,00\u{a0}€"), "{}", es.text);
    }

    #[test]
    fn a_returned_payment_and_a_cancellation_say_why_in_the_order_language() {
        let returned = payment_returned(
            Locale::Es,
            "Ana",
            "Jazz Night",
            1000,
            "EUR",
            Returned::SoldOutAfterExpiry,
        );
        assert!(returned.text.contains("agotaron"), "{}", returned.text);
        assert!(returned.text.contains("10,00\u{a0}€"), "{}", returned.text);
        let canceled = event_canceled(Locale::De, "Ana", "Jazz Night", 0, "EUR", false);
        assert_eq!(canceled.subject, "Jazz Night ist abgesagt");
        assert!(canceled.text.contains("nicht bezahlt"), "{}", canceled.text);
        let english = event_canceled(Locale::En, "A <b>", "Jazz Night", 1500, "EUR", true);
        assert!(english.text.contains("full refund of €15.00"));
        assert!(english.html.contains("A &lt;b&gt;"), "names are escaped");
    }

    #[test]
    fn an_unknown_stored_language_reads_as_english() {
        assert_eq!(order_locale("de"), Locale::De);
        assert_eq!(order_locale("xx"), Locale::En);
    }
}
