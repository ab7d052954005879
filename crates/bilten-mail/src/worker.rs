//! The outbox worker: lease due mails, send, mark; back off on failure.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lettre::message::Mailbox;
use prometheus::{IntCounterVec, IntGauge, Opts, Registry};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use bilten_store::{outbox, Store};

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

const BATCH: i64 = 20;
/// A leased mail not marked within this time is offered to workers again.
const LEASE: chrono::Duration = chrono::Duration::seconds(120);
const IDLE_POLL: Duration = Duration::from_secs(2);
const MAX_ATTEMPTS: i64 = 10;

#[derive(Clone)]
pub struct WorkerMetrics {
    sent: IntCounterVec,
    pending: IntGauge,
}

impl WorkerMetrics {
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
    composer: Option<Arc<dyn Composer>>,
}

impl OutboxWorker {
    pub fn new(store: Store, transport: Transport, from: Mailbox, metrics: WorkerMetrics) -> Self {
        Self {
            store,
            transport,
            from,
            metrics,
            wake: Arc::new(Notify::new()),
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

    /// Runs until `shutdown`; a mail being sent when it fires is finished first.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(transport = %self.transport.describe(), "outbox worker started");
        while !shutdown.is_cancelled() {
            let sent = match self.run_once().await {
                Ok(n) => n,
                Err(error) => {
                    tracing::warn!(%error, "outbox: could not claim mails");
                    0
                }
            };
            if sent == 0 {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(IDLE_POLL) => {}
                }
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// One pass: sends every mail due now (in batches). Returns how many were attempted.
    pub async fn run_once(&self) -> Result<usize, bilten_store::StoreError> {
        let mut attempted = 0;
        loop {
            let batch = outbox::claim_due(&self.store, BATCH, LEASE, Utc::now()).await?;
            if batch.is_empty() {
                break;
            }
            attempted += batch.len();
            for email in &batch {
                self.deliver(email).await?;
            }
        }
        if let Ok(pending) = outbox::pending_count(self.store.primary()).await {
            self.metrics.pending.set(pending);
        }
        Ok(attempted)
    }

    /// Fills in a templated row's subject, bodies and attachments.
    async fn compose(
        &self,
        email: &outbox::ClaimedEmail,
    ) -> Result<Option<outbox::ClaimedEmail>, TransportError> {
        let (Some(template), Some(reference)) = (&email.template, &email.reference) else {
            return Ok(None);
        };
        let composer = self.composer.as_ref().ok_or_else(|| {
            TransportError::Permanent(format!("no composer for template {template}"))
        })?;
        let mail = composer
            .compose(template, reference)
            .await
            .map_err(|e| match e {
                ComposeError::Temporary(m) => TransportError::Temporary(m),
                ComposeError::Permanent(m) => TransportError::Permanent(m),
            })?;
        let attachments = if mail.attachments.is_empty() {
            None
        } else {
            Some(
                serde_json::to_string(&mail.attachments)
                    .map_err(|e| TransportError::Permanent(format!("attachments: {e}")))?,
            )
        };
        Ok(Some(outbox::ClaimedEmail {
            subject: mail.rendered.subject,
            body_text: mail.rendered.text,
            body_html: Some(mail.rendered.html),
            attachments_json: attachments,
            ..email.clone()
        }))
    }

    async fn deliver(&self, email: &outbox::ClaimedEmail) -> Result<(), bilten_store::StoreError> {
        let sent = match self.compose(email).await {
            Ok(Some(composed)) => self.transport.send(&self.from, &composed).await,
            Ok(None) => self.transport.send(&self.from, email).await,
            Err(error) => Err(error),
        };
        match sent {
            Ok(()) => {
                self.metrics.sent.with_label_values(&["sent"]).inc();
                outbox::mark_sent(self.store.primary(), &email.id, Utc::now()).await
            }
            Err(error) => {
                self.metrics.sent.with_label_values(&["failed"]).inc();
                let retry_at = match &error {
                    TransportError::Temporary(_) if email.attempts < MAX_ATTEMPTS => {
                        Some(Utc::now() + backoff(email.attempts))
                    }
                    _ => None,
                };
                tracing::warn!(id = %email.id, attempts = email.attempts, %error, will_retry = retry_at.is_some(), "email delivery failed");
                outbox::mark_attempt_failed(
                    self.store.primary(),
                    &email.id,
                    &error.to_string(),
                    retry_at,
                )
                .await
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
