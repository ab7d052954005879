//! Group commit: concurrent purchases of one event, taken in one transaction.
//!
//! Each backend process keeps one queue per event with sales going on. A request puts its
//! purchase on the queue and waits; the queue's worker takes everything waiting (up to
//! [`MAX_BATCH`]) and runs it as one batch: one lock of the event's counter rows, one decision
//! ([`bilten_domain::allocation`]), one multi-row insert per table, one update per counter,
//! one commit. While a batch commits, the next one gathers, so the batch size follows the load
//! by itself: one buyer alone waits for nothing, a thousand share a few dozen commits.
//!
//! Every buyer still gets an exact answer: the batch decides in arrival order, all or nothing
//! per request, as if the requests had run one after another. If the batch's transaction fails,
//! it is rolled back whole and every buyer in it gets the same error; nothing is half-written.
//!
//! A queue's worker ends after a while without purchases, and a new one starts with the next.
//!
//! **Inventory leases** keep several backend processes from queueing on one counter row. A
//! batch that has to lock the counters (the *locked path*) also takes a lease for each ticket
//! type it sold: a block of 2–5 % of what is left ([`lease_size`]), moved into `held` on the
//! counters. The next batches of this process sell from their leases (the *lease path*): they
//! update only their own lease row and never lock a counter, so the processes' batches commit
//! side by side. A lease lives [`LEASE_TTL`]; when it runs out, expires, or a buyer would
//! otherwise be told "sold out", a locked batch settles it (see [`bilten_store::leases`]), so
//! the last places are always sold exactly from the counters and a dead process's lease is
//! back on sale within its lifetime.

use bilten_domain::EventStatus;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use bilten_api::orders::PaymentStatus;
use bilten_domain::allocation::{Allocation, Demand, Standing};
use bilten_domain::ticket_code::{TicketClaims, TicketSigner};
use bilten_domain::{
    Currency, EventId, Money, OrderId, PaymentId, QuotaId, TicketId, TicketTypeId,
};
use bilten_domain::{OrderStatus, TicketStatus};
use bilten_store::inventory::{self, Counter, Movement};
use bilten_store::leases::{self, Counters, Granted, Which};
use bilten_store::outbox::{self, TemplatedEmail};
use bilten_store::promo::{self as promo_store, PromoRecord, UseRefused};
use bilten_store::purchase::{
    self as batch_store, BatchLine, BatchOrder, BatchPayment, BatchTicket, Read,
};
use bilten_store::{orders, StoreError, Tx};
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use crate::error::{BackendError, BackendResult};
use crate::orders::purchase::sold_out::SoldOutFlags;
use crate::orders::purchase::views::{OrderView, PaymentView, TicketEventView, TicketView};
use crate::orders::request::{buyer_cap_error, Purchase};
use crate::{signing, AppState};

mod answers;
mod counters;
mod own_leases;
mod pricing;

use answers::{attendee_names_json, order_view, ticket_event_view};
use counters::{apply_settled, fits_in_aggregate, sold_out_error, CounterIndex};
pub use own_leases::{lease_size, settle_expired_leases};
use own_leases::{Holder, LeaseChange, Leases, Path};
use pricing::{expiry_of, price, status_of, Priced};

/// The most purchases one transaction takes. Large enough that a commit's flush is shared by
/// many; small enough that the statements stay far below both engines' parameter limits.
pub const MAX_BATCH: usize = 128;
/// Purchases waiting per event beyond which new ones are told to retry (`503`).
const QUEUE_DEPTH: usize = 4096;
/// A worker without purchases for this long ends; the next purchase starts a new one.
const IDLE: Duration = Duration::from_secs(30);
/// The template the outbox worker composes the confirmation from.
pub const CONFIRMATION_TEMPLATE: &str = "order_confirmation";
/// How long an inventory lease lives: the longest a dead process's places stay off sale.
pub const LEASE_TTL: Duration = Duration::from_secs(10);
/// A lease this close to its end is not drawn from any more (a batch's transaction must
/// finish before the lease expires, or its draw is refused).
const LEASE_MARGIN: Duration = Duration::from_secs(2);

/// What a purchase asks of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Hold the tickets in a `pending` order until the event's hold time ends; the buyer pays
    /// later on the provider's page (`POST /orders`).
    Hold,
    /// Complete now: order `paid`, tickets issued, confirmation queued (`POST /purchases`).
    Pay(Payment),
}

/// How the buyer pays, decided before the purchase is queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    /// Nothing given: only a free order can complete.
    None,
    /// A test card that succeeds (the `test` provider charges it synchronously).
    TestCardSucceeds,
    /// A test card that is declined with this code.
    TestCardDeclined(&'static str),
}

/// One buyer's purchase, ready for a batch.
pub struct Job {
    pub purchase: Purchase,
    pub idempotency_key: String,
    pub request_hash: String,
    pub promo: Option<PromoRecord>,
    pub mode: Mode,
    pub reply: oneshot::Sender<BackendResult<Done>>,
}

