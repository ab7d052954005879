//! One run's bookkeeping: the snapshots around each phase, the phases, the checks read back
//! from the database, and the report they make.

use std::fmt::{Display, Write as _};
use std::time::Duration;

use super::load::Tally;
use super::measure::{load_average, Meter, Snapshot};
use super::platform::Platform;
use super::report::{Check, Phase, ProcessUse, Report};
use super::{BenchArgs, Scenario};

/// Where one phase ended and the next begins.
#[derive(Debug, Clone)]
pub struct Mark {
    snapshot: Snapshot,
    /// Mails in the outbox when the phase ended.
    unsent: i64,
    /// Mails the worker sent while PostgreSQL's statistics caught up after the phase.
    sent_while_settling: i64,
}

/// How long the mail worker may take to send what a phase queued.
const MAIL_DRAIN_LIMIT: Duration = Duration::from_secs(300);

pub struct Run<'a> {
    args: &'a BenchArgs,
    platform: &'a Platform,
    pub meter: Meter,
    first: Option<Snapshot>,
    last: Option<Snapshot>,
    phases: Vec<Phase>,
    checks: Vec<Check>,
    pub notes: Vec<String>,
}

impl<'a> Run<'a> {
    pub async fn new(args: &'a BenchArgs, platform: &'a Platform) -> anyhow::Result<Self> {
        Ok(Self {
            args,
            platform,
            meter: Meter::new(platform).await?,
            first: None,
            last: None,
            phases: Vec::new(),
            checks: Vec::new(),
            notes: Vec::new(),
        })
    }

    /// The end of a phase (and the start of the next): CPU, statements and the outbox now,
    /// PostgreSQL's statistics once they have caught up ([`super::measure`]).
    pub async fn mark(&mut self) -> anyhow::Result<Mark> {
        let mut snapshot = self.meter.snapshot().await?;
        let unsent = self.meter.unsent_mails().await?;
        let mut sent_while_settling = 0;
        if self.meter.settles() {
            self.meter.settle().await;
            self.meter.recount(&mut snapshot).await?;
            sent_while_settling = unsent - self.meter.unsent_mails().await?;
        }
        self.first.get_or_insert_with(|| snapshot.clone());
        self.last = Some(snapshot.clone());
        Ok(Mark {
            snapshot,
            unsent,
            sent_while_settling,
        })
    }

    /// A phase whose count is its answers with a latency.
    pub fn phase(
        &mut self,
        name: &str,
        unit: &'static str,
        (from, to): (&Mark, &Mark),
        tally: Tally,
    ) {
        let count = tally.latencies.len() as u64;
        self.phase_counted(name, unit, (from, to), count, tally);
    }

    fn phase_counted(
        &mut self,
        name: &str,
        unit: &'static str,
        (from, to): (&Mark, &Mark),
        count: u64,
        tally: Tally,
    ) {
        if to.sent_while_settling > 0 {
            self.notes.push(format!(
                "{name}: the mail worker sent {} mails in the {} s after the phase in which \
                 PostgreSQL publishes its statistics: their commits are in this row, their CPU \
                 and count in the mail drain's.",
                to.sent_while_settling,
                super::measure::STATS_SETTLE.as_secs()
            ));
        }
        if tally.errors.count > 0 {
            self.notes.push(format!(
                "{name}: {} errors, e.g. {}",
                tally.errors.count,
                tally.errors.samples.first().map_or("", String::as_str)
            ));
        }
        self.phases.push(Phase {
            name: name.to_owned(),
            unit,
            count,
            errors: tally.errors.count,
            retried_503: tally.retried,
            seconds: tally.seconds,
            latency: tally.latencies.summary(),
            usage: self.meter.usage(&from.snapshot, &to.snapshot),
        });
    }

    pub fn check(&mut self, name: &str, expected: &dyn Display, actual: &dyn Display) {
        let (expected, actual) = (expected.to_string(), actual.to_string());
        self.checks.push(Check {
            name: name.to_owned(),
            ok: expected == actual,
            expected,
            actual,
        });
    }

