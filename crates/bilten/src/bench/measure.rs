//! What a window of the run cost, read from outside the servers: CPU from `/proc/<pid>/stat`
//! (utime + stime, every thread) of the server processes, of this load generator and of the
//! PostgreSQL processes serving the run's database; statements from each server's
//! `bilten_db_statements_total`; commits and counter-row updates from PostgreSQL's
//! statistics. A [`Snapshot`] is taken at each end of a window; [`Usage`] is the difference.
//!
//! PostgreSQL backends come and go with the pools, so a poller lists the database's processes
//! (`pg_stat_activity`) every 200 ms and keeps each one's last CPU reading: a backend that
//! exits mid-window still counts up to its last reading (it loses at most 200 ms). The same
//! poll samples what each backend is doing ([`BackendTime`]: running, waiting for a lock or a
//! WAL flush, idle inside a transaction), which by Little's law gives the time per purchase
//! spent in each state — the row-lock hold time the model needs. The server's
//! shared processes (WAL writer, checkpointer, …) work for every database at once, so they are
//! reported on their own and not charged to the run. PostgreSQL publishes a backend's
//! counters (commits, row updates) at most once a second while it works and, once it is idle,
//! within 10 s (`PGSTAT_IDLE_INTERVAL`), so on PostgreSQL every window begins and ends with
//! [`Meter::settle`]: 11 s of quiet, in which only the background workers run. CPU, statements
//! and the engine's batches are read when the phase ends, before that wait
//! ([`Meter::snapshot`]); the statistics after it ([`Meter::recount`]) — so work the background
//! workers do while PostgreSQL catches up (the mail worker, back at full speed once a sale is
//! over) is charged to the next phase's CPU, and only its commits fall in the window before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bilten_domain::{CheckinListId, TicketTypeId};
use bilten_store::bench::{InventoryAudit, ServerProcess};
use bilten_store::statements::StatementCount;
use bilten_store::Store;
use serde::Serialize;

use super::platform::Platform;

/// `/proc` counts CPU in clock ticks of `USER_HZ`, which Linux fixes at 100 on every
/// architecture it exposes to user space.
const TICKS_PER_SECOND: f64 = 100.0;
/// How long PostgreSQL may take to publish an idle backend's counters.
pub const STATS_SETTLE: Duration = Duration::from_secs(11);
const POLL_EVERY: Duration = Duration::from_millis(200);

fn ticks_to_ms(ticks: u64) -> f64 {
    ticks as f64 * 1000.0 / TICKS_PER_SECOND
}

/// utime + stime of a process (all its threads), in ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the
    // last ')'. Counting from field 3 (state) at 0, utime and stime are 11 and 12.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn own_cpu_ticks() -> u64 {
    cpu_ticks(std::process::id()).unwrap_or_default()
}

/// Peak resident memory (`VmHWM`) of a live process, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    Some([
        fields.next()?.ok()?,
        fields.next()?.ok()?,
        fields.next()?.ok()?,
    ])
}

/// `bilten_db_statements_total` from a Prometheus text page.
fn parse_statements(page: &str) -> Option<StatementCount> {
    let mut count = StatementCount::default();
    let mut seen = false;
    for line in page.lines() {
        let Some(rest) = line.strip_prefix("bilten_db_statements_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.split_once('}') else {
            continue;
        };
        let value: f64 = value.trim().parse().ok()?;
        seen = true;
        if labels.contains("kind=\"transaction\"") {
            count.transaction = value as u64;
        } else if labels.contains("kind=\"query\"") {
            count.queries = value as u64;
        }
    }
    seen.then_some(count)
}

/// `bilten_purchase_batch_size`'s count and sum from a Prometheus text page: the purchase
/// engine's batches and the purchases in them (zero where the process has no engine).
fn parse_batches(page: &str) -> Batches {
    let mut batches = Batches::default();
    for line in page.lines() {
        let value = |rest: &str| rest.trim().parse::<f64>().map_or(0, |v| v as u64);
        if let Some(rest) = line.strip_prefix("bilten_purchase_batch_size_count") {
            batches.batches = value(rest);
        } else if let Some(rest) = line.strip_prefix("bilten_purchase_batch_size_sum") {
            batches.purchases = value(rest);
        }
    }
    batches
}