/// How a purchase ended, for the handler.
pub enum Done {
    /// Paid and issued: the answer to send.
    Completed(Box<Completed>),
    /// Held (`Mode::Hold`): the pending order.
    Held(Box<OrderView>),
    /// The idempotency key names an order already stored (or stored meanwhile by another
    /// request with the same key): answer as a replay.
    Replay,
}

/// A completed purchase's views.
pub struct Completed {
    pub order: OrderView,
    pub payment: Option<PaymentView>,
    pub tickets: Vec<TicketView>,
}

/// The per-event queues of this process.
#[derive(Default)]
pub struct PurchaseEngine {
    queues: Mutex<HashMap<EventId, mpsc::Sender<Job>>>,
    pub(crate) sold_out: SoldOutFlags,
    holder: Holder,
}

impl std::fmt::Debug for PurchaseEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PurchaseEngine").finish_non_exhaustive()
    }
}

impl PurchaseEngine {
    /// Queues `job` for its event, starting the event's worker if none runs.
    pub fn submit(&self, state: &AppState, job: Job) -> BackendResult<()> {
        let event = job.purchase.event_id;
        let mut queues = self
            .queues
            .lock()
            .map_err(|_| BackendError::Internal("purchase queues poisoned".to_owned()))?;
        let mut job = job;
        // At most twice: the first sender may belong to a worker that just ended.
        for _ in 0..2 {
            let sender = queues.entry(event).or_insert_with(|| {
                let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
                tokio::spawn(run_worker(state.clone(), event, receiver));
                sender
            });
            match sender.try_send(job) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::TrySendError::Full(_)) => {
                    return Err(BackendError::Unavailable(
                        "too many purchases are waiting for this event".to_owned(),
                    ))
                }
                Err(mpsc::error::TrySendError::Closed(back)) => {
                    queues.remove(&event);
                    job = back;
                }
            }
        }
        Err(BackendError::Unavailable(
            "the purchase queue could not be started".to_owned(),
        ))
    }
}

/// Drains one event's queue batch by batch until it has been idle for [`IDLE`].
async fn run_worker(state: AppState, event: EventId, mut receiver: mpsc::Receiver<Job>) {
    let mut leases = Leases::default();
    loop {
        let first = tokio::time::timeout(IDLE, receiver.recv()).await;
        let Ok(Some(first)) = first else {
            // Idle (or every sender gone): close the queue so new purchases start a new worker,
            // then answer whatever slipped in meanwhile.
            receiver.close();
            let mut late = Vec::new();
            while let Ok(job) = receiver.try_recv() {
                late.push(job);
            }
            if !late.is_empty() {
                run_batch(&state, event, late, &mut leases).await;
            }
            return;
        };
        let mut jobs = Vec::with_capacity(MAX_BATCH.min(receiver.len() + 1));
        jobs.push(first);
        while jobs.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        if run_batch(&state, event, jobs, &mut leases).await == Ran::DatabaseUnavailable {
            // Whoever queued behind the failed batch would wait for the database's whole
            // acquire timeout once more: tell them now, as the batch's buyers were told.
            while let Ok(job) = receiver.try_recv() {
                let _ = job.reply.send(Err(BackendError::Unavailable(
                    "the database is not available".to_owned(),
                )));
            }
        }
    }
}

/// How a batch ended, for the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ran {
    Answered,
    /// The batch failed because the database could not be reached.
    DatabaseUnavailable,
}

/// Runs one batch and answers every job in it.
async fn run_batch(state: &AppState, event: EventId, jobs: Vec<Job>, leases: &mut Leases) -> Ran {
    let batch_size = jobs.len();
    state
        .business
        .purchase_batch_size
        .observe(batch_size as f64);
    state.mail_pacing.record_sales(batch_size as u64);
    let (entries, replies): (Vec<Entry>, Vec<_>) = jobs
        .into_iter()
        .map(|job| {
            (
                Entry {
                    purchase: job.purchase,
                    key: job.idempotency_key,
                    hash: job.request_hash,
                    promo: job.promo,
                    mode: job.mode,
                },
                job.reply,
            )
        })
        .collect();
    let mut ran = Ran::Answered;
    let answers = match take_batch(state, event, &entries, leases).await {
        Ok(answers) => answers,
        Err(error) => {
            if matches!(error, BackendError::Unavailable(_)) {
                ran = Ran::DatabaseUnavailable;
            }
            tracing::warn!(%error, batch_size, "purchase batch failed; every buyer in it is told");
            let message = error.to_string();
            entries
                .iter()
                .map(|_| Err(shared_failure(&message, &error)))
                .collect()
        }
    };
    for (reply, answer) in replies.into_iter().zip(answers) {
        let _ = reply.send(answer);
    }
    ran
}

