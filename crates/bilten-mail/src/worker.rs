//! The outbox worker: lease a due mail, send it, record the result; back off on failure.
//!
//! Delivery is at-least-once: a process killed between the SMTP server's "250 OK" and the
//! record sends that mail again once its lease runs out. Two things keep that rare and
//! harmless:
//!
//! - **One mail per lease.** The worker claims, sends and records one mail at a time, so a
//!   lease only ever covers a mail in flight. (It used to lease a batch of 20: mails queued
//!   behind a slow send sat leased, unsendable by other replicas, and a batch slower than the
//!   lease was sent twice.)
//! - **The result is recorded as part of the send step**, retried briefly when the database
//!   blips, instead of being dropped (which meant a resend after the lease).
//!
//! A resend carries the same `Message-ID` (derived from the row id, see
//! [`crate::transport::message_id`]), so mail systems and clients drop the duplicate.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lettre::message::Mailbox;
use prometheus::{IntCounterVec, IntGauge, Opts, Registry};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use bilten_store::{outbox, Store};

use crate::pacing::{Pacing, TRICKLE};
use crate::{Attachment, Transport, TransportError};

/// A mail composed from the database when it is sent.
pub struct Composed {
    pub rendered: crate::templates::Rendered,
    pub attachments: Vec<Attachment>,
}

/// Why a templated mail could not be composed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// Worth retrying later (the database did not answer).
    #[error("temporary: {0}")]
    Temporary(String),
    /// The row names a template or a reference that cannot be composed.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Composes the mails whose outbox row names a template (`outbox::enqueue_templated`): the
/// service that knows the template (the backend, for order confirmations) implements it.
pub trait Composer: Send + Sync {
    fn compose<'a>(
        &'a self,
        template: &'a str,
        reference: &'a str,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Composed, ComposeError>> + Send + 'a>,
    >;
}

/// A leased mail not recorded within this time is offered to workers again: well above one
/// SMTP send (20 s timeout per command) plus the recording retries.
const LEASE: chrono::Duration = chrono::Duration::seconds(120);
/// Pauses between tries to record a send's result while the database is unreachable.
const RECORD_RETRIES: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_secs(1),
    Duration::from_secs(3),
];
const IDLE_POLL: Duration = Duration::from_secs(2);
const MAX_ATTEMPTS: i64 = 10;

#[derive(Clone)]
pub struct WorkerMetrics {
    sent: IntCounterVec,
    pending: IntGauge,
}

impl WorkerMetrics {
    #[expect(
        clippy::expect_used,
        reason = "static metric definitions, valid by construction"
    )]
    pub fn new(registry: &Registry) -> Self {
        let sent = IntCounterVec::new(
            Opts::new(
                "bilten_emails_sent_total",
                "Outbox delivery attempts by result",
            ),
            &["result"],
        )
        .expect("static metric definition is valid");
        let pending = IntGauge::new("bilten_outbox_pending", "Emails waiting in the outbox")
            .expect("static metric definition is valid");
        for result in ["sent", "failed"] {
            sent.with_label_values(&[result]);
        }
        let _ = registry.register(Box::new(sent.clone()));
        let _ = registry.register(Box::new(pending.clone()));
        Self { sent, pending }
    }
}

pub struct OutboxWorker {
    store: Store,
    transport: Transport,
    from: Mailbox,
    metrics: WorkerMetrics,
    wake: Arc<Notify>,
    pacing: Arc<Pacing>,
    composer: Option<Arc<dyn Composer>>,
}

/// What the services that queue mails hold of the worker: the bell that wakes it after an
/// enqueue, and the sales counter it gives way to (see [`crate::pacing`]).
#[derive(Debug, Clone)]
pub struct MailHandle {
    pub wake: Arc<Notify>,
    pub pacing: Arc<Pacing>,
}

impl OutboxWorker {
    pub fn new(store: Store, transport: Transport, from: Mailbox, metrics: WorkerMetrics) -> Self {
        Self {
            store,
            transport,
            from,
            metrics,
            wake: Arc::new(Notify::new()),
            pacing: Arc::new(Pacing::new()),
            composer: None,
        }
    }

    /// Composes templated rows with `composer` (without one they fail permanently).
    pub fn set_composer(&mut self, composer: Arc<dyn Composer>) {
        self.composer = Some(composer);
    }

    /// Notify this after enqueueing to send at once instead of at the next poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The waker and the sales counter, for the service that queues mails.
    pub fn handle(&self) -> MailHandle {
        MailHandle {
            wake: self.wake.clone(),
            pacing: self.pacing.clone(),
        }
    }

