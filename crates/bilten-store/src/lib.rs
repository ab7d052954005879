//! Bilten's storage: one interface over PostgreSQL (production) and SQLite (the embedded
//! default), through sqlx's `Any` driver.
//!
//! Why one SQL text for both instead of two implementations: the schema sticks to types both
//! engines share (TEXT ids, BIGINT money and unix-millisecond times, CHECK/UNIQUE/FOREIGN KEY
//! constraints), so nearly every query is the same string. The few places that differ
//! (row locks, `SKIP LOCKED`, advisory locks) ask [`Store::dialect`]. Invariants live in
//! constraints and conditional updates, which both engines enforce.
//!
//! Every query is a function taking an executor, so the service layer decides whether it runs
//! on the pool or inside a transaction it opened.

pub mod bench;
pub mod checkin;
mod constraint;
mod decode;
mod error;
pub mod event_translations;
pub mod events;
pub mod idempotency;
pub mod inventory;
pub mod invitations;
pub mod leases;
pub mod migrate;
pub mod orders;
pub mod organizations;
pub mod outbox;
pub mod passkeys;
pub mod payments;
pub mod privacy;
pub mod promo;
pub mod purchase;
pub mod refunds;
pub mod reports;
pub mod sales;
pub mod scan_batch;
pub mod sessions;
pub mod sql;
pub mod statements;
#[cfg(test)]
mod testing;
pub mod tickets;
pub mod tokens;
#[cfg(test)]
mod transitions;
pub mod two_factor;
pub mod users;
pub mod webhook_events;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Executor};

pub use constraint::{Constraint, ConstraintKind};
pub use error::{StoreError, StoreResult};
pub use sqlx::Transaction;

/// A transaction on the primary, on either engine ([`Store::begin`]). It derefs to its
/// connection, so a step runs on `&mut **tx`.
///
/// On SQLite the pool has one connection, and an open transaction holds it: a read through
/// the pool from the task that holds the transaction would wait for itself until the pool's
/// timeout. So the transaction records its task, and [`Store::primary`] and [`Store::read`]
/// refuse to serve that task while it is open (a panic in debug builds, where the tests run;
/// an error in the log otherwise).
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    _holding: Option<Holding>,
}

