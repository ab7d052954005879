//! Starting the servers of each role, alone or all together.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use bilten_config::Config;
use bilten_http::{HttpMetrics, Readiness};
use secrecy::ExposeSecret;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::bootstrap;
use crate::cli::ServePorts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Backend,
    Gateway,
    Scanner,
    Frontend,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Self::Backend => "backend",
            Self::Gateway => "gateway",
            Self::Scanner => "scanner",
            Self::Frontend => "frontend",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Self::Frontend => 3000,
            Self::Backend => 3001,
            Self::Scanner => 3002,
            Self::Gateway => 8080,
        }
    }
}

/// Everything the roles of one process share.
struct Shared {
    config: Arc<Config>,
    store: bilten_store::Store,
    cache: bilten_cache::Cache,
    shutdown: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
    /// The gateway faces the internet, so it is served by its own server with a header-read
    /// deadline (slow-client protection); set when the gateway role is built.
    gateway_timeouts: Option<bilten_gateway::ServerTimeouts>,
}

impl Shared {
    async fn start(config: Config) -> anyhow::Result<Self> {
        let store = bootstrap::connect_store(&config).await?;
        bootstrap::ensure_schema(&config, &store, false).await?;
        let cache = bootstrap::cache(&config)?;
        let shutdown = CancellationToken::new();
        spawn_signal_handler(shutdown.clone());
        Ok(Self {
            config: Arc::new(config),
            store,
            cache,
            shutdown,
            tasks: JoinSet::new(),
            gateway_timeouts: None,
        })
    }

    fn serve(&mut self, role: &'static str, listener: tokio::net::TcpListener, router: Router) {
        let shutdown = self.shutdown.clone();
        let gateway_timeouts = if role == "gateway" {
            self.gateway_timeouts.take()
        } else {
            None
        };
        self.tasks.spawn(async move {
            match gateway_timeouts {
                Some(timeouts) => bilten_gateway::serve(listener, router, shutdown, timeouts).await,
                None => bilten_http::serve(listener, router, shutdown).await,
            }
            .with_context(|| format!("{role} server"))
        });
    }

    /// Runs until a signal (or a failed server) stops everything, then waits for the rest.
    async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            let result = joined.map_err(anyhow::Error::from).and_then(|r| r);
            if let Err(error) = result {
                tracing::error!("{error:#}");
                first_error.get_or_insert(error);
                self.shutdown.cancel();
            }
        }
        self.store.close().await;
        tracing::info!("stopped");
        first_error.map_or(Ok(()), Err)
    }
}

fn spawn_signal_handler(shutdown: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(error) => {
                        tracing::warn!(%error, "cannot listen for SIGTERM");
                        let _ = ctrl_c.await;
                        shutdown.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down: finishing in-flight requests");
        shutdown.cancel();
    });
}

