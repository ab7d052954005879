//! Append-only migrations, one list for both engines.
//!
//! Each migration is applied in its own transaction and recorded in `schema_migrations` with
//! its checksum (SHA-256 of its text). On PostgreSQL a session advisory lock serialises
//! replicas that start at the same moment. A migration already applied is never edited; a new
//! change is a new file, and a database whose recorded checksum differs from this build's
//! text is refused.

use sha2::{Digest, Sha256};
use sqlx::{Connection, Executor, Row};

use crate::{Dialect, Store, StoreError, StoreResult};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

impl Migration {
    fn checksum(&self) -> String {
        checksum(self.sql)
    }
}

/// SHA-256 of a migration's text, in hex. Line endings are made `\n` first, so a checkout that
/// turned them into `\r\n` does not count as an edit; anything else does, comments included.
fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.replace("\r\n", "\n").as_bytes()))
}

/// One row of `schema_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Applied {
    version: i64,
    name: String,
    /// `None` when a build from before checksums applied it (or the column is still missing):
    /// the next [`run`] records this build's.
    checksum: Option<String>,
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
    Migration {
        version: 14,
        name: "idempotency_requests",
        sql: include_str!("../migrations/0014_idempotency_requests.sql"),
    },
    Migration {
        version: 16,
        name: "privacy",
        sql: include_str!("../migrations/0016_privacy.sql"),
    },
    Migration {
        version: 17,
        name: "two_factor",
        sql: include_str!("../migrations/0017_two_factor.sql"),
    },
    Migration {
        version: 18,
        name: "invitations",
        sql: include_str!("../migrations/0018_invitations.sql"),
    },
    Migration {
        version: 19,
        name: "order_locale",
        sql: include_str!("../migrations/0019_order_locale.sql"),
    },
    Migration {
        version: 20,
        name: "passkeys",
        sql: include_str!("../migrations/0020_passkeys.sql"),
    },
    Migration {
        version: 21,
        name: "event_translations",
        sql: include_str!("../migrations/0021_event_translations.sql"),
    },
    Migration {
        version: 22,
        name: "passkey_ceremony_state",
        sql: include_str!("../migrations/0022_passkey_ceremony_state.sql"),
    },
];

/// Arbitrary constant identifying Bilten's migration lock among other advisory locks.
const MIGRATION_LOCK_KEY: i64 = 0x0062_696c_7465_6e01;

/// How the migrations recorded in a database compare with the ones this binary carries.
///
/// During a rolling update the previous release keeps running (and restarting, and running
/// `bilten admin create`) on a database the new release has already migrated. Migrations are
/// expand/contract, so that previous release works on the newer schema: migrations it does
/// not know, all newer than its own, are tolerated. What is never tolerated is a database
/// whose history differs from this binary's: a known version recorded under another name or
/// with another checksum (its file was edited after it was applied), an unknown version among
/// the ones this binary covers (a build from another branch migrated it), or a newer
/// migration applied while one of ours is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Migrations this binary carries that the database lacks, oldest first.
    pub pending: Vec<i64>,
    /// Applied migrations newer than every migration this binary knows, as `(version,
    /// name)`: a later release migrated the database.
    pub newer: Vec<(i64, String)>,
    /// Applied migrations of this binary recorded without a checksum (a build from before
    /// checksums applied them): [`run`] records this binary's.
    pub unchecked: Vec<i64>,
}