impl Tx {
    /// A transaction begun on a bare pool (tests that build their own), with no guard.
    #[cfg(test)]
    pub(crate) fn unguarded(inner: sqlx::Transaction<'static, Any>) -> Self {
        Self {
            inner,
            _holding: None,
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

/// Which task holds SQLite's one connection in a transaction, if any.
type Holder = std::sync::Arc<std::sync::Mutex<Option<tokio::task::Id>>>;

/// A transaction's mark in its store's [`Holder`], cleared when the transaction ends.
struct Holding {
    holder: Holder,
    task: tokio::task::Id,
}

impl Drop for Holding {
    fn drop(&mut self) {
        if let Ok(mut holder) = self.holder.lock() {
            if *holder == Some(self.task) {
                *holder = None;
            }
        }
    }
}

/// The connection a transaction (or a savepoint) runs on: steps that run inside someone
/// else's transaction take `&mut Conn`.
pub type Conn = sqlx::AnyConnection;

/// Opens a savepoint inside `tx`: committing it keeps its work in `tx`, rolling it back (or
/// dropping it) undoes only what ran in it, so one step of a batch can fail alone.
pub async fn savepoint(tx: &mut Tx) -> StoreResult<sqlx::Transaction<'_, Any>> {
    use sqlx::Acquire as _;
    Ok((&mut tx.inner).begin().await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// The engine a connection (or a transaction, through `Deref`) talks to, so code holding one
/// never needs the dialect passed beside it. The two names are sqlx's `Database::NAME`s of the
/// only drivers installed (`transitions` tests both).
pub(crate) fn dialect_of_conn(conn: &sqlx::AnyConnection) -> Dialect {
    if conn.backend_name() == "PostgreSQL" {
        Dialect::Postgres
    } else {
        Dialect::Sqlite
    }
}

/// What to connect to.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    pub url: String,
    pub read_url: Option<String>,
    pub pool_min: u32,
    pub pool_max: u32,
    /// How long a request waits for a connection before we answer 503. Every pooled
    /// connection is pinged before use within this deadline, so it is also how long a request
    /// takes to fail while the database is down or hung.
    pub acquire_timeout: Duration,
}

/// PostgreSQL: 2 s, so that while the server is down or hung every request gets its 503 with
/// `Retry-After` within 3 s (the promise in docs/OPERATIONS.md) instead of hanging.
const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// SQLite: the one connection is a queue of this process's own transactions, never an
/// outage, so a longer wait only rides out a burst.
const SQLITE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

impl ConnectSettings {
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        let acquire_timeout = match dialect_of(&url) {
            Ok(Dialect::Sqlite) => SQLITE_ACQUIRE_TIMEOUT,
            _ => POSTGRES_ACQUIRE_TIMEOUT,
        };
        Self {
            url,
            read_url: None,
            pool_min: 0,
            pool_max: 10,
            acquire_timeout,
        }
    }

    /// The embedded default: a SQLite file, created when missing.
    pub fn sqlite_file(path: &std::path::Path) -> Self {
        Self::new(format!("sqlite://{}?mode=rwc", path.display()))
    }
}

/// Connection pools for the primary and (optionally) a read replica.
#[derive(Clone)]
pub struct Store {
    primary: AnyPool,
    read: AnyPool,
    dialect: Dialect,
    pool_max: u32,
    /// SQLite only: the task whose transaction holds the one connection (see [`Tx`]).
    holder: Holder,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

impl Store {
    pub async fn connect(settings: &ConnectSettings) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let dialect = dialect_of(&settings.url)?;
        let primary = open_pool(&settings.url, dialect, settings).await?;
        let read = match &settings.read_url {
            Some(url) if dialect == Dialect::Postgres => open_pool(url, dialect, settings).await?,
            _ => primary.clone(),
        };
        let pool_max = pool_max(dialect, settings);
        Ok(Self {
            primary,
            read,
            dialect,
            pool_max,
            holder: Holder::default(),
        })
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The primary: every write, and every read that decides availability or money.
    pub fn primary(&self) -> &AnyPool {
        self.check_not_holding();
        &self.primary
    }

    /// The replica when configured (else the primary): only for listings that may lag.
    pub fn read(&self) -> &AnyPool {
        self.check_not_holding();
        &self.read
    }

    /// SQLite: the calling task must not hold the one connection in a transaction (see [`Tx`]).
    fn check_not_holding(&self) {
        if self.dialect != Dialect::Sqlite {
            return;
        }
        let Some(task) = tokio::task::try_id() else {
            return;
        };
        let holding = self.holder.lock().is_ok_and(|holder| *holder == Some(task));
        let message = "a read through the pool while this task's transaction holds SQLite's \
                       only connection: run it on the transaction";
        debug_assert!(!holding, "{message}");
        if holding {
            tracing::error!("{message}; it waits until the pool times out");
        }
    }

    /// Begins a transaction on the primary. On SQLite it holds the one connection until it
    /// ends, and its task may not use the pool meanwhile (see [`Tx`]).
    pub async fn begin(&self) -> StoreResult<Tx> {
        let inner = self.primary.begin().await?;
        let holding = match (self.dialect, tokio::task::try_id()) {
            (Dialect::Sqlite, Some(task)) => {
                if let Ok(mut holder) = self.holder.lock() {
                    *holder = Some(task);
                }
                Some(Holding {
                    holder: self.holder.clone(),
                    task,
                })
            }
            _ => None,
        };
        Ok(Tx {
            inner,
            _holding: holding,
        })
    }

    /// Readiness: one round trip to the primary.
    pub async fn ping(&self) -> StoreResult<()> {
        self.primary.execute(PING.as_str()).await?;
        Ok(())
    }

    /// (connections open, idle, configured maximum) for the pool gauges.
    pub fn pool_stats(&self) -> (u32, u32, u32) {
        (
            self.primary.size(),
            self.primary.num_idle() as u32,
            self.pool_max,
        )
    }

    pub async fn close(&self) {
        self.primary.close().await;
        self.read.close().await;
    }
}

fn dialect_of(url: &str) -> StoreResult<Dialect> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Dialect::Postgres)
    } else if url.starts_with("sqlite:") {
        Ok(Dialect::Sqlite)
    } else {
        Err(StoreError::Config(
            "DATABASE_URL must start with postgres:// or sqlite:".to_owned(),
        ))
    }
}

