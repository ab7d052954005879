//! Fresh databases and caches per test.

use std::path::PathBuf;

use bilten_cache::{Cache, RedisSettings};
use bilten_store::{ConnectSettings, Store};
use sqlx::Executor;

/// True when CI asked for the real services: a test that would skip without them fails.
pub fn require_services() -> bool {
    std::env::var("BILTEN_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// Where a test's database lives; kept so the test can open more connections to it.
pub struct TestDatabase {
    pub url: String,
    pub sqlite_path: Option<PathBuf>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

/// A migrated, empty database of its own.
pub async fn test_store() -> (Store, TestDatabase) {
    let database = match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) => create_postgres_database(&admin_url).await,
        Err(_) => {
            assert!(
                !require_services(),
                "BILTEN_REQUIRE_SERVICES=1 but TEST_DATABASE_URL is not set"
            );
            let dir = std::env::temp_dir().join("bilten-tests");
            std::fs::create_dir_all(&dir).expect("temp dir is writable");
            let path = dir.join(format!("{}.db", uuid::Uuid::new_v4().simple()));
            TestDatabase {
                url: format!("sqlite://{}?mode=rwc", path.display()),
                sqlite_path: Some(path),
            }
        }
    };
    let mut settings = ConnectSettings::new(database.url.clone());
    settings.pool_max = 20;
    let store = Store::connect(&settings)
        .await
        .expect("test database connects");
    bilten_store::migrate::run(&store)
        .await
        .expect("migrations apply");
    (store, database)
}

/// Creates `bilten_test_<random>` on the server of `admin_url`. CI drops leftovers before a
/// run (`.ci/run`), so tests do not need to clean up after a panic.
async fn create_postgres_database(admin_url: &str) -> TestDatabase {
    sqlx::any::install_default_drivers();
    let name = format!("bilten_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::AnyPool::connect(admin_url)
        .await
        .expect("TEST_DATABASE_URL connects");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("CREATE DATABASE works");
    admin.close().await;
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL has a database path");
    TestDatabase {
        url: format!("{base}/{name}"),
        sqlite_path: None,
    }
}

/// The in-process cache, or Redis under a prefix of this test's own when `TEST_REDIS_URL` is
/// set.
pub fn test_cache() -> Cache {
    let prefix = format!("bilten-test:{}:", uuid::Uuid::new_v4().simple());
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) => Cache::redis(
            &RedisSettings {
                url,
                password: None,
                op_timeout: std::time::Duration::from_millis(500),
            },
            prefix,
        )
        .expect("TEST_REDIS_URL parses"),
        Err(_) => {
            assert!(
                !require_services(),
                "BILTEN_REQUIRE_SERVICES=1 but TEST_REDIS_URL is not set"
            );
            Cache::memory(prefix)
        }
    }
}
