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
