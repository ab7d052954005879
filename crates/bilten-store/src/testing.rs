//! Fresh databases for this crate's own tests: a SQLite file, or a new PostgreSQL database
//! on the server `TEST_DATABASE_URL` names. Both are removed by [`TestDb::close`].

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use crate::{ConnectSettings, Dialect, Store};

pub(crate) struct TestDb {
    pub store: Store,
    url: String,
    /// The SQLite file, or the PostgreSQL database and the server's admin URL.
    place: Place,
}

enum Place {
    File(PathBuf),
    Database { admin_url: String, name: String },
}

/// An empty database (not migrated). Panics without `TEST_DATABASE_URL` on PostgreSQL: the
/// tests that ask for one are `#[ignore = "needs PostgreSQL …"]`.
pub(crate) async fn empty(dialect: Dialect) -> TestDb {
    sqlx::any::install_default_drivers();
    let (url, place) = match dialect {
        Dialect::Sqlite => {
            let dir = std::env::temp_dir().join("bilten-tests");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("store-{}.db", uuid::Uuid::new_v4().simple()));
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                Place::File(path),
            )
        }
        Dialect::Postgres => {
            let admin_url = std::env::var("TEST_DATABASE_URL")
                .expect("TEST_DATABASE_URL names a PostgreSQL server for this test");
            let name = format!("bilten_test_{}", uuid::Uuid::new_v4().simple());
            let admin = sqlx::AnyPool::connect(&admin_url).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
            let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
            (url, Place::Database { admin_url, name })
        }
    };
    let store = Store::connect(&ConnectSettings::new(url.clone()))
        .await
        .unwrap();
    TestDb { store, url, place }
}

/// A database with every migration applied.
pub(crate) async fn migrated(dialect: Dialect) -> TestDb {
    let db = empty(dialect).await;
    crate::migrate::run(&db.store).await.unwrap();
    db
}

impl TestDb {
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) async fn close(self) {
        self.store.close().await;
        match self.place {
            Place::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Place::Database { admin_url, name } => {
                let admin = sqlx::AnyPool::connect(&admin_url).await.unwrap();
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
            }
        }
    }
}
