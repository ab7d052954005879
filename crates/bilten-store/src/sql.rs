//! The registry of the SQL texts the store sends, so that one test (`sql::tests`) prepares
//! every one of them — without running it — on a migrated SQLite and PostgreSQL database: a
//! typo, a column that does not exist or a construct one engine lacks fails there, not on the
//! first request that happens to run it.
//!
//! A module declares its fixed texts with [`statements!`], which makes each a `static` the
//! query functions use and lists them all in the module's `STATEMENTS`; texts built at run
//! time (a lock clause per engine, a counter's table and movement, a number of rows) come from
//! a builder function the query uses, and the module's `built(dialect)` returns each variant
//! the builder can produce. [`all`] gathers both from every module. The rule that keeps the
//! registry whole: no SQL text in this crate outside a `statements!` block or a builder that
//! `built` lists (tests excepted).

use crate::Dialect;

/// A fixed text of a module, as [`statements!`] lists it.
#[derive(Debug, Clone, Copy)]
pub struct Fixed {
    pub name: &'static str,
    pub sql: fn() -> &'static str,
    /// The one engine it is sent to (a PostgreSQL lock function, a SQLite pragma), or `None`
    /// for both.
    pub only: Option<Dialect>,
}

/// One text to prepare: where it comes from (`module::NAME`, or a builder and its variant)
/// and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub name: String,
    pub sql: String,
}

