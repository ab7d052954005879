//! The gateway's settings, read from `GATEWAY_*` variables over defaults and validated at
//! start: a bad value is one error naming the variable.
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `GATEWAY_UPSTREAMS_BACKEND` / `_SCANNER` / `_FRONTEND` | the binary's local role ports | comma-separated `http://host:port` (or `https://host[:port]`) replicas |
//! | `GATEWAY_UPSTREAM_CA_FILE` | — | PEM certificates trusted for https upstreams besides the webpki roots |
//! | `GATEWAY_ROUTES` | — | `prefix=group,…` added to / replacing the default table |
//! | `GATEWAY_PUBLIC_ROUTES` | — | `[METHOD|METHOD ]prefix,…` more `/api/v1` paths that need no token |
//! | `GATEWAY_CORS_ORIGINS` | the origin of `PUBLIC_URL` | comma-separated origins, or `*` |
//! | `GATEWAY_TRUSTED_PROXIES` | none | CIDRs whose `X-Forwarded-*` headers are believed |
//! | `GATEWAY_RATE_LIMITS` | the table in `limits` | `name=10/1m,name=off,…` or `off` |
//! | `GATEWAY_MAX_BODY` | `11MiB` | largest request body |
//! | `GATEWAY_CONNECT_TIMEOUT` | `2s` | TCP connect to an upstream |
//! | `GATEWAY_UPSTREAM_TIMEOUT` | `30s` | wait for response headers, and longest pause inside a response body |
//! | `GATEWAY_HEADER_TIMEOUT` | `10s` | a client's time to send its request headers |
//! | `GATEWAY_BODY_TIMEOUT` | `30s` | longest pause inside a client's request body |
//! | `GATEWAY_RETRIES` | `1` | extra attempts on other upstreams |
//! | `GATEWAY_HEALTH_INTERVAL` / `_TIMEOUT` | `2s` / `1s` | active checks of `/ready` |
//! | `GATEWAY_HEALTH_RISE` / `_FALL` | `2` / `2` | consecutive results that flip a replica's state |
//! | `GATEWAY_EJECT_AFTER` / `GATEWAY_EJECT_FOR` | `3` / `10s` | passive ejection after consecutive failures |

pub mod values;

use std::time::Duration;

use axum::http::HeaderValue;
use bilten_config::Config;

use crate::access::{default_public_routes, PublicRoute};
use crate::limits::RateLimits;
use crate::routes::{Group, RouteTable};
use crate::tls::UpstreamTls;
use values::{Cidr, UpstreamUrl};

/// What the binary knows about its local roles: when every role runs in one process the
/// upstreams default to their ports on loopback.
#[derive(Debug, Clone, Default)]
pub struct UpstreamDefaults {
    pub backend: Vec<String>,
    pub scanner: Vec<String>,
    pub frontend: Vec<String>,
}

/// A gateway variable that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum GatewayConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

fn invalid(name: &'static str, reason: impl Into<String>) -> GatewayConfigError {
    GatewayConfigError::Invalid {
        name,
        reason: reason.into(),
    }
}

