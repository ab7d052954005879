//! The scanner role: the check-in API for gate devices (`/api/v1/checkin/…`) and the scanner
//! web app at `/`.
//!
//! A separate service so gates keep working while the shop is under on-sale load. It shares
//! the database with the backend; single use of a ticket is enforced there (see
//! `bilten_store::checkin::admit_entry`), so any number of scanner replicas may run.
//!
//! Layout: `auth` turns a bearer token into a [`auth::Caller`] (a paired device, or a staff
//! member's login); `scan` decides and records one scan; `batch` gives the scans that arrive
//! together one commit; `api` holds the handlers; `openapi` makes their OpenAPI document
//! (served at `/api/v1/checkin/openapi.json`); `web` serves the app's three static files.

mod api;
mod auth;
mod batch;
mod gate_cache;
pub mod openapi;
mod rush;
mod scan;
mod web;

use std::time::Duration;

use axum::Router;
use bilten_http::jwt::AccessTokens;
use bilten_http::{HttpMetrics, Readiness};
use bilten_store::Store;
use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts};
use secrecy::{ExposeSecret, SecretString};

pub use scan::MAX_CODE_LEN;

/// Bodies above this are refused before they are read (an upload of 500 scans fits easily).
const BODY_LIMIT: usize = 512 * 1024;

/// What the scanner takes from the configuration.
#[derive(Clone)]
pub struct ScannerSettings {
    /// Verifies staff members' access tokens (the same secret as the backend's).
    pub access_secret: SecretString,
    pub access_ttl: Duration,
}

impl ScannerSettings {
    pub fn from_config(config: &bilten_config::Config) -> Self {
        Self {
            access_secret: config.jwt.access_secret.clone(),
            access_ttl: config.jwt.access_ttl,
        }
    }
}

/// Check-in counters, named as the dashboards and alerts expect
/// (deploy/monitoring/metric-names.txt).
#[derive(Clone)]
pub struct ScannerMetrics {
    /// Every decided scan by its answer (`ok`, `already_redeemed`, `invalid`, …).
    pub checkins: IntCounterVec,
    /// Tickets a device admitted offline that had already entered.
    pub offline_conflicts: IntCounter,
    /// Scans decided per transaction (group commit).
    pub batch_size: Histogram,
}

impl ScannerMetrics {
    #[expect(
        clippy::expect_used,
        reason = "static metric definitions, valid by construction"
    )]
    pub fn register(registry: &prometheus::Registry) -> Self {
        let checkins = IntCounterVec::new(
            Opts::new("bilten_checkins_total", "Check-in scans by result"),
            &["result"],
        )
        .expect("static metric definition is valid");
        for reason in bilten_domain::CheckinReason::ALL {
            checkins.with_label_values(&[reason.as_str()]);
        }
        let offline_conflicts = IntCounter::new(
            "bilten_checkin_offline_conflicts_total",
            "Tickets admitted while offline although they had already entered",
        )
        .expect("static metric definition is valid");
        let batch_size = Histogram::with_opts(
            HistogramOpts::new(
                "bilten_checkin_batch_size",
                "Scans decided per transaction by the scanner's group commit",
            )
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]),
        )
        .expect("static metric definition is valid");
        for metric in [
            Box::new(checkins.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(offline_conflicts.clone()),
            Box::new(batch_size.clone()),
        ] {
            // Registering twice only happens when a test builds two scanners on one registry.
            let _ = registry.register(metric);
        }
        Self {
            checkins,
            offline_conflicts,
            batch_size,
        }
    }
}

#[derive(Clone)]
pub struct ScannerState {
    pub store: Store,
    pub metrics: HttpMetrics,
    pub checkin_metrics: ScannerMetrics,
    pub(crate) access_tokens: AccessTokens,
    /// When this process last recorded each device as seen: the database keeps the time to
    /// the minute, so a scan within a minute of the last record writes nothing at all.
    pub(crate) last_touched: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<bilten_domain::DeviceId, std::time::Instant>>,
    >,
    /// This process's scan queue (group commit).
    pub(crate) redeems: std::sync::Arc<batch::RedeemQueue>,
    /// Check-in lists and event keys, kept after their first read.
    pub(crate) gate: std::sync::Arc<gate_cache::GateCache>,
    /// Device tokens recognised lately, for scans (see `auth::ScanCaller`).
    pub(crate) devices: std::sync::Arc<auth::DeviceMemory>,
}

impl ScannerState {
    pub fn new(store: Store, settings: &ScannerSettings, metrics: HttpMetrics) -> Self {
        let checkin_metrics = ScannerMetrics::register(metrics.registry());
        Self {
            store,
            checkin_metrics,
            access_tokens: AccessTokens::new(
                settings.access_secret.expose_secret().as_bytes(),
                settings.access_ttl,
            ),
            metrics,
            last_touched: std::sync::Arc::default(),
            redeems: std::sync::Arc::default(),
            gate: std::sync::Arc::default(),
            devices: std::sync::Arc::default(),
        }
    }

    /// Whether this scan should record the device as seen (at most once a minute per device
    /// and process), remembering that it did.
    pub(crate) fn due_for_touch(&self, device: bilten_domain::DeviceId) -> bool {
        let now = std::time::Instant::now();
        let Ok(mut touched) = self.last_touched.lock() else {
            return true;
        };
        match touched.get(&device) {
            Some(at) if now.duration_since(*at) < std::time::Duration::from_secs(60) => false,
            _ => {
                touched.insert(device, now);
                true
            }
        }
    }
}

/// `/ready`: the database (a scanner without it can only answer 503; the app goes offline).
pub fn readiness(state: &ScannerState) -> Readiness {
    let store = state.store.clone();
    Readiness::new().probe("database", move || {
        let store = store.clone();
        async move { store.ping().await.map_err(|e| e.to_string()) }
    })
}

/// The scanner's complete router: API, web app, operations endpoints and standard layers.
pub fn router(state: ScannerState) -> Router {
    let readiness = readiness(&state);
    let metrics = state.metrics.clone();
    let (api, document) = openapi::router();
    let app = Router::new()
        .nest(openapi::BASE, api.with_state(state))
        .merge(openapi::document_route(&document))
        .merge(web::routes())
        .merge(bilten_http::ops_router(
            "scanner",
            readiness,
            metrics.clone(),
        ));
    bilten_http::standard_layers(app, &metrics, BODY_LIMIT)
}