/// Declares a module's fixed SQL texts and lists them in its `STATEMENTS`. Each is a
/// `static NAME: LazyLock<String>` (a literal, or a `format!` of the module's column lists,
/// made once), used as `sqlx::query(&NAME)`. `NAME = …;` is sent to both engines,
/// `NAME [Postgres] = …;` to one only.
macro_rules! statements {
    ($($(#[$attr:meta])* $name:ident $([$only:ident])? = $sql:expr;)*) => {
        $(
            $(#[$attr])*
            static $name: ::std::sync::LazyLock<::std::string::String> =
                ::std::sync::LazyLock::new(|| ::std::string::String::from($sql));
        )*
        /// This module's fixed SQL texts (see `crate::sql`).
        pub(crate) static STATEMENTS: &[$crate::sql::Fixed] = &[$($crate::sql::Fixed {
            name: stringify!($name),
            sql: || $name.as_str(),
            only: $crate::sql::only!($($only)?),
        }),*];
    };
}
pub(crate) use statements;

macro_rules! only {
    () => {
        None
    };
    ($dialect:ident) => {
        Some($crate::Dialect::$dialect)
    };
}
pub(crate) use only;

/// A module's `built`: each text its builders make on an engine, as `(variant, text)`.
type Built = fn(Dialect) -> Vec<(String, String)>;

/// Every text the store sends on `dialect`.
pub fn all(dialect: Dialect) -> Vec<Statement> {
    let fixed: &[(&str, &[Fixed])] = &[
        ("store", crate::STATEMENTS),
        ("migrate", crate::migrate::STATEMENTS),
        ("bench", crate::bench::STATEMENTS),
        ("checkin", crate::checkin::STATEMENTS),
        ("events", crate::events::STATEMENTS),
        ("event_translations", crate::event_translations::STATEMENTS),
        ("invitations", crate::invitations::STATEMENTS),
        ("idempotency", crate::idempotency::STATEMENTS),
        ("leases", crate::leases::STATEMENTS),
        ("orders", crate::orders::STATEMENTS),
        ("organizations", crate::organizations::STATEMENTS),
        ("outbox", crate::outbox::STATEMENTS),
        ("passkeys", crate::passkeys::STATEMENTS),
        ("payments", crate::payments::STATEMENTS),
        ("privacy", crate::privacy::STATEMENTS),
        ("promo", crate::promo::STATEMENTS),
        ("purchase", crate::purchase::STATEMENTS),
        ("refunds", crate::refunds::STATEMENTS),
        ("reports", crate::reports::STATEMENTS),
        ("sales", crate::sales::STATEMENTS),
        ("sessions", crate::sessions::STATEMENTS),
        ("tickets", crate::tickets::STATEMENTS),
        ("tokens", crate::tokens::STATEMENTS),
        ("two_factor", crate::two_factor::STATEMENTS),
        ("users", crate::users::STATEMENTS),
        ("webhook_events", crate::webhook_events::STATEMENTS),
    ];
    let mut all: Vec<Statement> = fixed
        .iter()
        .flat_map(|(module, list)| list.iter().map(move |s| (module, s)))
        .filter(|(_, s)| s.only.is_none_or(|only| only == dialect))
        .map(|(module, s)| Statement {
            name: format!("{module}::{}", s.name),
            sql: (s.sql)().to_owned(),
        })
        .collect();
    let built: &[(&str, Built)] = &[
        ("bench", crate::bench::built),
        ("checkin", crate::checkin::built),
        ("events", crate::events::built),
        ("event_translations", crate::event_translations::built),
        ("inventory", crate::inventory::built),
        ("leases", crate::leases::built),
        ("orders", crate::orders::built),
        ("outbox", crate::outbox::built),
        ("purchase", crate::purchase::built),
        ("refunds", crate::refunds::built),
        ("reports", crate::reports::built),
        ("scan_batch", crate::scan_batch::built),
    ];
    for (module, build) in built {
        all.extend(build(dialect).into_iter().map(|(variant, sql)| Statement {
            name: format!("{module}::{variant}"),
            sql,
        }));
    }
    all
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used)]

    use sqlx::any::AnyTypeInfo;
    use sqlx::postgres::types::Oid;
    use sqlx::postgres::{PgConnection, PgTypeInfo};
    use sqlx::{Column as _, Connection as _, Executor as _, Statement as _};

    use super::{all, Statement};
    use crate::{testing, Dialect};

    /// Prepares (never runs) every registered statement on a migrated database: each must
    /// parse and name only tables, columns and functions that exist on that engine. Every
    /// failure is listed, not just the first.
    async fn every_statement_prepares(dialect: Dialect) {
        let db = testing::migrated(dialect).await;
        let statements = all(dialect);
        let mut failures = Vec::new();
        match dialect {
            Dialect::Sqlite => {
                let mut conn = db.store.primary().acquire().await.unwrap();
                for statement in &statements {
                    if let Err(error) = (&mut *conn).prepare(statement.sql.as_str()).await {
                        failures.push(failure(statement, &error.to_string()));
                    }
                }
            }
            Dialect::Postgres => {
                let mut conn = PgConnection::connect(db.url()).await.unwrap();
                for statement in &statements {
                    if let Err(error) = prepare_on_postgres(&mut conn, &statement.sql).await {
                        failures.push(failure(statement, &error));
                    }
                }
                conn.close().await.unwrap();
            }
        }
        db.close().await;
        println!("{} statements prepared on {dialect:?}", statements.len());
        assert!(
            failures.is_empty(),
            "{} of {} statements do not prepare on {dialect:?}:\n{}",
            failures.len(),
            statements.len(),
            failures.join("\n")
        );
    }

    fn failure(statement: &Statement, error: &str) -> String {
        format!("{}: {error}\n    {}", statement.name, statement.sql)
    }

    /// Prepares on a native connection: the `Any` driver drops parameter types when it
    /// prepares, and PostgreSQL cannot infer a parameter whose first use is `$n IS NULL`,
    /// which at run time has the type of the value bound. Such a parameter is given the
    /// types values are bound as (text, then bigint), the first that prepares. The result
    /// columns must then have types the `Any` driver can decode.
    async fn prepare_on_postgres(conn: &mut PgConnection, sql: &str) -> Result<(), String> {
        let candidates = [PgTypeInfo::with_name("text"), PgTypeInfo::with_name("int8")];
        let mut types: Vec<PgTypeInfo> = Vec::new();
        // The parameter being guessed and the candidate it has now.
        let mut guessing: Option<(usize, usize)> = None;
        loop {
            let error = match conn.prepare_with(sql, &types).await {
                Ok(prepared) => {
                    for column in prepared.columns() {
                        AnyTypeInfo::try_from(column.type_info()).map_err(|e| {
                            format!("column {} cannot be read through Any: {e}", column.name())
                        })?;
                    }
                    return Ok(());
                }
                Err(error) => error.to_string(),
            };
            let next = match (unknown_parameter(&error), guessing) {
                // Another parameter to guess: the current guess stands.
                (Some(n), _) => (n, 0),
                // The guess made it fail otherwise: the next candidate for it.
                (None, Some((n, tried))) if tried + 1 < candidates.len() => (n, tried + 1),
                (None, _) => return Err(error),
            };
            if types.len() < next.0 {
                types.resize(next.0, PgTypeInfo::with_oid(Oid(0)));
            }
            types[next.0 - 1] = candidates[next.1].clone();
            guessing = Some(next);
        }
    }

    /// `n` of "could not determine data type of parameter $n".
    fn unknown_parameter(message: &str) -> Option<usize> {
        let (_, n) = message.split_once("could not determine data type of parameter $")?;
        n.trim().parse().ok()
    }

    #[tokio::test]
    async fn every_statement_prepares_on_sqlite() {
        every_statement_prepares(Dialect::Sqlite).await;
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL (TEST_DATABASE_URL)"]
    async fn every_statement_prepares_on_postgres() {
        every_statement_prepares(Dialect::Postgres).await;
    }

    #[test]
    fn names_are_unique_and_texts_are_not_empty() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let statements = all(dialect);
            let mut names: Vec<&str> = statements.iter().map(|s| s.name.as_str()).collect();
            names.sort_unstable();
            let before = names.len();
            names.dedup();
            assert_eq!(names.len(), before, "a name is registered twice");
            assert!(statements.iter().all(|s| !s.sql.trim().is_empty()));
        }
    }
}
