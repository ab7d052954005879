//! Storage errors, with constraint violations turned into something callers can match on.

use crate::constraint::{violation_kind, Constraint, ConstraintKind};

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("row not found")]
    NotFound,
    /// A UNIQUE constraint refused the write. `constraint`: which, when it is one the code
    /// relies on (matched exactly, see [`Constraint`]); `detail`: what the engine said (the
    /// name on PostgreSQL, the message on SQLite).
    #[error("unique constraint violated: {detail}")]
    Unique {
        constraint: Option<Constraint>,
        detail: String,
    },
    /// A CHECK constraint refused the write (e.g. a counter would pass its capacity).
    #[error("check constraint violated: {detail}")]
    Check {
        constraint: Option<Constraint>,
        detail: String,
    },
    /// The database could not be reached in time; callers answer 503 and retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl StoreError {
    /// True when this is a violation of exactly `constraint`.
    pub fn violates(&self, constraint: Constraint) -> bool {
        match self {
            Self::Unique { constraint: c, .. } | Self::Check { constraint: c, .. } => {
                *c == Some(constraint)
            }
            _ => false,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable(error.to_string())
            }
            sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => Self::Unavailable(error.to_string()),
            sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::ColumnNotFound(_) => Self::Corrupt(error.to_string()),
            sqlx::Error::Database(db) => match violation_kind(db.as_ref()) {
                Some(kind) => {
                    let (constraint, detail) = Constraint::of(kind, db.as_ref());
                    match kind {
                        ConstraintKind::Unique => Self::Unique { constraint, detail },
                        ConstraintKind::Check => Self::Check { constraint, detail },
                    }
                }
                None if is_connection_loss(db.code().as_deref()) => {
                    Self::Unavailable(error.to_string())
                }
                None => Self::Database(error),
            },
            _ => Self::Database(error),
        }
    }
}

/// PostgreSQL SQLSTATE classes that mean "the server is going away or not ready":
/// 57P01-03 (admin/crash shutdown, cannot connect now), 08xxx (connection exceptions), 53300
/// (too many connections).
fn is_connection_loss(code: Option<&str>) -> bool {
    code.is_some_and(|c| c.starts_with("57P") || c.starts_with("08") || c == "53300")
}
