//! `bilten_db_statements_total`: every statement the application runs is counted once, by
//! kind, on SQLite and on PostgreSQL.
//!
//! The counter is process-wide and fed by the global `tracing` subscriber, so this file is its
//! own test binary, installs that subscriber once, and runs its tests one at a time.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use bilten_store::statements::{self, StatementCount};
use bilten_store::{ConnectSettings, Store};
use tracing_subscriber::layer::SubscriberExt;

/// The tests share the process's counter: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn install_counter() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(statements::layer());
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

/// Three statements on the pool and a transaction of two, measured from a warm connection.
async fn run_known_statements(store: &Store) -> StatementCount {
    // Opening a connection runs statements of its own (SQLite's PRAGMAs): not measured.
    store.ping().await.unwrap();
    let before = statements::count();
    for _ in 0..3 {
        store.ping().await.unwrap();
    }
    let mut tx = store.begin().await.unwrap();
    sqlx::query("SELECT 1").execute(&mut *tx).await.unwrap();
    sqlx::query("SELECT 2").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let after = statements::count();
    StatementCount {
        queries: after.queries - before.queries,
        transaction: after.transaction - before.transaction,
    }
}

fn metrics_page() -> String {
    let registry = prometheus::Registry::new();
    statements::register(&registry);
    prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap()
}

#[tokio::test]
async fn each_statement_on_sqlite_is_counted_once() {
    let _serial = SERIAL.lock().await;
    install_counter();
    let dir = std::env::temp_dir().join("bilten-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("statements-{}.db", uuid::Uuid::new_v4().simple()));
    let store = Store::connect(&ConnectSettings::sqlite_file(&path))
        .await
        .unwrap();
    let counted = run_known_statements(&store).await;
    // SQLite's BEGIN/COMMIT run inside sqlx's connection worker, unlogged: queries only.
    assert_eq!(
        counted,
        StatementCount {
            queries: 5,
            transaction: 0
        }
    );
    let page = metrics_page();
    let total = statements::count();
    assert!(
        page.contains(&format!(
            "bilten_db_statements_total{{kind=\"query\"}} {}",
            total.queries
        )),
        "{page}"
    );
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL (TEST_DATABASE_URL)"]
async fn each_statement_on_postgres_is_counted_once_with_the_commit_apart() {
    let _serial = SERIAL.lock().await;
    install_counter();
    let url = std::env::var("TEST_DATABASE_URL")
        .expect("TEST_DATABASE_URL names a PostgreSQL database for this test");
    let store = Store::connect(&ConnectSettings::new(url)).await.unwrap();
    let counted = run_known_statements(&store).await;
    // sqlx queues BEGIN in front of the first statement without logging it: the COMMIT shows.
    assert_eq!(
        counted,
        StatementCount {
            queries: 5,
            transaction: 1
        }
    );
    assert!(metrics_page().contains("bilten_db_statements_total{kind=\"transaction\"}"));
    store.close().await;
}
