//! The gateway's own metrics, registered in the role's registry next to the shared
//! `http_requests_total` / `http_request_duration_seconds` (whose `endpoint` label is the
//! route prefix, e.g. `/api/v1/{*rest}`, i.e. the route group).
//!
//! - `bilten_rate_limited_total{route_group,scope}`: requests refused with 429, by budget
//!   name and whether the budget was the user's or the address's.
//! - `bilten_upstream_healthy{group,upstream}`: 1 while a replica receives traffic (healthy
//!   and not ejected).
//! - `bilten_gateway_upstream_requests_total{group,upstream,status}`: attempts per replica;
//!   `status` is the HTTP status, or `connect_error`, `timeout` or `error` when none came.
//! - `bilten_gateway_upstream_duration_seconds{group,upstream}`: time to response headers.
//! - `bilten_gateway_retries_total{group}` and `bilten_gateway_ejections_total{group,upstream}`.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

#[derive(Clone)]
pub(crate) struct GatewayMetrics {
    pub rate_limited: IntCounterVec,
    pub upstream_healthy: IntGaugeVec,
    pub upstream_requests: IntCounterVec,
    pub upstream_duration: HistogramVec,
    pub retries: IntCounterVec,
    pub ejections: IntCounterVec,
}

impl GatewayMetrics {
    #[expect(
        clippy::expect_used,
        reason = "static metric definitions, valid by construction"
    )]
    pub(crate) fn register(registry: &Registry) -> Self {
        let metrics = Self {
            rate_limited: IntCounterVec::new(
                Opts::new(
                    "bilten_rate_limited_total",
                    "Requests refused by the gateway's rate limits, by budget",
                ),
                &["route_group", "scope"],
            )
            .expect("static metric definition is valid"),
            upstream_healthy: IntGaugeVec::new(
                Opts::new(
                    "bilten_upstream_healthy",
                    "1 while the gateway sends traffic to this upstream (healthy, not ejected)",
                ),
                &["group", "upstream"],
            )
            .expect("static metric definition is valid"),
            upstream_requests: IntCounterVec::new(
                Opts::new(
                    "bilten_gateway_upstream_requests_total",
                    "Attempts the gateway made per upstream, by upstream status",
                ),
                &["group", "upstream", "status"],
            )
            .expect("static metric definition is valid"),
            upstream_duration: HistogramVec::new(
                HistogramOpts::new(
                    "bilten_gateway_upstream_duration_seconds",
                    "Time from sending a request upstream to its response headers",
                )
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0, 30.0,
                ]),
                &["group", "upstream"],
            )
            .expect("static metric definition is valid"),
            retries: IntCounterVec::new(
                Opts::new(
                    "bilten_gateway_retries_total",
                    "Requests the gateway retried on another upstream",
                ),
                &["group"],
            )
            .expect("static metric definition is valid"),
            ejections: IntCounterVec::new(
                Opts::new(
                    "bilten_gateway_ejections_total",
                    "Times an upstream was taken out of rotation after failed requests",
                ),
                &["group", "upstream"],
            )
            .expect("static metric definition is valid"),
        };
        let collectors: [Box<dyn prometheus::core::Collector>; 6] = [
            Box::new(metrics.rate_limited.clone()),
            Box::new(metrics.upstream_healthy.clone()),
            Box::new(metrics.upstream_requests.clone()),
            Box::new(metrics.upstream_duration.clone()),
            Box::new(metrics.retries.clone()),
            Box::new(metrics.ejections.clone()),
        ];
        for collector in collectors {
            if let Err(error) = registry.register(collector) {
                // Only when one registry serves two gateways; the first one's series win.
                tracing::warn!(%error, "gateway metric already registered");
            }
        }
        metrics
    }
}
