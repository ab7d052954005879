//! Serving the gateway's router with slow-client protection at the connection level.
//!
//! `bilten_http::serve` (axum's server) sets no header-read timeout, so a client that
//! dribbles its request headers (slowloris) holds a connection forever. This server is the
//! same graceful loop on hyper directly with `header_read_timeout`; request bodies are
//! guarded per request by the router (`GATEWAY_BODY_TIMEOUT`).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use bilten_http::serve::DRAIN_TIMEOUT;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Connection-level limits for [`serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerTimeouts {
    /// A client's time to send a request's headers (also closes idle keep-alive
    /// connections that never start another request).
    pub header_read: Duration,
}

/// Serves `router` until `shutdown`, then stops accepting and lets in-flight requests finish
/// for at most `DRAIN_TIMEOUT`. Like `bilten_http::serve`, handlers see
/// `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    timeouts: ServerTimeouts,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read)
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    // Turn every handler into its route (with its layers) once, as `axum::serve` does; a
    // router left as it is converts its handlers, cloning every layer, on each request.
    let router = router.with_state::<()>(());

    loop {
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(request.map(Body::new))
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN_TIMEOUT) => {
            tracing::warn!("in-flight requests did not finish within {DRAIN_TIMEOUT:?}; closing");
        }
    }
    Ok(())
}
