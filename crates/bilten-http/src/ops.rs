//! `/health`, `/ready` and `/metrics`, the same on every role.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use futures::future::BoxFuture;

use crate::HttpMetrics;

type Probe = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;
type ScrapeHook = Arc<dyn Fn() + Send + Sync>;

/// What `/ready` checks: named probes, each given `PROBE_TIMEOUT` to answer.
///
/// A *required* probe failing makes the instance unready (the load balancer stops sending
/// it traffic). An *advisory* probe failing is only reported (`"degraded": true`): it names a
/// dependency the role can work without — Redis, whose cache and rate limits fall back to
/// in-process state — so an outage of that shared dependency does not pull every replica
/// out of rotation at once.
#[derive(Clone, Default)]
pub struct Readiness {
    probes: Vec<(&'static str, Necessity, Probe)>,
    on_scrape: Vec<ScrapeHook>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Necessity {
    Required,
    Advisory,
}

/// The outcome of running every probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadinessReport {
    /// Every required probe answered `Ok` in time.
    pub ready: bool,
    /// Some advisory probe failed.
    pub degraded: bool,
    /// `"ok"` or `"error: …"` per probe.
    pub checks: BTreeMap<&'static str, String>,
}

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    /// A dependency the role cannot serve without.
    #[must_use]
    pub fn probe<F, Fut>(mut self, name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        self.probes.push((
            name,
            Necessity::Required,
            Arc::new(move || Box::pin(probe())),
        ));
        self
    }

    /// A dependency the role degrades without: reported, never fails readiness.
    #[must_use]
    pub fn advisory<F, Fut>(mut self, name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        self.probes.push((
            name,
            Necessity::Advisory,
            Arc::new(move || Box::pin(probe())),
        ));
        self
    }

    /// Runs before each `/metrics` render: refreshes gauges such as pool usage.
    #[must_use]
    pub fn on_scrape(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.on_scrape.push(Arc::new(hook));
        self
    }

    /// Runs every probe concurrently, each bounded by `PROBE_TIMEOUT`.
    pub async fn check(&self) -> ReadinessReport {
        let runs = self.probes.iter().map(|(name, necessity, probe)| {
            let probe = probe.clone();
            async move {
                let outcome = match tokio::time::timeout(PROBE_TIMEOUT, probe()).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err("timed out".to_owned()),
                };
                (*name, *necessity, outcome)
            }
        });
        let results = futures::future::join_all(runs).await;
        let failed = |wanted: Necessity| {
            results
                .iter()
                .any(|(_, necessity, r)| *necessity == wanted && r.is_err())
        };
        let ready = !failed(Necessity::Required);
        let degraded = failed(Necessity::Advisory);
        let checks = results
            .into_iter()
            .map(|(name, _, r)| {
                (
                    name,
                    r.map_or_else(|e| format!("error: {e}"), |()| "ok".to_owned()),
                )
            })
            .collect();
        ReadinessReport {
            ready,
            degraded,
            checks,
        }
    }
}

#[derive(Clone)]
struct OpsState {
    service: &'static str,
    readiness: Readiness,
    metrics: HttpMetrics,
}

/// The operations routes for one role. Merge into the role's router (and, with
/// `PROMETHEUS_PORT`, serve `metrics_router` on its own port).
pub fn ops_router(service: &'static str, readiness: Readiness, metrics: HttpMetrics) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics_text))
        .with_state(OpsState {
            service,
            readiness,
            metrics,
        })
}

/// Only `/metrics`, for a dedicated `PROMETHEUS_PORT`.
pub fn metrics_router(readiness: Readiness, metrics: HttpMetrics) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .with_state(OpsState {
            service: "metrics",
            readiness,
            metrics,
        })
}

async fn health(State(state): State<OpsState>) -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok", "service": state.service }))
}

async fn ready(State(state): State<OpsState>) -> impl IntoResponse {
    let ReadinessReport {
        ready,
        degraded,
        checks,
    } = state.readiness.check().await;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unavailable" },
        "degraded": degraded,
        "service": state.service,
        "checks": checks,
    });
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
}

async fn metrics_text(State(state): State<OpsState>) -> impl IntoResponse {
    for hook in &state.readiness.on_scrape {
        hook();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
