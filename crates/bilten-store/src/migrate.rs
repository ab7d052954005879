//! Append-only migrations, one list for both engines.
//!
//! Each migration is applied in its own transaction and recorded in `schema_migrations`.
//! On PostgreSQL a session advisory lock serialises replicas that start at the same moment.
//! A migration already applied is never edited; a new change is a new file.

use sqlx::{Connection, Executor, Row};

use crate::{Dialect, Store, StoreError, StoreResult};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "accounts_sessions_outbox",
        sql: include_str!("../migrations/0001_accounts_sessions_outbox.sql"),
    },
    Migration {
        version: 2,
        name: "ticketing",
        sql: include_str!("../migrations/0002_ticketing.sql"),
    },
    Migration {
        version: 3,
        name: "tickets",
        sql: include_str!("../migrations/0003_tickets.sql"),
    },
    Migration {
        version: 4,
        name: "payments",
        sql: include_str!("../migrations/0004_payments.sql"),
    },
    Migration {
        version: 5,
        name: "promo_codes",
        sql: include_str!("../migrations/0005_promo_codes.sql"),
    },
    Migration {
        version: 6,
        name: "checkin",
        sql: include_str!("../migrations/0006_checkin.sql"),
    },
    Migration {
        version: 7,
        name: "webhooks_refunds",
        sql: include_str!("../migrations/0007_webhooks_refunds.sql"),
    },
    Migration {
        version: 8,
        name: "attendee_names",
        sql: include_str!("../migrations/0008_attendee_names.sql"),
    },
    Migration {
        version: 9,
        name: "refresh_grace_guest_claims",
        sql: include_str!("../migrations/0009_refresh_grace_guest_claims.sql"),
    },
    Migration {
        version: 10,
        name: "quotas_payment_claims_moderation",
        sql: include_str!("../migrations/0010_quotas_payment_claims_moderation.sql"),
    },
    Migration {
        version: 12,
        name: "mail_by_reference",
        sql: include_str!("../migrations/0012_mail_by_reference.sql"),
    },
    Migration {
        version: 13,
        name: "inventory_leases",
        sql: include_str!("../migrations/0013_inventory_leases.sql"),
    },
];

/// Arbitrary constant identifying Bilten's migration lock among other advisory locks.
const MIGRATION_LOCK_KEY: i64 = 0x0062_696c_7465_6e01;

/// Applies every migration not yet recorded. Returns how many ran.
pub async fn run(store: &Store) -> StoreResult<usize> {
    let mut conn = store.primary().acquire().await?;
    if store.dialect() == Dialect::Postgres {
        conn.execute(sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATION_LOCK_KEY))
            .await?;
    }
    let result = apply_pending(&mut conn).await;
    if store.dialect() == Dialect::Postgres {
        conn.execute(sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK_KEY))
            .await?;
    }
    result
}

async fn apply_pending(conn: &mut sqlx::AnyConnection) -> StoreResult<usize> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
    if let Some(&newest) = applied.last() {
        let known = MIGRATIONS.last().map_or(0, |m| m.version);
        if newest > known {
            return Err(StoreError::Config(format!(
                "the database is at migration {newest}, newer than this binary knows ({known}); \
                 run a newer bilten"
            )));
        }
    }
    let mut count = 0;
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let mut tx = conn.begin().await?;
        for statement in statements(migration.sql) {
            tx.execute(statement.as_str()).await?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(chrono::Utc::now().timestamp_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
        count += 1;
    }
    Ok(count)
}

/// Splits a migration file into statements: `--` comments are removed first (they may
/// contain semicolons), then the text is split on `;`. Our migrations keep semicolons out of
/// string literals and bodies, which keeps this split exact.
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .map(|line| line.split_once("--").map_or(line, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(ToOwned::to_owned)
        .collect()
}

/// The newest migration this binary knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The newest migration applied to the database (0 for an empty one).
pub async fn current_version(store: &Store) -> StoreResult<i64> {
    let exists = match store.dialect() {
        Dialect::Postgres => "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'schema_migrations' AND table_schema = current_schema()",
        Dialect::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    };
    let count: i64 = sqlx::query(exists)
        .fetch_one(store.primary())
        .await?
        .try_get(0)?;
    if count == 0 {
        return Ok(0);
    }
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        .fetch_one(store.primary())
        .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn statements_ignore_semicolons_in_comments() {
        let sql = "-- a; b\nCREATE TABLE a (x TEXT); -- c;\nCREATE INDEX i ON a (x);\n";
        assert_eq!(
            super::statements(sql),
            vec![
                "CREATE TABLE a (x TEXT)".to_owned(),
                "CREATE INDEX i ON a (x)".to_owned()
            ]
        );
    }
}
