//! Group commit for scans: the redeems that arrive together share one transaction.
//!
//! At a gate rush every scan used to be its own transaction, so the database flushed its log
//! once per scan. Now a scan joins this process's queue; one task takes everything waiting
//! (up to [`MAX_BATCH`]) and runs it in one transaction, each scan inside its own savepoint
//! ([`crate::scan::redeem_in`], unchanged): a scan that fails is rolled back to its savepoint
//! and answered with its error, the others go on, and one commit (one flush) answers them all.
//!
//! Exactly one admission per ticket still comes from the database, not from the batch: the
//! conditional write of `checkin::admit_entry` decides, across batches, devices and scanner
//! processes alike. Within a batch the scans run in arrival order per ticket (sorted by what
//! was scanned, stably, so that two batches lock tickets in the same order and cannot
//! deadlock), so a second scan of a ticket in the same batch sees the first one's admission.

use std::sync::{Arc, Mutex};

use bilten_api::checkin::ScanAnswer;
use bilten_domain::{CheckinReason, ScanDirection};
use bilten_http::ApiError;
use bilten_store::checkin::ListRecord;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use crate::auth::{db, Caller};
use crate::gate_cache::Keys;
use crate::scan::{self, ScanOutcome, ScanRequest, Scanned};
use crate::ScannerState;

/// The most scans one transaction takes.
pub const MAX_BATCH: usize = 64;
/// Scans waiting beyond which new ones are told to retry (`503`).
const QUEUE_DEPTH: usize = 4096;

/// One scan, owned, waiting for its batch.
struct Job {
    caller: Caller,
    scanned: Scanned,
    list: Arc<ListRecord>,
    nonce: String,
    direction: ScanDirection,
    scanned_at: DateTime<Utc>,
    offline_result: Option<CheckinReason>,
    keys: Keys,
    reply: oneshot::Sender<Result<(ScanAnswer, bool), ApiError>>,
}

impl Job {
    fn request(&self) -> ScanRequest<'_> {
        ScanRequest {
            scanned: self.scanned.clone(),
            list: &self.list,
            nonce: &self.nonce,
            direction: self.direction,
            scanned_at: self.scanned_at,
            offline_result: self.offline_result,
        }
    }

    /// What the batch orders its scans by: the ticket they name.
    fn ticket_key(&self) -> String {
        match &self.scanned {
            Scanned::Code(code) => code.clone(),
            Scanned::Ticket(id) => id.to_string(),
        }
    }
}

/// This process's scan queue (one worker task, started with the first scan).
#[derive(Default)]
pub struct RedeemQueue {
    sender: Mutex<Option<mpsc::Sender<Job>>>,
}

impl std::fmt::Debug for RedeemQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedeemQueue").finish_non_exhaustive()
    }
}

impl RedeemQueue {
    /// Queues one scan and waits for its batch's answer.
    pub async fn redeem(
        &self,
        state: &ScannerState,
        caller: &Caller,
        request: &ScanRequest<'_>,
        keys: &Keys,
    ) -> Result<(ScanAnswer, bool), ApiError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            caller: caller.clone(),
            scanned: request.scanned.clone(),
            list: request.list.clone(),
            nonce: request.nonce.to_owned(),
            direction: request.direction,
            scanned_at: request.scanned_at,
            offline_result: request.offline_result,
            keys: keys.clone(),
            reply,
        };
        self.submit(state, job)?;
        answer.await.unwrap_or_else(|_| {
            Err(ApiError::unavailable(
                "The scan could not be decided; try again.",
            ))
        })
    }

    fn submit(&self, state: &ScannerState, job: Job) -> Result<(), ApiError> {
        let mut sender = self
            .sender
            .lock()
            .map_err(|_| ApiError::internal(&"scan queue poisoned"))?;
        let queue = sender.get_or_insert_with(|| {
            let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
            tokio::spawn(run(state.clone(), receiver));
            sender
        });
        match queue.try_send(job) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => Err(ApiError::unavailable(
                "Too many scans are waiting; try again in a moment.",
            )),
            Err(mpsc::error::TrySendError::Closed(job)) => {
                // The worker is gone (its runtime ended): start another.
                *sender = None;
                drop(sender);
                self.submit(state, job)
            }
        }
    }
}

/// Takes everything waiting, batch after batch, for as long as the process runs.
async fn run(state: ScannerState, mut receiver: mpsc::Receiver<Job>) {
    while let Some(first) = receiver.recv().await {
        let mut jobs = Vec::with_capacity(MAX_BATCH.min(receiver.len() + 1));
        jobs.push(first);
        while jobs.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        run_batch(&state, jobs).await;
    }
}

/// Runs one batch in one transaction and answers every scan in it.
async fn run_batch(state: &ScannerState, mut jobs: Vec<Job>) {
    state.checkin_metrics.batch_size.observe(jobs.len() as f64);
    jobs.sort_by_key(Job::ticket_key);
    let now = Utc::now();
    let outcomes = match decide_all(state, &jobs, now).await {
        Ok(outcomes) => outcomes,
        Err(error) => {
            tracing::warn!(%error, scans = jobs.len(), "scan batch failed; every scan in it is told");
            jobs.iter().map(|_| Err(error.clone())).collect()
        }
    };
    for (job, outcome) in jobs.into_iter().zip(outcomes) {
        let answer = outcome.map(|o| {
            if let Some(reason) = o.reason {
                state
                    .checkin_metrics
                    .checkins
                    .with_label_values(&[reason.as_str()])
                    .inc();
            }
            if o.conflict {
                state.checkin_metrics.offline_conflicts.inc();
            }
            (o.answer, o.replayed)
        });
        let _ = job.reply.send(answer);
    }
}

/// Every scan of the batch, each in its savepoint; then the one commit.
async fn decide_all(
    state: &ScannerState,
    jobs: &[Job],
    now: DateTime<Utc>,
) -> Result<Vec<Result<ScanOutcome, ApiError>>, ApiError> {
    let mut tx = state.store.begin().await.map_err(db)?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        let mut savepoint = bilten_store::savepoint(&mut tx).await.map_err(db)?;
        let request = job.request();
        match scan::redeem_in(&mut savepoint, &job.caller, &request, &job.keys, now).await {
            Ok(outcome) => {
                savepoint
                    .commit()
                    .await
                    .map_err(|e| db(bilten_store::StoreError::from(e)))?;
                outcomes.push(Ok(outcome));
            }
            Err(error) => {
                savepoint
                    .rollback()
                    .await
                    .map_err(|e| db(bilten_store::StoreError::from(e)))?;
                outcomes.push(Err(error));
            }
        }
    }
    tx.commit()
        .await
        .map_err(|e| db(bilten_store::StoreError::from(e)))?;
    Ok(outcomes)
}
