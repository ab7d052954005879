//! Logging: human-readable in development, one JSON object per line in production.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Installs the global subscriber. `RUST_LOG` overrides the default filter. Extra layers
/// (Sentry) are added by the caller through `extra`.
pub fn init<L>(json: bool, extra: L)
where
    L: Layer<tracing_subscriber::Registry> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn,hyper=warn"));
    let registry = tracing_subscriber::registry().with(extra);
    if json {
        let fmt = tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true);
        let _ = registry.with(fmt.with_filter(filter)).try_init();
    } else {
        let fmt = tracing_subscriber::fmt::layer().compact();
        let _ = registry.with(fmt.with_filter(filter)).try_init();
    }
}