/// Who may call the API from a browser on another origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Any origin, without credentials.
    Any,
    /// Exactly these origins, with credentials.
    List(Vec<HeaderValue>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub upstream: Duration,
    pub client_headers: Duration,
    pub client_body: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthSettings {
    pub interval: Duration,
    pub timeout: Duration,
    /// Consecutive passes that bring an unhealthy replica back.
    pub rise: u32,
    /// Consecutive failures that take a healthy replica out.
    pub fall: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EjectionSettings {
    /// Consecutive failed requests (timeouts, resets) that eject a replica; a refused
    /// connection ejects at once.
    pub after_failures: u32,
    pub duration: Duration,
}

/// Everything the gateway needs, validated. Fields are public so the binary and tests can
/// adjust them after `from_env`.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    pub backend: Vec<UpstreamUrl>,
    pub scanner: Vec<UpstreamUrl>,
    pub frontend: Vec<UpstreamUrl>,
    /// TLS for `https://` upstreams.
    pub upstream_tls: UpstreamTls,
    pub routes: RouteTable,
    pub public_routes: Vec<PublicRoute>,
    pub cors_origins: CorsOrigins,
    pub trusted_proxies: Vec<Cidr>,
    pub rate_limits: RateLimits,
    pub max_body: usize,
    pub timeouts: Timeouts,
    pub retries: u32,
    pub health: HealthSettings,
    pub ejection: EjectionSettings,
}

/// 10 MiB of payload plus room for multipart framing around a 10 MB upload.
pub const DEFAULT_MAX_BODY: usize = 11 * 1024 * 1024;

impl GatewaySettings {
    /// Reads the process environment.
    pub fn from_env(
        config: &Config,
        defaults: &UpstreamDefaults,
    ) -> Result<GatewaySettings, GatewayConfigError> {
        Self::from_lookup(config, defaults, |name| std::env::var(name).ok())
    }

    /// Like `from_env` with any `name -> value` function, so tests never touch the process
    /// environment.
    pub fn from_lookup(
        config: &Config,
        defaults: &UpstreamDefaults,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<GatewaySettings, GatewayConfigError> {
        let vars = Vars(&lookup);
        let upstreams = |group: Group, fallback: &[String]| {
            let name = group.env_var();
            let text = vars.get(name).unwrap_or_else(|| fallback.join(","));
            let list = values::upstream_list(&text).map_err(|reason| invalid(name, reason))?;
            if list.is_empty() {
                return Err(invalid(
                    name,
                    "no upstream; set comma-separated http://host:port or https://host URLs",
                ));
            }
            Ok(list)
        };
        Ok(Self {
            backend: upstreams(Group::Backend, &defaults.backend)?,
            scanner: upstreams(Group::Scanner, &defaults.scanner)?,
            frontend: upstreams(Group::Frontend, &defaults.frontend)?,
            upstream_tls: vars.upstream_tls()?,
            routes: vars.parse("GATEWAY_ROUTES", RouteTable::with_overrides)?,
            public_routes: vars.public_routes()?,
            cors_origins: vars.cors_origins(config)?,
            trusted_proxies: vars.list("GATEWAY_TRUSTED_PROXIES", Cidr::parse)?,
            rate_limits: vars.parse("GATEWAY_RATE_LIMITS", RateLimits::with_overrides)?,
            max_body: match vars.get("GATEWAY_MAX_BODY") {
                Some(text) => values::size(&text).map_err(|r| invalid("GATEWAY_MAX_BODY", r))?,
                None => DEFAULT_MAX_BODY,
            },
            timeouts: Timeouts {
                connect: vars.duration("GATEWAY_CONNECT_TIMEOUT", Duration::from_secs(2))?,
                upstream: vars.duration("GATEWAY_UPSTREAM_TIMEOUT", Duration::from_secs(30))?,
                client_headers: vars.duration("GATEWAY_HEADER_TIMEOUT", Duration::from_secs(10))?,
                client_body: vars.duration("GATEWAY_BODY_TIMEOUT", Duration::from_secs(30))?,
            },
            retries: vars.number("GATEWAY_RETRIES", 1, 0, 5)?,
            health: HealthSettings {
                interval: vars.duration("GATEWAY_HEALTH_INTERVAL", Duration::from_secs(2))?,
                timeout: vars.duration("GATEWAY_HEALTH_TIMEOUT", Duration::from_secs(1))?,
                rise: vars.number("GATEWAY_HEALTH_RISE", 2, 1, 100)?,
                fall: vars.number("GATEWAY_HEALTH_FALL", 2, 1, 100)?,
            },
            ejection: EjectionSettings {
                after_failures: vars.number("GATEWAY_EJECT_AFTER", 3, 1, 1000)?,
                duration: vars.duration("GATEWAY_EJECT_FOR", Duration::from_secs(10))?,
            },
        })
    }

    pub fn upstreams(&self, group: Group) -> &[UpstreamUrl] {
        match group {
            Group::Backend => &self.backend,
            Group::Scanner => &self.scanner,
            Group::Frontend => &self.frontend,
        }
    }

    /// What [`crate::serve`] needs to protect the listener from slow clients.
    pub fn server_timeouts(&self) -> crate::server::ServerTimeouts {
        crate::server::ServerTimeouts {
            header_read: self.timeouts.client_headers,
        }
    }
}

/// Typed reads of the variables, each error naming its variable.
struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The whole value through `parse` (which also sees an empty value when unset).
    fn parse<T>(
        &self,
        name: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, GatewayConfigError> {
        parse(&self.get(name).unwrap_or_default()).map_err(|reason| invalid(name, reason))
    }

    /// Comma-separated items, each through `parse`.
    fn list<T>(
        &self,
        name: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, GatewayConfigError> {
        self.get(name)
            .unwrap_or_default()
            .split(',')
            .filter(|item| !item.trim().is_empty())
            .map(|item| parse(item).map_err(|reason| invalid(name, reason)))
            .collect()
    }

    fn duration(
        &self,
        name: &'static str,
        default: Duration,
    ) -> Result<Duration, GatewayConfigError> {
        match self.get(name) {
            Some(text) => values::duration(&text).map_err(|reason| invalid(name, reason)),
            None => Ok(default),
        }
    }

    fn number(
        &self,
        name: &'static str,
        default: u32,
        min: u32,
        max: u32,
    ) -> Result<u32, GatewayConfigError> {
        let Some(text) = self.get(name) else {
            return Ok(default);
        };
        text.parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                invalid(
                    name,
                    format!("expected a whole number {min}-{max}, got {text:?}"),
                )
            })
    }

    fn upstream_tls(&self) -> Result<UpstreamTls, GatewayConfigError> {
        const NAME: &str = "GATEWAY_UPSTREAM_CA_FILE";
        let pem = match self.get(NAME) {
            Some(path) => Some(
                std::fs::read(&path)
                    .map_err(|e| invalid(NAME, format!("cannot read {path}: {e}")))?,
            ),
            None => None,
        };
        UpstreamTls::new(pem.as_deref()).map_err(|reason| invalid(NAME, reason))
    }

    fn public_routes(&self) -> Result<Vec<PublicRoute>, GatewayConfigError> {
        let mut routes = default_public_routes();
        routes.extend(self.list("GATEWAY_PUBLIC_ROUTES", PublicRoute::parse)?);
        Ok(routes)
    }

    fn cors_origins(&self, config: &Config) -> Result<CorsOrigins, GatewayConfigError> {
        match self.get("GATEWAY_CORS_ORIGINS") {
            Some(text) if text == "*" => Ok(CorsOrigins::Any),
            Some(_) => Ok(CorsOrigins::List(
                self.list("GATEWAY_CORS_ORIGINS", values::origin)?,
            )),
            // The site's own origin. Same-origin pages need no CORS, but a PUBLIC_URL on
            // another host than the API (a CDN in front of the pages) does.
            None => Ok(CorsOrigins::List(
                values::origin(&config.public_url).into_iter().collect(),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
