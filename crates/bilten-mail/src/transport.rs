//! Where mails go: an SMTP server, or `.eml` files in the data dir for development.

use std::path::PathBuf;

use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use bilten_store::outbox::ClaimedEmail;

use crate::Attachment;

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Worth retrying: the server or the disk may recover.
    #[error("temporary: {0}")]
    Temporary(String),
    /// Retrying cannot help (bad address, malformed message).
    #[error("permanent: {0}")]
    Permanent(String),
}

#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// SMTP settings as the configuration gives them.
pub struct SmtpSettings<'a> {
    pub host: &'a str,
    pub port: u16,
    pub user: Option<&'a str>,
    pub pass: Option<&'a str>,
}

impl Transport {
    /// Port 465 speaks TLS from the first byte; any other port upgrades with STARTTLS when
    /// the server offers it (local mail catchers on 1025 do not).
    pub fn smtp(settings: &SmtpSettings<'_>) -> Result<Self, TransportError> {
        let tls_parameters = TlsParameters::new(settings.host.to_owned())
            .map_err(|e| TransportError::Permanent(format!("SMTP TLS setup: {e}")))?;
        let tls = if settings.port == 465 {
            Tls::Wrapper(tls_parameters)
        } else {
            Tls::Opportunistic(tls_parameters)
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(user), Some(pass)) = (settings.user, settings.pass) {
            builder = builder.credentials(Credentials::new(user.to_owned(), pass.to_owned()));
        }
        Ok(Self::Smtp(builder.build()))
    }

    pub fn files(dir: PathBuf) -> Self {
        Self::Files(dir)
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Smtp(_) => "smtp".to_owned(),
            Self::Files(dir) => format!("files in {}", dir.display()),
        }
    }

    /// Sends `mail` (consumed: its attachments move into the MIME message, uncopied).
    pub async fn send(&self, from: &Mailbox, mail: Outgoing<'_>) -> Result<(), TransportError> {
        let id = mail.id;
        let to = mail.to;
        let message = build_message(from, mail)?;
        match self {
            Self::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    TransportError::Permanent(e.to_string())
                } else {
                    TransportError::Temporary(e.to_string())
                }
            }),
            Self::Files(dir) => {
                let path = dir.join(format!("{id}.eml"));
                let (dir, file, bytes) = (dir.clone(), path.clone(), message.formatted());
                // One trip to the blocking pool for both calls (each `tokio::fs` call is one).
                tokio::task::spawn_blocking(move || {
                    std::fs::create_dir_all(&dir)?;
                    std::fs::write(&file, bytes)
                })
                .await
                .map_err(|e| TransportError::Temporary(e.to_string()))?
                .map_err(|e| TransportError::Temporary(e.to_string()))?;
                tracing::info!(%to, path = %path.display(), "email written to file");
                Ok(())
            }
        }
    }
}

/// The `Message-ID` of the mail in outbox row `row_id`, sent from `from`: the same on every
/// attempt, so a resend after a crash is recognisably the same message (RFC 5322 §3.6.4) and
/// receiving systems can drop it.
pub fn message_id(row_id: &str, from: &Mailbox) -> String {
    format!("<{row_id}@{}>", from.email.domain())
}

/// A mail ready to send: an outbox row's text, composed or stored, and its attachments.
pub struct Outgoing<'a> {
    /// The outbox row's id: it names the `Message-ID` (and the `.eml` file).
    pub id: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: Option<&'a str>,
    pub attachments: Vec<Attachment>,
}

impl<'a> Outgoing<'a> {
    /// A row stored whole (`outbox::enqueue`): its attachments are decoded from their JSON.
    pub fn stored(email: &'a ClaimedEmail) -> Result<Self, TransportError> {
        let attachments = match &email.attachments_json {
            Some(json) => serde_json::from_str(json)
                .map_err(|e| TransportError::Permanent(format!("attachments: {e}")))?,
            None => Vec::new(),
        };
        Ok(Self {
            id: &email.id,
            to: &email.to,
            subject: &email.subject,
            text: &email.body_text,
            html: email.body_html.as_deref(),
            attachments,
        })
    }
}

/// The MIME tree: `mixed[ alternative[ text, related[ html, inline images… ] ], files… ]`,
/// leaving out the containers a mail does not need. Inline images sit in `related` next to
/// the HTML that names them (RFC 2387), which is where mail clients look for `cid:` parts.
fn build_message(from: &Mailbox, mail: Outgoing<'_>) -> Result<Message, TransportError> {
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| TransportError::Permanent(format!("recipient {:?}: {e}", mail.to)))?;
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject)
        .message_id(Some(message_id(mail.id, from)));
    let mut inline = Vec::new();
    let mut files = Vec::new();
    for attachment in mail.attachments {
        let content_type = ContentType::parse(&attachment.content_type)
            .map_err(|e| TransportError::Permanent(format!("attachment type: {e}")))?;
        let is_inline = attachment.content_id.is_some();
        let part = match attachment.content_id {
            Some(cid) => LettreAttachment::new_inline(cid),
            None => LettreAttachment::new(attachment.filename),
        }
        .body(attachment.bytes, content_type);
        if is_inline {
            inline.push(part);
        } else {
            files.push(part);
        }
    }
    let text = SinglePart::plain(mail.text.to_owned());
    let body = match mail.html {
        Some(html) => {
            let html = SinglePart::html(html.to_owned());
            let alternative = MultiPart::alternative().singlepart(text);
            if inline.is_empty() {
                alternative.singlepart(html)
            } else {
                let related = inline
                    .into_iter()
                    .fold(MultiPart::related().singlepart(html), MultiPart::singlepart);
                alternative.multipart(related)
            }
        }
        None => MultiPart::mixed().singlepart(text),
    };
    let message = if files.is_empty() {
        builder.multipart(body)
    } else {
        let mixed = files
            .into_iter()
            .fold(MultiPart::mixed().multipart(body), MultiPart::singlepart);
        builder.multipart(mixed)
    };
    message.map_err(|e| TransportError::Permanent(format!("building message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claimed(id: &str) -> ClaimedEmail {
        ClaimedEmail {
            id: id.to_owned(),
            to: "ada@example.com".to_owned(),
            subject: "Your tickets".to_owned(),
            body_text: "Hello".to_owned(),
            body_html: Some("<p>Hello</p>".to_owned()),
            attachments_json: None,
            attempts: 1,
            template: None,
            reference: None,
        }
    }

    fn header(message: &Message, name: &str) -> String {
        let raw = String::from_utf8(message.formatted()).unwrap();
        raw.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in {raw}"))
            .to_owned()
    }

    #[test]
    fn every_attempt_of_a_row_has_the_same_message_id_and_other_rows_another() {
        let from: Mailbox = "Bilten <tickets@bilten.example>".parse().unwrap();
        let row = "0193a5d2-7c4e-7b1a-9f00-123456789abc";
        let first = build_message(&from, Outgoing::stored(&claimed(row)).unwrap()).unwrap();
        let mut retry = claimed(row);
        retry.attempts = 2;
        let second = build_message(&from, Outgoing::stored(&retry).unwrap()).unwrap();
        let id = header(&first, "Message-ID");
        assert_eq!(id, format!("<{row}@bilten.example>"));
        assert_eq!(header(&second, "Message-ID"), id);
        assert_eq!(message_id(row, &from), id);
        let other_row = claimed("0193a5d2-7c4e-7b1a-9f00-000000000000");
        let other = build_message(&from, Outgoing::stored(&other_row).unwrap()).unwrap();
        assert_ne!(header(&other, "Message-ID"), id);
    }
}