/// The purchase engine's transactions and the purchases they took.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Batches {
    pub batches: u64,
    pub purchases: u64,
}

/// A server process as the meter sees it.
struct Watched {
    name: String,
    pid: u32,
    metrics_url: Option<String>,
}

/// Time the run's client backends spent, summed over backends, by what they were doing:
/// each poll's states weighted by the time since the previous poll (a sampling profile).
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[expect(
    clippy::struct_field_names,
    reason = "the unit belongs in each JSON field's name"
)]
pub struct BackendTime {
    /// Active and not waiting: parsing, planning, executing.
    pub running_ms: f64,
    /// Waiting for a lock (a row another transaction updated, a tuple, a relation).
    pub lock_wait_ms: f64,
    /// Waiting for the WAL to be written and flushed (a commit's durability).
    pub wal_wait_ms: f64,
    /// Inside a transaction with nothing to do: waiting for the application's next
    /// statement, with every lock the transaction took still held.
    pub idle_in_transaction_ms: f64,
    /// Any other wait (buffer I/O, lightweight locks, …).
    pub other_wait_ms: f64,
}

impl BackendTime {
    fn add(&mut self, process: &ServerProcess, ms: f64) {
        if process.backend_type != "client backend" {
            return;
        }
        let slot = match (
            process.state.as_deref(),
            process.wait_event_type.as_deref(),
            process.wait_event.as_deref(),
        ) {
            (Some("active"), None, _) => &mut self.running_ms,
            (Some("active"), Some("Lock"), _) => &mut self.lock_wait_ms,
            (Some("active"), Some("IO"), Some(event)) if event.starts_with("WAL") => {
                &mut self.wal_wait_ms
            }
            (Some("active"), Some("LWLock"), Some("WALWrite")) => &mut self.wal_wait_ms,
            (Some("active"), _, _) => &mut self.other_wait_ms,
            (Some(state), _, _) if state.starts_with("idle in transaction") => {
                &mut self.idle_in_transaction_ms
            }
            _ => return,
        };
        *slot += ms;
    }

    fn since(&self, earlier: &Self) -> Self {
        Self {
            running_ms: self.running_ms - earlier.running_ms,
            lock_wait_ms: self.lock_wait_ms - earlier.lock_wait_ms,
            wal_wait_ms: self.wal_wait_ms - earlier.wal_wait_ms,
            idle_in_transaction_ms: self.idle_in_transaction_ms - earlier.idle_in_transaction_ms,
            other_wait_ms: self.other_wait_ms - earlier.other_wait_ms,
        }
    }
}

/// What the poller has seen of the run's database.
#[derive(Default)]
struct Activity {
    /// Processes by pid: last CPU ticks read (kept after they exit).
    ticks: HashMap<u32, u64>,
    time: BackendTime,
    last_poll: Option<Instant>,
}

struct PgMeter {
    admin: Store,
    database: String,
    /// The meter's own connection to the database, never counted.
    own_pid: u32,
    activity: Arc<Mutex<Activity>>,
    poller: tokio::task::JoinHandle<()>,
}

