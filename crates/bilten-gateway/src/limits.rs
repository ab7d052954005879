//! Rate limits: one budget per route rule, counted per signed-in user or per client IP in a
//! window shared by every gateway replica through the cache.
//!
//! The counter is `bilten-cache`'s fixed window (one atomic Lua script in Redis), so N
//! replicas together allow N-per-window, not N times it. When Redis is down the cache counts
//! in-process instead: each replica then enforces the budget on its own, looser in total but
//! never open.
//!
//! Who is counted: a caller with a valid access token is counted by user id, anyone else by
//! IP. Counting signed-in people by user keeps a venue's or an office's shared NAT address
//! from exhausting one budget for everybody behind it; sign-in and account recovery are
//! always counted by IP, since they are where passwords get guessed.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use bilten_cache::Cache;

use crate::routes::prefix_matches;

const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// A number of requests per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub limit: u64,
    pub window: Duration,
}

impl Budget {
    pub const fn per_minute(limit: u64) -> Self {
        Self {
            limit,
            window: Duration::from_mins(1),
        }
    }

    /// `10/1m`, `600/m`, `5/10m`, `100/30s`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (limit, window) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("expected a budget like 10/1m, got {text:?}"))?;
        let limit: u64 = limit
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{limit:?} is not a positive whole number"))?;
        let window = window.trim();
        let window = if window.starts_with(|c: char| c.is_ascii_digit()) {
            crate::settings::values::duration(window)?
        } else {
            crate::settings::values::duration(&format!("1{window}"))?
        };
        if window < Duration::from_secs(1) {
            return Err(format!("{text:?}: the window must be at least 1s"));
        }
        Ok(Self { limit, window })
    }
}

/// Which paths a rule covers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathMatch {
    Exact(&'static str),
    Prefix(&'static str),
}

impl PathMatch {
    fn matches(&self, path: &str) -> bool {
        match self {
            Self::Exact(exact) => path.trim_end_matches('/') == *exact,
            Self::Prefix(prefix) => prefix_matches(prefix, path),
        }
    }
}

/// Whose requests a rule counts together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyBy {
    Ip,
    UserOrIp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Methods {
    Any,
    Post,
    /// Anything that is not GET, HEAD or OPTIONS.
    Writes,
}

impl Methods {
    fn matches(self, method: &Method) -> bool {
        match self {
            Self::Any => true,
            Self::Post => method == Method::POST,
            Self::Writes => !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS),
        }
    }
}

/// One line of the budget table. The `name` is the `route_group` label of
/// `bilten_rate_limited_total` and the name `GATEWAY_RATE_LIMITS` overrides it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRule {
    pub name: &'static str,
    methods: Methods,
    paths: Vec<PathMatch>,
    key: KeyBy,
    /// `None`: not limited.
    pub budget: Option<Budget>,
}

/// The budget table, first match wins. Strict where credentials are guessed or stock is
/// held (sign-in, sign-up, password reset, order creation), generous on reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    pub rules: Vec<RateRule>,
}

impl Default for RateLimits {
    fn default() -> Self {
        use PathMatch::{Exact, Prefix};
        let rule = |name, methods, paths, key, limit| RateRule {
            name,
            methods,
            paths,
            key,
            budget: Some(Budget::per_minute(limit)),
        };
        Self {
            rules: vec![
                rule(
                    "login",
                    Methods::Post,
                    // The password, the second factor and a passkey (its options and its
                    // answer) share one budget per address.
                    vec![
                        Exact("/api/v1/auth/login"),
                        Exact("/api/v1/auth/login/two-factor"),
                        Exact("/api/v1/auth/passkey"),
                        Exact("/api/v1/auth/passkey/options"),
                    ],
                    KeyBy::Ip,
                    10,
                ),
                rule(
                    "register",
                    Methods::Post,
                    vec![Exact("/api/v1/auth/register")],
                    KeyBy::Ip,
                    5,
                ),
                rule(
                    "password_reset",
                    Methods::Post,
                    vec![Prefix("/api/v1/auth/forgot"), Prefix("/api/v1/auth/reset")],
                    KeyBy::Ip,
                    5,
                ),
                rule(
                    "orders",
                    Methods::Post,
                    vec![Exact("/api/v1/orders"), Exact("/api/v1/purchases")],
                    KeyBy::UserOrIp,
                    20,
                ),
                // Scanners at a door scan about one ticket a second each, many behind one NAT.
                rule(
                    "checkin",
                    Methods::Any,
                    vec![Prefix("/api/v1/checkin")],
                    KeyBy::UserOrIp,
                    3000,
                ),
                rule(
                    "webhooks",
                    Methods::Any,
                    vec![Prefix("/webhooks")],
                    KeyBy::Ip,
                    600,
                ),
                rule(
                    "api_write",
                    Methods::Writes,
                    vec![Prefix("/api")],
                    KeyBy::UserOrIp,
                    120,
                ),
                rule(
                    "api_read",
                    Methods::Any,
                    vec![Prefix("/api")],
                    KeyBy::UserOrIp,
                    1200,
                ),
                // Pages and their assets: one page view is a dozen requests.
                rule(
                    "pages",
                    Methods::Any,
                    vec![Prefix("/")],
                    KeyBy::UserOrIp,
                    1200,
                ),
            ],
        }
    }
}

