//! Storage errors, with constraint violations turned into something callers can match on.

use sqlx::error::ErrorKind;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("row not found")]
    NotFound,
    /// A UNIQUE constraint refused the write; `constraint` is its name on PostgreSQL and the
    /// `table.column` list SQLite reports.
    #[error("unique constraint violated: {constraint}")]
    Unique { constraint: String },
    /// A CHECK constraint refused the write (e.g. a counter would pass its capacity).
    #[error("check constraint violated: {constraint}")]
    Check { constraint: String },
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
    /// True when the violated UNIQUE constraint mentions `needle` (a constraint name on
    /// PostgreSQL, a column on SQLite).
    pub fn is_unique(&self, needle: &str) -> bool {
        matches!(self, Self::Unique { constraint } if constraint.contains(needle))
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
            sqlx::Error::Database(db) => {
                let constraint = db
                    .constraint()
                    .map_or_else(|| db.message().to_owned(), ToOwned::to_owned);
                match db.kind() {
                    ErrorKind::UniqueViolation => Self::Unique { constraint },
                    ErrorKind::CheckViolation => Self::Check { constraint },
                    _ if is_connection_loss(db.code().as_deref()) => {
                        Self::Unavailable(error.to_string())
                    }
                    _ => Self::Database(error),
                }
            }
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
