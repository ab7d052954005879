//! Cache and shared counters behind one interface: Redis when `REDIS_URL` is set, an
//! in-process store otherwise.
//!
//! Redis is an accelerator here, never a dependency of correctness: every operation has a
//! short deadline, and when Redis fails the call falls back to the in-process store, counts
//! `bilten_cache_errors_total`, logs (at most once per interval) and the connection is rebuilt
//! in the background on a later call. Inventory and money never live in the cache.

mod memory;
mod redis_backend;

use std::sync::Arc;
use std::time::Duration;

use prometheus::{IntCounter, Registry};

use memory::MemoryStore;
use redis_backend::RedisBackend;

/// A fixed-window counter reading: how many hits in this window and when it resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    pub count: u64,
    pub resets_in: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("redis: {0}")]
    Redis(String),
    #[error("redis did not answer in time")]
    Timeout,
}

/// Which store is answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Redis,
}

#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    prefix: String,
    memory: MemoryStore,
    redis: Option<RedisBackend>,
    errors: IntCounter,
}

/// How to reach Redis.
#[derive(Clone)]
pub struct RedisSettings {
    pub url: String,
    pub password: Option<String>,
    /// Deadline for one operation before we fall back to the local store.
    pub op_timeout: Duration,
}

impl Cache {
    /// The in-process store (the embedded default).
    pub fn memory(prefix: impl Into<String>) -> Self {
        Self::build(prefix.into(), None)
    }

    /// Redis, falling back to the in-process store whenever Redis fails. Never fails itself:
    /// Redis being down at start is the same as Redis going away later.
    pub fn redis(settings: &RedisSettings, prefix: impl Into<String>) -> Result<Self, CacheError> {
        let backend = RedisBackend::new(settings)?;
        Ok(Self::build(prefix.into(), Some(backend)))
    }

    #[expect(
        clippy::expect_used,
        reason = "static metric definitions, valid by construction"
    )]
    fn build(prefix: String, redis: Option<RedisBackend>) -> Self {
        let errors = IntCounter::new(
            "bilten_cache_errors_total",
            "Cache operations that failed on Redis and fell back to the in-process store",
        )
        .expect("static metric definition is valid");
        Self {
            inner: Arc::new(Inner {
                prefix,
                memory: MemoryStore::default(),
                redis,
                errors,
            }),
        }
    }

    /// Registers this cache's metrics in a role's registry.
    pub fn register_metrics(&self, registry: &Registry) {
        // Registering twice (all roles in one process share a cache) is harmless.
        let _ = registry.register(Box::new(self.inner.errors.clone()));
    }

    pub fn backend(&self) -> Backend {
        if self.inner.redis.is_some() {
            Backend::Redis
        } else {
            Backend::Memory
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.inner.prefix)
    }

    fn failed(&self, op: &str, error: &CacheError) {
        self.inner.errors.inc();
        if let Some(redis) = &self.inner.redis {
            redis.log_failure(op, error);
        }
    }

    pub async fn get(&self, key: &str) -> Option<String> {
        let key = self.key(key);
        if let Some(redis) = &self.inner.redis {
            match redis.get(&key).await {
                Ok(value) => return value,
                Err(e) => self.failed("get", &e),
            }
        }
        self.inner.memory.get(&key)
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        let key = self.key(key);
        if let Some(redis) = &self.inner.redis {
            match redis.set(&key, value, ttl).await {
                Ok(()) => return,
                Err(e) => self.failed("set", &e),
            }
        }
        self.inner.memory.set(&key, value, ttl);
    }

    pub async fn delete(&self, key: &str) {
        let key = self.key(key);
        if let Some(redis) = &self.inner.redis {
            if let Err(e) = redis.delete(&key).await {
                self.failed("delete", &e);
            }
        }
        // Also clear any fallback copy written while Redis was away.
        self.inner.memory.delete(&key);
    }

    /// Counts one hit in the fixed window `key` of length `window`, atomically across every
    /// process sharing the Redis (one Lua script: INCR, then PEXPIRE on the first hit).
    pub async fn hit(&self, key: &str, window: Duration) -> WindowCount {
        self.add(key, 1, window).await
    }

    /// Like [`Cache::hit`] but adds `amount` (0 reads the current count).
    pub async fn add(&self, key: &str, amount: u64, window: Duration) -> WindowCount {
        let key = self.key(key);
        if let Some(redis) = &self.inner.redis {
            match redis.add(&key, amount, window).await {
                Ok(count) => return count,
                Err(e) => self.failed("add", &e),
            }
        }
        self.inner.memory.add(&key, amount, window)
    }

    /// Gives back one hit of the window `key` (a counted attempt that turned out fine). Never
    /// goes below zero and never starts a window.
    pub async fn release(&self, key: &str) {
        let key = self.key(key);
        if let Some(redis) = &self.inner.redis {
            match redis.release(&key).await {
                Ok(()) => return,
                Err(e) => self.failed("release", &e),
            }
        }
        self.inner.memory.release(&key);
    }

    /// Takes `key` for `ttl` unless it is already taken, atomically across every process
    /// sharing the Redis (`SET NX PX`). `Err` carries how long the holder keeps it.
    pub async fn claim(&self, key: &str, ttl: Duration) -> Result<(), Duration> {
        let key = self.key(key);
        if let Some(redis) = &self.inner.redis {
            match redis.claim(&key, ttl).await {
                Ok(outcome) => return outcome,
                Err(e) => self.failed("claim", &e),
            }
        }
        self.inner.memory.claim(&key, ttl)
    }

    /// Readiness: Redis answers PING (the in-process store always does).
    pub async fn ping(&self) -> Result<(), CacheError> {
        match &self.inner.redis {
            Some(redis) => redis.ping().await,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
