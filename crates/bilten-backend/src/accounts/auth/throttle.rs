//! Budgets for password guesses: per account and address, per address, and an exponential
//! back-off per account.
//!
//! Every attempt is counted *before* its password is checked, with an atomic increment in the
//! shared cache (Redis `INCRBY` in one script, or the in-process store when Redis is down), so
//! 200 simultaneous guesses get at most the budget checked — on every replica, since they
//! all count in the same Redis. The budgets:
//!
//! - **account + address**: 10 password checks per 15 minutes for one submitted email from
//!   one IP. This is the hard limit, and it only binds that pair: a stranger exhausting it
//!   does not lock the owner out from the owner's own address.
//! - **address**: 100 password checks per 15 minutes per IP, across accounts (credential
//!   stuffing from one machine). A successful login gives its check back, so an office
//!   behind one address is not locked out by its own people.
//! - **account back-off**: after 5 failures on one account (from anywhere) in 15 minutes, the
//!   account accepts one password check at a time, spaced 1 s, 2 s, 4 s … up to 60 s apart
//!   (a gate taken atomically, `SET NX PX`), so a distributed guesser gets few guesses while
//!   the owner waits at most a minute. Addresses the account logged in from successfully in
//!   the last 30 days skip the back-off: the owner at home is not slowed by strangers at all.
//!
//! The account key is the submitted email whether or not an account exists, so the answers
//! never reveal which emails are registered. docs/API.md describes the answers.

use std::time::Duration;

use bilten_cache::Cache;

use crate::error::{BackendError, BackendResult};

const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Password checks for one email from one address per window.
pub(crate) const PAIR_BUDGET: u64 = 10;
/// Password checks from one address per window, across accounts.
const IP_BUDGET: u64 = 100;
/// Failures on one account (from anywhere) before its back-off starts.
const FREE_FAILURES: u64 = 5;
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long an address stays known for an account after a successful login there.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 86_400);

fn pair_key(email: &str, ip: &str) -> String {
    format!("login:pair:{ip}:{email}")
}

fn ip_key(ip: &str) -> String {
    format!("login:ip:{ip}")
}

fn failures_key(email: &str) -> String {
    format!("login:fail:{email}")
}

fn gate_key(email: &str) -> String {
    format!("login:gate:{email}")
}

fn known_key(email: &str, ip: &str) -> String {
    format!("login:known:{ip}:{email}")
}

fn too_many(wait: Duration) -> BackendError {
    BackendError::TooManyAttempts {
        retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
    }
}

/// Before checking a password: count the attempt, and refuse it when a budget is spent or the
/// account's back-off gate is taken.
pub async fn before_attempt(cache: &Cache, email: &str, ip: &str) -> BackendResult<()> {
    let pair = cache.hit(&pair_key(email, ip), WINDOW).await;
    if pair.count > PAIR_BUDGET {
        return Err(too_many(pair.resets_in));
    }
    let by_ip = cache.hit(&ip_key(ip), WINDOW).await;
    if by_ip.count > IP_BUDGET {
        return Err(too_many(by_ip.resets_in));
    }
    let failures = cache.add(&failures_key(email), 0, WINDOW).await.count;
    if failures >= FREE_FAILURES && cache.get(&known_key(email, ip)).await.is_none() {
        cache
            .claim(&gate_key(email), backoff(failures))
            .await
            .map_err(too_many)?;
    }
    Ok(())
}

pub async fn record_failure(cache: &Cache, email: &str) {
    cache.hit(&failures_key(email), WINDOW).await;
}

/// The right password: the account and this address start afresh, and the address is known.
pub async fn record_success(cache: &Cache, email: &str, ip: &str) {
    cache.delete(&failures_key(email)).await;
    cache.delete(&gate_key(email)).await;
    cache.delete(&pair_key(email, ip)).await;
    cache.release(&ip_key(ip)).await;
    cache.set(&known_key(email, ip), "1", KNOWN_FOR).await;
}

/// 1 s doubling per failure past the free ones, capped.
fn backoff(failures: u64) -> Duration {
    let steps = failures.saturating_sub(FREE_FAILURES).min(16) as u32;
    (FIRST_BACKOFF * 2u32.pow(steps)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff(5), Duration::from_secs(1));
        assert_eq!(backoff(6), Duration::from_secs(2));
        assert_eq!(backoff(8), Duration::from_secs(8));
        assert_eq!(backoff(50), MAX_BACKOFF);
        assert_eq!(backoff(u64::MAX), MAX_BACKOFF);
    }

    #[tokio::test]
    async fn the_budget_is_counted_before_any_check() {
        let cache = Cache::memory("t:");
        let mut allowed = 0;
        for _ in 0..30 {
            if before_attempt(&cache, "a@b.co", "10.0.0.1").await.is_ok() {
                allowed += 1;
            }
        }
        // No failure was ever recorded (no password checked): only the budget stopped them.
        assert_eq!(allowed, PAIR_BUDGET);
        // Another address still has its own budget.
        assert!(before_attempt(&cache, "a@b.co", "10.0.0.2").await.is_ok());
    }
}