/// The error each buyer of a failed batch gets: the database's unavailability stays a 503,
/// an event that does not exist a 404 (the batch's signing key has no event to belong to),
/// anything else is an internal error (logged once above, not per buyer).
fn shared_failure(message: &str, error: &BackendError) -> BackendError {
    match error {
        BackendError::Unavailable(_) => BackendError::Unavailable(message.to_owned()),
        BackendError::NotFound(what) => BackendError::NotFound(what),
        _ => BackendError::Internal(message.to_owned()),
    }
}

/// A job without its reply channel.
struct Entry {
    purchase: Purchase,
    key: String,
    hash: String,
    promo: Option<PromoRecord>,
    mode: Mode,
}

/// Where an entry stands while the batch is decided.
enum Verdict {
    /// Still in the running (see the allocation's standing).
    Open,
    /// Answered without taking anything.
    Answer(BackendResult<Done>),
}

/// The batch's transaction, retried once when lapsed holds were in the way.
async fn take_batch(
    state: &AppState,
    event: EventId,
    entries: &[Entry],
    leases: &mut Leases,
) -> BackendResult<Vec<BackendResult<Done>>> {
    let (key_version, signer) = signing::current_signer(state, event).await?;
    let mut may_retry = true;
    let now = Utc::now();
    let mut path = if leases.cover(entries, now) {
        Path::Lease
    } else {
        Path::Locked
    };
    loop {
        let batch = Batch {
            state,
            event,
            entries,
            key_version,
            signer: &signer,
            now: Utc::now(),
            may_retry,
            path,
            leases,
        };
        match batch.run().await? {
            Attempt::Done(answers, change) => {
                leases.apply(change);
                return Ok(answers);
            }
            Attempt::NeedsLock => path = Path::Locked,
            Attempt::SoldOutWithLapsedHolds => {
                // Lapsed holds still sit in the counters until released: release this
                // event's and decide once more (without another retry).
                may_retry = false;
                crate::orders::holds::release_lapsed(state, Some(event), Utc::now()).await?;
            }
        }
    }
}

enum Attempt {
    Done(Vec<BackendResult<Done>>, LeaseChange),
    /// The leases could not serve the batch (gone, expired, or short): take it from the
    /// counters instead.
    NeedsLock,
    /// Someone was refused for stock while lapsed holds still counted: release them and retry.
    SoldOutWithLapsedHolds,
}

/// One attempt at a batch.
struct Batch<'a> {
    state: &'a AppState,
    event: EventId,
    entries: &'a [Entry],
    key_version: i64,
    signer: &'a TicketSigner,
    now: DateTime<Utc>,
    /// Whether a sold-out answer should first look for lapsed holds to release.
    may_retry: bool,
    path: Path,
    leases: &'a Leases,
}

