//! The hot reader: the token endpoint's lookups of a code or a refresh token by its hash, on a
//! synchronous read-only connection, answered on the calling thread.
//!
//! Through sqlx each read is a round trip to a connection's worker thread (and back), which on a
//! busy core costs more than the read: a primary-key lookup in pages the OS already holds. Here
//! the caller borrows a connection from a small stack and runs the statement itself. In WAL mode
//! a reader never waits for the writer, and the busy timeout is zero: should SQLite ever ask a
//! reader to wait (recovering the WAL index after a crash, say), the read is not answered here and
//! goes through sqlx's reader pool, which waits as every connection of the store does.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use keygate_core::StoreError;
use keygate_store_sql::{HotRead, HotReadError};
use rusqlite::{Connection, OpenFlags};

use crate::statements::Statements;

/// Connections kept for reuse; more are opened when more callers read at once, and closed.
const KEPT: usize = 4;
/// Prepared statements kept per connection: both lookups, with room to spare.
const STATEMENT_CACHE: usize = 8;

/// Synchronous read-only connections to one database file.
#[derive(Debug)]
pub(crate) struct HotReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    closed: AtomicBool,
}

impl HotReader {
    /// Reads `path` (an existing, migrated database); no connection is opened before the first
    /// read.
    pub(crate) fn new(path: PathBuf) -> Self {
        HotReader {
            path,
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }
    }

    /// Answers `read`, or `Ok(None)` when it must go the general way (closed, or SQLite could
    /// not answer at once). A stored value that is not what its column should hold is an error.
    pub(crate) fn read<R: HotRead>(&self, read: &R) -> Result<Option<R::Found>, StoreError> {
        if self.closed.load(Ordering::Acquire) {
            return Ok(None);
        }
        let conn = match self.take() {
            Ok(conn) => conn,
            Err(e) => {
                tracing::debug!(error = %e, "the hot reader could not open a connection");
                return Ok(None);
            }
        };
        match read.run(&mut Statements(&conn)) {
            Ok(found) => {
                self.give_back(conn);
                Ok(Some(found))
            }
            // The connection's error: this connection is dropped, the read goes the other way.
            Err(HotReadError::Conn(e)) => {
                tracing::debug!(error = %e, "the hot reader's read failed; reading the general way");
                Ok(None)
            }
            Err(HotReadError::Corrupt(corrupt)) => {
                self.give_back(conn);
                Err(corrupt)
            }
        }
    }

    /// Closes the kept connections; later reads go the general way.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.lock().clear();
    }

    fn take(&self) -> Result<Connection, rusqlite::Error> {
        if let Some(conn) = self.lock().pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::ZERO)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < KEPT {
            idle.push(conn);
        }
    }

    /// The stack of idle connections; a panic while it was held left nothing half-done in it.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests fail loudly")]

    use keygate_store_conformance::fixtures::{app, exchanged_grant, user};
    use keygate_store_sql::sql::grants;
    use keygate_store_sql::{CodeByHash, RefreshByHash};

    use super::*;
    use crate::SqliteStore;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn it_finds_what_the_general_read_finds_and_nothing_once_closed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keygate.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("connect");
        let ada = user(&store, "ada@example.com").await;
        let tracker = app(&store, ada.id, "Tracker").await;
        let (grant, refresh) =
            exchanged_grant(&store, ada.id, tracker.app.id, tracker.secret.id).await;
        let reader = HotReader::new(path);

        let mut conn = store.engine().reader.acquire().await.expect("reader");
        let general = grants::refresh_by_hash(&mut *conn, refresh)
            .await
            .expect("general read");
        let hot = reader
            .read(&RefreshByHash(refresh))
            .expect("read")
            .expect("answered here");
        assert_eq!(format!("{hot:?}"), format!("{general:?}"));
        assert!(hot.is_some());
        let general_code = grants::code_by_hash(&mut *conn, grant.code)
            .await
            .expect("general code read");
        let hot_code = reader
            .read(&CodeByHash(grant.code))
            .expect("read")
            .expect("answered here");
        assert_eq!(format!("{hot_code:?}"), format!("{general_code:?}"));
        assert_eq!(
            hot_code.and_then(|c| c.used_at),
            Some(keygate_store_conformance::fixtures::NOW + 1)
        );
        let unknown = keygate_core::secrets::TokenHash::of("nobody's token");
        assert!(matches!(
            reader.read(&RefreshByHash(unknown)).expect("read"),
            Some(None)
        ));

        reader.close();
        assert!(reader
            .read(&RefreshByHash(refresh))
            .expect("read")
            .is_none());
    }
}
