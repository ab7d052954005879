//! Argon2id password hashing off the async threads.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::Argon2;
use prometheus::{IntCounter, Registry};
use tokio::sync::Semaphore;

use crate::error::{BackendError, BackendResult};

/// Hashes and verifies on the blocking pool, at most N at once.
///
/// `Argon2::default()` is Argon2id v19 with m = 19 MiB, t = 2, p = 1: the OWASP minimum.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// `bilten_password_verifications_total`: every stored (or dummy) hash checked. What the
    /// login budgets bound, so operators (and the concurrency tests) can see it.
    verifications: IntCounter,
}

impl PasswordHasher {
    #[expect(
        clippy::expect_used,
        reason = "static metric definitions, valid by construction"
    )]
    pub fn new(permits: Arc<Semaphore>) -> Self {
        let verifications = IntCounter::new(
            "bilten_password_verifications_total",
            "Password hashes verified (logins, including unknown emails, and password changes)",
        )
        .expect("static metric definition is valid");
        Self {
            permits,
            verifications,
        }
    }

    /// Serves the verification counter in `registry` (the backend's `/metrics`).
    #[must_use]
    pub fn counted_in(self, registry: &Registry) -> Self {
        // Registering twice (all roles in one process) is harmless: the first one is served.
        let _ = registry.register(Box::new(self.verifications.clone()));
        self
    }

    pub async fn hash(&self, password: String) -> BackendResult<String> {
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| BackendError::Internal(format!("hashing password: {e}")))
        })
        .await
    }

    /// Verifies `password` against `stored`, or against a fixed dummy hash when there is no
    /// account, so "unknown email" and "wrong password" take the same time.
    pub async fn verify(&self, password: String, stored: Option<String>) -> BackendResult<bool> {
        self.verifications.inc();
        self.run(move || {
            let stored = stored.as_deref().unwrap_or_else(|| dummy_hash());
            let parsed = PasswordHash::new(stored)
                .map_err(|e| BackendError::Internal(format!("stored hash unreadable: {e}")))?;
            Ok(Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> BackendResult<T> + Send + 'static,
    ) -> BackendResult<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| BackendError::Unavailable("hasher closed".to_owned()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| BackendError::Internal(format!("hashing task: {e}")))?
    }
}

/// A real Argon2id hash of a random password nobody knows, made once per process.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let secret = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(secret.as_str().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}