impl Drop for PgMeter {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

/// Reads the counters of a run.
pub struct Meter {
    servers: Vec<Watched>,
    client: reqwest::Client,
    /// The run's database, one connection (ledger checks, per-database statistics).
    local: Store,
    /// Transactions `local` ran: subtracted from the database's commits.
    local_queries: u64,
    pg: Option<PgMeter>,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    at: Instant,
    server_ticks: Vec<u64>,
    own_ticks: u64,
    statements: Vec<StatementCount>,
    batches: Batches,
    pg: Option<PgSnapshot>,
}

impl Snapshot {
    /// When the CPU and statement counts were read.
    pub fn taken_at(&self) -> Instant {
        self.at
    }
}

#[derive(Debug, Clone)]
struct PgSnapshot {
    backends: HashMap<u32, u64>,
    time: BackendTime,
    shared: HashMap<u32, u64>,
    commits: i64,
    rollbacks: i64,
    /// `local_queries` when `commits` was read.
    local_queries: u64,
    counter_updates: i64,
}

/// What a window cost.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Usage {
    pub seconds: f64,
    /// All server processes (backends, scanners, gateway, frontend, or `bilten serve`).
    pub server_cpu_ms: f64,
    pub server_cpu_ms_by_process: Vec<(String, f64)>,
    /// This process: the load generator.
    pub load_generator_cpu_ms: f64,
    /// Application statements (all server processes), transaction control not included.
    pub statements: Option<u64>,
    /// `COMMIT`s and `ROLLBACK`s the application awaited (PostgreSQL only: see
    /// `bilten_store::statements`).
    pub transaction_statements: Option<u64>,
    /// The purchase engine's batches in the window (all server processes).
    pub batches: Batches,
    pub postgres: Option<PgUsage>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PgUsage {
    /// Backends (and autovacuum workers) of the run's database.
    pub backend_cpu_ms: f64,
    pub backends: usize,
    /// The server's shared processes, working for every database on it.
    pub shared_cpu_ms: f64,
    pub commits: i64,
    pub rollbacks: i64,
    /// Row updates of `ticket_types` and `quotas`.
    pub counter_row_updates: i64,
    /// Where the client backends' time went.
    pub backend_time: BackendTime,
}

impl Meter {
    pub async fn new(platform: &Platform) -> anyhow::Result<Self> {
        let local = platform.connect_database().await?;
        let servers = platform
            .servers
            .iter()
            .map(|s| Watched {
                name: s.name.clone(),
                pid: s.pid,
                metrics_url: s.metrics_url.clone(),
            })
            .collect();
        let pg = match &platform.database {
            Some(database) => {
                let own_pid = bilten_store::bench::own_pid(local.primary()).await?;
                let activity = Arc::new(Mutex::new(Activity::default()));
                let poller = tokio::spawn(poll(
                    database.admin.clone(),
                    database.name.clone(),
                    own_pid,
                    activity.clone(),
                ));
                Some(PgMeter {
                    admin: database.admin.clone(),
                    database: database.name.clone(),
                    own_pid,
                    activity,
                    poller,
                })
            }
            None => None,
        };
        Ok(Self {
            servers,
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(10))
                .build()?,
            local,
            local_queries: 0,
            pg,
        })
    }

    /// Waits until PostgreSQL has published what happened so far (no-op on SQLite).
    pub async fn settle(&self) {
        if self.pg.is_some() {
            tokio::time::sleep(STATS_SETTLE).await;
        }
    }

    pub async fn snapshot(&mut self) -> anyhow::Result<Snapshot> {
        let at = Instant::now();
        let server_ticks = self
            .servers
            .iter()
            .map(|s| cpu_ticks(s.pid).unwrap_or_default())
            .collect();
        let own_ticks = own_cpu_ticks();
        let mut statements = Vec::new();
        let mut batches = Batches::default();
        for server in &self.servers {
            if let Some(url) = &server.metrics_url {
                let page = self.client.get(url).send().await?.text().await?;
                statements.push(parse_statements(&page).ok_or_else(|| {
                    anyhow::anyhow!("{}: no bilten_db_statements_total in /metrics", server.name)
                })?);
                let these = parse_batches(&page);
                batches.batches += these.batches;
                batches.purchases += these.purchases;
            }
        }
        let pg = match &self.pg {
            Some(pg) => {
                refresh(&pg.admin, &pg.database, &pg.activity, pg.own_pid).await?;
                let (backends, time) = {
                    let activity = pg
                        .activity
                        .lock()
                        .map_err(|_| anyhow::anyhow!("the poller panicked"))?;
                    (activity.ticks.clone(), activity.time)
                };
                let shared = bilten_store::bench::shared_processes(pg.admin.primary())
                    .await?
                    .into_iter()
                    .filter_map(|p| Some((p.pid, cpu_ticks(p.pid)?)))
                    .collect();
                Some(PgSnapshot {
                    backends,
                    time,
                    shared,
                    commits: 0,
                    rollbacks: 0,
                    local_queries: 0,
                    counter_updates: 0,
                })
            }
            None => None,
        };
        let mut snapshot = Snapshot {
            at,
            server_ticks,
            own_ticks,
            statements,
            batches,
            pg,
        };
        self.recount(&mut snapshot).await?;
        Ok(snapshot)
    }

