//! Turning sqlx errors into [`StoreError`]s, in one place.

use keygate_core::StoreError;
use sqlx::error::ErrorKind;

/// Whether a PostgreSQL SQLSTATE means "try again later" rather than "this request is wrong":
/// the connection broke or was refused (class 08), the server is shutting down or starting
/// (57P01-57P03), it has no connection slot left (53300), a statement ran past
/// `statement_timeout` (57014), or the transaction lost a serialization race or a deadlock
/// (40001, 40P01).
fn is_transient(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "53300" | "57014" | "40001" | "40P01"
        )
}

/// Maps a sqlx error; a unique-constraint violation becomes `Conflict(what)`, an unreachable or
/// overloaded database `Unavailable`.
fn classify(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.kind() == ErrorKind::UniqueViolation => {
            StoreError::Conflict(what)
        }
        sqlx::Error::Database(d) if d.code().as_deref().is_some_and(is_transient) => {
            StoreError::Unavailable(Box::new(e))
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        // A connection cut in the middle of a message reads as a protocol violation.
        | sqlx::Error::Protocol(_) => StoreError::Unavailable(Box::new(e)),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Backend(Box::new(e)),
    }
}

/// Maps a sqlx error where no unique constraint is expected to fire.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    classify(e, "record")
}

/// `.db()` and `.or_conflict(what)` on sqlx results.
pub(crate) trait DbResultExt<T> {
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
    fn connection_and_capacity_states_are_transient() {
        for code in [
            "08000", "08006", "08001", "57P01", "57P03", "53300", "57014", "40001", "40P01",
        ] {
            assert!(is_transient(code), "{code}");
        }
        for code in ["23505", "23503", "42P01", "22P02"] {
            assert!(!is_transient(code), "{code}");
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
