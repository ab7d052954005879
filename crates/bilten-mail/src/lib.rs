//! Email: rendering templates, and the worker that drains the outbox.
//!
//! Mails are enqueued by the service that causes them, in the same database transaction
//! (`bilten_store::outbox::enqueue`), so a rolled-back order never sends a confirmation and a
//! committed one always does. The worker leases due rows, sends them over SMTP (or writes
//! `.eml` files when no SMTP server is configured) and marks them sent.
//!
//! Delivery is at-least-once by nature of SMTP: a crash between the server accepting a mail
//! and our `mark_sent` resends it after the lease expires. Each mail carries a stable
//! `Message-ID` derived from its outbox row, so receiving systems can drop the duplicate.

pub mod templates;
mod transport;
mod worker;

pub use lettre::message::Mailbox;
pub use transport::{SmtpSettings, Transport, TransportError};
pub use worker::{OutboxWorker, WorkerMetrics};
