//! The constraints whose violation the code answers (a domain error, a retry), each matched
//! exactly: by its name on PostgreSQL, by the table and columns (UNIQUE) or the name (a named
//! CHECK) that SQLite reports. A violation of any other constraint keeps its engine's detail
//! and no [`Constraint`], so it can never be taken for one of these by a similar name.
//!
//! Foreign keys are not here: SQLite reports `FOREIGN KEY constraint failed` without saying
//! which one, so no answer may depend on it; the code reads what a row refers to first.

use sqlx::error::{DatabaseError, ErrorKind};

/// A constraint of the schema that the code relies on. Adding one means adding it to
/// [`Constraint::ALL`] and to the violation tests (`tests/constraints.rs`), which check that
/// both engines report it as this variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Constraint {
    /// `users_email_key`: `UNIQUE (email)`. A taken email.
    UsersEmail,
    /// `memberships_org_user_key`: `UNIQUE (organization_id, user_id)`. Already a member.
    MembershipsOrgUser,
    /// `promo_codes_event_code_key`: `UNIQUE (event_id, code)`. The event has that code.
    PromoCodesEventCode,
    /// `checkin_devices_pairing_code_key`: `UNIQUE (pairing_code)`. A pairing code clash.
    CheckinDevicesPairingCode,
    /// `ticket_types_no_oversell`: `CHECK (sold + held <= capacity)`.
    TicketTypesNoOversell,
    /// `quotas_no_oversell`: `CHECK (sold + held <= capacity)`.
    QuotasNoOversell,
    /// `promo_codes_within_limit`: `CHECK (max_uses IS NULL OR uses <= max_uses)`.
    PromoCodesWithinLimit,
}

/// What kind of constraint it is, which is also what kind of violation it raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    Unique,
    Check,
}

impl Constraint {
    pub const ALL: [Self; 7] = [
        Self::UsersEmail,
        Self::MembershipsOrgUser,
        Self::PromoCodesEventCode,
        Self::CheckinDevicesPairingCode,
        Self::TicketTypesNoOversell,
        Self::QuotasNoOversell,
        Self::PromoCodesWithinLimit,
    ];

