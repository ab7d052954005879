//! A count of the SQL statements this process sends, as the Prometheus counter
//! `bilten_db_statements_total{kind}`: `kind="query"` for everything the application runs,
//! `kind="transaction"` for transaction control (`COMMIT`, `ROLLBACK`, savepoints).
//!
//! Why count from sqlx's query log instead of in each query function: every statement already
//! passes through sqlx's `QueryLogger`, which emits one `tracing` event (target
//! `sqlx::query`) per statement executed, on either engine. [`layer`] is a `tracing` layer
//! that only increments a counter for those events, so no query function changes and a new
//! one cannot be forgotten. It is filtered to that one target, so the events reach no other
//! layer than the log's own filter allows. The price is sqlx building the event (a short
//! summary string) for each statement: about a microsecond.
//!
//! Transaction control is only partly visible: on PostgreSQL sqlx sends `BEGIN` (and the
//! `ROLLBACK` of a transaction dropped without an ending) queued in front of the next
//! statement, unlogged, so `kind="transaction"` counts the `COMMIT`s and `ROLLBACK`s the
//! application awaited; on SQLite sqlx runs all of it inside its connection worker, unlogged,
//! so it stays 0. `kind="query"` means the same on both engines.
//! The count is per process: every registry the counter is [`register`]ed in shows the same
//! number (all roles in one process share it).

use std::sync::LazyLock;

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The target sqlx logs each executed statement under.
const SQLX_QUERY_TARGET: &str = "sqlx::query";

#[expect(
    clippy::expect_used,
    reason = "static metric definitions, valid by construction"
)]
static STATEMENTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    IntCounterVec::new(
        Opts::new(
            "bilten_db_statements_total",
            "SQL statements this process sent to the database, by kind (query, transaction)",
        ),
        &["kind"],
    )
    .expect("static metric definition is valid")
});
static QUERIES: LazyLock<IntCounter> = LazyLock::new(|| STATEMENTS.with_label_values(&["query"]));
static TRANSACTION: LazyLock<IntCounter> =
    LazyLock::new(|| STATEMENTS.with_label_values(&["transaction"]));

/// Statements counted so far in this process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatementCount {
    /// Everything but transaction control.
    pub queries: u64,
    /// Awaited `COMMIT`, `ROLLBACK`, `SAVEPOINT`, `RELEASE` (PostgreSQL only; see above).
    pub transaction: u64,
}

pub fn count() -> StatementCount {
    StatementCount {
        queries: QUERIES.get(),
        transaction: TRANSACTION.get(),
    }
}

/// Adds `bilten_db_statements_total` to a role's registry.
pub fn register(registry: &Registry) {
    // Touch both series so a scrape shows them (as 0) before the first statement.
    LazyLock::force(&QUERIES);
    LazyLock::force(&TRANSACTION);
    // Registering twice in one registry is the only possible error; that is harmless.
    let _ = registry.register(Box::new(STATEMENTS.clone()));
}

/// The counting layer, for the process's `tracing` subscriber.
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    // sqlx logs a statement at DEBUG, or at WARN when it was slow: one event either way.
    StatementCounter.with_filter(Targets::new().with_target(SQLX_QUERY_TARGET, Level::DEBUG))
}

struct StatementCounter;

impl<S: Subscriber> Layer<S> for StatementCounter {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != SQLX_QUERY_TARGET {
            return;
        }
        let mut kind = Kind::Query;
        event.record(&mut kind);
        match kind {
            Kind::Query => QUERIES.inc(),
            Kind::Transaction => TRANSACTION.inc(),
        }
    }
}

/// What the event's `summary` field (the statement's first words) says it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Query,
    Transaction,
}

impl Kind {
    fn of(summary: &str) -> Self {
        let first = summary.split_whitespace().next().unwrap_or_default();
        let control = [
            "BEGIN",
            "START",
            "COMMIT",
            "ROLLBACK",
            "SAVEPOINT",
            "RELEASE",
        ];
        if control.iter().any(|word| first.eq_ignore_ascii_case(word)) {
            Self::Transaction
        } else {
            Self::Query
        }
    }
}

impl Visit for Kind {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            *self = Self::of(value);
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn transaction_control_is_told_from_queries_by_its_first_word() {
        for summary in [
            "BEGIN",
            "begin",
            "COMMIT",
            "ROLLBACK",
            "SAVEPOINT _sqlx_savepoint_1",
            "RELEASE SAVEPOINT _sqlx_savepoint_1",
            "ROLLBACK TO SAVEPOINT _sqlx_savepoint_1",
            "START TRANSACTION",
        ] {
            assert_eq!(Kind::of(summary), Kind::Transaction, "{summary}");
        }
        for summary in [
            "UPDATE ticket_types SET held …",
            "SELECT 1",
            "INSERT INTO orders (id, …",
            "WITH begin AS (SELECT …",
            "",
        ] {
            assert_eq!(Kind::of(summary), Kind::Query, "{summary}");
        }
    }
}
