//! Turning sqlx errors into [`StoreError`]s, in one place, for both engines.

use keygate_core::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::postgres::PgDatabaseError;
use sqlx::sqlite::SqliteError;

/// SQLite's primary result codes for "another connection holds the lock".
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;

/// Maps a sqlx error; a unique-constraint violation becomes `Conflict(what)`, an unreachable,
/// locked or overloaded database `Unavailable`.
fn classify(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.kind() == ErrorKind::UniqueViolation => {
            StoreError::Conflict(what)
        }
        sqlx::Error::Database(d) if is_transient(d.as_ref()) => {
            StoreError::Unavailable(Box::new(e))
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        // A PostgreSQL connection cut in the middle of a message reads as a protocol violation.
        | sqlx::Error::Protocol(_) => StoreError::Unavailable(Box::new(e)),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Backend(Box::new(e)),
    }
}

/// Whether the database said "try again later" rather than "this request is wrong", told apart
/// by which engine said it.
fn is_transient(e: &dyn DatabaseError) -> bool {
    if let Some(e) = e.try_downcast_ref::<SqliteError>() {
        is_sqlite_lock_timeout(e.code().as_deref())
    } else if let Some(e) = e.try_downcast_ref::<PgDatabaseError>() {
        is_pg_transient(e.code())
    } else {
        false
    }
}

/// Whether an SQLite (extended) result code is a busy or locked database: another process kept
/// the write lock past the busy timeout.
fn is_sqlite_lock_timeout(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|c| matches!(c & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
}

/// Whether a PostgreSQL SQLSTATE is transient: the connection broke or was refused (class 08),
/// the server is shutting down or starting (57P01-57P03), it has no connection slot left
/// (53300), a statement ran past `statement_timeout` (57014), or the transaction lost a
/// serialization race or a deadlock (40001, 40P01).
fn is_pg_transient(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "53300" | "57014" | "40001" | "40P01"
        )
}

/// Maps a sqlx error where no unique constraint is expected to fire.
pub fn db(e: sqlx::Error) -> StoreError {
    classify(e, "record")
}

/// `.db()` and `.or_conflict(what)` on sqlx results.
pub trait DbResultExt<T> {
    /// Maps the error with [`db`].
    fn db(self) -> Result<T, StoreError>;
    /// Maps the error, turning a unique violation into `Conflict(what)`.
    fn or_conflict(self, what: &'static str) -> Result<T, StoreError>;
}

impl<T> DbResultExt<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(db)
    }

    fn or_conflict(self, what: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| classify(e, what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_busy_and_locked_codes_are_recognised_with_their_extended_bits() {
        assert!(is_sqlite_lock_timeout(Some("5")));
        assert!(is_sqlite_lock_timeout(Some("517"))); // SQLITE_BUSY_SNAPSHOT
        assert!(is_sqlite_lock_timeout(Some("6")));
        assert!(!is_sqlite_lock_timeout(Some("2067"))); // SQLITE_CONSTRAINT_UNIQUE
        assert!(!is_sqlite_lock_timeout(None));
    }

    #[test]
    fn postgres_connection_and_capacity_states_are_transient() {
        for code in [
            "08000", "08006", "08001", "57P01", "57P03", "53300", "57014", "40001", "40P01",
        ] {
            assert!(is_pg_transient(code), "{code}");
        }
        for code in ["23505", "23503", "42P01", "22P02"] {
            assert!(!is_pg_transient(code), "{code}");
        }
    }

    #[test]
    fn pool_timeouts_and_broken_connections_mean_unavailable() {
        assert!(matches!(
            db(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(matches!(
            db(sqlx::Error::Io(reset)),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn anything_else_is_a_backend_error() {
        assert!(matches!(
            db(sqlx::Error::RowNotFound),
            StoreError::Backend(_)
        ));
    }
}
