//! Replicas and how a request picks one.
//!
//! **Least outstanding requests, ties broken round-robin.** Each replica counts the requests
//! it is serving (until the response body is done); a request goes to the routable replica
//! with the fewest, scanning from a cursor that advances on every pick. Bilten's requests
//! differ a lot in cost (a cached listing vs. a checkout holding inventory), and a replica can
//! be slow for a while (a long query, a cold start, a GC-less but CPU-starved pod): plain
//! round robin keeps feeding a slow replica its full share, while counting what is in flight
//! steers new work away from it at once. Under light load every count is equal and the
//! rotating start makes it exact round robin, so traffic still spreads evenly. A full scan
//! is fine for the handful of replicas a group has.
//!
//! A replica is *routable* unless the active checker saw `/ready` fail (`fall` times in a
//! row) or passive ejection took it out after failed requests, until the ejection expires.
//!
//! **When no replica of a group passes its checks, the ones not ejected get traffic anyway**
//! (Envoy calls this panic mode). Every replica failing `/ready` at once is far more often a
//! shared dependency (Redis, a slow database) or the check itself than every process being
//! gone, and a replica that answers with its own error beats a blanket 503. Replicas that
//! really are gone refuse connections and are ejected on the first try, so once all are
//! ejected the gateway answers `503 no_healthy_upstream` without trying.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use prometheus::IntGauge;

use crate::metrics::GatewayMetrics;
use crate::routes::Group;
use crate::settings::values::UpstreamUrl;
use crate::settings::EjectionSettings;

/// What the active checker last concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Health {
    /// Not probed yet: routable, so a fresh gateway serves at once, but not yet "ready".
    Unknown = 0,
    Healthy = 1,
    Unhealthy = 2,
}

/// Why a request to a replica failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// No TCP connection: the process is gone or not listening. Ejects at once.
    Connect,
    Timeout,
    /// Reset or malformed response after connecting.
    Broken,
}

pub(crate) struct Upstream {
    pub group: Group,
    pub url: UpstreamUrl,
    in_flight: AtomicUsize,
    health: AtomicU8,
    streak: AtomicU32,
    failures: AtomicU32,
    /// Milliseconds since `epoch` until which the replica is ejected; 0 when it is not.
    ejected_until: AtomicU64,
    epoch: Instant,
    gauge: IntGauge,
    metrics: GatewayMetrics,
}

