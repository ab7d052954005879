//! Logging: human-readable in development, one JSON object per line in production.
//!
//! Logs go to stdout. With `LOG_FORMAT=json` every line there is one JSON object, so nothing
//! else may print to stdout (the start-up banner is logged instead, see `bilten`'s roles).
//! Colours (ANSI escapes) only when stdout is a terminal: a file, a pipe or a container log
//! driver gets plain text.

use std::io::IsTerminal;

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
            .with_ansi(false)
            .flatten_event(true)
            .with_current_span(true);
        let _ = registry.with(fmt.with_filter(filter)).try_init();
    } else {
        let fmt = tracing_subscriber::fmt::layer()
            .compact()
            .with_ansi(std::io::stdout().is_terminal());
        let _ = registry.with(fmt.with_filter(filter)).try_init();
    }
}