    /// Runs until `shutdown`; a mail being sent when it fires is finished first. While this
    /// process's sales are busy it sends one mail per [`TRICKLE`] (see [`crate::pacing`]).
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(transport = %self.transport.describe(), "outbox worker started");
        while !shutdown.is_cancelled() {
            let sent = match self.send_due(true).await {
                Ok(n) => n,
                Err(error) => {
                    tracing::warn!(%error, "outbox: could not claim mails");
                    0
                }
            };
            if self.pacing.sales_busy() {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(TRICKLE) => {}
                }
            } else if sent == 0 {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(IDLE_POLL) => {}
                }
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// One pass: sends every mail due now, one lease at a time, busy sales or not. Returns
    /// how many were attempted.
    pub async fn run_once(&self) -> Result<usize, bilten_store::StoreError> {
        self.send_due(false).await
    }

    /// Sends the mails due now, one lease at a time; `give_way`: stop after a mail once sales
    /// are busy.
    async fn send_due(&self, give_way: bool) -> Result<usize, bilten_store::StoreError> {
        let mut attempted = 0;
        while let Some(email) = outbox::claim_due(&self.store, 1, LEASE, Utc::now())
            .await?
            .pop()
        {
            attempted += 1;
            self.deliver(&email).await?;
            if give_way && self.pacing.sales_busy() {
                break;
            }
        }
        if let Ok(pending) = outbox::pending_count(self.store.primary()).await {
            self.metrics.pending.set(pending);
        }
        Ok(attempted)
    }

    /// Composes a templated row (subject, bodies, attachments rendered now) and sends it, or
    /// sends a stored row as it is. Returns what a composed row was sent with.
    async fn compose_and_send(
        &self,
        email: &outbox::ClaimedEmail,
    ) -> (
        Result<(), TransportError>,
        Option<crate::templates::Rendered>,
    ) {
        let (Some(template), Some(reference)) = (&email.template, &email.reference) else {
            let sent = match crate::transport::Outgoing::stored(email) {
                Ok(mail) => self.transport.send(&self.from, mail).await,
                Err(error) => Err(error),
            };
            return (sent, None);
        };
        let Some(composer) = self.composer.as_ref() else {
            let error = format!("no composer for template {template}");
            return (Err(TransportError::Permanent(error)), None);
        };
        let mail = match composer.compose(template, reference).await {
            Ok(mail) => mail,
            Err(ComposeError::Temporary(m)) => return (Err(TransportError::Temporary(m)), None),
            Err(ComposeError::Permanent(m)) => return (Err(TransportError::Permanent(m)), None),
        };
        let rendered = mail.rendered;
        let outgoing = crate::transport::Outgoing {
            id: &email.id,
            to: &email.to,
            subject: &rendered.subject,
            text: &rendered.text,
            html: Some(&rendered.html),
            attachments: mail.attachments,
        };
        let sent = self.transport.send(&self.from, outgoing).await;
        (sent, Some(rendered))
    }

    /// Sends one claimed mail and records the result.
    async fn deliver(&self, email: &outbox::ClaimedEmail) -> Result<(), bilten_store::StoreError> {
        let (result, rendered) = self.compose_and_send(email).await;
        let composed = rendered.as_ref().map(|r| outbox::Composed {
            subject: &r.subject,
            body_text: &r.text,
        });
        let outcome = if result.is_ok() { "sent" } else { "failed" };
        self.metrics.sent.with_label_values(&[outcome]).inc();
        let retry_at = match &result {
            Ok(()) => None,
            Err(error) => {
                let retry_at = match error {
                    TransportError::Temporary(_) if email.attempts < MAX_ATTEMPTS => {
                        Some(Utc::now() + backoff(email.attempts))
                    }
                    _ => None,
                };
                tracing::warn!(id = %email.id, attempts = email.attempts, %error, will_retry = retry_at.is_some(), "email delivery failed");
                retry_at
            }
        };
        let mut pauses = RECORD_RETRIES.iter();
        loop {
            let recorded = match &result {
                Ok(()) => outbox::mark_sent(&self.store, &email.id, Utc::now(), composed).await,
                Err(error) => outbox::mark_attempt_failed(
                    self.store.primary(),
                    &email.id,
                    email.attempts,
                    &error.to_string(),
                    retry_at,
                )
                .await
                .map(|_| ()),
            };
            match (recorded, pauses.next()) {
                (Ok(()), _) => return Ok(()),
                (Err(error), Some(pause)) => {
                    tracing::warn!(id = %email.id, %error, "outbox: could not record a delivery result; retrying");
                    tokio::time::sleep(*pause).await;
                }
                (Err(error), None) => return Err(error),
            }
        }
    }
}

/// 30 s, 1 min, 2 min … capped at one hour.
fn backoff(attempts: i64) -> chrono::Duration {
    let exponent = attempts.clamp(1, 8) - 1;
    chrono::Duration::seconds((30_i64 << exponent).min(3600))
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1).num_seconds(), 30);
        assert_eq!(backoff(2).num_seconds(), 60);
        assert_eq!(backoff(3).num_seconds(), 120);
        assert_eq!(backoff(20).num_seconds(), 3600);
    }
}
