//! Shared start-up: telemetry, database, cache, mail.

use anyhow::Context;
use bilten_cache::{Cache, RedisSettings};
use bilten_config::Config;
use bilten_mail::Transport;
use bilten_store::{ConnectSettings, Store};
use secrecy::ExposeSecret;
use tracing_subscriber::Layer;

/// Logging, plus Sentry when `SENTRY_DSN` is set. Keep the guard alive for the process.
pub fn init_telemetry(config: &Config) -> Option<sentry::ClientInitGuard> {
    let guard = config.sentry_dsn.as_ref().map(|dsn| {
        sentry::init((
            dsn.expose_secret(),
            sentry::ClientOptions {
                release: Some(env!("CARGO_PKG_VERSION").into()),
                environment: Some(
                    if config.app_env.is_production() {
                        "production"
                    } else {
                        "development"
                    }
                    .into(),
                ),
                send_default_pii: false,
                ..Default::default()
            },
        ))
    });
    // Every process counts its SQL statements (`bilten_db_statements_total`) from sqlx's log.
    let statements = bilten_store::statements::layer();
    if guard.is_some() {
        bilten_http::telemetry::init(
            config.log_json,
            sentry::integrations::tracing::layer().and_then(statements),
        );
    } else {
        bilten_http::telemetry::init(config.log_json, statements);
    }
    guard
}

pub async fn connect_store(config: &Config) -> anyhow::Result<Store> {
    let mut settings = match &config.database.url {
        Some(url) => ConnectSettings::new(url.expose_secret()),
        None => {
            std::fs::create_dir_all(&config.data_dir)
                .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
            ConnectSettings::sqlite_file(&config.data_dir.join("bilten.db"))
        }
    };
    settings.read_url = config
        .database
        .read_url
        .as_ref()
        .map(|u| u.expose_secret().to_owned());
    settings.pool_min = config.database.pool_min;
    settings.pool_max = config.database.pool_max;
    Store::connect(&settings)
        .await
        .context("connecting to the database")
}

/// In development the schema is brought up to date on start; in production migrations are a
/// separate, deliberate step (`bilten migrate`, run as a job before rollout), and a role
/// refuses to start on a schema older than it needs or one whose history differs from its
/// own. Migrations newer than this build (a later release migrated the database, as in a
/// rolling update) are fine: they only expand the schema.
pub async fn ensure_schema(
    config: &Config,
    store: &Store,
    always_migrate: bool,
) -> anyhow::Result<()> {
    if always_migrate || !config.app_env.is_production() {
        bilten_store::migrate::run(store)
            .await
            .context("applying migrations")?;
        return Ok(());
    }
    let status = bilten_store::migrate::status(store)
        .await
        .context("checking the database schema")?;
    anyhow::ensure!(
        status.pending.is_empty(),
        "the database schema lacks migrations {:?} that this build needs: run `bilten migrate` first",
        status.pending
    );
    if !status.newer.is_empty() {
        tracing::info!(
            newer = %status.describe_newer(),
            "the database has migrations newer than this build (a later release migrated it)"
        );
    }
    Ok(())
}

pub fn cache(config: &Config) -> anyhow::Result<Cache> {
    match &config.redis {
        Some(redis) => {
            let settings = RedisSettings {
                url: redis.url.expose_secret().to_owned(),
                password: redis
                    .password
                    .as_ref()
                    .map(|p| p.expose_secret().to_owned()),
                op_timeout: std::time::Duration::from_millis(250),
            };
            Ok(Cache::redis(&settings, config.redis_prefix.clone())?)
        }
        None => Ok(Cache::memory(config.redis_prefix.clone())),
    }
}

pub fn mail_transport(config: &Config) -> anyhow::Result<Transport> {
    match &config.smtp {
        Some(smtp) => Ok(Transport::smtp(&bilten_mail::SmtpSettings {
            host: &smtp.host,
            port: smtp.port,
            user: smtp.user.as_deref(),
            pass: smtp.pass.as_ref().map(ExposeSecret::expose_secret),
        })?),
        None => Ok(Transport::files(config.data_dir.join("outbox"))),
    }
}

pub fn mail_from(config: &Config) -> anyhow::Result<bilten_mail::Mailbox> {
    config
        .mail_from
        .parse()
        .map_err(|e| anyhow::anyhow!("SMTP_FROM: {e}"))
}
