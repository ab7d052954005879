//! The gateway role: the single front door in front of the frontend, backend and scanner
//! replicas.
//!
//! A request goes through [`edge`] (rate limit, auth at the edge, size check), then
//! [`forward`] picks a replica of the route's group ([`upstream`]: least outstanding
//! requests), streams the request and response through ([`body`]) and retries on another
//! replica only when that is safe. [`health`] probes every replica's `/ready`; failed
//! requests eject a replica for a while on their own. Settings come from `GATEWAY_*`
//! variables ([`settings`]).
//!
//! The binary calls [`GatewaySettings::from_env`], then [`build`] for the router, and serves
//! it with [`serve`] (which adds the header-read timeout) or `bilten_http::serve`.

mod access;
mod body;
mod client;
mod cors;
mod edge;
mod forward;
mod headers;
mod health;
mod limits;
mod metrics;
mod routes;
mod server;
pub mod settings;
mod tls;
mod upstream;

use std::sync::Arc;

use axum::extract::Request;
use axum::routing::any;
use axum::Router;
use bilten_cache::{Backend, Cache};
use bilten_http::jwt::AccessTokens;
use bilten_http::{HttpMetrics, Readiness};
use tokio_util::sync::CancellationToken;

pub use access::PublicRoute;
pub use limits::{Budget, RateLimits};
pub use routes::{Group, Route, RouteTable};
pub use server::{serve, ServerTimeouts};
pub use settings::{
    CorsOrigins, GatewayConfigError, GatewaySettings, HealthSettings, Timeouts, UpstreamDefaults,
};
pub use tls::UpstreamTls;

use access::AccessPolicy;
use edge::Gateway;
use forward::Forwarder;
use limits::Limiter;
use metrics::GatewayMetrics;
use upstream::Pool;

/// The complete gateway router: the proxy routes of the table, CORS on `/api`, and
/// `/health`, `/ready` (ready when every routed group has a healthy replica and, with Redis
/// configured, the cache answers) and `/metrics`. Spawns the health checkers, which stop on
/// `shutdown`.
pub async fn build(
    settings: GatewaySettings,
    cache: Cache,
    access_tokens: AccessTokens,
    metrics: HttpMetrics,
    shutdown: CancellationToken,
) -> Router {
    let gateway_metrics = GatewayMetrics::register(metrics.registry());
    cache.register_metrics(metrics.registry());
    if cache.backend() == Backend::Redis {
        // Connect now rather than on the first rate-limited request.
        if let Err(error) = cache.ping().await {
            tracing::warn!(%error, "redis does not answer; rate limits count per process until it does");
        }
    }

    let clients = forward::Clients::new(&settings.timeouts, &settings.upstream_tls);
    let in_use = settings.routes.groups_in_use();
    let pools: Vec<Arc<Pool>> = Group::ALL
        .iter()
        .map(|&group| {
            Arc::new(Pool::new(
                group,
                settings.upstreams(group),
                &gateway_metrics,
            ))
        })
        .collect();
    let checked: Vec<Arc<Pool>> = in_use.iter().map(|g| pools[g.index()].clone()).collect();
    health::spawn(&checked, &clients, settings.health, &shutdown);

    let gateway = Arc::new(Gateway {
        pools,
        forwarder: Forwarder {
            clients,
            timeouts: settings.timeouts,
            retries: settings.retries,
            ejection: settings.ejection,
            metrics: gateway_metrics.clone(),
        },
        limiter: Limiter::new(settings.rate_limits.clone(), cache.clone()),
        access: AccessPolicy::new(settings.public_routes.clone()),
        tokens: access_tokens,
        trusted_proxies: settings.trusted_proxies.clone(),
        max_body: settings.max_body,
        client_body_timeout: settings.timeouts.client_body,
        metrics: gateway_metrics,
    });

    let mut proxy = Router::new();
    for route in settings.routes.routes() {
        let group = route.group;
        let gateway = gateway.clone();
        let handler = move |request: Request| {
            let gateway = gateway.clone();
            async move { gateway.handle(group, request).await }
        };
        for path in axum_paths(&route.prefix) {
            proxy = proxy.route(&path, any(handler.clone()));
        }
    }
    let readiness = readiness(&checked, &cache);
    let router = bilten_http::ops_router("gateway", readiness, metrics.clone()).merge(proxy);
    // CORS answers only `/api` paths (its predicate), so it can sit in the one shared stack
    // instead of wrapping the proxy routes in a layer of their own.
    bilten_http::standard_layers_with(
        router,
        &metrics,
        settings.max_body,
        cors::WhenOrigin(cors::layer(&settings.cors_origins)),
    )
}

/// The axum paths covering a prefix on segment boundaries. The matched one becomes the
/// `endpoint` label of `http_requests_total`, i.e. the route group.
fn axum_paths(prefix: &str) -> Vec<String> {
    if prefix == "/" {
        vec!["/".to_owned(), "/{*rest}".to_owned()]
    } else {
        vec![
            prefix.to_owned(),
            format!("{prefix}/"),
            format!("{prefix}/{{*rest}}"),
        ]
    }
}

fn readiness(pools: &[Arc<Pool>], cache: &Cache) -> Readiness {
    let mut readiness = Readiness::new();
    for pool in pools {
        let group = pool.group;
        let probe_pool = pool.clone();
        readiness = readiness.probe(group.as_str(), move || {
            let ready = probe_pool.ready();
            async move {
                if ready {
                    Ok(())
                } else {
                    Err(format!("no healthy {group} upstream"))
                }
            }
        });
    }
    if cache.backend() == Backend::Redis {
        let cache = cache.clone();
        // Advisory: rate limits fall back to per-process windows without Redis.
        readiness = readiness.advisory("redis", move || {
            let cache = cache.clone();
            async move { cache.ping().await.map_err(|e| e.to_string()) }
        });
    }
    let pools = pools.to_vec();
    readiness.on_scrape(move || {
        for upstream in pools.iter().flat_map(|p| p.upstreams.iter()) {
            upstream.publish();
        }
    })
}
