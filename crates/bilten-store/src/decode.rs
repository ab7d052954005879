//! Reading a row's columns as the domain's types, in one place.
//!
//! The schema keeps ids, states, currencies and times as TEXT and BIGINT so one SQL text
//! serves both engines; query modules turn them back through [`Columns`], so a value
//! outside its type (an unknown state, a malformed id) is a [`StoreError::Corrupt`] naming the
//! column, never a string passed on for someone else to compare.

use std::fmt::Display;

use bilten_domain::{StateMachine, TextEnum, Transition};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{from_millis, StoreError, StoreResult};

/// A stored value that does not fit its type.
pub(crate) fn corrupt(e: impl Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Typed access to a row's columns.
pub(crate) trait Columns {
    /// A TEXT column holding one of `T`'s names.
    fn text_enum<T: TextEnum>(&self, column: &str) -> StoreResult<T>;
    /// A TEXT column parsed by `parse` (ids, codes).
    fn parsed<T, E: Display>(
        &self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> StoreResult<T>;
    /// A nullable TEXT column parsed by `parse`.
    fn opt_parsed<T, E: Display>(
        &self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> StoreResult<Option<T>>;
    /// Unix milliseconds.
    fn time(&self, column: &str) -> StoreResult<DateTime<Utc>>;
    /// Nullable unix milliseconds.
    fn opt_time(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>>;
}

impl Columns for AnyRow {
    fn text_enum<T: TextEnum>(&self, column: &str) -> StoreResult<T> {
        let text: String = self.try_get(column)?;
        T::parse(&text).ok_or_else(|| corrupt(format!("{column}: unknown value {text:?}")))
    }

    fn parsed<T, E: Display>(
        &self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> StoreResult<T> {
        let text: String = self.try_get(column)?;
        parse(&text).map_err(|e| corrupt(format!("{column}: {e}")))
    }

    fn opt_parsed<T, E: Display>(
        &self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> StoreResult<Option<T>> {
        let text: Option<String> = self.try_get(column)?;
        text.map(|t| parse(&t).map_err(|e| corrupt(format!("{column}: {e}"))))
            .transpose()
    }

    fn time(&self, column: &str) -> StoreResult<DateTime<Utc>> {
        Ok(from_millis(self.try_get(column)?))
    }

    fn opt_time(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(self.try_get::<Option<i64>, _>(column)?.map(from_millis))
    }
}

/// A query on either engine, before it runs.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds a state change as the statement's last parameters: its target state, then each
/// state it may start from. A statement taking `t` ends with `SET status = $k … AND status IN
/// ($k+1, …)`, so the database writes exactly the change the domain's machine allowed, and
/// only to a row still in a state it starts from.
pub(crate) fn bind_transition<'q, S: StateMachine, const N: usize>(
    query: AnyQuery<'q>,
    t: &Transition<S, N>,
) -> AnyQuery<'q> {
    t.from()
        .into_iter()
        .fold(query.bind(t.to().as_str()), |q, from| q.bind(from.as_str()))
}
