//! The Redis side: a lazily built, self-healing connection with a deadline per operation.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, IntoConnectionInfo, Script};
use tokio::sync::Mutex as AsyncMutex;

use crate::{CacheError, RedisSettings, WindowCount};

/// Log a Redis failure at most this often; the counter records every one.
const LOG_INTERVAL: Duration = Duration::from_secs(10);
/// After a failed connect, wait this long before trying again (calls meanwhile fall back).
const RECONNECT_BACKOFF: Duration = Duration::from_secs(1);

/// INCRBY, then set the window's expiry only when the key is new, and report the TTL left.
const WINDOW_SCRIPT: &str = r"
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {count, ttl}
";

/// DECR only a live, positive counter (no new window, never negative; the TTL stays).
const RELEASE_SCRIPT: &str = r"
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
";

/// SET NX PX; when taken, report how long it stays taken (-1: we took it).
const CLAIM_SCRIPT: &str = r"
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return -1
end
return redis.call('PTTL', KEYS[1])
";

pub(crate) struct RedisBackend {
    client: redis::Client,
    op_timeout: Duration,
    connection: AsyncMutex<Option<ConnectionManager>>,
    last_connect_failure: Mutex<Option<Instant>>,
    last_log: Mutex<Option<Instant>>,
    window_script: Script,
    release_script: Script,
    claim_script: Script,
}

impl RedisBackend {
    pub(crate) fn new(settings: &RedisSettings) -> Result<Self, CacheError> {
        let mut info = settings
            .url
            .as_str()
            .into_connection_info()
            .map_err(|e| CacheError::Redis(format!("REDIS_URL: {e}")))?;
        if let Some(password) = &settings.password {
            info.redis.password = Some(password.clone());
        }
        let client = redis::Client::open(info).map_err(|e| CacheError::Redis(e.to_string()))?;
        Ok(Self {
            client,
            op_timeout: settings.op_timeout,
            connection: AsyncMutex::new(None),
            last_connect_failure: Mutex::new(None),
            last_log: Mutex::new(None),
            window_script: Script::new(WINDOW_SCRIPT),
            release_script: Script::new(RELEASE_SCRIPT),
            claim_script: Script::new(CLAIM_SCRIPT),
        })
    }

    /// The shared connection, connecting first if there is none. `ConnectionManager`
    /// reconnects by itself after a drop; we only build it once it can connect at all.
    async fn connection(&self) -> Result<ConnectionManager, CacheError> {
        let mut slot = self.connection.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        if let Some(failed_at) = *lock(&self.last_connect_failure) {
            if failed_at.elapsed() < RECONNECT_BACKOFF {
                return Err(CacheError::Redis("not connected (backing off)".to_owned()));
            }
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.op_timeout)
            .set_response_timeout(self.op_timeout)
            .set_number_of_retries(1);
        match tokio::time::timeout(
            self.op_timeout * 2,
            self.client.get_connection_manager_with_config(config),
        )
        .await
        {
            Ok(Ok(conn)) => {
                *slot = Some(conn.clone());
                *lock(&self.last_connect_failure) = None;
                tracing::info!("connected to redis");
                Ok(conn)
            }
            Ok(Err(e)) => {
                *lock(&self.last_connect_failure) = Some(Instant::now());
                Err(CacheError::Redis(e.to_string()))
            }
            Err(_) => {
                *lock(&self.last_connect_failure) = Some(Instant::now());
                Err(CacheError::Timeout)
            }
        }
    }

    async fn run<T, F, Fut>(&self, op: F) -> Result<T, CacheError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.connection().await?;
        match tokio::time::timeout(self.op_timeout, op(conn)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(CacheError::Redis(e.to_string())),
            Err(_) => Err(CacheError::Timeout),
        }
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.run(|mut c| async move { c.get(key).await }).await
    }

    pub(crate) async fn set(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<(), CacheError> {
        let millis = ttl.as_millis().max(1) as u64;
        self.run(|mut c| async move { c.pset_ex(key, value, millis).await })
            .await
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.run(|mut c| async move { c.del(key).await }).await
    }

    pub(crate) async fn add(
        &self,
        key: &str,
        amount: u64,
        window: Duration,
    ) -> Result<WindowCount, CacheError> {
        let window_ms = window.as_millis().max(1) as u64;
        let (count, ttl): (u64, i64) = self
            .run(|mut c| async move {
                self.window_script
                    .key(key)
                    .arg(amount)
                    .arg(window_ms)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(WindowCount {
            count,
            resets_in: Duration::from_millis(ttl.max(0) as u64),
        })
    }

    pub(crate) async fn release(&self, key: &str) -> Result<(), CacheError> {
        let _: i64 = self
            .run(|mut c| async move { self.release_script.key(key).invoke_async(&mut c).await })
            .await?;
        Ok(())
    }

    pub(crate) async fn claim(
        &self,
        key: &str,
        ttl: Duration,
    ) -> Result<Result<(), Duration>, CacheError> {
        let ttl_ms = ttl.as_millis().max(1) as u64;
        let left: i64 = self
            .run(|mut c| async move {
                self.claim_script
                    .key(key)
                    .arg(ttl_ms)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(if left == -1 {
            Ok(())
        } else {
            // -2: it expired between SET and PTTL; the caller may simply try again.
            Err(Duration::from_millis(left.max(1) as u64))
        })
    }

    pub(crate) async fn ping(&self) -> Result<(), CacheError> {
        let reply: String = self
            .run(|mut c| async move { redis::cmd("PING").query_async(&mut c).await })
            .await?;
        if reply == "PONG" {
            Ok(())
        } else {
            Err(CacheError::Redis(format!(
                "unexpected PING reply {reply:?}"
            )))
        }
    }

    pub(crate) fn log_failure(&self, op: &str, error: &CacheError) {
        let mut last = lock(&self.last_log);
        if last.is_none_or(|at| at.elapsed() >= LOG_INTERVAL) {
            *last = Some(Instant::now());
            tracing::warn!(op, %error, "redis unavailable; serving from the in-process cache");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
