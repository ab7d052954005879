//! Email templates. Each renders a subject, a plain-text body and an HTML body; every value
//! interpolated into HTML is escaped.
//!
//! Every mail is written from the `mail-…` messages of the catalogs (`bilten-i18n`): the order
//! confirmation in the language the order was placed in, the account mails (address
//! confirmation, password reset, invitations) in the language of the page that caused them
//! (the web app sends it as `Accept-Language`): accounts keep no language of their own.

use std::fmt::Write;

use bilten_i18n::{t, Arg, Locale};

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The shared frame around an HTML mail written in `locale`.
pub fn layout_in(locale: Locale, title: &str, body_html: &str) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;color:#1a1a1a;max-width:560px;margin:auto;padding:24px\">\
         {body_html}<hr><p style=\"color:#555;font-size:13px\">{sent_by}</p></body></html>",
        lang = locale.code(),
        dir = locale.direction().as_str(),
        title = escape_html(title),
        sent_by = escape_html(&locale.t("mail-sent-by")),
    );
    html
}

/// A mail with one link: a greeting, what happened, the link (bare in the text, a button in
/// HTML) and how long it works. `hello` and every paragraph are plain text from the catalogs.
fn with_link(
    locale: Locale,
    subject: String,
    hello: &str,
    intro: &str,
    link: (&str, &str),
    closing: &str,
) -> Rendered {
    let (url, label) = link;
    let text = format!("{hello}\n\n{intro}\n\n{url}\n\n{closing}\n");
    let body = format!(
        "<p>{hello}</p><p>{intro}</p><p><a href=\"{url}\">{label}</a></p><p>{closing}</p>",
        hello = escape_html(hello),
        intro = escape_html(intro),
        url = escape_html(url),
        label = escape_html(label),
        closing = escape_html(closing),
    );
    Rendered {
        html: layout_in(locale, &subject, &body),
        subject,
        text,
    }
}

/// Asks a new account to confirm its address, in the language of the page it signed up on.
pub fn verify_email(locale: Locale, name: &str, link: &str) -> Rendered {
    with_link(
        locale,
        locale.t("mail-verify-subject"),
        &t(locale, "mail-hello", &[("name", name.into())]),
        &locale.t("mail-verify-intro"),
        (link, &locale.t("mail-verify-button")),
        &locale.t("mail-verify-expiry"),
    )
}

/// An invitation to join an organization, to someone who may have no account yet, in the
/// language of the page the owner invited from.
pub fn invitation(
    locale: Locale,
    organization: &str,
    inviter: &str,
    role: &str,
    link: &str,
) -> Rendered {
    let role = match role {
        "owner" => locale.t("org-role-owner"),
        "manager" => locale.t("org-role-manager"),
        _ => locale.t("org-role-staff"),
    };
    let people = [
        ("inviter", Arg::from(inviter)),
        ("organization", Arg::from(organization)),
    ];
    let intro = t(
        locale,
        "mail-invitation-intro",
        &[people[0].clone(), people[1].clone(), ("role", role.into())],
    );
    with_link(
        locale,
        t(locale, "mail-invitation-subject", &people),
        &locale.t("mail-invitation-hello"),
        &format!("{intro} {}", locale.t("mail-invitation-how")),
        (link, &locale.t("mail-invitation-button")),
        &locale.t("mail-invitation-expiry"),
    )
}

/// The password reset link, in the language of the page it was asked for on.
pub fn reset_password(locale: Locale, name: &str, link: &str) -> Rendered {
    with_link(
        locale,
        locale.t("mail-reset-subject"),
        &t(locale, "mail-hello", &[("name", name.into())]),
        &locale.t("mail-reset-intro"),
        (link, &locale.t("mail-reset-button")),
        &locale.t("mail-reset-expiry"),
    )
}

/// One ticket as the confirmation lists it.
pub struct ConfirmationTicket<'a> {
    pub ticket_type: &'a str,
    pub attendee_name: &'a str,
    pub ticket_id: &'a str,
    /// `cid:` id of the inline QR image of this ticket.
    pub qr_content_id: &'a str,
    /// The PDF attached for this ticket.
    pub pdf_filename: &'a str,
}

