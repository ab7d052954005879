//! Active health checks: every replica's `/ready` is asked on an interval, and the answer
//! (with `rise`/`fall` hysteresis, see `Upstream::observe_probe`) decides whether it gets
//! traffic. `/ready` rather than `/health`: a replica whose database is gone is alive but
//! cannot serve, and should get no requests.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, Uri};
use http_body_util::BodyExt;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::forward::Clients;
use crate::settings::HealthSettings;
use crate::upstream::{Pool, Upstream};

/// One checker task per replica, until `shutdown`.
pub(crate) fn spawn(
    pools: &[Arc<Pool>],
    clients: &Clients,
    settings: HealthSettings,
    shutdown: &CancellationToken,
) {
    for pool in pools {
        for upstream in &pool.upstreams {
            tokio::spawn(check_loop(
                upstream.clone(),
                clients.clone(),
                settings,
                shutdown.clone(),
            ));
        }
    }
}

async fn check_loop(
    upstream: Arc<Upstream>,
    clients: Clients,
    settings: HealthSettings,
    shutdown: CancellationToken,
) {
    let mut ticker = tokio::time::interval(settings.interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let passed = tokio::select! {
            () = shutdown.cancelled() => return,
            passed = probe(&clients, &upstream, settings) => passed,
        };
        upstream.observe_probe(passed, settings.rise, settings.fall);
    }
}

/// `true` when `/ready` answers 2xx within the timeout (body included, so the pooled
/// connection can be reused). The client sets `Host` from the URI: an https replica is asked
/// under its own host name.
async fn probe(clients: &Clients, upstream: &Upstream, settings: HealthSettings) -> bool {
    let uri = Uri::builder()
        .scheme(if upstream.url.https { "https" } else { "http" })
        .authority(upstream.url.authority.clone())
        .path_and_query("/ready")
        .build();
    let Ok(uri) = uri else {
        return false;
    };
    let mut request = Request::new(Body::empty());
    *request.uri_mut() = uri;
    request.headers_mut().insert(
        header::USER_AGENT,
        header::HeaderValue::from_static("bilten-gateway-health"),
    );
    let check = async {
        let response = clients.request(&upstream.url, request).await.ok()?;
        let passed = response.status().is_success();
        response.into_body().collect().await.ok()?;
        Some(passed)
    };
    matches!(
        tokio::time::timeout(settings.timeout, check).await,
        Ok(Some(true))
    )
}