fn pool_max(dialect: Dialect, settings: &ConnectSettings) -> u32 {
    match dialect {
        Dialect::Postgres => settings.pool_max,
        // SQLite has a single writer. One connection serialises transactions in-process, so
        // a deferred transaction can never fail to upgrade its lock (SQLITE_BUSY) under load.
        Dialect::Sqlite => 1,
    }
}

async fn open_pool(
    url: &str,
    dialect: Dialect,
    settings: &ConnectSettings,
) -> StoreResult<AnyPool> {
    let options = AnyConnectOptions::from_str(url)
        .map_err(|e| StoreError::Config(format!("DATABASE_URL: {e}")))?
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    let max = pool_max(dialect, settings);
    let pool = AnyPoolOptions::new()
        .min_connections(settings.pool_min.min(max))
        .max_connections(max)
        .acquire_timeout(settings.acquire_timeout)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if dialect == Dialect::Sqlite {
                    // WAL lets readers proceed during a write; foreign keys are off by default
                    // in SQLite and we rely on them.
                    conn.execute(WAL.as_str()).await?;
                    conn.execute(SYNCHRONOUS.as_str()).await?;
                    conn.execute(FOREIGN_KEYS.as_str()).await?;
                    conn.execute(BUSY_TIMEOUT.as_str()).await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// Times are stored as unix milliseconds (BIGINT) so both engines compare them the same way.
pub fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub fn from_millis(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(millis)
        .single()
        .unwrap_or_default()
}

/// Shorthand for the bound of query functions: anything that runs SQL on either engine.
pub trait Exec<'e>: Executor<'e, Database = Any> {}
impl<'e, T: Executor<'e, Database = Any>> Exec<'e> for T {}

/// A `LIKE` pattern matching `text` anywhere, lower-cased, with `%`, `_` and `\` escaped: use
/// it with `LOWER(column) LIKE $n ESCAPE '\'`, so what a user types is matched literally.
pub(crate) fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

sql::statements! {
    PING = "SELECT 1";
    WAL [Sqlite] = "PRAGMA journal_mode = WAL";
    SYNCHRONOUS [Sqlite] = "PRAGMA synchronous = NORMAL";
    FOREIGN_KEYS [Sqlite] = "PRAGMA foreign_keys = ON";
    BUSY_TIMEOUT [Sqlite] = "PRAGMA busy_timeout = 5000";
}

#[cfg(test)]
mod one_connection {
    //! The guard on SQLite's one connection (see [`crate::Tx`]).

    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used)]

    use crate::{testing, Dialect};

    /// A task that reads through the pool while its own transaction is open is stopped at
    /// once with a message that says what to do, instead of waiting 5 s for itself.
    #[tokio::test]
    async fn a_read_through_the_pool_inside_a_transaction_is_refused_on_sqlite() {
        let db = testing::empty(Dialect::Sqlite).await;
        let store = db.store.clone();
        let inside = tokio::spawn(async move {
            let _tx = store.begin().await.unwrap();
            let _ = store.primary();
        })
        .await;
        let panic = inside.unwrap_err().into_panic();
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("run it on the transaction"), "{message}");

        // Once the transaction has ended (here it was dropped by the panic), the same store
        // serves reads again; and another task may ask for the pool while one holds a
        // transaction (it waits its turn).
        let store = db.store.clone();
        let tx = store.begin().await.unwrap();
        let other = tokio::spawn({
            let store = store.clone();
            async move {
                sqlx::query("SELECT 1")
                    .execute(store.primary())
                    .await
                    .map(|_| ())
            }
        });
        tx.commit().await.unwrap();
        other.await.unwrap().unwrap();
        sqlx::query("SELECT 1")
            .execute(store.primary())
            .await
            .unwrap();
        db.close().await;
    }
}
