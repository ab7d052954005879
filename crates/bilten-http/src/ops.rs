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
#[derive(Clone, Default)]
pub struct Readiness {
    probes: Vec<(&'static str, Probe)>,
    on_scrape: Vec<ScrapeHook>,
}

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn probe<F, Fut>(mut self, name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        self.probes
            .push((name, Arc::new(move || Box::pin(probe()))));
        self
    }

    /// Runs before each `/metrics` render: refreshes gauges such as pool usage.
    #[must_use]
    pub fn on_scrape(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.on_scrape.push(Arc::new(hook));
        self
    }

    /// Runs every probe concurrently; `Ok` only when all answered in time.
    pub async fn check(&self) -> (bool, BTreeMap<&'static str, String>) {
        let runs = self.probes.iter().map(|(name, probe)| {
            let probe = probe.clone();
            async move {
                let outcome = match tokio::time::timeout(PROBE_TIMEOUT, probe()).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err("timed out".to_owned()),
                };
                (*name, outcome)
            }
        });
        let results = futures::future::join_all(runs).await;
        let ready = results.iter().all(|(_, r)| r.is_ok());
        let report = results
            .into_iter()
            .map(|(name, r)| {
                (
                    name,
                    r.map_or_else(|e| format!("error: {e}"), |()| "ok".to_owned()),
                )
            })
            .collect();
        (ready, report)
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
    let (ready, checks) = state.readiness.check().await;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unavailable" },
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
