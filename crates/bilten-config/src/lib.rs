//! Configuration from the environment, with the variable names of the architecture.
//!
//! `Config::from_lookup` takes any `name -> value` function so tests never touch the real
//! process environment. Every bad or missing variable is an error naming it, and all of them
//! are returned together; `main` prints them, one per line, and exits. Secrets are `SecretString`s: `Debug` prints `[REDACTED]`.

mod duration;
mod public_url;
mod secrets;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

pub use duration::parse_duration;
pub use public_url::development_url;
pub use secrets::DevSecrets;

/// A variable that was present but unusable, or missing where it is required.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("{name} is required when APP_ENV=production")]
    Missing { name: &'static str },
    #[error("could not read or write development secrets in {path}: {reason}")]
    DevSecrets { path: PathBuf, reason: String },
}

/// Every problem with the environment, in the order the variables are read. `Display`
/// puts one per line.
#[derive(Debug)]
pub struct ConfigErrors(Vec<ConfigError>);

impl ConfigErrors {
    fn one(error: ConfigError) -> Self {
        Self(vec![error])
    }

    pub fn iter(&self) -> impl Iterator<Item = &ConfigError> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// The Redis key prefix unless `REDIS_PREFIX` says otherwise.
pub const DEFAULT_REDIS_PREFIX: &str = "bilten:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

impl AppEnv {
    pub fn is_production(self) -> bool {
        self == Self::Production
    }
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `None` means the embedded SQLite file in the data dir.
    pub url: Option<SecretString>,
    pub read_url: Option<SecretString>,
    pub pool_min: u32,
    pub pool_max: u32,
}

#[derive(Debug, Clone)]
pub struct RedisConfig {
    pub url: SecretString,
    pub password: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub access_secret: SecretString,
    pub refresh_secret: SecretString,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub pass: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct StripeConfig {
    pub secret_key: SecretString,
    pub webhook_secret: Option<SecretString>,
    /// Overridable so tests can point at a local Stripe fake.
    pub api_base: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub app_env: AppEnv,
    /// Overrides the port of a single-role process.
    pub port: Option<u16>,
    pub bind_host: String,
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    pub redis: Option<RedisConfig>,
    /// `REDIS_PREFIX`: put in front of every cache key and rate-limit counter, so two
    /// deployments (or a test run) can share one Redis without sharing limits.
    pub redis_prefix: String,
    pub jwt: JwtConfig,
    /// `TICKET_SIGNING_SECRET` when set; see [`Config::ticket_signing_secret`].
    ticket_signing_secret: Option<SecretString>,
    pub smtp: Option<SmtpConfig>,
    pub mail_from: String,
    pub stripe: Option<StripeConfig>,
    pub prometheus_port: Option<u16>,
    pub sentry_dsn: Option<SecretString>,
    /// Where people reach the platform (links in emails). In development without
    /// `PUBLIC_URL`, replaced by the bound frontend's address ([`Config::use_frontend_address`]).
    pub public_url: String,
    /// Whether `PUBLIC_URL` was given.
    public_url_set: bool,
    /// Base URL of the backend for roles that call it over HTTP (frontend, scanner).
    pub backend_url: Option<String>,
    pub log_json: bool,
    /// `BILTEN_PERSONAL_DATA_RETENTION_MONTHS`: orders of events that ended longer ago than
    /// this are anonymized by the backend's retention job (accounting data stays). `None`
    /// (`off`) keeps personal data until someone asks for its erasure.
    pub personal_data_retention_months: Option<u32>,
}

/// The retention period unless `BILTEN_PERSONAL_DATA_RETENTION_MONTHS` says otherwise.
pub const DEFAULT_PERSONAL_DATA_RETENTION_MONTHS: u32 = 24;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigErrors> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every variable through `lookup`. Every bad or missing variable is reported, not
    /// only the first: an operator fixing a deployment should see the whole list at once.
    #[expect(
        clippy::too_many_lines,
        reason = "one straight list of variables reads better than helpers"
    )]
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut errors = Vec::new();
        let app_env = match get("APP_ENV").as_deref() {
            None | Some("development" | "dev") => AppEnv::Development,
            Some("production" | "prod") => AppEnv::Production,
            Some(other) => {
                errors.push(invalid(
                    "APP_ENV",
                    format!("expected development or production, got {other:?}"),
                ));
                // Judge the rest as development does, so the list names only real problems.
                AppEnv::Development
            }
        };
        let production = app_env.is_production();
        let mut require = |name: &'static str, value: &Option<String>| {
            if value.is_none() && production {
                errors.push(ConfigError::Missing { name });
            }
        };

        let database_url = get("DATABASE_URL");
        require("DATABASE_URL", &database_url);
        let access_secret = get("JWT_ACCESS_SECRET");
        require("JWT_ACCESS_SECRET", &access_secret);
        let refresh_secret = get("JWT_REFRESH_SECRET");
        require("JWT_REFRESH_SECRET", &refresh_secret);
        let ticket_secret = get("TICKET_SIGNING_SECRET");
        require("TICKET_SIGNING_SECRET", &ticket_secret);

        let mut check = |result: Result<(), ConfigError>| {
            if let Err(error) = result {
                errors.push(error);
            }
        };
        let port = keep(
            &mut check,
            get("PORT").map(|v| parse_port("PORT", &v)).transpose(),
        );
        let prometheus_port = keep(
            &mut check,
            get("PROMETHEUS_PORT")
                .map(|v| parse_port("PROMETHEUS_PORT", &v))
                .transpose(),
        );
        let data_dir = PathBuf::from(get("BILTEN_DATA_DIR").unwrap_or_else(|| "data".to_owned()));

        if let Some(url) = &database_url {
            check(check_scheme(
                "DATABASE_URL",
                url,
                &["postgres://", "postgresql://", "sqlite:"],
            ));
        }
        let read_url = get("DATABASE_READ_URL");
        if let Some(url) = &read_url {
            check(check_scheme(
                "DATABASE_READ_URL",
                url,
                &["postgres://", "postgresql://"],
            ));
        }
        let pool_min = keep(
            &mut check,
            parse_number("DATABASE_POOL_MIN", get("DATABASE_POOL_MIN"), 0, 0, 1000),
        );
        let pool_max = keep(
            &mut check,
            parse_number("DATABASE_POOL_MAX", get("DATABASE_POOL_MAX"), 10, 1, 1000),
        );
        if let (Some(min), Some(max)) = (pool_min, pool_max) {
            if min > max {
                check(Err(invalid(
                    "DATABASE_POOL_MIN",
                    format!("{min} is larger than DATABASE_POOL_MAX ({max})"),
                )));
            }
        }

        let redis = match get("REDIS_URL") {
            Some(url) => {
                check(check_scheme("REDIS_URL", &url, &["redis://", "rediss://"]));
                Some(RedisConfig {
                    url: url.into(),
                    password: get("REDIS_PASSWORD").map(Into::into),
                })
            }
            None => None,
        };
        let redis_prefix = get("REDIS_PREFIX").unwrap_or_else(|| DEFAULT_REDIS_PREFIX.to_owned());
        check(check_redis_prefix(&redis_prefix));

        let access_ttl = keep(
            &mut check,
            parse_ttl("JWT_ACCESS_EXPIRES_IN", get("JWT_ACCESS_EXPIRES_IN"), "15m"),
        );
        let refresh_ttl = keep(
            &mut check,
            parse_ttl(
                "JWT_REFRESH_EXPIRES_IN",
                get("JWT_REFRESH_EXPIRES_IN"),
                "7d",
            ),
        );
        for (name, value) in [
            ("JWT_ACCESS_SECRET", &access_secret),
            ("JWT_REFRESH_SECRET", &refresh_secret),
        ] {
            if value.as_ref().is_some_and(|secret| secret.len() < 32) {
                check(Err(invalid(
                    name,
                    "must be at least 32 characters".to_owned(),
                )));
            }
        }
        // Bytes, not characters: the secret is HKDF input keying material.
        if ticket_secret
            .as_ref()
            .is_some_and(|secret| secret.len() < 32)
        {
            check(Err(invalid(
                "TICKET_SIGNING_SECRET",
                "must be at least 32 bytes".to_owned(),
            )));
        }

        let smtp = get("SMTP_HOST").map(|host| SmtpConfig {
            host,
            port: keep(
                &mut check,
                get("SMTP_PORT")
                    .map(|v| parse_port("SMTP_PORT", &v))
                    .transpose(),
            )
            .flatten()
            .unwrap_or(587),
            user: get("SMTP_USER"),
            pass: get("SMTP_PASS").map(Into::into),
        });

        let stripe = match get("STRIPE_SECRET_KEY") {
            Some(key) => {
                if !(key.starts_with("sk_") || key.starts_with("rk_")) {
                    check(Err(invalid(
                        "STRIPE_SECRET_KEY",
                        "expected a key starting with sk_ or rk_".to_owned(),
                    )));
                }
                let webhook_secret = get("STRIPE_WEBHOOK_SECRET");
                if webhook_secret.is_none() && production {
                    check(Err(ConfigError::Missing {
                        name: "STRIPE_WEBHOOK_SECRET",
                    }));
                }
                Some(StripeConfig {
                    secret_key: key.into(),
                    webhook_secret: webhook_secret.map(Into::into),
                    api_base: get("STRIPE_API_BASE")
                        .unwrap_or_else(|| "https://api.stripe.com".to_owned()),
                })
            }
            None => None,
        };

        let sentry_dsn = get("SENTRY_DSN");
        if let Some(dsn) = &sentry_dsn {
            check(check_scheme("SENTRY_DSN", dsn, &["https://", "http://"]));
        }
        let public_url_set = get("PUBLIC_URL").is_some();
        let public_url =
            get("PUBLIC_URL").unwrap_or_else(|| public_url::DEVELOPMENT_DEFAULT.to_owned());
        check(check_scheme(
            "PUBLIC_URL",
            &public_url,
            &["http://", "https://"],
        ));
        let backend_url = get("BACKEND_URL");
        if let Some(url) = &backend_url {
            check(check_scheme("BACKEND_URL", url, &["http://", "https://"]));
        }
        let bind_host = get("BIND_HOST").unwrap_or_else(|| {
            // Containers need 0.0.0.0; a laptop's first run should not open ports to the LAN.
            if production { "0.0.0.0" } else { "127.0.0.1" }.to_owned()
        });
        if format!("{bind_host}:0").parse::<SocketAddr>().is_err() {
            check(Err(invalid(
                "BIND_HOST",
                format!("{bind_host:?} is not an IP address"),
            )));
        }
        let log_json = match get("LOG_FORMAT").as_deref() {
            None => production,
            Some("json") => true,
            Some("text" | "pretty") => false,
            Some(other) => {
                check(Err(invalid(
                    "LOG_FORMAT",
                    format!("expected json or text, got {other:?}"),
                )));
                production
            }
        };

        let personal_data_retention_months = keep(
            &mut check,
            parse_retention(get("BILTEN_PERSONAL_DATA_RETENTION_MONTHS")),
        )
        .flatten();

        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        let (access_secret, refresh_secret) = match (access_secret, refresh_secret) {
            (Some(access), Some(refresh)) => (access.into(), refresh.into()),
            (access, refresh) => {
                // Development without secrets: generate them once and keep them in the data
                // dir, so tokens survive a restart and nobody has to invent a secret to try us.
                let dev = DevSecrets::load_or_create(&data_dir).map_err(ConfigErrors::one)?;
                (
                    access.map_or(dev.jwt_access, Into::into),
                    refresh.map_or(dev.jwt_refresh, Into::into),
                )
            }
        };
        // A `keep` that yielded `None` recorded an error, and errors returned above; the
        // defaults below are never used.
        let (pool_min, pool_max) = (pool_min.unwrap_or(0), pool_max.unwrap_or(10));
        let access_ttl = access_ttl.unwrap_or(Duration::from_secs(900));
        let refresh_ttl = refresh_ttl.unwrap_or(Duration::from_secs(7 * 86_400));

        Ok(Self {
            app_env,
            port: port.flatten(),
            bind_host,
            data_dir,
            database: DatabaseConfig {
                url: database_url.map(Into::into),
                read_url: read_url.map(Into::into),
                pool_min,
                pool_max,
            },
            redis,
            redis_prefix,
            jwt: JwtConfig {
                access_secret,
                refresh_secret,
                access_ttl,
                refresh_ttl,
            },
            ticket_signing_secret: ticket_secret.map(Into::into),
            smtp,
            mail_from: get("SMTP_FROM")
                .unwrap_or_else(|| "Bilten <tickets@bilten.local>".to_owned()),
            stripe,
            prometheus_port: prometheus_port.flatten(),
            sentry_dsn: sentry_dsn.map(Into::into),
            public_url: public_url.trim_end_matches('/').to_owned(),
            public_url_set,
            backend_url: backend_url.map(|u| u.trim_end_matches('/').to_owned()),
            log_json,
            personal_data_retention_months,
        })
    }

    /// The root secret every event's Ed25519 ticket-signing key is derived from: the
    /// `TICKET_SIGNING_SECRET` variable (required in production, at least 32 bytes), or in
    /// development the one generated once into `BILTEN_DATA_DIR/dev-secrets.json`. Resolved on
    /// demand so roles that sign nothing (gateway, frontend) never touch the data dir for it.
    pub fn ticket_signing_secret(&self) -> Result<SecretString, ConfigError> {
        match &self.ticket_signing_secret {
            Some(secret) => Ok(secret.clone()),
            None => Ok(DevSecrets::load_or_create(&self.data_dir)?.ticket_root),
        }
    }

    /// The address a role listens on: `PORT` when set (single-role processes), else its default.
    pub fn listen_addr(&self, default_port: u16, honour_port_env: bool) -> SocketAddr {
        let port = if honour_port_env {
            self.port.unwrap_or(default_port)
        } else {
            default_port
        };
        format!("{}:{port}", self.bind_host)
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], port)))
    }
}