    /// The mail worker's backlog sent, as a phase of its own (none when nothing is queued).
    /// The drain is timed from the end of the phase before, when the worker got back to full
    /// speed.
    pub async fn drain_mails(&mut self, after: &Mark) -> anyhow::Result<Mark> {
        let backlog = after.unsent;
        if backlog == 0 {
            return Ok(after.clone());
        }
        println!("bench: waiting for the mail worker to send {backlog} queued mails…");
        let left = self.meter.drain_mails(MAIL_DRAIN_LIMIT).await?;
        let tally = Tally {
            seconds: after.snapshot.taken_at().elapsed().as_secs_f64(),
            ..Tally::default()
        };
        let drained = self.mark().await?;
        let sent = u64::try_from(backlog - left).unwrap_or_default();
        self.phase_counted("mail drain", "mail", (after, &drained), sent, tally);
        let unsent = if left > 0 {
            format!(
                " ({left} still unsent after {} s)",
                MAIL_DRAIN_LIMIT.as_secs()
            )
        } else {
            String::new()
        };
        self.notes.push(format!(
            "{backlog} confirmation mails were still queued when the phase before ended; the \
             mail drain row is the mail worker sending them{unsent}."
        ));
        Ok(drained)
    }

    pub fn finish(self) -> Report {
        let processes = match (&self.first, &self.last) {
            (Some(first), Some(last)) => {
                let usage = self.meter.usage(first, last);
                let peaks = self.meter.peak_rss_mib();
                usage
                    .server_cpu_ms_by_process
                    .into_iter()
                    .zip(peaks)
                    .map(|((name, cpu_ms), (_, _, peak))| ProcessUse {
                        name,
                        cpu_ms,
                        peak_rss_mib: peak,
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let mut notes = self.notes;
        notes.push(if self.platform.is_postgres() {
            "Statements are the application's own count (`bilten_db_statements_total`, \
             transaction control not included); commits and counter-row updates (`ticket_types`, \
             `quotas`) are PostgreSQL's (`pg_stat_database`, `pg_stat_user_tables`). CPU and \
             statements are read when a phase ends; idle backends publish commits and row \
             updates within 10 s, so those are read 11 s later (what the background workers \
             commit in that time is included)."
                .to_owned()
        } else {
            "Statements are the application's own count (`bilten_db_statements_total`); SQLite \
             keeps no commit or row-update statistics."
                .to_owned()
        });
        tokio::spawn(self.meter.close());
        Report {
            scenario: self.args.scenario.name(),
            // A flash sale is measured per purchase API, so each flow keeps its own section.
            setup: match self.args.scenario {
                Scenario::Flash => format!(
                    "{}, {} purchase",
                    self.platform.setup_label(),
                    self.args.flow.name()
                ),
                _ => self.platform.setup_label(),
            },
            concurrency: self.args.concurrency,
            command: command_line(self.args),
            started_at: chrono::Utc::now(),
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            load_average_before: None,
            load_average_after: load_average(),
            phases: self.phases,
            checks: self.checks,
            processes,
            notes,
        }
    }
}

/// The command that reproduces the run (credentials left out of URLs).
fn command_line(args: &BenchArgs) -> String {
    let redact = |url: &str| match url.rsplit_once('@') {
        Some((before, host)) => {
            let scheme = before.split_once("://").map_or("", |(s, _)| s);
            format!("{scheme}://…@{host}")
        }
        None => url.to_owned(),
    };
    let mut line = format!("bilten bench {}", args.scenario.name());
    if let Some(url) = &args.database_url {
        let _ = write!(line, " --database-url {}", redact(url));
    }
    if let Some(url) = &args.redis_url {
        let _ = write!(line, " --redis-url {}", redact(url));
    }
    if args.replicas != 1 {
        let _ = write!(line, " --replicas {}", args.replicas);
    }
    if args.database_url.is_some() {
        let _ = write!(line, " --pool-max {}", args.pool_max);
    }
    if args.gateway {
        line.push_str(" --gateway");
    }
    let _ = write!(line, " --concurrency {}", args.concurrency);
    let _ = match args.scenario {
        Scenario::Flash | Scenario::Checkin => write!(line, " --quota {}", args.quota),
        Scenario::Reads => write!(line, " --requests {}", args.requests),
    };
    line
}