    /// Reads PostgreSQL's statistics (commits, rollbacks, counter-row updates) into `snapshot`
    /// again: after [`Self::settle`] they include what the phase did.
    pub async fn recount(&mut self, snapshot: &mut Snapshot) -> anyhow::Result<()> {
        let (Some(pg), Some(taken)) = (&self.pg, snapshot.pg.as_mut()) else {
            return Ok(());
        };
        let counts =
            bilten_store::bench::transaction_counts(pg.admin.primary(), &pg.database).await?;
        taken.commits = counts.commits;
        taken.rollbacks = counts.rollbacks;
        taken.local_queries = self.local_queries;
        self.local_queries += 1;
        taken.counter_updates =
            bilten_store::bench::counter_row_updates(self.local.primary()).await?;
        Ok(())
    }

    /// Whether statistics lag behind the work (PostgreSQL), so marks wait for them.
    pub fn settles(&self) -> bool {
        self.pg.is_some()
    }

    /// What happened between two snapshots.
    pub fn usage(&self, from: &Snapshot, to: &Snapshot) -> Usage {
        let by_process: Vec<(String, f64)> = self
            .servers
            .iter()
            .zip(from.server_ticks.iter().zip(&to.server_ticks))
            .map(|(s, (a, b))| (s.name.clone(), ticks_to_ms(b.saturating_sub(*a))))
            .collect();
        let statements = (!to.statements.is_empty()).then(|| {
            let sum = |snapshot: &Snapshot, f: fn(&StatementCount) -> u64| -> u64 {
                snapshot.statements.iter().map(f).sum()
            };
            (
                sum(to, |c| c.queries).saturating_sub(sum(from, |c| c.queries)),
                sum(to, |c| c.transaction).saturating_sub(sum(from, |c| c.transaction)),
            )
        });
        let postgres = match (&from.pg, &to.pg) {
            (Some(a), Some(b)) => {
                let delta = |end: &HashMap<u32, u64>, start: &HashMap<u32, u64>| -> u64 {
                    end.iter()
                        .map(|(pid, ticks)| ticks.saturating_sub(*start.get(pid).unwrap_or(&0)))
                        .sum()
                };
                let own = i64::try_from(b.local_queries - a.local_queries).unwrap_or_default();
                Some(PgUsage {
                    backend_cpu_ms: ticks_to_ms(delta(&b.backends, &a.backends)),
                    backends: b
                        .backends
                        .iter()
                        .filter(|(pid, ticks)| a.backends.get(pid) != Some(ticks))
                        .count(),
                    shared_cpu_ms: ticks_to_ms(delta(&b.shared, &a.shared)),
                    commits: (b.commits - a.commits - own).max(0),
                    rollbacks: b.rollbacks - a.rollbacks,
                    counter_row_updates: b.counter_updates - a.counter_updates,
                    backend_time: b.time.since(&a.time),
                })
            }
            _ => None,
        };
        let transaction_statements = if postgres.is_some() {
            statements.map(|(_, t)| t)
        } else {
            None
        };
        Usage {
            seconds: (to.at - from.at).as_secs_f64(),
            server_cpu_ms: by_process.iter().map(|(_, ms)| ms).sum(),
            server_cpu_ms_by_process: by_process,
            load_generator_cpu_ms: ticks_to_ms(to.own_ticks.saturating_sub(from.own_ticks)),
            statements: statements.map(|(q, _)| q),
            transaction_statements,
            batches: Batches {
                batches: to.batches.batches.saturating_sub(from.batches.batches),
                purchases: to.batches.purchases.saturating_sub(from.batches.purchases),
            },
            postgres,
        }
    }