fn invalid(name: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { name, reason }
}

/// The value of a check, recording its error (and yielding `None`) when it failed.
fn keep<T>(
    check: &mut impl FnMut(Result<(), ConfigError>),
    result: Result<T, ConfigError>,
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            check(Err(error));
            None
        }
    }
}

/// Keys are `<prefix><name>`: printable ASCII without spaces, so it is safe in any Redis
/// client and in `redis-cli --scan --pattern 'prefix*'`.
fn check_redis_prefix(prefix: &str) -> Result<(), ConfigError> {
    if prefix.len() <= 64 && prefix.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(invalid(
            "REDIS_PREFIX",
            "expected at most 64 printable ASCII characters without spaces, e.g. bilten-staging:"
                .to_owned(),
        ))
    }
}

fn parse_port(name: &'static str, value: &str) -> Result<u16, ConfigError> {
    value.parse::<u16>().map_err(|_| {
        invalid(
            name,
            format!("expected a port number 0-65535, got {value:?}"),
        )
    })
}

fn parse_number(
    name: &'static str,
    value: Option<String>,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    match value.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(invalid(
            name,
            format!("expected a whole number {min}-{max}, got {value:?}"),
        )),
    }
}

/// Months (1–1200; 24 when unset), or `off`.
fn parse_retention(value: Option<String>) -> Result<Option<u32>, ConfigError> {
    const NAME: &str = "BILTEN_PERSONAL_DATA_RETENTION_MONTHS";
    match value.as_deref() {
        Some("off") => Ok(None),
        _ => parse_number(NAME, value, DEFAULT_PERSONAL_DATA_RETENTION_MONTHS, 1, 1200)
            .map(Some)
            .map_err(|_| {
                invalid(
                    NAME,
                    "expected a number of months (1-1200) or off".to_owned(),
                )
            }),
    }
}

fn parse_ttl(
    name: &'static str,
    value: Option<String>,
    default: &str,
) -> Result<Duration, ConfigError> {
    let text = value.unwrap_or_else(|| default.to_owned());
    match parse_duration(&text) {
        Some(d) if d >= Duration::from_secs(1) => Ok(d),
        _ => Err(invalid(
            name,
            format!("expected a duration like 15m, 7d or 3600s, got {text:?}"),
        )),
    }
}

fn check_scheme(name: &'static str, value: &str, schemes: &[&str]) -> Result<(), ConfigError> {
    if schemes.iter().any(|s| value.starts_with(s)) {
        Ok(())
    } else {
        Err(invalid(
            name,
            format!("expected a URL starting with {}", schemes.join(" or ")),
        ))
    }
}

#[cfg(test)]
mod tests;