impl RateLimits {
    /// The defaults with `overrides` applied: `off` turns every limit off; otherwise
    /// `name=10/1m` or `name=off` items separated by commas.
    pub fn with_overrides(overrides: &str) -> Result<Self, String> {
        let mut limits = Self::default();
        if overrides.trim().eq_ignore_ascii_case("off") {
            for rule in &mut limits.rules {
                rule.budget = None;
            }
            return Ok(limits);
        }
        for item in overrides
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (name, budget) = item
                .split_once('=')
                .ok_or_else(|| format!("expected name=10/1m or name=off, got {item:?}"))?;
            let known: Vec<&str> = limits.rules.iter().map(|r| r.name).collect();
            let rule = limits
                .rules
                .iter_mut()
                .find(|r| r.name == name.trim())
                .ok_or_else(|| {
                    format!("no rate limit named {name:?} (known: {})", known.join(", "))
                })?;
            rule.budget = if budget.trim().eq_ignore_ascii_case("off") {
                None
            } else {
                Some(Budget::parse(budget)?)
            };
        }
        Ok(limits)
    }

    /// The index of the first rule that applies.
    fn rule_index(&self, method: &Method, path: &str) -> Option<usize> {
        self.rules
            .iter()
            .position(|r| r.methods.matches(method) && r.paths.iter().any(|p| p.matches(path)))
    }

    #[cfg(test)]
    fn rule_for(&self, method: &Method, path: &str) -> Option<&RateRule> {
        self.rule_index(method, path).map(|i| &self.rules[i])
    }
}

/// The outcome for one request under one rule.
#[derive(Debug, Clone)]
pub(crate) struct Decision {
    pub rule: &'static str,
    /// `RateLimit-Limit` and `RateLimit-Policy` of the rule, built once per rule.
    fixed: RuleHeaders,
    pub scope: &'static str,
    pub budget: Budget,
    pub count: u64,
    pub resets_in: Duration,
}

impl Decision {
    pub(crate) fn allowed(&self) -> bool {
        self.count <= self.budget.limit
    }

    /// Whole seconds until the window resets, at least 1 (the value of `Retry-After` and
    /// `RateLimit-Reset`).
    pub(crate) fn reset_secs(&self) -> u64 {
        self.resets_in.as_millis().div_ceil(1000).max(1) as u64
    }

    /// `RateLimit-Limit`, `-Remaining`, `-Reset` and `-Policy` (IETF httpapi rate-limit
    /// headers draft), on every limited response so well-behaved clients can pace themselves.
    pub(crate) fn write_headers(&self, headers: &mut HeaderMap) {
        let remaining = self.budget.limit.saturating_sub(self.count);
        headers.insert(RATELIMIT_LIMIT, self.fixed.limit.clone());
        headers.insert(RATELIMIT_REMAINING, HeaderValue::from(remaining));
        headers.insert(RATELIMIT_RESET, HeaderValue::from(self.reset_secs()));
        headers.insert(RATELIMIT_POLICY, self.fixed.policy.clone());
    }
}

/// Counts requests against the table.
/// The headers of a rule that do not change from one request to the next.
#[derive(Debug, Clone)]
struct RuleHeaders {
    limit: HeaderValue,
    policy: HeaderValue,
}

impl RuleHeaders {
    fn of(budget: Option<Budget>) -> Self {
        let budget = budget.unwrap_or(Budget::per_minute(0));
        let policy = format!("{};w={}", budget.limit, budget.window.as_secs());
        Self {
            limit: HeaderValue::from(budget.limit),
            policy: HeaderValue::try_from(policy).unwrap_or(HeaderValue::from_static("")),
        }
    }
}

