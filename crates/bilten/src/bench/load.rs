//! Concurrent clients: `C` tokio tasks in this process, each with its own tally and latency
//! record, merged when they finish. Shared state is a few atomics; every phase is bounded by a
//! deadline and a stop flag that the first fatal problem raises.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinSet;

/// Latencies of one kind of answer, in microseconds.
#[derive(Debug, Default, Clone)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    pub fn record(&mut self, elapsed: Duration) {
        self.0
            .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn merge(&mut self, other: Self) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// p50, p90, p99 and max in milliseconds; `None` with no samples.
    pub fn summary(mut self) -> Option<LatencySummary> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_unstable();
        let at = |q: f64| {
            // Nearest rank: the smallest sample with at least q of all samples at or below it.
            let rank = ((q * self.0.len() as f64).ceil() as usize).clamp(1, self.0.len());
            f64::from(self.0[rank - 1]) / 1000.0
        };
        Some(LatencySummary {
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        })
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
#[expect(
    clippy::struct_field_names,
    reason = "the unit belongs in each JSON field's name"
)]
pub struct LatencySummary {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Errors of a phase: how many, and the first few messages to show.
#[derive(Debug, Default)]
pub struct Errors {
    pub count: u64,
    pub samples: Vec<String>,
}

impl Errors {
    pub fn add(&mut self, error: &anyhow::Error) {
        self.count += 1;
        if self.samples.len() < 5 {
            self.samples.push(format!("{error:#}"));
        }
    }

    pub fn merge(&mut self, other: Self) {
        self.count += other.count;
        for sample in other.samples {
            if self.samples.len() < 5 {
                self.samples.push(sample);
            }
        }
    }
}

/// What the workers of one phase achieved: latencies of the answers that count as done,
/// failures, how long it took and how many 503 answers were retried on the way.
#[derive(Debug, Default)]
pub struct Tally {
    pub latencies: Latencies,
    pub errors: Errors,
    pub seconds: f64,
    pub retried: u64,
}

impl Tally {
    pub fn merge(&mut self, other: Self) {
        self.latencies.merge(other.latencies);
        self.errors.merge(other.errors);
        self.retried += other.retried;
    }

    /// Everything the workers did, merged, timed from `started`.
    pub fn of(workers: impl IntoIterator<Item = Self>, started: Instant) -> Self {
        let mut total = Self::default();
        for tally in workers {
            total.merge(tally);
        }
        total.seconds = started.elapsed().as_secs_f64();
        total
    }
}

/// What every worker of a phase shares: a ticket dispenser, a stop flag and the deadline.
pub struct Shared {
    next: AtomicU64,
    limit: u64,
    stop: AtomicBool,
    pub deadline: Instant,
    errors: AtomicU64,
    error_budget: u64,
}

impl Shared {
    /// At most `limit` units of work until `deadline`; the phase stops once more than
    /// `error_budget` of them failed.
    pub fn new(limit: u64, deadline: Duration, error_budget: u64) -> Arc<Self> {
        Arc::new(Self {
            next: AtomicU64::new(0),
            limit,
            stop: AtomicBool::new(false),
            deadline: Instant::now() + deadline,
            errors: AtomicU64::new(0),
            error_budget,
        })
    }

    /// The next unit of work (a buyer, a ticket, a request), or `None` when the phase is over.
    pub fn take(&self) -> Option<u64> {
        if self.stop.load(Ordering::Relaxed) || Instant::now() >= self.deadline {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < self.limit).then_some(i)
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Counts a failure; stops the phase when the budget is spent.
    pub fn failed(&self) {
        if self.errors.fetch_add(1, Ordering::Relaxed) + 1 > self.error_budget {
            self.stop();
        }
    }

    pub fn over_budget(&self) -> bool {
        self.errors.load(Ordering::Relaxed) > self.error_budget
    }

    pub fn timed_out(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

/// Runs `concurrency` workers to their end and returns their results. Dropping the future
/// (Ctrl-C) aborts them.
pub async fn workers<T, F, Fut>(concurrency: u32, worker: F) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(u32) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let mut set = JoinSet::new();
    for i in 0..concurrency {
        set.spawn(worker(i));
    }
    let mut results = Vec::with_capacity(concurrency as usize);
    while let Some(joined) = set.join_next().await {
        results.push(joined?);
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Latencies;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut latencies = Latencies::default();
        for ms in 1..=100 {
            latencies.record(Duration::from_millis(ms));
        }
        let summary = latencies.summary().unwrap();
        assert!((summary.p50_ms - 50.0).abs() < 1e-9);
        assert!((summary.p99_ms - 99.0).abs() < 1e-9);
        assert!((summary.max_ms - 100.0).abs() < 1e-9);
        assert!(Latencies::default().summary().is_none());
    }
}
