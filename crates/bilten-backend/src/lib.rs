//! The backend role: Bilten's REST API under `/api/v1`.
//!
//! Layout: rooms by feature (folders: `accounts`, `events`, `orders`, …), each declaring its
//! routes with who may call them, on a shared floor (the top-level files: state, errors,
//! authorization, extractors, idempotency, …); `routes` gathers the rooms' routes. In a room,
//! handlers parse requests into domain types and call a service function; services own
//! transactions and call `bilten_store` queries. Handlers hold no SQL, services hold no HTTP.
//! No room uses one that uses it back (`architecture.rs` checks it; docs/ARCHITECTURE.md,
//! "Rooms").

// The shared floor: what every room may use (see docs/ARCHITECTURE.md, "Rooms").
mod authz;
mod client_ip;
mod current_user;
mod error;
mod idempotency;
mod language;
mod metrics;
pub mod openapi;
mod passwords;
mod qr;
mod read_cache;
pub mod routes;
mod routing;
mod secrets;
mod signing;
mod state;
mod ticket_keys;
mod views;

#[cfg(test)]
mod architecture;

// The rooms, by feature.
mod accounts;
pub mod admin;
mod catalogue;
mod checkin;
pub mod checkout;
pub mod demo;
mod events;
mod orders;
mod organizations;
mod organizer_views;
pub mod payments;
mod privacy;
mod promo;
mod refunds;
pub mod tickets;
mod webhooks;

use axum::Router;
use bilten_http::{HttpMetrics, Readiness};

pub use error::BackendError;
pub use metrics::BusinessMetrics;
pub use orders::holds::{release_lapsed, HoldExpiryWorker};
pub use orders::purchase::engine::{settle_expired_leases, LEASE_TTL};
pub use privacy::{apply_retention, RetentionWorker};
pub use refunds::payout::{retry_pending as retry_pending_refunds, RefundRetryWorker};
pub use state::{AppState, BackendSettings};

/// Request bodies larger than this are refused with 413 before they are read.
const BODY_LIMIT: usize = 1024 * 1024;

/// The backend's complete router: API, operations endpoints and standard layers.
pub fn router(state: AppState) -> Router {
    let readiness = readiness(&state);
    let metrics = state.metrics.clone();
    let (api, document) = openapi::router();
    let api = api.with_state(state);
    // Public event reads from serialized copies (see `read_cache`); writes made by background
    // workers (expired holds) show within the copies' second.
    let reads = read_cache::ReadCache::default();
    let app = Router::new()
        .merge(api)
        .layer(axum::middleware::from_fn_with_state(
            reads,
            read_cache::serve,
        ))
        .merge(openapi::docs_router(document))
        .merge(bilten_http::ops_router(
            "backend",
            readiness,
            metrics.clone(),
        ));
    bilten_http::standard_layers(app, &metrics, BODY_LIMIT)
}

/// `/ready` for the backend: the primary database; the cache (Redis when configured) only as
/// advisory, because the backend keeps selling on its in-process fallback when Redis is down.
pub fn readiness(state: &AppState) -> Readiness {
    let store = state.store.clone();
    let cache = state.cache.clone();
    let pool_store = state.store.clone();
    let business = state.business.clone();
    Readiness::new()
        .probe("database", move || {
            let store = store.clone();
            async move { store.ping().await.map_err(|e| e.to_string()) }
        })
        .advisory("cache", move || {
            let cache = cache.clone();
            async move { cache.ping().await.map_err(|e| e.to_string()) }
        })
        .on_scrape(move || business.observe_pool(&pool_store))
}

/// Registers the metrics every backend exports in `metrics`' registry.
pub fn new_metrics() -> (HttpMetrics, BusinessMetrics) {
    let http = HttpMetrics::new();
    let business = BusinessMetrics::register(http.registry());
    (http, business)
}

/// The outbox worker's composer for mails the backend enqueues by reference (order
/// confirmations of the purchase engine).
pub fn mail_composer(state: &AppState) -> std::sync::Arc<dyn bilten_mail::Composer> {
    std::sync::Arc::new(tickets::confirmation::ConfirmationComposer::new(
        state.clone(),
    ))
}