#[derive(Clone)]
pub(crate) struct Limiter {
    limits: RateLimits,
    /// Per rule, in the order of `limits.rules`.
    headers: Vec<RuleHeaders>,
    cache: Cache,
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits, cache: Cache) -> Self {
        let headers = limits
            .rules
            .iter()
            .map(|r| RuleHeaders::of(r.budget))
            .collect();
        Self {
            limits,
            headers,
            cache,
        }
    }

    /// Counts this request and returns the reading, or `None` when no rule limits it.
    pub(crate) async fn check(
        &self,
        method: &Method,
        path: &str,
        ip: Option<IpAddr>,
        user: Option<&str>,
    ) -> Option<Decision> {
        let index = self.limits.rule_index(method, path)?;
        let rule = &self.limits.rules[index];
        let budget = rule.budget?;
        let (scope, key) = match (rule.key, user) {
            (KeyBy::UserOrIp, Some(user)) => ("user", format!("rl:{}:u:{user}", rule.name)),
            // Without a peer address (a server started without connect info) everyone shares
            // one budget: strict, but never unlimited.
            _ => (
                "ip",
                match ip {
                    Some(ip) => format!("rl:{}:ip:{ip}", rule.name),
                    None => format!("rl:{}:ip:unknown", rule.name),
                },
            ),
        };
        let reading = self.cache.hit(&key, budget.window).await;
        Some(Decision {
            rule: rule.name,
            fixed: self.headers[index].clone(),
            scope,
            budget,
            count: reading.count,
            resets_in: reading.resets_in,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_counts_and_windows() {
        assert_eq!(Budget::parse("10/1m").unwrap(), Budget::per_minute(10));
        assert_eq!(Budget::parse("600/m").unwrap(), Budget::per_minute(600));
        assert_eq!(
            Budget::parse("5/10m").unwrap().window,
            Duration::from_mins(10)
        );
        for bad in ["10", "0/1m", "x/1m", "10/1ms", "10/fortnight"] {
            assert!(Budget::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strict_rules_cover_credentials_and_order_creation() {
        let limits = RateLimits::default();
        let name = |m: Method, p: &str| limits.rule_for(&m, p).map(|r| r.name);
        assert_eq!(name(Method::POST, "/api/v1/auth/login"), Some("login"));
        assert_eq!(name(Method::POST, "/api/v1/auth/passkey"), Some("login"));
        assert_eq!(
            name(Method::POST, "/api/v1/auth/passkey/options"),
            Some("login")
        );
        assert_eq!(
            name(Method::POST, "/api/v1/auth/register"),
            Some("register")
        );
        assert_eq!(
            name(Method::POST, "/api/v1/auth/forgot"),
            Some("password_reset")
        );
        assert_eq!(
            name(Method::POST, "/api/v1/auth/reset"),
            Some("password_reset")
        );
        assert_eq!(name(Method::POST, "/api/v1/orders"), Some("orders"));
        assert_eq!(name(Method::GET, "/api/v1/orders"), Some("api_read"));
        assert_eq!(
            name(Method::POST, "/api/v1/orders/ord_1/cancel"),
            Some("api_write")
        );
        assert_eq!(name(Method::GET, "/api/v1/auth/login"), Some("api_read"));
        assert_eq!(name(Method::POST, "/api/v1/checkin/scan"), Some("checkin"));
        assert_eq!(name(Method::GET, "/"), Some("pages"));
        let login = limits
            .rule_for(&Method::POST, "/api/v1/auth/login")
            .unwrap();
        let read = limits.rule_for(&Method::GET, "/api/v1/events").unwrap();
        assert!(login.budget.unwrap().limit < read.budget.unwrap().limit);
    }

    #[test]
    fn overrides_change_or_remove_budgets() {
        let limits = RateLimits::with_overrides("login=3/30s, pages=off").unwrap();
        let login = limits
            .rule_for(&Method::POST, "/api/v1/auth/login")
            .unwrap();
        assert_eq!(
            login.budget,
            Some(Budget {
                limit: 3,
                window: Duration::from_secs(30)
            })
        );
        assert_eq!(limits.rule_for(&Method::GET, "/").unwrap().budget, None);
        assert!(RateLimits::with_overrides("nope=1/1m").is_err());
        assert!(RateLimits::with_overrides("login").is_err());
        let off = RateLimits::with_overrides("OFF").unwrap();
        assert!(off.rules.iter().all(|r| r.budget.is_none()));
    }

    #[tokio::test]
    async fn users_and_addresses_are_counted_apart() {
        let limiter = Limiter::new(
            RateLimits::with_overrides("orders=2/1m,login=1/1m").unwrap(),
            Cache::memory("t:"),
        );
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let post = Method::POST;
        for expected in [true, true, false] {
            let d = limiter
                .check(&post, "/api/v1/orders", Some(ip), Some("usr_a"))
                .await
                .unwrap();
            assert_eq!(d.allowed(), expected);
            assert_eq!(d.scope, "user");
        }
        // Another user behind the same address has a budget of their own.
        let d = limiter
            .check(&post, "/api/v1/orders", Some(ip), Some("usr_b"))
            .await
            .unwrap();
        assert!(d.allowed());
        // Sign-in is counted by address even with a token.
        let first = limiter
            .check(&post, "/api/v1/auth/login", Some(ip), Some("usr_a"))
            .await
            .unwrap();
        let second = limiter
            .check(&post, "/api/v1/auth/login", Some(ip), Some("usr_b"))
            .await
            .unwrap();
        assert!(first.allowed() && !second.allowed());
        assert_eq!(second.scope, "ip");
        let mut headers = HeaderMap::new();
        second.write_headers(&mut headers);
        assert_eq!(headers["ratelimit-limit"], "1");
        assert_eq!(headers["ratelimit-remaining"], "0");
        assert_eq!(headers["ratelimit-policy"], "1;w=60");
    }
}
