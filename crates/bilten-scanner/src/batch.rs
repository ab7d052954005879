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
use crate::rush;
use crate::scan::{self, ScanOutcome, ScanRequest, Scanned};
use crate::ScannerState;

/// The most scans one transaction takes.
pub const MAX_BATCH: usize = 64;
/// Scans waiting beyond which new ones are told to retry (`503`).
const QUEUE_DEPTH: usize = 4096;

/// One scan, owned, waiting for its batch.
pub(crate) struct Job {
    pub caller: Caller,
    pub scanned: Scanned,
    pub list: Arc<ListRecord>,
    pub nonce: String,
    pub direction: ScanDirection,
    pub scanned_at: DateTime<Utc>,
    pub offline_result: Option<CheckinReason>,
    pub keys: Keys,
    reply: oneshot::Sender<Result<(ScanAnswer, bool), ApiError>>,
}

impl Job {
    pub(crate) fn request(&self) -> ScanRequest<'_> {
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

/// Every scan of the batch, then the one commit: the plain ones on the rush path
/// ([`crate::rush`]), the rest each in its savepoint. If the rush path fails, the batch is
/// decided again with every scan in its savepoint.
async fn decide_all(
    state: &ScannerState,
    jobs: &[Job],
    now: DateTime<Utc>,
) -> Result<Vec<Result<ScanOutcome, ApiError>>, ApiError> {
    let rush = rush::eligible(jobs);
    if rush.iter().any(|&r| r) {
        match decide_batch(state, jobs, &rush, now).await {
            Ok(outcomes) => return Ok(outcomes),
            Err(error) => {
                tracing::warn!(%error, scans = jobs.len(), "rush path failed; deciding the batch scan by scan");
            }
        }
    }
    decide_batch(state, jobs, &vec![false; jobs.len()], now).await
}

/// One transaction: the devices' pairing checked, the `rush` jobs decided together, the others
/// one by one.
async fn decide_batch(
    state: &ScannerState,
    jobs: &[Job],
    rush: &[bool],
    now: DateTime<Utc>,
) -> Result<Vec<Result<ScanOutcome, ApiError>>, ApiError> {
    let mut tx = state.store.begin().await.map_err(db)?;
    let mut outcomes: Vec<Option<Result<ScanOutcome, ApiError>>> =
        jobs.iter().map(|_| None).collect();

    // A device's token may have been recognised from this process's memory: its pairing is
    // checked here, inside the transaction that records its scans.
    let mut devices: Vec<_> = jobs
        .iter()
        .filter_map(|j| j.caller.device().map(|d| d.id))
        .collect();
    devices.sort_unstable();
    devices.dedup();
    let live = bilten_store::scan_batch::live_devices(&mut tx, &devices)
        .await
        .map_err(db)?;
    for (job, outcome) in jobs.iter().zip(outcomes.iter_mut()) {
        if job.caller.device().is_some_and(|d| !live.contains(&d.id)) {
            *outcome = Some(Err(crate::auth::invalid_device()));
        }
    }

    let picks: Vec<usize> = (0..jobs.len())
        .filter(|&i| rush[i] && outcomes[i].is_none())
        .collect();
    if !picks.is_empty() {
        rush::decide_group(&mut tx, jobs, &picks, now, &mut outcomes).await?;
    }
    for (job, outcome) in jobs.iter().zip(outcomes.iter_mut()) {
        if outcome.is_some() {
            continue;
        }
        let mut savepoint = bilten_store::savepoint(&mut tx).await.map_err(db)?;
        let request = job.request();
        match scan::redeem_in(&mut savepoint, &job.caller, &request, &job.keys, now).await {
            Ok(decided) => {
                savepoint
                    .commit()
                    .await
                    .map_err(|e| db(bilten_store::StoreError::from(e)))?;
                *outcome = Some(Ok(decided));
            }
            Err(error) => {
                savepoint
                    .rollback()
                    .await
                    .map_err(|e| db(bilten_store::StoreError::from(e)))?;
                *outcome = Some(Err(error));
            }
        }
    }
    tx.commit()
        .await
        .map_err(|e| db(bilten_store::StoreError::from(e)))?;
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(ApiError::internal(&"scan left undecided"))))
        .collect())
}