pub struct Confirmation<'a> {
    /// The language the order was placed in; the mail is written in it.
    pub locale: Locale,
    pub buyer_name: &'a str,
    pub event_title: &'a str,
    /// Already in `locale`'s words (`bilten_i18n::format`).
    pub when: &'a str,
    pub venue: &'a str,
    pub order_id: &'a str,
    /// Already in `locale`'s format.
    pub total: &'a str,
    pub tickets: &'a [ConfirmationTicket<'a>],
    /// Where the buyer sees the order online.
    pub order_link: &'a str,
}

/// A catalog message as HTML: its text escaped, with `markup` (already HTML: `<strong>…`,
/// a link) put in for the variables. Translators write plain text; the markup stays here.
pub fn html_message(locale: Locale, key: &str, markup: &[(&str, String)]) -> String {
    // Each variable becomes a marker from Unicode's private use area, which no message
    // contains and escaping leaves alone, then its markup replaces it.
    let markers: Vec<String> = (0..markup.len())
        .map(|i| format!("\u{e000}{i}\u{e001}"))
        .collect();
    let args: Vec<(&str, Arg<'_>)> = markup
        .iter()
        .zip(&markers)
        .map(|((name, _), marker)| (*name, Arg::from(marker.as_str())))
        .collect();
    let mut html = escape_html(&t(locale, key, &args));
    for ((_, fragment), marker) in markup.iter().zip(&markers) {
        html = html.replace(marker, fragment);
    }
    html
}

/// The order confirmation: the tickets with their QR codes inline; the PDFs are attached by
/// the caller. Written in the order's language.
pub fn order_confirmation(c: &Confirmation<'_>) -> Rendered {
    let l = c.locale;
    let subject = t(
        l,
        "mail-confirmation-subject",
        &[("event", c.event_title.into())],
    );
    let hello = t(l, "mail-hello", &[("name", c.buyer_name.into())]);
    let mut text = format!(
        "{hello}\n\n{intro}\n\n{when_label} {when}\n{where_label} {venue}\n{total_label} {total}\n\n",
        intro = t(
            l,
            "mail-confirmation-intro",
            &[("order", c.order_id.into()), ("event", c.event_title.into())]
        ),
        when_label = l.t("mail-when"),
        where_label = l.t("mail-where"),
        total_label = l.t("mail-total"),
        when = c.when,
        venue = c.venue,
        total = c.total,
    );
    for (n, ticket) in c.tickets.iter().enumerate() {
        let _ = writeln!(
            text,
            "{}",
            t(
                l,
                "mail-ticket-line",
                &[
                    ("n", (n + 1).into()),
                    ("ticket_type", ticket.ticket_type.into()),
                    ("holder", ticket.attendee_name.into()),
                    ("ticket", ticket.ticket_id.into()),
                    ("file", ticket.pdf_filename.into()),
                ]
            )
        );
    }
    let _ = write!(
        text,
        "\n{}\n",
        t(l, "mail-order-online", &[("link", c.order_link.into())])
    );
    let mut body = format!(
        "<p>{hello}</p><p>{intro}</p><h2 style=\"margin-bottom:4px\">{title}</h2><p style=\"margin-top:0\">{when}<br>{venue}</p>\
         <p>{total_label} {total}</p>",
        hello = escape_html(&hello),
        intro = html_message(
            l,
            "mail-confirmation-intro-html",
            &[("order", format!("<strong>{}</strong>", escape_html(c.order_id)))]
        ),
        title = escape_html(c.event_title),
        when = escape_html(c.when),
        venue = escape_html(c.venue),
        total_label = escape_html(&l.t("mail-total")),
        total = escape_html(c.total),
    );
    for (n, ticket) in c.tickets.iter().enumerate() {
        let heading = t(
            l,
            "mail-ticket-heading",
            &[
                ("n", (n + 1).into()),
                ("ticket_type", ticket.ticket_type.into()),
            ],
        );
        let alt = t(l, "mail-ticket-qr-alt", &[("n", (n + 1).into())]);
        let _ = write!(
            body,
            "<div style=\"border:1px solid #ddd;border-radius:8px;padding:12px;margin:12px 0\">\
             <p style=\"margin:0 0 8px\"><strong>{heading}</strong><br>{holder}<br>\
             <small>{id}</small></p>\
             <img src=\"cid:{cid}\" alt=\"{alt}\" width=\"220\" height=\"220\"></div>",
            heading = escape_html(&heading),
            holder = escape_html(ticket.attendee_name),
            id = escape_html(ticket.ticket_id),
            cid = escape_html(ticket.qr_content_id),
            alt = escape_html(&alt),
        );
    }
    let _ = write!(
        body,
        "<p><a href=\"{link}\">{label}</a></p>",
        link = escape_html(c.order_link),
        label = escape_html(&l.t("mail-order-online-link")),
    );
    Rendered {
        html: layout_in(l, &subject, &body),
        subject,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_is_written_in_the_orders_language_and_its_html_escaped() {
        let tickets = [ConfirmationTicket {
            ticket_type: "General <b>",
            attendee_name: "Ada",
            ticket_id: "tkt_1",
            qr_content_id: "qr-1@bilten",
            pdf_filename: "ticket-1.pdf",
        }];
        let mail = order_confirmation(&Confirmation {
            locale: Locale::Es,
            buyer_name: "Ada & Grace",
            event_title: "Jazz",
            when: "jue, 12 dic 2030",
            venue: "Tempodrom",
            order_id: "ord_1",
            total: "25,00\u{a0}€",
            tickets: &tickets,
            order_link: "https://x/orders/ord_1?key=ok_1",
        });
        assert_eq!(mail.subject, "Tus entradas para Jazz");
        assert!(
            mail.text.starts_with("Hola, Ada & Grace:\n"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("Total: 25,00\u{a0}€"), "{}", mail.text);
        assert!(
            mail.text.contains("Entrada 1: General <b> para Ada"),
            "{}",
            mail.text
        );
        assert!(mail.html.contains(r#"<html lang="es" dir="ltr">"#));
        assert!(mail.html.contains("Hola, Ada &amp; Grace:"));
        assert!(
            mail.html
                .contains("Gracias por tu pedido <strong>ord_1</strong>."),
            "{}",
            mail.html
        );
        assert!(mail.html.contains("General &lt;b&gt;"));
        assert!(mail.html.contains("Enviado por Bilten."));
        assert!(!mail.html.contains('\u{e000}'));
    }

    #[test]
    fn html_values_are_escaped() {
        let mail = verify_email(
            Locale::En,
            "<script>alert(1)</script>",
            "https://x/?a=1&b=\"2\"",
        );
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(mail.html.contains("a=1&amp;b=&quot;2&quot;"));
        assert!(mail.text.contains("https://x/?a=1&b=\"2\""));
    }

    #[test]
    fn account_mails_are_written_in_the_language_asked_for() {
        let en = verify_email(Locale::En, "Ada", "https://x/v");
        assert_eq!(en.subject, "Confirm your email address");
        assert!(en.text.starts_with("Hello Ada,"), "{}", en.text);
        let de = verify_email(Locale::De, "Ada", "https://x/v");
        assert_eq!(de.subject, "Bestätigen Sie Ihre E-Mail-Adresse");
        assert!(de.text.starts_with("Hallo Ada,"), "{}", de.text);
        assert!(de.html.contains(r#"<html lang="de""#));
        let es = reset_password(Locale::Es, "Ada", "https://x/r");
        assert_eq!(es.subject, "Restablece tu contraseña");
        assert!(es.text.contains("https://x/r"));
        let invited = invitation(Locale::De, "Kino & Co", "Ada", "manager", "https://x/i");
        assert_eq!(
            invited.subject,
            "Ada hat Sie zu Kino & Co auf Bilten eingeladen"
        );
        assert!(invited.text.contains("Manager"), "{}", invited.text);
        assert!(invited.html.contains("Kino &amp; Co"), "{}", invited.html);
    }
}
