//! Turning sqlx errors into [`StoreError`]s, in one place.

use keygate_core::StoreError;
use sqlx::error::ErrorKind;

/// SQLite's primary result codes for "another connection holds the lock".
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;

/// Maps a sqlx error; a unique-constraint violation becomes `Conflict(what)`.
fn classify(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.kind() == ErrorKind::UniqueViolation => {
            StoreError::Conflict(what)
        }
        sqlx::Error::Database(d) if is_lock_timeout(d.code().as_deref()) => {
            StoreError::Unavailable(Box::new(e))
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_) => StoreError::Unavailable(Box::new(e)),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Backend(Box::new(e)),
    }
}

/// Whether an SQLite (extended) result code is a busy or locked database: another process kept
/// the write lock past the busy timeout.
fn is_lock_timeout(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|c| matches!(c & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
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
    fn busy_and_locked_codes_are_recognised_with_their_extended_bits() {
        assert!(is_lock_timeout(Some("5")));
        assert!(is_lock_timeout(Some("517"))); // SQLITE_BUSY_SNAPSHOT
        assert!(is_lock_timeout(Some("6")));
        assert!(!is_lock_timeout(Some("2067"))); // SQLITE_CONSTRAINT_UNIQUE
        assert!(!is_lock_timeout(None));
    }

    #[test]
    fn pool_timeouts_mean_unavailable() {
        assert!(matches!(
            db(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
    }
}
