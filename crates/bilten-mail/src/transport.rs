//! Where mails go: an SMTP server, or `.eml` files in the data dir for development.

use std::path::PathBuf;

use base64::Engine;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

use bilten_store::outbox::ClaimedEmail;

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

#[derive(Deserialize)]
struct AttachmentJson {
    filename: String,
    content_type: String,
    base64: String,
    /// Set for images referenced from the HTML body as `cid:<content_id>`.
    #[serde(default)]
    content_id: Option<String>,
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

    pub async fn send(&self, from: &Mailbox, email: &ClaimedEmail) -> Result<(), TransportError> {
        let message = build_message(from, email)?;
        match self {
            Self::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    TransportError::Permanent(e.to_string())
                } else {
                    TransportError::Temporary(e.to_string())
                }
            }),
            Self::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| TransportError::Temporary(e.to_string()))?;
                let path = dir.join(format!("{}.eml", email.id));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| TransportError::Temporary(e.to_string()))?;
                tracing::info!(to = %email.to, subject = %email.subject, path = %path.display(), "email written to file");
                Ok(())
            }
        }
    }
}

fn build_message(from: &Mailbox, email: &ClaimedEmail) -> Result<Message, TransportError> {
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|e| TransportError::Permanent(format!("recipient {:?}: {e}", email.to)))?;
    let domain = from.email.domain().to_owned();
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(format!("<{}@{domain}>", email.id)));
    let text = SinglePart::plain(email.body_text.clone());
    let body = match &email.body_html {
        Some(html) => MultiPart::alternative()
            .singlepart(text)
            .singlepart(SinglePart::html(html.clone())),
        None => MultiPart::mixed().singlepart(text),
    };
    let attachments: Vec<AttachmentJson> = match &email.attachments_json {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| TransportError::Permanent(format!("attachments: {e}")))?,
        None => Vec::new(),
    };
    let message = if attachments.is_empty() {
        builder.multipart(body)
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for attachment in attachments {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&attachment.base64)
                .map_err(|e| {
                    TransportError::Permanent(format!("attachment {}: {e}", attachment.filename))
                })?;
            let content_type = ContentType::parse(&attachment.content_type)
                .map_err(|e| TransportError::Permanent(format!("attachment type: {e}")))?;
            let part = match attachment.content_id {
                Some(cid) => Attachment::new_inline(cid).body(bytes, content_type),
                None => Attachment::new(attachment.filename).body(bytes, content_type),
            };
            mixed = mixed.singlepart(part);
        }
        builder.multipart(mixed)
    };
    message.map_err(|e| TransportError::Permanent(format!("building message: {e}")))
}
