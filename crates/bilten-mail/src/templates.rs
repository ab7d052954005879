//! Email templates. Each renders a subject, a plain-text body and an HTML body; every value
//! interpolated into HTML is escaped.

use std::fmt::Write;

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

/// The shared frame around every HTML mail.
pub fn layout(title: &str, body_html: &str) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;color:#1a1a1a;max-width:560px;margin:auto;padding:24px\">\
         {body_html}<hr><p style=\"color:#555;font-size:13px\">Sent by Bilten.</p></body></html>",
        title = escape_html(title),
    );
    html
}

pub fn verify_email(name: &str, link: &str) -> Rendered {
    let subject = "Confirm your email address".to_owned();
    let text = format!(
        "Hello {name},\n\nPlease confirm your email address by opening this link:\n\n{link}\n\n\
         The link works for 48 hours. If you did not create a Bilten account, ignore this mail.\n"
    );
    let body = format!(
        "<p>Hello {name},</p><p>Please confirm your email address:</p>\
         <p><a href=\"{link}\">Confirm my email</a></p>\
         <p>The link works for 48 hours. If you did not create a Bilten account, ignore this mail.</p>",
        name = escape_html(name),
        link = escape_html(link),
    );
    Rendered {
        html: layout(&subject, &body),
        subject,
        text,
    }
}

/// An invitation to join an organization, to someone who may have no account yet.
pub fn invitation(organization: &str, inviter: &str, role: &str, link: &str) -> Rendered {
    let subject = format!("{inviter} invited you to {organization} on Bilten");
    let text = format!(
        "Hello,\n\n{inviter} invited you to join {organization} on Bilten as {role}.\n\n\
         To accept, open this link, then sign up (or log in) with this email address:\n\n\
         {link}\n\nThe link works for 7 days. If you did not expect this, ignore this mail.\n"
    );
    let body = format!(
        "<p>Hello,</p><p>{inviter} invited you to join <strong>{organization}</strong> on Bilten \
         as {role}.</p><p><a href=\"{link}\">Accept the invitation</a></p>\
         <p>Sign up (or log in) with this email address. The link works for 7 days. If you did \
         not expect this, ignore this mail.</p>",
        inviter = escape_html(inviter),
        organization = escape_html(organization),
        role = escape_html(role),
        link = escape_html(link),
    );
    Rendered {
        html: layout(&subject, &body),
        subject,
        text,
    }
}

pub fn reset_password(name: &str, link: &str) -> Rendered {
    let subject = "Reset your password".to_owned();
    let text = format!(
        "Hello {name},\n\nSomeone asked to reset the password of your Bilten account. To choose a \
         new password, open this link:\n\n{link}\n\nThe link works for one hour and only once. \
         If it was not you, ignore this mail; your password stays as it is.\n"
    );
    let body = format!(
        "<p>Hello {name},</p><p>Someone asked to reset the password of your Bilten account.</p>\
         <p><a href=\"{link}\">Choose a new password</a></p>\
         <p>The link works for one hour and only once. If it was not you, ignore this mail; your \
         password stays as it is.</p>",
        name = escape_html(name),
        link = escape_html(link),
    );
    Rendered {
        html: layout(&subject, &body),
        subject,
        text,
    }
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
    pub buyer_name: &'a str,
    pub event_title: &'a str,
    pub when: &'a str,
    pub venue: &'a str,
    pub order_id: &'a str,
    pub total: &'a str,
    pub tickets: &'a [ConfirmationTicket<'a>],
    /// Where the buyer sees the order online.
    pub order_link: &'a str,
}

/// The order confirmation: the tickets with their QR codes inline; the PDFs are attached by
/// the caller.
pub fn order_confirmation(c: &Confirmation<'_>) -> Rendered {
    let subject = format!("Your tickets for {}", c.event_title);
    let mut text = format!(
        "Hello {name},\n\nThank you for your order {order}. Your tickets for {title} are \
         attached as PDF files; show the QR code at the entrance, on paper or on your phone.\n\n\
         When:  {when}\nWhere: {venue}\nTotal: {total}\n\n",
        name = c.buyer_name,
        order = c.order_id,
        title = c.event_title,
        when = c.when,
        venue = c.venue,
        total = c.total,
    );
    for (n, t) in c.tickets.iter().enumerate() {
        let _ = writeln!(
            text,
            "Ticket {}: {} for {} ({}, {})",
            n + 1,
            t.ticket_type,
            t.attendee_name,
            t.ticket_id,
            t.pdf_filename
        );
    }
    let _ = write!(text, "\nYour order online: {}\n", c.order_link);
    let mut body = format!(
        "<p>Hello {name},</p><p>Thank you for your order <strong>{order}</strong>. Your tickets \
         are attached as PDF files; show the QR code at the entrance, on paper or on your \
         phone.</p><h2 style=\"margin-bottom:4px\">{title}</h2><p style=\"margin-top:0\">{when}<br>{venue}</p>\
         <p>Total: {total}</p>",
        name = escape_html(c.buyer_name),
        order = escape_html(c.order_id),
        title = escape_html(c.event_title),
        when = escape_html(c.when),
        venue = escape_html(c.venue),
        total = escape_html(c.total),
    );
    for (n, t) in c.tickets.iter().enumerate() {
        let _ = write!(
            body,
            "<div style=\"border:1px solid #ddd;border-radius:8px;padding:12px;margin:12px 0\">\
             <p style=\"margin:0 0 8px\"><strong>Ticket {n}: {kind}</strong><br>{holder}<br>\
             <small>{id}</small></p>\
             <img src=\"cid:{cid}\" alt=\"QR code of ticket {n}\" width=\"220\" height=\"220\"></div>",
            n = n + 1,
            kind = escape_html(t.ticket_type),
            holder = escape_html(t.attendee_name),
            id = escape_html(t.ticket_id),
            cid = escape_html(t.qr_content_id),
        );
    }
    let _ = write!(
        body,
        "<p><a href=\"{link}\">See your order online</a></p>",
        link = escape_html(c.order_link)
    );
    Rendered {
        html: layout(&subject, &body),
        subject,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_values_are_escaped() {
        let mail = verify_email("<script>alert(1)</script>", "https://x/?a=1&b=\"2\"");
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(mail.html.contains("a=1&amp;b=&quot;2&quot;"));
        assert!(mail.text.contains("https://x/?a=1&b=\"2\""));
    }
}
