//! Email: rendering templates, and the worker that drains the outbox.
//!
//! Mails are enqueued by the service that causes them, in the same database transaction
//! (`bilten_store::outbox::enqueue`), so a rolled-back order never sends a confirmation and a
//! committed one always does. The worker leases due rows, sends them over SMTP (or writes
//! `.eml` files when no SMTP server is configured) and marks them sent.
//!
//! Delivery is at-least-once by nature of SMTP: a crash between the server accepting a mail
//! and our `mark_sent` resends it after the lease expires. Each mail carries a stable
//! `Message-ID` derived from its outbox row ([`message_id`]), so receiving systems can drop
//! the duplicate; the worker leases one mail at a time so the window stays one mail wide.

mod attachment;
pub mod pacing;
pub mod templates;
mod transport;
mod worker;

pub use attachment::Attachment;
pub use lettre::message::Mailbox;
pub use pacing::Pacing;
pub use transport::{message_id, Outgoing, SmtpSettings, Transport, TransportError};
pub use worker::{ComposeError, Composed, Composer, MailHandle, OutboxWorker, WorkerMetrics};

/// Enqueues a rendered template for `to`, in the caller's transaction. `dedupe_key` names the
/// cause (`verify_email:<token hash>`); a second enqueue for the same cause is a no-op and
/// returns `false`.
pub async fn enqueue<'e>(
    ex: impl bilten_store::Exec<'e>,
    to: &str,
    dedupe_key: &str,
    mail: &templates::Rendered,
    now: chrono::DateTime<chrono::Utc>,
) -> bilten_store::StoreResult<bool> {
    bilten_store::outbox::enqueue(
        ex,
        &bilten_store::outbox::NewEmail {
            dedupe_key: Some(dedupe_key),
            to,
            subject: &mail.subject,
            body_text: &mail.text,
            body_html: Some(&mail.html),
            attachments_json: None,
        },
        now,
    )
    .await
}

/// Like [`enqueue`], with files attached (PDF tickets) and images the HTML body shows inline
/// (`<img src="cid:…">`). The attachments are stored with the row, so the worker needs
/// nothing else to send it.
pub async fn enqueue_with_attachments<'e>(
    ex: impl bilten_store::Exec<'e>,
    to: &str,
    dedupe_key: &str,
    mail: &templates::Rendered,
    attachments: &[Attachment],
    now: chrono::DateTime<chrono::Utc>,
) -> bilten_store::StoreResult<bool> {
    let json = serde_json::to_string(attachments)
        .map_err(|e| bilten_store::StoreError::Corrupt(format!("attachments: {e}")))?;
    bilten_store::outbox::enqueue(
        ex,
        &bilten_store::outbox::NewEmail {
            dedupe_key: Some(dedupe_key),
            to,
            subject: &mail.subject,
            body_text: &mail.text,
            body_html: Some(&mail.html),
            attachments_json: (!attachments.is_empty()).then_some(json.as_str()),
        },
        now,
    )
    .await
}