    /// Peak resident memory of each live server process, in MiB.
    pub fn peak_rss_mib(&self) -> Vec<(String, u32, Option<f64>)> {
        self.servers
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.pid,
                    peak_rss_kib(s.pid).map(|kib| kib as f64 / 1024.0),
                )
            })
            .collect()
    }

    /// Mails not yet sent.
    pub async fn unsent_mails(&mut self) -> anyhow::Result<i64> {
        self.local_queries += 1;
        Ok(bilten_store::outbox::pending_count(self.local.primary()).await?)
    }

    /// Waits (≤ `limit`) until every mail is sent; the mails left when it gave up.
    pub async fn drain_mails(&mut self, limit: Duration) -> anyhow::Result<i64> {
        let deadline = Instant::now() + limit;
        loop {
            let left = self.unsent_mails().await?;
            if left == 0 || Instant::now() >= deadline {
                return Ok(left);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub async fn audit(&mut self, ticket_type: TicketTypeId) -> anyhow::Result<InventoryAudit> {
        self.local_queries += 1;
        Ok(bilten_store::bench::inventory_audit(self.local.primary(), ticket_type).await?)
    }

    pub async fn admissions(&mut self, list: CheckinListId) -> anyhow::Result<(i64, i64)> {
        self.local_queries += 1;
        Ok(bilten_store::bench::admissions(self.local.primary(), list).await?)
    }

    pub async fn close(self) {
        self.local.close().await;
    }
}

/// Lists the database's processes (but the meter's own connection): reads their CPU, and
/// adds what each client backend is doing, weighted by the time since the last poll.
async fn refresh(
    admin: &Store,
    database: &str,
    activity: &Mutex<Activity>,
    own_pid: u32,
) -> anyhow::Result<()> {
    let processes: Vec<ServerProcess> =
        bilten_store::bench::database_processes(admin.primary(), database)
            .await?
            .into_iter()
            .filter(|p| p.pid != own_pid)
            .collect();
    let readings: Vec<(u32, u64)> = processes
        .iter()
        .filter_map(|p| Some((p.pid, cpu_ticks(p.pid)?)))
        .collect();
    let mut activity = activity
        .lock()
        .map_err(|_| anyhow::anyhow!("the poller panicked"))?;
    activity.ticks.extend(readings);
    let now = Instant::now();
    // The first poll has no interval behind it; a long gap (the machine stalled) is capped
    // so one sample cannot stand for seconds.
    let ms = activity.last_poll.map_or(0.0, |last| {
        (now - last).min(POLL_EVERY * 4).as_secs_f64() * 1000.0
    });
    activity.last_poll = Some(now);
    for process in &processes {
        activity.time.add(process, ms);
    }
    Ok(())
}

async fn poll(admin: Store, database: String, own_pid: u32, activity: Arc<Mutex<Activity>>) {
    loop {
        if let Err(error) = refresh(&admin, &database, &activity, own_pid).await {
            eprintln!("bench: reading pg_stat_activity failed: {error:#}");
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::{cpu_ticks, parse_batches, parse_statements, peak_rss_kib};

    #[test]
    fn statement_counts_are_read_from_a_metrics_page() {
        let page = "# HELP bilten_db_statements_total SQL statements\n\
                    # TYPE bilten_db_statements_total counter\n\
                    bilten_db_statements_total{kind=\"query\"} 1234\n\
                    bilten_db_statements_total{kind=\"transaction\"} 56\n\
                    bilten_db_pool_max_connections 10\n";
        let count = parse_statements(page).unwrap();
        assert_eq!((count.queries, count.transaction), (1234, 56));
        assert!(parse_statements("http_requests_total 3\n").is_none());
    }

    #[test]
    fn purchase_batches_are_read_from_the_histogram() {
        let page = "bilten_purchase_batch_size_bucket{le=\"1\"} 3\n\
                    bilten_purchase_batch_size_sum 250\n\
                    bilten_purchase_batch_size_count 10\n";
        let batches = parse_batches(page);
        assert_eq!((batches.batches, batches.purchases), (10, 250));
        assert_eq!(parse_batches("http_requests_total 3\n").batches, 0);
    }

    #[test]
    fn this_process_has_cpu_and_memory_in_proc() {
        let pid = std::process::id();
        // Burn CPU until a tick shows (on a busy machine 50 ms of wall time may hold none).
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while cpu_ticks(pid).unwrap() == 0 {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "no CPU tick in 30 s"
            );
            for _ in 0..100_000 {
                x = x.wrapping_mul(31).wrapping_add(7);
            }
        }
        assert!(x != 1);
        assert!(peak_rss_kib(pid).unwrap() > 100);
    }
}