    /// Its name in the migrations, which PostgreSQL reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::UsersEmail => "users_email_key",
            Self::MembershipsOrgUser => "memberships_org_user_key",
            Self::PromoCodesEventCode => "promo_codes_event_code_key",
            Self::CheckinDevicesPairingCode => "checkin_devices_pairing_code_key",
            Self::TicketTypesNoOversell => "ticket_types_no_oversell",
            Self::QuotasNoOversell => "quotas_no_oversell",
            Self::PromoCodesWithinLimit => "promo_codes_within_limit",
        }
    }

    pub fn kind(self) -> ConstraintKind {
        match self {
            Self::UsersEmail
            | Self::MembershipsOrgUser
            | Self::PromoCodesEventCode
            | Self::CheckinDevicesPairingCode => ConstraintKind::Unique,
            Self::TicketTypesNoOversell | Self::QuotasNoOversell | Self::PromoCodesWithinLimit => {
                ConstraintKind::Check
            }
        }
    }

    /// What SQLite's message says after `UNIQUE constraint failed: ` (the table's columns, in
    /// the constraint's order) or `CHECK constraint failed: ` (a named CHECK's name).
    pub fn sqlite_report(self) -> &'static str {
        match self {
            Self::UsersEmail => "users.email",
            Self::MembershipsOrgUser => "memberships.organization_id, memberships.user_id",
            Self::PromoCodesEventCode => "promo_codes.event_id, promo_codes.code",
            Self::CheckinDevicesPairingCode => "checkin_devices.pairing_code",
            Self::TicketTypesNoOversell | Self::QuotasNoOversell | Self::PromoCodesWithinLimit => {
                self.name()
            }
        }
    }

    /// The constraint a PostgreSQL violation names, if it is one of ours of that kind.
    pub fn from_postgres(kind: ConstraintKind, name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.kind() == kind && c.name() == name)
    }

    /// The constraint a SQLite violation message (`UNIQUE constraint failed: users.email`)
    /// reports, if it is one of ours of that kind.
    pub fn from_sqlite(kind: ConstraintKind, message: &str) -> Option<Self> {
        let prefix = match kind {
            ConstraintKind::Unique => "UNIQUE constraint failed: ",
            ConstraintKind::Check => "CHECK constraint failed: ",
        };
        let report = message.strip_prefix(prefix)?;
        Self::ALL
            .into_iter()
            .find(|c| c.kind() == kind && c.sqlite_report() == report)
    }

    /// The constraint a database error reports violated, with the engine's own words for it
    /// (the name on PostgreSQL, the message on SQLite) for logs.
    pub(crate) fn of(kind: ConstraintKind, error: &dyn DatabaseError) -> (Option<Self>, String) {
        if let Some(name) = error.constraint() {
            (Self::from_postgres(kind, name), name.to_owned())
        } else if error
            .try_downcast_ref::<sqlx::sqlite::SqliteError>()
            .is_some()
        {
            (
                Self::from_sqlite(kind, error.message()),
                error.message().to_owned(),
            )
        } else {
            (None, error.message().to_owned())
        }
    }
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The violation kind of a database error, if it is a UNIQUE or CHECK violation.
pub(crate) fn violation_kind(error: &dyn DatabaseError) -> Option<ConstraintKind> {
    match error.kind() {
        ErrorKind::UniqueViolation => Some(ConstraintKind::Unique),
        ErrorKind::CheckViolation => Some(ConstraintKind::Check),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used)]

    use sqlx::Row;

    use super::{Constraint, ConstraintKind};
    use crate::{testing, Dialect, StoreError};

    #[test]
    fn each_constraint_is_found_by_exactly_what_each_engine_reports() {
        for c in Constraint::ALL {
            assert_eq!(Constraint::from_postgres(c.kind(), c.name()), Some(c));
            let prefix = match c.kind() {
                ConstraintKind::Unique => "UNIQUE",
                ConstraintKind::Check => "CHECK",
            };
            let message = format!("{prefix} constraint failed: {}", c.sqlite_report());
            assert_eq!(Constraint::from_sqlite(c.kind(), &message), Some(c));
        }
    }

    #[test]
    fn a_similar_report_is_not_ours() {
        let unique = ConstraintKind::Unique;
        // What `contains("code")` used to take for the promo code constraint.
        for message in [
            "UNIQUE constraint failed: tickets.code",
            "UNIQUE constraint failed: promo_codes.code",
            "UNIQUE constraint failed: promo_codes.event_id, promo_codes.code, promo_codes.x",
            "UNIQUE constraint failed: users.email ",
            "unique constraint failed: users.email",
            "CHECK constraint failed: users.email",
        ] {
            assert_eq!(Constraint::from_sqlite(unique, message), None, "{message}");
        }
        for name in ["tickets_code_key", "users_email_key_2", "USERS_EMAIL_KEY"] {
            assert_eq!(Constraint::from_postgres(unique, name), None, "{name}");
        }
        // The right name under the wrong kind of violation is not a match either.
        assert_eq!(
            Constraint::from_postgres(ConstraintKind::Check, "users_email_key"),
            None
        );
    }

    /// Each constraint violated for real, on each engine: the error is that constraint, and
    /// violations of its neighbours (another UNIQUE on the same table, the primary key, an
    /// unnamed CHECK on the same columns) are none of ours.
    async fn each_violation_is_its_constraint(dialect: Dialect) {
        let db = testing::migrated(dialect).await;
        let pool = db.store.primary();
        for statement in SETUP {
            sqlx::query(statement).execute(pool).await.unwrap();
        }
        for (constraint, statement) in VIOLATIONS {
            let error = violation(pool, statement).await;
            assert!(error.violates(constraint), "{statement}: {error:?}");
            let kind_matches = matches!(
                (constraint.kind(), &error),
                (ConstraintKind::Unique, StoreError::Unique { .. })
                    | (ConstraintKind::Check, StoreError::Check { .. })
            );
            assert!(kind_matches, "{statement}: {error:?}");
        }
        for statement in NOT_OURS {
            let error = violation(pool, statement).await;
            assert!(
                matches!(
                    error,
                    StoreError::Unique {
                        constraint: None,
                        ..
                    } | StoreError::Check {
                        constraint: None,
                        ..
                    }
                ),
                "{statement}: {error:?}"
            );
        }
        db.close().await;
    }

    async fn violation(pool: &sqlx::AnyPool, statement: &str) -> StoreError {
        match sqlx::query(statement).execute(pool).await {
            Ok(_) => panic!("{statement} was not refused"),
            Err(error) => StoreError::from(error),
        }
    }

    /// One user, organization (with its owner), event, ticket type, quota, promo code and
    /// paired device to collide with.
    const SETUP: &[&str] = &[
        "INSERT INTO users (id, email, name, password_hash, password_changed_at, created_at, updated_at)
         VALUES ('u1', 'a@example.com', 'A', 'h', 0, 0, 0), ('u2', 'b@example.com', 'B', 'h', 0, 0, 0)",
        "INSERT INTO organizations (id, name, created_by, created_at, updated_at)
         VALUES ('o1', 'Org', 'u1', 0, 0)",
        "INSERT INTO memberships (organization_id, user_id, role, created_at)
         VALUES ('o1', 'u1', 'owner', 0)",
        "INSERT INTO events (id, organization_id, title, starts_at, ends_at, timezone, currency, category, created_at, updated_at)
         VALUES ('e1', 'o1', 'Event', 1, 2, 'UTC', 'EUR', 'music', 0, 0)",
        "INSERT INTO ticket_types (id, event_id, name, price_minor, capacity, sold, created_at, updated_at)
         VALUES ('t1', 'e1', 'Standard', 100, 10, 8, 0, 0)",
        "INSERT INTO quotas (id, event_id, name, capacity, sold, created_at)
         VALUES ('q1', 'e1', 'Floor', 10, 8, 0)",
        "INSERT INTO promo_codes (id, event_id, code, discount_kind, discount_value, max_uses, uses, created_at, updated_at)
         VALUES ('p1', 'e1', 'SPRING', 'percent', 1000, 5, 4, 0, 0)",
        "INSERT INTO checkin_devices (id, event_id, name, pairing_code, pairing_expires_at, token_hash, created_at)
         VALUES ('d1', 'e1', 'Gate', 'PAIR1', 0, 'hash1', 0)",
    ];

    const VIOLATIONS: [(Constraint, &str); 7] = [
        (
            Constraint::UsersEmail,
            "INSERT INTO users (id, email, name, password_hash, password_changed_at, created_at, updated_at)
             VALUES ('u3', 'a@example.com', 'C', 'h', 0, 0, 0)",
        ),
        (
            Constraint::MembershipsOrgUser,
            "INSERT INTO memberships (organization_id, user_id, role, created_at)
             VALUES ('o1', 'u1', 'staff', 0)",
        ),
        (
            Constraint::PromoCodesEventCode,
            "INSERT INTO promo_codes (id, event_id, code, discount_kind, discount_value, created_at, updated_at)
             VALUES ('p2', 'e1', 'SPRING', 'fixed', 100, 0, 0)",
        ),
        (
            Constraint::CheckinDevicesPairingCode,
            "INSERT INTO checkin_devices (id, event_id, name, pairing_code, pairing_expires_at, created_at)
             VALUES ('d2', 'e1', 'Gate 2', 'PAIR1', 0, 0)",
        ),
        (
            Constraint::TicketTypesNoOversell,
            "UPDATE ticket_types SET held = held + 3 WHERE id = 't1'",
        ),
        (
            Constraint::QuotasNoOversell,
            "UPDATE quotas SET capacity = 7 WHERE id = 'q1'",
        ),
        (
            Constraint::PromoCodesWithinLimit,
            "UPDATE promo_codes SET max_uses = 3 WHERE id = 'p1'",
        ),
    ];

    /// Violations beside ours: another UNIQUE of the same table, a primary key, unnamed CHECKs
    /// of the same tables.
    const NOT_OURS: &[&str] = &[
        "INSERT INTO checkin_devices (id, event_id, name, pairing_code, pairing_expires_at, token_hash, created_at)
         VALUES ('d3', 'e1', 'Gate 3', 'PAIR3', 0, 'hash1', 0)",
        "INSERT INTO users (id, email, name, password_hash, password_changed_at, created_at, updated_at)
         VALUES ('u1', 'c@example.com', 'C', 'h', 0, 0, 0)",
        "UPDATE ticket_types SET sold = -1 WHERE id = 't1'",
        "UPDATE promo_codes SET uses = -1 WHERE id = 'p1'",
    ];

    #[tokio::test]
    async fn each_violation_is_its_constraint_on_sqlite() {
        each_violation_is_its_constraint(Dialect::Sqlite).await;
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL (TEST_DATABASE_URL)"]
    async fn each_violation_is_its_constraint_on_postgres() {
        each_violation_is_its_constraint(Dialect::Postgres).await;
    }

    /// SQLite names a UNIQUE violation by its columns, not its name: each of our UNIQUE
    /// constraints must be the only unique index of its table over exactly those columns, or
    /// a violation of another one would be taken for it.
    #[tokio::test]
    async fn each_unique_constraint_is_the_only_one_over_its_columns_on_sqlite() {
        let db = testing::migrated(Dialect::Sqlite).await;
        let pool = db.store.primary();
        for constraint in Constraint::ALL
            .into_iter()
            .filter(|c| c.kind() == ConstraintKind::Unique)
        {
            let table = constraint.sqlite_report().split('.').next().unwrap();
            let indexes: Vec<String> =
                sqlx::query("SELECT name FROM pragma_index_list($1) WHERE \"unique\" = 1")
                    .bind(table)
                    .fetch_all(pool)
                    .await
                    .unwrap()
                    .iter()
                    .map(|row| row.get(0))
                    .collect();
            let mut reports = Vec::new();
            for index in indexes {
                let columns: Vec<String> =
                    sqlx::query("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                        .bind(&index)
                        .fetch_all(pool)
                        .await
                        .unwrap()
                        .iter()
                        .map(|row| format!("{table}.{}", row.get::<String, _>(0)))
                        .collect();
                reports.push(columns.join(", "));
            }
            let same = reports
                .iter()
                .filter(|r| r.as_str() == constraint.sqlite_report())
                .count();
            assert_eq!(
                same, 1,
                "{constraint}: unique indexes of {table}: {reports:?}"
            );
        }
        db.close().await;
    }
}