impl Upstream {
    fn new(group: Group, url: UpstreamUrl, epoch: Instant, metrics: &GatewayMetrics) -> Self {
        let gauge = metrics
            .upstream_healthy
            .with_label_values(&[group.as_str(), url.label()]);
        gauge.set(1);
        Self {
            group,
            url,
            in_flight: AtomicUsize::new(0),
            health: AtomicU8::new(Health::Unknown as u8),
            streak: AtomicU32::new(0),
            failures: AtomicU32::new(0),
            ejected_until: AtomicU64::new(0),
            epoch,
            gauge,
            metrics: metrics.clone(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    pub(crate) fn health(&self) -> Health {
        match self.health.load(Ordering::Relaxed) {
            1 => Health::Healthy,
            2 => Health::Unhealthy,
            _ => Health::Unknown,
        }
    }

    pub(crate) fn ejected(&self) -> bool {
        self.ejected_until.load(Ordering::Relaxed) > self.now_ms()
    }

    pub(crate) fn routable(&self) -> bool {
        self.health() != Health::Unhealthy && !self.ejected()
    }

    /// Ready to count towards the gateway's own `/ready`: probed healthy and not ejected.
    pub(crate) fn confirmed(&self) -> bool {
        self.health() == Health::Healthy && !self.ejected()
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Refreshes the health gauge (ejections end by time, not by an event).
    pub(crate) fn publish(&self) {
        self.gauge.set(i64::from(self.routable()));
    }

    pub(crate) fn record_success(&self) {
        if self.failures.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
        }
    }

    /// Counts a failed request; ejects the replica for `settings.duration` after a refused
    /// connection or `after_failures` failures in a row.
    pub(crate) fn record_failure(&self, kind: FailureKind, settings: &EjectionSettings) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if kind == FailureKind::Connect || failures >= settings.after_failures {
            self.eject(settings.duration, kind);
        }
    }

    fn eject(&self, duration: Duration, kind: FailureKind) {
        let until = self.now_ms() + duration.as_millis() as u64;
        let previous = self.ejected_until.swap(until, Ordering::Relaxed);
        self.failures.store(0, Ordering::Relaxed);
        if previous <= self.now_ms() {
            self.metrics
                .ejections
                .with_label_values(&[self.group.as_str(), self.url.label()])
                .inc();
            tracing::warn!(
                group = %self.group,
                upstream = self.url.label(),
                ?kind,
                seconds = duration.as_secs_f64(),
                "upstream ejected after failed requests"
            );
        }
        self.publish();
    }

    /// Applies one active-check result with `rise`/`fall` hysteresis; the first result of
    /// an unprobed replica counts at once.
    pub(crate) fn observe_probe(&self, passed: bool, rise: u32, fall: u32) {
        let before = self.health();
        let agrees = matches!(
            (before, passed),
            (Health::Healthy, true) | (Health::Unhealthy, false)
        );
        let after = if agrees {
            self.streak.store(0, Ordering::Relaxed);
            before
        } else {
            let streak = self.streak.fetch_add(1, Ordering::Relaxed) + 1;
            let flip = match before {
                Health::Unknown => true,
                Health::Healthy => streak >= fall,
                Health::Unhealthy => streak >= rise,
            };
            if flip {
                self.streak.store(0, Ordering::Relaxed);
                if passed {
                    Health::Healthy
                } else {
                    Health::Unhealthy
                }
            } else {
                before
            }
        };
        if after != before {
            self.health.store(after as u8, Ordering::Relaxed);
            if after == Health::Healthy {
                // It answered `/ready` `rise` times: whatever got it ejected is over.
                self.ejected_until.store(0, Ordering::Relaxed);
                self.failures.store(0, Ordering::Relaxed);
            }
            if before != Health::Unknown || after == Health::Unhealthy {
                tracing::info!(
                    group = %self.group,
                    upstream = self.url.label(),
                    healthy = after == Health::Healthy,
                    "upstream health changed"
                );
            }
        }
        self.publish();
    }
}

/// Marks one request in flight on a replica until dropped (when the response body ends).
pub(crate) struct InFlight(Arc<Upstream>);

impl InFlight {
    pub(crate) fn start(upstream: Arc<Upstream>) -> Self {
        upstream.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(upstream)
    }

    pub(crate) fn upstream(&self) -> &Arc<Upstream> {
        &self.0
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The replicas of one group.
pub(crate) struct Pool {
    pub group: Group,
    pub upstreams: Vec<Arc<Upstream>>,
    cursor: AtomicUsize,
}

impl Pool {
    pub(crate) fn new(group: Group, urls: &[UpstreamUrl], metrics: &GatewayMetrics) -> Self {
        let epoch = Instant::now();
        Self {
            group,
            upstreams: urls
                .iter()
                .map(|url| Arc::new(Upstream::new(group, url.clone(), epoch, metrics)))
                .collect(),
            cursor: AtomicUsize::new(0),
        }
    }

    /// The routable replica with the fewest requests in flight, skipping `tried` (indexes
    /// already attempted for this request); in panic mode any replica not ejected.
    pub(crate) fn pick(&self, tried: &[usize]) -> Option<usize> {
        let n = self.upstreams.len();
        let panic_mode = !self.upstreams.iter().any(|u| u.routable());
        let start = self.cursor.fetch_add(1, Ordering::Relaxed) % n;
        let mut best: Option<(usize, usize)> = None;
        for offset in 0..n {
            let index = (start + offset) % n;
            if tried.contains(&index) {
                continue;
            }
            let upstream = &self.upstreams[index];
            let eligible = if panic_mode {
                !upstream.ejected()
            } else {
                upstream.routable()
            };
            if !eligible {
                continue;
            }
            let load = upstream.in_flight();
            if best.is_none_or(|(_, best_load)| load < best_load) {
                best = Some((index, load));
            }
        }
        best.map(|(index, _)| index)
    }

    /// At least one replica passed its last checks and is not ejected.
    pub(crate) fn ready(&self) -> bool {
        self.upstreams.iter().any(|u| u.confirmed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize) -> Pool {
        let metrics = GatewayMetrics::register(&prometheus::Registry::new());
        let urls: Vec<UpstreamUrl> = (0..n)
            .map(|i| UpstreamUrl::parse(&format!("http://127.0.0.1:{}", 4000 + i)).unwrap())
            .collect();
        Pool::new(Group::Backend, &urls, &metrics)
    }

    const EJECT: EjectionSettings = EjectionSettings {
        after_failures: 3,
        duration: Duration::from_mins(1),
    };

    #[test]
    fn idle_replicas_take_turns() {
        let pool = pool(3);
        let picks: Vec<usize> = (0..6).map(|_| pool.pick(&[]).unwrap()).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn a_busy_replica_gets_less_new_work() {
        let pool = pool(3);
        let busy = [
            InFlight::start(pool.upstreams[0].clone()),
            InFlight::start(pool.upstreams[0].clone()),
        ];
        let picks: Vec<usize> = (0..4).map(|_| pool.pick(&[]).unwrap()).collect();
        assert!(!picks.contains(&0), "{picks:?}");
        drop(busy);
        assert_eq!(pool.upstreams[0].in_flight(), 0);
    }

    #[test]
    fn tried_and_ejected_replicas_are_skipped() {
        let pool = pool(3);
        pool.upstreams[1].record_failure(FailureKind::Connect, &EJECT);
        assert!(!pool.upstreams[1].routable());
        for _ in 0..6 {
            assert_ne!(pool.pick(&[]), Some(1));
        }
        assert_eq!(pool.pick(&[0]), Some(2));
        assert_eq!(pool.pick(&[0, 2]), None);
    }

    #[test]
    fn when_every_replica_fails_its_checks_the_ones_not_ejected_still_serve() {
        let pool = pool(2);
        for upstream in &pool.upstreams {
            upstream.observe_probe(false, 2, 2);
        }
        assert!(!pool.ready());
        assert!(pool.pick(&[]).is_some());
        pool.upstreams[0].record_failure(FailureKind::Connect, &EJECT);
        for _ in 0..4 {
            assert_eq!(pool.pick(&[]), Some(1));
        }
        pool.upstreams[1].record_failure(FailureKind::Connect, &EJECT);
        assert_eq!(pool.pick(&[]), None);
    }

    #[test]
    fn one_healthy_replica_takes_all_traffic_from_unhealthy_ones() {
        let pool = pool(3);
        pool.upstreams[0].observe_probe(false, 2, 2);
        pool.upstreams[1].observe_probe(false, 2, 2);
        pool.upstreams[2].observe_probe(true, 2, 2);
        for _ in 0..6 {
            assert_eq!(pool.pick(&[]), Some(2));
        }
        assert_eq!(pool.pick(&[2]), None);
    }

    #[test]
    fn timeouts_eject_only_after_several_in_a_row() {
        let pool = pool(1);
        let upstream = &pool.upstreams[0];
        upstream.record_failure(FailureKind::Timeout, &EJECT);
        upstream.record_failure(FailureKind::Timeout, &EJECT);
        upstream.record_success();
        upstream.record_failure(FailureKind::Timeout, &EJECT);
        upstream.record_failure(FailureKind::Timeout, &EJECT);
        assert!(upstream.routable());
        upstream.record_failure(FailureKind::Broken, &EJECT);
        assert!(!upstream.routable());
        assert_eq!(pool.pick(&[]), None);
    }

    #[test]
    fn probes_flip_state_with_hysteresis_and_recovery_ends_ejection() {
        let pool = pool(1);
        let u = &pool.upstreams[0];
        assert_eq!(u.health(), Health::Unknown);
        assert!(u.routable() && !pool.ready());
        u.observe_probe(true, 2, 2);
        assert_eq!(u.health(), Health::Healthy);
        assert!(pool.ready());
        u.observe_probe(false, 2, 2);
        assert_eq!(u.health(), Health::Healthy);
        u.observe_probe(true, 2, 2);
        u.observe_probe(false, 2, 2);
        u.observe_probe(false, 2, 2);
        assert_eq!(u.health(), Health::Unhealthy);
        u.record_failure(FailureKind::Connect, &EJECT);
        u.observe_probe(true, 2, 2);
        assert_eq!(u.health(), Health::Unhealthy);
        u.observe_probe(true, 2, 2);
        assert_eq!(u.health(), Health::Healthy);
        assert!(u.routable(), "recovery ends the ejection");
    }
}