impl SchemaStatus {
    /// The newer migrations as `14 (name), 15 (name)`, for logs and messages.
    pub fn describe_newer(&self) -> String {
        self.newer
            .iter()
            .map(|(version, name)| format!("{version} ({name})"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Compares applied rows with `known` (ascending versions).
fn compare(applied: &[Applied], known: &[Migration]) -> StoreResult<SchemaStatus> {
    let newest_known = known.last().map_or(0, |m| m.version);
    let diverged = |what: String| {
        StoreError::Config(format!(
            "{what}: the database was migrated by a build whose migrations differ from this \
             one's; restore it or run the build that migrated it"
        ))
    };
    let mut newer = Vec::new();
    let mut unchecked = Vec::new();
    for row in applied {
        let (version, name) = (row.version, &row.name);
        match known.iter().find(|m| m.version == version) {
            Some(ours) if ours.name != name.as_str() => {
                return Err(diverged(format!(
                    "migration {version} is recorded as {name:?} but is {:?} in this build",
                    ours.name
                )))
            }
            Some(ours) => match &row.checksum {
                None => unchecked.push(version),
                Some(recorded) if *recorded == ours.checksum() => {}
                Some(recorded) => return Err(edited(ours, recorded)),
            },
            None if version > newest_known => newer.push((version, name.clone())),
            None => {
                return Err(diverged(format!(
                    "migration {version} ({name}) is applied but unknown to this build, \
                     whose newest is {newest_known}"
                )))
            }
        }
    }
    let pending: Vec<i64> = known
        .iter()
        .filter(|m| !applied.iter().any(|row| row.version == m.version))
        .map(|m| m.version)
        .collect();
    if let (Some(missing), Some((first_newer, _))) = (pending.first(), newer.first()) {
        return Err(diverged(format!(
            "migration {first_newer} is applied but migration {missing} of this build is not"
        )));
    }
    Ok(SchemaStatus {
        pending,
        newer,
        unchecked,
    })
}

/// The refusal of a migration whose applied text differs from this build's.
fn edited(ours: &Migration, recorded: &str) -> StoreError {
    let short = |sum: &str| sum.chars().take(12).collect::<String>();
    StoreError::Config(format!(
        "migration {} ({}) was applied with checksum {}… but this build's text has {}…: the \
         file was edited after it was applied; restore it as it was and make the change a new \
         migration",
        ours.version,
        ours.name,
        short(recorded),
        short(&ours.checksum())
    ))
}

/// Applies every migration not yet recorded. Returns how many ran. A database already
/// migrated by a newer release is left alone (see [`SchemaStatus`]); one whose history
/// differs from this binary's is refused.
pub async fn run(store: &Store) -> StoreResult<usize> {
    run_list(store, MIGRATIONS).await
}

async fn run_list(store: &Store, migrations: &[Migration]) -> StoreResult<usize> {
    let mut conn = store.primary().acquire().await?;
    if store.dialect() == Dialect::Postgres {
        conn.execute(sqlx::query(&LOCK).bind(MIGRATION_LOCK_KEY))
            .await?;
    }
    let result = apply_pending(&mut conn, store.dialect(), migrations).await;
    if store.dialect() == Dialect::Postgres {
        conn.execute(sqlx::query(&UNLOCK).bind(MIGRATION_LOCK_KEY))
            .await?;
    }
    result
}

async fn apply_pending(
    conn: &mut sqlx::AnyConnection,
    dialect: Dialect,
    migrations: &[Migration],
) -> StoreResult<usize> {
    prepare_bookkeeping(conn, dialect).await?;
    let status = compare(&applied(&mut *conn, true).await?, migrations)?;
    if !status.newer.is_empty() {
        tracing::warn!(
            newer = %status.describe_newer(),
            "the database has migrations newer than this build (a later release migrated it); \
             applied none"
        );
    }
    record_checksums(conn, migrations, &status.unchecked).await?;
    let mut count = 0;
    for migration in migrations
        .iter()
        .filter(|m| status.pending.contains(&m.version))
    {
        let mut tx = conn.begin().await?;
        for statement in statements(migration.sql) {
            tx.execute(statement.as_str()).await?;
        }
        sqlx::query(&RECORD)
            .bind(migration.version)
            .bind(migration.name)
            .bind(chrono::Utc::now().timestamp_millis())
            .bind(migration.checksum())
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

/// Creates `schema_migrations`, or adds its `checksum` column to one made by a build from
/// before checksums. The column stays nullable: such builds (a previous release during a
/// rolling update) insert rows without it, and a row without one is filled in later.
async fn prepare_bookkeeping(conn: &mut sqlx::AnyConnection, dialect: Dialect) -> StoreResult<()> {
    conn.execute(CREATE_BOOKKEEPING.as_str()).await?;
    if !has_checksum_column(&mut *conn, dialect).await? {
        // Not in the registry of statements (crate::sql): it only runs where the column is
        // missing, so it cannot be prepared on a migrated database; the upgrade tests run it.
        conn.execute("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT")
            .await?;
        tracing::info!("schema_migrations: added the checksum column");
    }
    Ok(())
}

/// Records this build's checksum for applied migrations that have none, trusting that what
/// was applied is this build's text (the file was not edited before checksums existed).
async fn record_checksums(
    conn: &mut sqlx::AnyConnection,
    migrations: &[Migration],
    unchecked: &[i64],
) -> StoreResult<()> {
    if unchecked.is_empty() {
        return Ok(());
    }
    let mut tx = conn.begin().await?;
    for migration in migrations.iter().filter(|m| unchecked.contains(&m.version)) {
        sqlx::query(&FILL_CHECKSUM)
            .bind(migration.checksum())
            .bind(migration.version)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    tracing::info!(
        versions = ?unchecked,
        "recorded the checksums of migrations applied before checksums were recorded"
    );
    Ok(())
}

async fn has_checksum_column(
    conn: &mut sqlx::AnyConnection,
    dialect: Dialect,
) -> StoreResult<bool> {
    let sql = match dialect {
        Dialect::Postgres => &HAS_CHECKSUM_PG,
        Dialect::Sqlite => &HAS_CHECKSUM_SQLITE,
    };
    let count: i64 = sqlx::query(sql).fetch_one(&mut *conn).await?.try_get(0)?;
    Ok(count > 0)
}

/// The rows of `schema_migrations`, oldest first (`with_checksum`: whether the table has the
/// column yet).
async fn applied(conn: &mut sqlx::AnyConnection, with_checksum: bool) -> StoreResult<Vec<Applied>> {
    let sql = if with_checksum {
        &APPLIED
    } else {
        &APPLIED_BEFORE_CHECKSUMS
    };
    sqlx::query(sql)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            Ok(Applied {
                version: row.try_get(0)?,
                name: row.try_get(1)?,
                checksum: if with_checksum { row.try_get(2)? } else { None },
            })
        })
        .collect()
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

/// How the database's migrations compare with this binary's, without changing anything: a
/// production role refuses to start unless nothing is pending (an error here means the
/// database's history differs from this build's, an edited migration included). Checksums
/// missing from a database migrated before them are not an error: `bilten migrate` records
/// them.
pub async fn status(store: &Store) -> StoreResult<SchemaStatus> {
    let exists = match store.dialect() {
        Dialect::Postgres => &HAS_BOOKKEEPING_PG,
        Dialect::Sqlite => &HAS_BOOKKEEPING_SQLITE,
    };
    let count: i64 = sqlx::query(exists)
        .fetch_one(store.primary())
        .await?
        .try_get(0)?;
    let applied = if count == 0 {
        Vec::new()
    } else {
        let mut conn = store.primary().acquire().await?;
        let with_checksum = has_checksum_column(&mut conn, store.dialect()).await?;
        applied(&mut conn, with_checksum).await?
    };
    compare(&applied, MIGRATIONS)
}

crate::sql::statements! {
    LOCK [Postgres] = "SELECT pg_advisory_lock($1)";
    UNLOCK [Postgres] = "SELECT pg_advisory_unlock($1)";
    CREATE_BOOKKEEPING = "CREATE TABLE IF NOT EXISTS schema_migrations (
        version BIGINT PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL,
        checksum TEXT
        )";
    RECORD = "INSERT INTO schema_migrations (version, name, applied_at, checksum)
        VALUES ($1, $2, $3, $4)";
    FILL_CHECKSUM =
        "UPDATE schema_migrations SET checksum = $1 WHERE version = $2 AND checksum IS NULL";
    HAS_CHECKSUM_PG [Postgres] = "SELECT COUNT(*) FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'schema_migrations'
        AND column_name = 'checksum'";
    HAS_CHECKSUM_SQLITE [Sqlite] =
        "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'";
    APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version";
    APPLIED_BEFORE_CHECKSUMS = "SELECT version, name FROM schema_migrations ORDER BY version";
    HAS_BOOKKEEPING_PG [Postgres] = "SELECT COUNT(*) FROM information_schema.tables
        WHERE table_name = 'schema_migrations' AND table_schema = current_schema()";
    HAS_BOOKKEEPING_SQLITE [Sqlite] = "SELECT COUNT(*) FROM sqlite_master
        WHERE type = 'table' AND name = 'schema_migrations'";
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used)]

    use sqlx::Row;

    use super::{checksum, compare, run_list, Applied, Migration, SchemaStatus, MIGRATIONS};
    use crate::{testing, Dialect, Store, StoreError};

    /// Rows as a build from before checksums left them.
    fn rows(list: &[(i64, &str)]) -> Vec<Applied> {
        list.iter()
            .map(|(version, name)| Applied {
                version: *version,
                name: (*name).to_owned(),
                checksum: None,
            })
            .collect()
    }

    /// Rows as this build records them: with the checksum of `KNOWN`'s (empty) texts.
    fn checked_rows(list: &[(i64, &str)]) -> Vec<Applied> {
        let mut rows = rows(list);
        for row in &mut rows {
            row.checksum = Some(checksum(""));
        }
        rows
    }

    const KNOWN: &[Migration] = &[
        Migration {
            version: 1,
            name: "one",
            sql: "",
        },
        Migration {
            version: 2,
            name: "two",
            sql: "",
        },
        Migration {
            version: 4,
            name: "four",
            sql: "",
        },
    ];

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

    #[test]
    fn what_is_missing_is_pending_and_newer_releases_migrations_are_tolerated() {
        assert_eq!(compare(&[], KNOWN).unwrap().pending, [1, 2, 4]);
        assert_eq!(
            compare(&rows(&[(1, "one")]), KNOWN).unwrap().pending,
            [2, 4]
        );
        let status = compare(
            &rows(&[
                (1, "one"),
                (2, "two"),
                (4, "four"),
                (5, "five"),
                (7, "seven"),
            ]),
            KNOWN,
        )
        .unwrap();
        assert!(status.pending.is_empty());
        assert_eq!(status.describe_newer(), "5 (five), 7 (seven)");
    }

    #[test]
    fn a_history_that_differs_from_this_builds_is_refused() {
        let refused = |applied: &[(i64, &str)]| match compare(&rows(applied), KNOWN) {
            Err(StoreError::Config(message)) => message,
            other => panic!("{applied:?} was not refused: {other:?}"),
        };
        assert!(refused(&[(1, "one"), (2, "deux")]).contains("recorded as \"deux\""));
        // An unknown migration among the versions this build covers: another branch's.
        assert!(refused(&[(1, "one"), (3, "three")]).contains("migration 3 (three)"));
        // A newer migration while one of ours is missing: not a release that followed ours.
        assert!(refused(&[(1, "one"), (2, "two"), (5, "five")]).contains("migration 4"));
    }

    #[test]
    fn a_migration_whose_checksum_differs_is_refused_and_one_without_is_unchecked() {
        let status = compare(&checked_rows(&[(1, "one"), (2, "two")]), KNOWN).unwrap();
        assert!(status.unchecked.is_empty());
        assert_eq!(status.pending, [4]);

        let mut applied = checked_rows(&[(1, "one"), (2, "two"), (4, "four")]);
        applied[0].checksum = None;
        assert_eq!(compare(&applied, KNOWN).unwrap().unchecked, [1]);

        applied[1].checksum = Some(checksum("CREATE TABLE edited (x TEXT)"));
        match compare(&applied, KNOWN) {
            Err(StoreError::Config(message)) => assert!(
                message.starts_with("migration 2 (two) was applied with checksum")
                    && message.contains("edited after it was applied"),
                "{message}"
            ),
            other => panic!("an edited migration was not refused: {other:?}"),
        }
        // A newer release's migrations are not ours to check, with or without a checksum.
        let mut newer = checked_rows(&[(1, "one"), (2, "two"), (4, "four"), (5, "five")]);
        newer[3].checksum = Some("whatever the next release recorded".to_owned());
        assert_eq!(compare(&newer, KNOWN).unwrap().describe_newer(), "5 (five)");
    }

    #[test]
    fn a_checksum_is_the_texts_sha256_whatever_its_line_endings() {
        assert_eq!(
            checksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            checksum("SELECT 1;\r\nSELECT 2;\r\n"),
            checksum("SELECT 1;\nSELECT 2;\n")
        );
        assert_ne!(checksum("SELECT 1; -- a\n"), checksum("SELECT 1; -- b\n"));
    }

    /// The previous release (this build's list less its newest migration) on a database this
    /// build migrated: it applies nothing and keeps working; this build refuses a database
    /// whose newest migration was recorded under another name.
    async fn an_older_build_tolerates_a_newer_schema(dialect: Dialect) {
        let db = testing::empty(dialect).await;
        let store = &db.store;
        let previous = &MIGRATIONS[..MIGRATIONS.len() - 1];
        assert_eq!(run_list(store, previous).await.unwrap(), previous.len());
        assert_eq!(run_list(store, MIGRATIONS).await.unwrap(), 1);
        assert_eq!(run_list(store, previous).await.unwrap(), 0);
        assert_eq!(run_list(store, MIGRATIONS).await.unwrap(), 0);
        assert!(super::status(store).await.unwrap().pending.is_empty());

        let newest = MIGRATIONS.last().unwrap();
        sqlx::query("UPDATE schema_migrations SET name = 'from_another_branch' WHERE version = $1")
            .bind(newest.version)
            .execute(store.primary())
            .await
            .unwrap();
        assert!(matches!(
            run_list(store, MIGRATIONS).await,
            Err(StoreError::Config(message)) if message.contains("from_another_branch")
        ));
        assert!(super::status(store).await.is_err());
        // The previous build does not know that version: to it, it is a newer release's.
        assert_eq!(run_list(store, previous).await.unwrap(), 0);
        db.close().await;
    }

    /// `(version, checksum)` of every row of `schema_migrations`.
    async fn recorded(store: &Store) -> Vec<(i64, Option<String>)> {
        sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(store.primary())
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    }

    fn ours(migrations: &[Migration]) -> Vec<(i64, Option<String>)> {
        migrations
            .iter()
            .map(|m| (m.version, Some(m.checksum())))
            .collect()
    }

    fn refusal<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
        match result {
            Err(StoreError::Config(message)) => message,
            other => panic!("an edited migration was not refused: {other:?}"),
        }
    }

    /// Each migration's checksum is recorded when it is applied; a build whose text of an
    /// applied migration differs is refused by `bilten migrate` and by a production role's
    /// check, naming the migration.
    async fn an_edited_migration_is_refused(dialect: Dialect) {
        let db = testing::empty(dialect).await;
        let store = &db.store;
        run_list(store, MIGRATIONS).await.unwrap();
        assert_eq!(recorded(store).await, ours(MIGRATIONS));

        let edited: Vec<Migration> = MIGRATIONS
            .iter()
            .map(|m| Migration {
                sql: if m.version == 2 {
                    "CREATE TABLE ticket_types (id TEXT PRIMARY KEY)"
                } else {
                    m.sql
                },
                ..*m
            })
            .collect();
        let message = refusal(run_list(store, &edited).await);
        assert!(
            message.starts_with("migration 2 (ticketing) was applied with checksum"),
            "{message}"
        );

        // The database's record differs instead (the file was edited before it was applied).
        sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE version = 3")
            .bind(checksum("an earlier draft"))
            .execute(store.primary())
            .await
            .unwrap();
        let message = refusal(super::status(store).await);
        assert!(
            message.starts_with("migration 3 (tickets) was applied"),
            "{message}"
        );
        assert!(run_list(store, MIGRATIONS).await.is_err());
        db.close().await;
    }

    #[tokio::test]
    async fn an_edited_migration_is_refused_on_sqlite() {
        an_edited_migration_is_refused(Dialect::Sqlite).await;
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL (TEST_DATABASE_URL)"]
    async fn an_edited_migration_is_refused_on_postgres() {
        an_edited_migration_is_refused(Dialect::Postgres).await;
    }

    /// A database migrated before checksums (no column) gets the column and this build's
    /// checksums on the first run of this build; so does a row a previous release inserted
    /// without one afterwards. Reading the status changes nothing.
    async fn a_database_without_checksums_is_upgraded(dialect: Dialect) {
        let db = testing::empty(dialect).await;
        let store = &db.store;
        let previous = &MIGRATIONS[..MIGRATIONS.len() - 1];
        run_list(store, previous).await.unwrap();
        sqlx::query("ALTER TABLE schema_migrations DROP COLUMN checksum")
            .execute(store.primary())
            .await
            .unwrap();
        let status = super::status(store).await.unwrap();
        assert_eq!(status.pending, [MIGRATIONS.last().unwrap().version]);
        assert_eq!(
            status.unchecked,
            previous.iter().map(|m| m.version).collect::<Vec<_>>()
        );

        assert_eq!(run_list(store, MIGRATIONS).await.unwrap(), 1);
        assert_eq!(recorded(store).await, ours(MIGRATIONS));
        assert_eq!(super::status(store).await.unwrap(), SchemaStatus::default());

        sqlx::query("UPDATE schema_migrations SET checksum = NULL WHERE version = 1")
            .execute(store.primary())
            .await
            .unwrap();
        assert_eq!(super::status(store).await.unwrap().unchecked, [1]);
        assert_eq!(run_list(store, MIGRATIONS).await.unwrap(), 0);
        assert_eq!(recorded(store).await, ours(MIGRATIONS));
        db.close().await;
    }

    #[tokio::test]
    async fn a_database_without_checksums_is_upgraded_on_sqlite() {
        a_database_without_checksums_is_upgraded(Dialect::Sqlite).await;
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL (TEST_DATABASE_URL)"]
    async fn a_database_without_checksums_is_upgraded_on_postgres() {
        a_database_without_checksums_is_upgraded(Dialect::Postgres).await;
    }

    #[tokio::test]
    async fn an_older_build_tolerates_a_newer_schema_on_sqlite() {
        an_older_build_tolerates_a_newer_schema(Dialect::Sqlite).await;
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL (TEST_DATABASE_URL)"]
    async fn an_older_build_tolerates_a_newer_schema_on_postgres() {
        an_older_build_tolerates_a_newer_schema(Dialect::Postgres).await;
    }
}