impl Batch<'_> {
    async fn run(self) -> BackendResult<Attempt> {
        let mut tx = self.state.store.begin().await?;
        match self.decide_and_write(&mut tx).await {
            Ok(Decided::Commit(answers, mut outcome)) => {
                tx.commit().await.map_err(StoreError::from)?;
                self.after_commit(&outcome).await;
                Ok(Attempt::Done(answers, std::mem::take(&mut outcome.leases)))
            }
            Ok(Decided::Rollback(attempt)) => {
                tx.rollback().await.map_err(StoreError::from)?;
                Ok(attempt)
            }
            Err(error) => {
                let _ = tx.rollback().await;
                Err(error)
            }
        }
    }

    /// Publishes what ran out (sold-out flags), counts, and wakes the mail worker.
    async fn after_commit(&self, outcome: &Outcome) {
        let business = &self.state.business;
        for (label, n) in [("paid", outcome.paid), ("created", outcome.held)] {
            if n > 0 {
                business.orders.with_label_values(&[label]).inc_by(n as u64);
            }
        }
        business.tickets_sold.inc_by(outcome.tickets as u64);
        for (ticket_type, n) in &outcome.left {
            if *n <= 0 {
                super::engine_of(self.state)
                    .sold_out
                    .mark(&self.state.cache, *ticket_type)
                    .await;
            }
        }
        self.state.mail_waker.notify_one();
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one straight walk through the batch's steps"
    )]
    async fn decide_and_write(&self, tx: &mut Tx) -> BackendResult<Decided> {
        let read = match self.path {
            Path::Lease => Read::Leased,
            Path::Locked => Read::Locked,
        };
        let Some(mut inventory) = batch_store::lock_inventory(tx, self.event, read).await? else {
            return Ok(Decided::Commit(
                self.entries
                    .iter()
                    .map(|_| Err(BackendError::NotFound("event")))
                    .collect(),
                Outcome::default(),
            ));
        };
        let terms = &inventory.event;
        if let Some(refusal) = event_refusal(terms.status) {
            return Ok(Decided::Commit(
                self.entries.iter().map(|_| Err(refusal())).collect(),
                Outcome::default(),
            ));
        }
        let currency =
            Currency::parse(&terms.currency).map_err(|e| BackendError::Internal(e.to_string()))?;
        if self.path == Path::Locked {
            // This process's leases come back to the counters (new ones are taken below for
            // what this batch sells), and so does every expired lease, whoever held it.
            let own = self.leases.ids();
            let which = Which::Event {
                event: self.event,
                own: &own,
                everyone: false,
            };
            let settled = leases::settle(tx, which, self.now, Counters::AlreadyLocked).await?;
            apply_settled(&mut inventory, &settled);
        }

        let mut verdicts: Vec<Verdict> = self.entries.iter().map(|_| Verdict::Open).collect();
        // Replays: keys stored earlier, and later copies of a key within this batch.
        let keys: Vec<&str> = self.entries.iter().map(|e| e.key.as_str()).collect();
        let stored = batch_store::orders_by_keys(tx, &keys).await?;
        let mut seen_keys = std::collections::HashSet::new();
        for (i, entry) in self.entries.iter().enumerate() {
            if let Some((_, hash)) = stored.get(&entry.key) {
                verdicts[i] = Verdict::Answer(if *hash == entry.hash {
                    Ok(Done::Replay)
                } else {
                    Err(BackendError::IdempotencyKeyReused)
                });
            } else if !seen_keys.insert(entry.key.as_str()) {
                verdicts[i] = Verdict::Answer(Ok(Done::Replay));
            }
        }
        // Price what is still open; refusals of the request itself are answered now.
        let mut priced: Vec<Option<Priced>> = Vec::with_capacity(self.entries.len());
        for (i, entry) in self.entries.iter().enumerate() {
            if !matches!(verdicts[i], Verdict::Open) {
                priced.push(None);
                continue;
            }
            match price(entry, &inventory, currency, self.now) {
                Ok(p) => priced.push(Some(p)),
                Err(error) => {
                    verdicts[i] = Verdict::Answer(Err(error));
                    priced.push(None);
                }
            }
        }
        let counters = CounterIndex::new(&inventory);
        let demands: Vec<Demand> = priced
            .iter()
            .map(|p| p.as_ref().map_or_else(Vec::new, |p| counters.demand(p)))
            .collect();
        let mut drawn: BTreeMap<TicketTypeId, (i64, i64)> = BTreeMap::new();
        let available = match self.path {
            Path::Lease => {
                // Take the whole batch's demand from the leases now, before any buyer counter
                // or promo code is locked (the lock order), and give back what the refused
                // leave at the end.
                let open =
                    (0..self.entries.len()).filter(|&i| matches!(verdicts[i], Verdict::Open));
                drawn = self.per_type(open, &priced);
                for (ticket_type, (take, sold)) in &drawn {
                    let Some(lease) = self.leases.by_type.get(ticket_type) else {
                        return Ok(Decided::Rollback(Attempt::NeedsLock));
                    };
                    if !leases::draw(tx, lease.id, *take, *sold, self.now).await? {
                        return Ok(Decided::Rollback(Attempt::NeedsLock));
                    }
                }
                counters.leased(self.leases)
            }
            Path::Locked => {
                let mut available = CounterIndex::available(&inventory);
                if !fits_in_aggregate(&available, &demands) {
                    // Someone would be told "sold out" while other processes may hold leases
                    // on the places: settle every lease of the event and decide from the
                    // counters alone, so the last places are sold exactly.
                    let which = Which::Event {
                        event: self.event,
                        own: &[],
                        everyone: true,
                    };
                    let settled =
                        leases::settle(tx, which, self.now, Counters::AlreadyLocked).await?;
                    if settled.leases > 0 {
                        apply_settled(&mut inventory, &settled);
                        available = CounterIndex::available(&inventory);
                    }
                }
                available
            }
        };
        let terms = &inventory.event;
        let mut allocation = Allocation::new(available, demands);
        for (i, verdict) in verdicts.iter().enumerate() {
            if matches!(verdict, Verdict::Answer(_)) {
                allocation.refuse(i);
            }
        }
        let cap = terms.buyer_cap;
        let mut promo_taken: Vec<bool> = vec![false; self.entries.len()];
        // Uses of lapsed holds count until released, like their tickets.
        let mut promo_exhausted = false;
        loop {
            let newly = allocation.settle();
            if newly.is_empty() {
                break;
            }
            self.take_buyer_counts(tx, &newly, &priced, cap, &mut allocation, &mut verdicts)
                .await?;
            for &i in &newly {
                if allocation.standing(i) != Standing::Admitted {
                    continue;
                }
                let Some(promo) = &self.entries[i].promo else {
                    continue;
                };
                match promo_store::take_use(tx, promo.id, self.now).await? {
                    Ok(()) => promo_taken[i] = true,
                    Err(refused) => {
                        let quantity = priced[i].as_ref().map_or(0, |p| p.quantity);
                        orders::release_buyer_count(
                            &mut **tx,
                            self.event,
                            &self.entries[i].purchase.buyer_key(),
                            quantity,
                        )
                        .await?;
                        allocation.refuse(i);
                        promo_exhausted |= refused == UseRefused::Exhausted;
                        verdicts[i] = Verdict::Answer(Err(match refused {
                            UseRefused::Unusable => BackendError::PromoInvalid,
                            UseRefused::Exhausted => BackendError::PromoExhausted,
                        }));
                    }
                }
            }
        }
        // Whoever is still open did not fit: sold out, unless lapsed holds were in the way
        // (of the stock, or of a promo code's uses).
        let short: Vec<usize> = (0..self.entries.len())
            .filter(|&i| {
                matches!(verdicts[i], Verdict::Open) && allocation.standing(i) == Standing::Open
            })
            .collect();
        if self.path == Path::Lease && (!short.is_empty() || promo_exhausted) {
            // Only the counters can say "sold out" (or release lapsed promo uses).
            return Ok(Decided::Rollback(Attempt::NeedsLock));
        }
        if (!short.is_empty() || promo_exhausted)
            && self.may_retry
            && !orders::lapsed_holds(&mut **tx, self.now, Some(self.event), 1)
                .await?
                .is_empty()
        {
            return Ok(Decided::Rollback(Attempt::SoldOutWithLapsedHolds));
        }
        for &i in &short {
            verdicts[i] = Verdict::Answer(Err(sold_out_error(
                &allocation,
                i,
                &counters,
                &inventory,
                &self.entries[i],
            )));
        }

        // Write the admitted ones. Orders first: a key another process stored meanwhile
        // refuses only that buyer, whose counter and promo use are given back.
        let admitted: Vec<usize> = (0..self.entries.len())
            .filter(|&i| allocation.standing(i) == Standing::Admitted)
            .collect();
        let ids: Vec<OrderId> = admitted.iter().map(|_| OrderId::new()).collect();
        let buyer_keys: Vec<String> = admitted
            .iter()
            .map(|&i| self.entries[i].purchase.buyer_key())
            .collect();
        let new_orders: Vec<BatchOrder<'_>> = admitted
            .iter()
            .zip(&ids)
            .zip(&buyer_keys)
            .map(|((&i, id), buyer_key)| {
                let entry = &self.entries[i];
                let p = priced[i].as_ref();
                BatchOrder {
                    id: *id,
                    buyer_user_id: entry.purchase.user,
                    buyer_key,
                    buyer_email: entry.purchase.email.as_str(),
                    buyer_name: entry.purchase.name.as_str(),
                    status: status_of(entry.mode),
                    expires_at: expiry_of(entry.mode, self.now, terms.hold_minutes),
                    total_minor: p.map_or(0, |p| p.total.minor()),
                    quantity: p.map_or(0, |p| p.quantity),
                    promo_code_id: entry.promo.as_ref().map(|p| p.id),
                    discount_minor: p.map_or(0, |p| p.discount),
                    idempotency_key: &entry.key,
                    request_hash: &entry.hash,
                    locale: entry.purchase.locale.code(),
                }
            })
            .collect();
        let inserted =
            batch_store::insert_orders(tx, self.event, currency.code(), &new_orders, self.now)
                .await?;
        let mut written: Vec<(usize, OrderId)> = Vec::with_capacity(admitted.len());
        for ((&i, id), buyer_key) in admitted.iter().zip(&ids).zip(&buyer_keys) {
            if inserted.contains(id) {
                written.push((i, *id));
                continue;
            }
            let quantity = priced[i].as_ref().map_or(0, |p| p.quantity);
            orders::release_buyer_count(&mut **tx, self.event, buyer_key, quantity).await?;
            if promo_taken[i] {
                if let Some(promo) = &self.entries[i].promo {
                    promo_store::release_use(&mut **tx, promo.id).await?;
                }
            }
            allocation.refuse(i);
            verdicts[i] = Verdict::Answer(Ok(Done::Replay));
        }

        // The batch's places: from the leases (giving back what the refused left), or one move
        // per counter and movement (held for holds, sold for completed purchases). The locks
        // are held since the start, so the conditional update cannot refuse; if it does, the
        // batch rolls back.
        let taken = self.per_type(written.iter().map(|(i, _)| *i), &priced);
        let mut holds_added: BTreeMap<usize, i64> = BTreeMap::new();
        let lease_change = match self.path {
            Path::Lease => {
                for (ticket_type, (take, sold)) in &drawn {
                    let (took, sold_now) = taken.get(ticket_type).copied().unwrap_or((0, 0));
                    if took < *take {
                        if let Some(lease) = self.leases.by_type.get(ticket_type) {
                            leases::give_back(tx, lease.id, take - took, sold - sold_now).await?;
                        }
                    }
                }
                LeaseChange::Drawn(taken.iter().map(|(t, (n, _))| (*t, *n)).collect())
            }
            Path::Locked => {
                self.move_counters(tx, &written, &priced, &counters, &mut holds_added)
                    .await?;
                LeaseChange::Replaced(
                    self.grant_leases(tx, &taken, &counters, allocation.left())
                        .await?,
                )
            }
        };
        let (held, written): (Written, Written) = written
            .into_iter()
            .partition(|(i, _)| self.entries[*i].mode == Mode::Hold);
        for (i, id) in &held {
            if let Some(p) = &priced[*i] {
                let entry = &self.entries[*i];
                let mut view = order_view(*id, self.event, entry, p, currency, self.now);
                view.status = OrderStatus::Pending;
                view.expires_at = expiry_of(entry.mode, self.now, terms.hold_minutes);
                verdicts[*i] = Verdict::Answer(Ok(Done::Held(Box::new(view))));
            }
        }
        let attendee_json: Vec<String> = held
            .iter()
            .chain(&written)
            .flat_map(|(i, _)| {
                priced[*i]
                    .as_ref()
                    .map(|p| p.lines.iter().map(|l| attendee_names_json(&l.attendees)))
                    .into_iter()
                    .flatten()
            })
            .collect();
        let mut lines = Vec::new();
        let mut json_iter = attendee_json.iter();
        for (i, id) in held.iter().chain(&written) {
            if let Some(p) = &priced[*i] {
                for line in &p.lines {
                    lines.push(BatchLine {
                        order_id: *id,
                        ticket_type_id: line.ticket_type_id,
                        quantity: line.quantity,
                        unit_price_minor: line.unit_price_minor,
                        discount_minor: line.discount_minor,
                        attendee_names: json_iter.next().map_or("[]", String::as_str),
                    });
                }
            }
        }
        batch_store::insert_lines(tx, &lines).await?;

        let issued = self.issue(&written, &priced);
        let ticket_count = issued.len();
        let tickets: Vec<BatchTicket<'_>> = issued
            .iter()
            .map(|t| BatchTicket {
                id: t.id,
                order_id: t.order_id,
                ticket_type_id: t.ticket_type_id,
                attendee_name: &t.attendee_name,
                code: &t.code,
            })
            .collect();
        batch_store::insert_tickets(tx, self.event, self.key_version, &tickets, self.now).await?;
        let payments: Vec<BatchPayment> = written
            .iter()
            .filter_map(|(i, id)| {
                let total = priced[*i].as_ref()?.total.minor();
                (total > 0).then(|| BatchPayment {
                    id: PaymentId::new(),
                    order_id: *id,
                    amount_minor: total,
                })
            })
            .collect();
        batch_store::insert_succeeded_payments(
            tx,
            self.state.payments.name(),
            currency.code(),
            &payments,
            self.now,
        )
        .await?;
        let dedupe_keys: Vec<String> = written
            .iter()
            .map(|(_, id)| format!("order-confirmation:{id}"))
            .collect();
        let references: Vec<String> = written.iter().map(|(_, id)| id.to_string()).collect();
        let mails: Vec<TemplatedEmail<'_>> = written
            .iter()
            .zip(&dedupe_keys)
            .zip(&references)
            .map(|(((i, _), dedupe_key), reference)| TemplatedEmail {
                to: self.entries[*i].purchase.email.as_str(),
                dedupe_key,
                reference,
            })
            .collect();
        outbox::enqueue_templated(tx, CONFIRMATION_TEMPLATE, &mails, self.now).await?;

        // The answers.
        let event_view = ticket_event_view(&inventory);
        let mut by_order: HashMap<OrderId, Vec<TicketView>> = HashMap::new();
        for t in issued {
            by_order
                .entry(t.order_id)
                .or_default()
                .push(self.ticket_view(t, &event_view));
        }
        let payment_of: HashMap<OrderId, &BatchPayment> =
            payments.iter().map(|p| (p.order_id, p)).collect();
        for (i, id) in &written {
            let Some(p) = &priced[*i] else { continue };
            let entry = &self.entries[*i];
            let payment = payment_of.get(id).map(|pay| PaymentView {
                id: pay.id,
                order_id: *id,
                provider: self.state.payments.kind(),
                status: PaymentStatus::Succeeded,
                amount: Money::new(pay.amount_minor, currency),
                failure_code: None,
                created_at: self.now,
                succeeded_at: Some(self.now),
            });
            verdicts[*i] = Verdict::Answer(Ok(Done::Completed(Box::new(Completed {
                order: order_view(*id, self.event, entry, p, currency, self.now),
                payment,
                tickets: by_order.remove(id).unwrap_or_default(),
            }))));
        }
        // Sold out for good (until a refund) only when nothing is left and nothing is held: a
        // held ticket may come back when its hold lapses, and a lapsed hold must never keep a
        // buyer out, so while holds exist sold-out answers go through the batch.
        // Leases count as held on the counters: what the other processes' leases still have
        // (to sell, or sold but not yet settled) is told apart from buyers' holds. The lease
        // path decides nothing about sold-out.
        let left_after = allocation.left();
        let types = inventory.ticket_types.len();
        let outstanding =
            if self.path == Path::Locked && left_after[..types].iter().any(|n| *n <= 0) {
                leases::outstanding(tx, self.event).await?
            } else {
                BTreeMap::new()
            };
        let left: Vec<(TicketTypeId, i64)> = match self.path {
            Path::Lease => Vec::new(),
            Path::Locked => left_after
                .into_iter()
                .zip(&inventory.ticket_types)
                .enumerate()
                .map(|(c, (n, t))| {
                    let (leased, leased_sold) = outstanding.get(&t.id).copied().unwrap_or((0, 0));
                    let held =
                        t.held + holds_added.get(&c).copied().unwrap_or(0) - leased - leased_sold;
                    (t.id, if held > 0 || leased > 0 { n.max(1) } else { n })
                })
                .collect(),
        };
        let answers = verdicts
            .into_iter()
            .map(|v| match v {
                Verdict::Answer(answer) => answer,
                Verdict::Open => Err(BackendError::Internal(
                    "a purchase left the batch undecided".to_owned(),
                )),
            })
            .collect();
        Ok(Decided::Commit(
            answers,
            Outcome {
                left,
                paid: written.len(),
                held: held.len(),
                tickets: ticket_count,
                leases: lease_change,
            },
        ))
    }

    /// Takes the per-buyer counters of the newly admitted, in arrival order per buyer; those
    /// over the cap are refused.
    async fn take_buyer_counts(
        &self,
        tx: &mut Tx,
        newly: &[usize],
        priced: &[Option<Priced>],
        cap: i64,
        allocation: &mut Allocation,
        verdicts: &mut [Verdict],
    ) -> BackendResult<()> {
        let keys: Vec<String> = newly
            .iter()
            .map(|&i| self.entries[i].purchase.buyer_key())
            .collect();
        let mut distinct: Vec<&str> = keys.iter().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let mut held = batch_store::buyer_counts(tx, self.event, &distinct).await?;
        let mut adds: BTreeMap<&str, i64> = BTreeMap::new();
        let mut accepted: Vec<(usize, &str)> = Vec::new();
        for (&i, key) in newly.iter().zip(&keys) {
            let quantity = priced[i].as_ref().map_or(0, |p| p.quantity);
            let current = held.entry(key.clone()).or_insert(0);
            if *current + quantity <= cap {
                *current += quantity;
                *adds.entry(key.as_str()).or_insert(0) += quantity;
                accepted.push((i, key.as_str()));
            } else {
                allocation.refuse(i);
                verdicts[i] =
                    Verdict::Answer(Err(buyer_cap_error(u32::try_from(cap).unwrap_or(u32::MAX))));
            }
        }
        let adds: Vec<(&str, i64)> = adds.into_iter().collect();
        let moved = batch_store::add_buyer_counts(tx, self.event, &adds, cap).await?;
        for (i, key) in accepted {
            if !moved.iter().any(|m| m == key) {
                // Another process's purchase for this buyer committed first.
                allocation.refuse(i);
                verdicts[i] =
                    Verdict::Answer(Err(buyer_cap_error(u32::try_from(cap).unwrap_or(u32::MAX))));
            }
        }
        Ok(())
    }

    /// Places per ticket type of the given entries: `(all, for completed orders)`.
    fn per_type(
        &self,
        entries: impl Iterator<Item = usize>,
        priced: &[Option<Priced>],
    ) -> BTreeMap<TicketTypeId, (i64, i64)> {
        let mut per_type: BTreeMap<TicketTypeId, (i64, i64)> = BTreeMap::new();
        for i in entries {
            let Some(p) = &priced[i] else { continue };
            let completes = matches!(self.entries[i].mode, Mode::Pay(_));
            for line in &p.lines {
                let entry = per_type.entry(line.ticket_type_id).or_default();
                entry.0 += line.quantity;
                if completes {
                    entry.1 += line.quantity;
                }
            }
        }
        per_type
    }

    /// The locked path's counter moves: one per counter and movement for the whole batch.
    async fn move_counters(
        &self,
        tx: &mut Tx,
        written: &[(usize, OrderId)],
        priced: &[Option<Priced>],
        counters: &CounterIndex,
        holds_added: &mut BTreeMap<usize, i64>,
    ) -> BackendResult<()> {
        for (movement, mode_holds) in [(Movement::Hold, true), (Movement::Sell, false)] {
            let mut per_counter: BTreeMap<usize, i64> = BTreeMap::new();
            for (i, _) in written {
                if (self.entries[*i].mode == Mode::Hold) != mode_holds {
                    continue;
                }
                if let Some(p) = &priced[*i] {
                    for (c, n) in counters.demand(p) {
                        *per_counter.entry(c).or_default() += n;
                    }
                }
            }
            if mode_holds {
                holds_added.clone_from(&per_counter);
            }
            for (c, n) in per_counter {
                if !inventory::shift(&mut **tx, counters.counter(c), movement, n).await? {
                    return Err(BackendError::Internal(
                        "a counter refused the batch's move under its lock".to_owned(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The locked path's new leases: one per ticket type the batch sold, sized by what is
    /// left of it and of its quotas ([`lease_size`]).
    async fn grant_leases(
        &self,
        tx: &mut Tx,
        taken: &BTreeMap<TicketTypeId, (i64, i64)>,
        counters: &CounterIndex,
        mut left: Vec<i64>,
    ) -> BackendResult<Vec<Granted>> {
        let mut granted = Vec::new();
        let expires_at = self.now
            + chrono::Duration::from_std(LEASE_TTL).unwrap_or_else(|_| chrono::Duration::zero());
        for (ticket_type, (demand, _)) in taken {
            let Some(&c) = counters.type_index.get(ticket_type) else {
                continue;
            };
            let quota_counters = counters
                .quotas_of
                .get(ticket_type)
                .cloned()
                .unwrap_or_default();
            let room = quota_counters
                .iter()
                .fold(left[c], |room, &q| room.min(left[q]));
            let size = lease_size(room, *demand);
            if size <= 0 {
                continue;
            }
            let quotas: Vec<QuotaId> = quota_counters
                .iter()
                .filter_map(|&q| match counters.counter(q) {
                    Counter::Quota(id) => Some(id),
                    Counter::TicketType(_) => None,
                })
                .collect();
            let lease = leases::grant(
                tx,
                self.event,
                *ticket_type,
                &quotas,
                &super::engine_of(self.state).holder.0,
                size,
                expires_at,
                self.now,
            )
            .await?
            .ok_or_else(|| {
                BackendError::Internal("a counter refused a lease under its lock".to_owned())
            })?;
            left[c] -= size;
            for q in quota_counters {
                left[q] -= size;
            }
            granted.push(lease);
        }
        Ok(granted)
    }

    /// Signs one ticket per admission of each written order.
    fn issue(&self, written: &[(usize, OrderId)], priced: &[Option<Priced>]) -> Vec<NewTicket> {
        let mut tickets = Vec::new();
        for (i, order_id) in written {
            let Some(p) = &priced[*i] else { continue };
            let buyer_name = self.entries[*i].purchase.name.as_str();
            for line in &p.lines {
                for n in 0..line.quantity {
                    let id = TicketId::new();
                    let attendee_name = usize::try_from(n)
                        .ok()
                        .and_then(|n| line.attendees.get(n))
                        .filter(|name| !name.is_empty())
                        .map_or(buyer_name, String::as_str)
                        .to_owned();
                    tickets.push(NewTicket {
                        id,
                        order_id: *order_id,
                        ticket_type_id: line.ticket_type_id,
                        ticket_type_name: line.name.clone(),
                        attendee_name,
                        code: self
                            .signer
                            .sign(&TicketClaims::new(id, line.ticket_type_id)),
                    });
                }
            }
        }
        tickets
    }

    fn ticket_view(&self, t: NewTicket, event: &TicketEventView) -> TicketView {
        TicketView {
            qr_svg_url: format!("/api/v1/tickets/{}/qr.svg", t.id),
            pdf_url: format!("/api/v1/tickets/{}/pdf", t.id),
            id: t.id,
            order_id: t.order_id,
            event_id: self.event,
            ticket_type_id: t.ticket_type_id,
            ticket_type: t.ticket_type_name,
            attendee_name: t.attendee_name,
            status: TicketStatus::Valid,
            code: t.code,
            key_version: self.key_version,
            issued_at: self.now,
            event: event.clone(),
        }
    }
}

/// Entries written in the batch, by index, with their order ids.
type Written = Vec<(usize, OrderId)>;

enum Decided {
    /// Commit, then send these answers.
    Commit(Vec<BackendResult<Done>>, Outcome),
    Rollback(Attempt),
}

/// What a committed batch changed, for the sold-out flags and the metrics.
#[derive(Default)]
struct Outcome {
    /// What each ticket type has left; at least 1 while any of it is held, since a hold may
    /// lapse and give it back.
    left: Vec<(TicketTypeId, i64)>,
    paid: usize,
    held: usize,
    tickets: usize,
    leases: LeaseChange,
}

/// A ticket signed in the batch.
struct NewTicket {
    id: TicketId,
    order_id: OrderId,
    ticket_type_id: TicketTypeId,
    ticket_type_name: String,
    attendee_name: String,
    code: String,
}

/// The refusal every buyer of an event gets when it is not on sale.
fn event_refusal(status: EventStatus) -> Option<fn() -> BackendError> {
    match status {
        EventStatus::Published => None,
        EventStatus::Draft => Some(|| BackendError::NotFound("event")),
        EventStatus::Canceled => Some(|| {
            BackendError::conflict(
                bilten_http::ErrorCode::EventNotOnSale,
                "This event is not on sale.",
            )
        }),
    }
}
