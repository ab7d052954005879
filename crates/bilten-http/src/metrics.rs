//! `http_requests_total{method,endpoint,status}` and `http_request_duration_seconds`,
//! labelled by the matched route (never the raw path, which would explode cardinality).

use axum::http::StatusCode;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

/// One role's HTTP metrics and the registry its `/metrics` serves.
#[derive(Clone)]
pub struct HttpMetrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
}

impl HttpMetrics {
    #[expect(
        clippy::expect_used,
        reason = "static metric definitions, valid by construction"
    )]
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, matched route and status",
            ),
            &["method", "endpoint", "status"],
        )
        .expect("static metric definition is valid");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by matched route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "endpoint"],
        )
        .expect("static metric definition is valid");
        registry
            .register(Box::new(requests.clone()))
            .expect("fresh registry");
        registry
            .register(Box::new(duration.clone()))
            .expect("fresh registry");
        let build_info = prometheus::IntGaugeVec::new(
            Opts::new(
                "bilten_build_info",
                "Build information; the value is always 1",
            ),
            &["version"],
        )
        .expect("static metric definition is valid");
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        registry
            .register(Box::new(build_info))
            .expect("fresh registry");
        Self {
            registry,
            requests,
            duration,
        }
    }

    /// The registry: roles register their business metrics here too.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The Prometheus text exposition of everything registered.
    pub fn render(&self) -> String {
        let encoder = prometheus::TextEncoder::new();
        encoder
            .encode_to_string(&self.registry.gather())
            .unwrap_or_default()
    }
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpMetrics {
    /// Counts one answered request and its latency, by matched route.
    pub(crate) fn observe(
        &self,
        method: &str,
        endpoint: &str,
        status: StatusCode,
        elapsed: std::time::Duration,
    ) {
        self.requests
            .with_label_values(&[method, endpoint, status.as_str()])
            .inc();
        self.duration
            .with_label_values(&[method, endpoint])
            .observe(elapsed.as_secs_f64());
    }
}