async fn bind(
    config: &Config,
    role: Role,
    port: u16,
) -> anyhow::Result<(tokio::net::TcpListener, SocketAddr)> {
    let addr: SocketAddr = format!("{}:{port}", config.bind_host)
        .parse()
        .with_context(|| format!("BIND_HOST {:?}", config.bind_host))?;
    let listener = bilten_http::bind(addr)
        .await
        .with_context(|| format!("{} role", role.name()))?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Builds the backend: router plus the outbox and hold-expiry workers.
fn backend(shared: &mut Shared) -> anyhow::Result<(Router, HttpMetrics, Readiness)> {
    let (metrics, business) = bilten_backend::new_metrics();
    bilten_store::statements::register(metrics.registry());
    let mut worker = bilten_mail::OutboxWorker::new(
        shared.store.clone(),
        bootstrap::mail_transport(&shared.config)?,
        bootstrap::mail_from(&shared.config)?,
        bilten_mail::WorkerMetrics::new(metrics.registry()),
    );
    let state = bilten_backend::AppState::new(
        shared.store.clone(),
        shared.cache.clone(),
        &bilten_backend::BackendSettings::from_config(&shared.config)?,
        metrics.clone(),
        business,
        worker.handle(),
    );
    let state = match &shared.config.stripe {
        Some(stripe) => state
            .with_stripe(stripe)
            .context("STRIPE_SECRET_KEY: cannot build the Stripe client")?,
        None => state,
    };
    worker.set_composer(bilten_backend::mail_composer(&state));
    let readiness = bilten_backend::readiness(&state);
    let shutdown = shared.shutdown.clone();
    shared.tasks.spawn(async move {
        worker.run(shutdown).await;
        Ok(())
    });
    let expiry = bilten_backend::HoldExpiryWorker::new(state.clone());
    let shutdown = shared.shutdown.clone();
    shared.tasks.spawn(async move {
        expiry.run(shutdown).await;
        Ok(())
    });
    let refunds = bilten_backend::RefundRetryWorker::new(state.clone());
    let shutdown = shared.shutdown.clone();
    shared.tasks.spawn(async move {
        refunds.run(shutdown).await;
        Ok(())
    });
    // Anonymizes orders of events past the retention period (unless it is off).
    if let Some(retention) = bilten_backend::RetentionWorker::new(state.clone()) {
        let shutdown = shared.shutdown.clone();
        shared.tasks.spawn(async move {
            retention.run(shutdown).await;
            Ok(())
        });
    }
    Ok((bilten_backend::router(state), metrics, readiness))
}

/// The scanner: check-in API for gate devices and the scanner web app.
fn scanner(shared: &Shared) -> (Router, HttpMetrics, Readiness) {
    let metrics = HttpMetrics::new();
    shared.cache.register_metrics(metrics.registry());
    bilten_store::statements::register(metrics.registry());
    let state = bilten_scanner::ScannerState::new(
        shared.store.clone(),
        &bilten_scanner::ScannerSettings::from_config(&shared.config),
        metrics.clone(),
    );
    let readiness = bilten_scanner::readiness(&state);
    (bilten_scanner::router(state), metrics, readiness)
}

/// The gateway in front of `upstreams` (the local roles when all run in one process).
async fn gateway(
    shared: &mut Shared,
    upstreams: &bilten_gateway::UpstreamDefaults,
) -> anyhow::Result<(Router, HttpMetrics, Readiness)> {
    let settings = bilten_gateway::GatewaySettings::from_env(&shared.config, upstreams)?;
    shared.gateway_timeouts = Some(settings.server_timeouts());
    let metrics = HttpMetrics::new();
    let access_tokens = bilten_http::jwt::AccessTokens::new(
        shared.config.jwt.access_secret.expose_secret().as_bytes(),
        shared.config.jwt.access_ttl,
    );
    let router = bilten_gateway::build(
        settings,
        shared.cache.clone(),
        access_tokens,
        metrics.clone(),
        shared.shutdown.clone(),
    )
    .await;
    Ok((router, metrics, Readiness::new()))
}

async fn build_role(
    role: Role,
    shared: &mut Shared,
    upstreams: &bilten_gateway::UpstreamDefaults,
) -> anyhow::Result<(Router, HttpMetrics, Readiness)> {
    match role {
        Role::Backend => backend(shared),
        Role::Gateway => gateway(shared, upstreams).await,
        Role::Frontend => Ok(frontend(shared, upstreams)),
        Role::Scanner => Ok(scanner(shared)),
    }
}

/// The web app; it reaches the backend over HTTP at `BACKEND_URL` (or the local backend).
fn frontend(
    shared: &Shared,
    upstreams: &bilten_gateway::UpstreamDefaults,
) -> (Router, HttpMetrics, Readiness) {
    let backend_url = shared
        .config
        .backend_url
        .clone()
        .or_else(|| upstreams.backend.first().cloned())
        .unwrap_or_else(|| format!("http://127.0.0.1:{}", Role::Backend.default_port()));
    let settings = bilten_frontend::FrontendSettings {
        backend_url,
        public_url: shared.config.public_url.clone(),
        secure_cookies: shared.config.app_env.is_production(),
    };
    let metrics = HttpMetrics::new();
    (
        bilten_frontend::router(settings, metrics.clone()),
        metrics,
        Readiness::new(),
    )
}

/// Upstreams on this machine at the given ports.
fn local_upstreams(frontend: u16, backend: u16, scanner: u16) -> bilten_gateway::UpstreamDefaults {
    let url = |port: u16| vec![format!("http://127.0.0.1:{port}")];
    bilten_gateway::UpstreamDefaults {
        backend: url(backend),
        scanner: url(scanner),
        frontend: url(frontend),
    }
}

/// `PROMETHEUS_PORT`: `/metrics` of `metrics` on its own port as well.
async fn serve_prometheus(
    shared: &mut Shared,
    metrics: HttpMetrics,
    readiness: Readiness,
) -> anyhow::Result<()> {
    if let Some(port) = shared.config.prometheus_port {
        let addr: SocketAddr = format!("{}:{port}", shared.config.bind_host).parse()?;
        let listener = bilten_http::bind(addr).await.context("PROMETHEUS_PORT")?;
        shared.serve(
            "metrics",
            listener,
            bilten_http::ops::metrics_router(readiness, metrics),
        );
    }
    Ok(())
}

pub async fn serve_one(mut config: Config, role: Role) -> anyhow::Result<()> {
    let port = config.port.unwrap_or(role.default_port());
    let (listener, addr) = bind(&config, role, port).await?;
    if role == Role::Frontend {
        config.use_frontend_address(addr);
    }
    let mut shared = Shared::start(config).await?;
    let upstreams = local_upstreams(
        Role::Frontend.default_port(),
        Role::Backend.default_port(),
        Role::Scanner.default_port(),
    );
    let (router, metrics, readiness) = build_role(role, &mut shared, &upstreams).await?;
    serve_prometheus(&mut shared, metrics, readiness).await?;
    shared.serve(role.name(), listener, router);
    tracing::info!(role = role.name(), %addr, "listening");
    // With JSON logs stdout carries only JSON lines; the log line above says the same.
    if !shared.config.log_json {
        println!("bilten {} listening on http://{addr}", role.name());
    }
    shared.wait().await
}

pub async fn serve_all(mut config: Config, ports: ServePorts) -> anyhow::Result<()> {
    // Every port is bound before anything is built, so the links the backend mails can name
    // the frontend's real address (development without PUBLIC_URL).
    let mut bound = Vec::new();
    for (role, port) in [
        (Role::Backend, ports.backend_port),
        (Role::Frontend, ports.frontend_port),
        (Role::Scanner, ports.scanner_port),
        (Role::Gateway, ports.gateway_port),
    ] {
        let (listener, addr) = bind(&config, role, port).await?;
        if role == Role::Frontend {
            config.use_frontend_address(addr);
        }
        bound.push((role, listener, addr));
    }
    let mut shared = Shared::start(config).await?;
    // The newcomer's first minute: the embedded default in development gets a demo to look at.
    let demo = if ports.no_demo
        || shared.config.database.url.is_some()
        || shared.config.app_env.is_production()
    {
        None
    } else {
        bilten_backend::demo::ensure(&shared.store)
            .await
            .context("seeding the demo")?
    };
    let mut frontend_url = String::new();
    let mut lines = Vec::new();
    let mut backend_metrics = None;
    let upstreams = local_upstreams(ports.frontend_port, ports.backend_port, ports.scanner_port);
    for (role, listener, addr) in bound {
        let (router, metrics, readiness) = build_role(role, &mut shared, &upstreams).await?;
        if role == Role::Backend {
            backend_metrics = Some((metrics, readiness));
        }
        shared.serve(role.name(), listener, router);
        if role == Role::Frontend {
            frontend_url = format!("http://{addr}");
        }
        lines.push(format!("  {:<9} http://{addr}", role.name()));
    }
    // With every role in one process, PROMETHEUS_PORT exposes the backend's registry; each
    // role's own /metrics stays on its port.
    if let Some((metrics, readiness)) = backend_metrics {
        serve_prometheus(&mut shared, metrics, readiness).await?;
    }
    let database = if shared.config.database.url.is_some() {
        "PostgreSQL"
    } else {
        "embedded SQLite"
    };
    if shared.config.log_json {
        // Stdout carries only JSON lines: the banner becomes one log event.
        tracing::info!(
            database,
            data_dir = %shared.config.data_dir.display(),
            roles = %lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(", "),
            demo = demo.is_some(),
            "bilten is running"
        );
    } else {
        println!(
            "\nBilten is running ({database}, data in {}):",
            shared.config.data_dir.display()
        );
        for line in &lines {
            println!("{line}");
        }
        println!("  health:   /health  /ready  /metrics on every port");
        if let Some(demo) = demo {
            print_demo(&demo, &frontend_url);
        }
        println!("Press Ctrl-C to stop.\n");
    }
    shared.wait().await
}

fn print_demo(demo: &bilten_backend::demo::Demo, frontend_url: &str) {
    println!(
        "\nDemo data ({}; start with --no-demo to skip it):",
        if demo.created {
            "created now"
        } else {
            "created on the first start"
        }
    );
    println!("  web app:   {frontend_url}/");
    for (id, title) in &demo.events {
        println!("  event:     {frontend_url}/events/{id}  ({title})");
    }
    println!(
        "  organizer: {} / {}  (log in at {frontend_url}/login)",
        bilten_backend::demo::DEMO_EMAIL,
        bilten_backend::demo::DEMO_PASSWORD
    );
}
