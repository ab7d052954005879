//! Slowing down and then refusing repeated failed logins, per account and per IP.
//!
//! Counters live in the shared cache (Redis across replicas; per process if Redis is down).
//! The account key is the submitted email whether or not an account exists, so the answers
//! never reveal which emails are registered.

use std::time::Duration;

use bilten_cache::Cache;

use crate::error::{BackendError, BackendResult};

const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures on one account before each further attempt is delayed.
const ACCOUNT_SLOWDOWN_AFTER: u64 = 5;
/// Failures on one account before attempts are refused for the rest of the window.
const ACCOUNT_LOCK_AFTER: u64 = 10;
/// An IP gets more room: offices and mobile carriers put many people behind one address.
const IP_SLOWDOWN_AFTER: u64 = 20;
const IP_LOCK_AFTER: u64 = 100;
const MAX_DELAY: Duration = Duration::from_secs(3);

fn account_key(email: &str) -> String {
    format!("login-fail:acct:{email}")
}

fn ip_key(ip: &str) -> String {
    format!("login-fail:ip:{ip}")
}

/// Before checking a password: refuse when over the limit, else wait the current penalty.
pub async fn before_attempt(cache: &Cache, email: &str, ip: &str) -> BackendResult<()> {
    let account = cache.add(&account_key(email), 0, WINDOW).await;
    let by_ip = cache.add(&ip_key(ip), 0, WINDOW).await;
    if account.count >= ACCOUNT_LOCK_AFTER || by_ip.count >= IP_LOCK_AFTER {
        let resets = if account.count >= ACCOUNT_LOCK_AFTER {
            account.resets_in
        } else {
            by_ip.resets_in
        };
        return Err(BackendError::TooManyAttempts {
            retry_after_secs: resets.as_secs().max(1),
        });
    }
    let delay =
        penalty(account.count, ACCOUNT_SLOWDOWN_AFTER).max(penalty(by_ip.count, IP_SLOWDOWN_AFTER));
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    Ok(())
}

pub async fn record_failure(cache: &Cache, email: &str, ip: &str) {
    cache.hit(&account_key(email), WINDOW).await;
    cache.hit(&ip_key(ip), WINDOW).await;
}

pub async fn record_success(cache: &Cache, email: &str) {
    cache.delete(&account_key(email)).await;
}

/// 250 ms doubling per failure past the threshold, capped.
fn penalty(failures: u64, threshold: u64) -> Duration {
    if failures < threshold {
        return Duration::ZERO;
    }
    let steps = (failures - threshold).min(8) as u32;
    (Duration::from_millis(250) * 2u32.pow(steps)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalties_grow_then_cap() {
        assert_eq!(penalty(4, 5), Duration::ZERO);
        assert_eq!(penalty(5, 5), Duration::from_millis(250));
        assert_eq!(penalty(6, 5), Duration::from_millis(500));
        assert_eq!(penalty(50, 5), MAX_DELAY);
    }
}
