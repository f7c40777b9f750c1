//! [`SqliteEngine`]: the SQLite file's connection pools (one writer, a few readers, one
//! checkpointer), the group committer, and how the shared store runs on them.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use keygate_core::store::PoolStats;
use keygate_core::StoreError;
use keygate_store_sql::engine::{Pooled, Tx};
use keygate_store_sql::error::{db, DbResultExt};
use keygate_store_sql::{BoxFuture, Engine, HotRead, HotWrite};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::broadcast;

use crate::checkpoint;
use crate::group_commit::GroupCommit;
use crate::hot_reader::HotReader;
use crate::hot_writer::HotWriter;

/// How long a statement waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a caller waits for a pooled connection before the store reports itself unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections that serve reads concurrently.
const READERS: u32 = 4;

/// One SQLite database file's connections, as the shared store uses them (see the crate's
/// documentation for why it has one writer).
#[derive(Debug, Clone)]
pub struct SqliteEngine {
    /// The only connection that writes.
    pub(crate) writer: SqlitePool,
    /// Connections for reads.
    pub(crate) reader: SqlitePool,
    /// The general path of the hot single-use writes, in shared transactions on `writer`.
    group: GroupCommit,
    /// Their usual outcome, a batch per transaction on a thread of its own.
    pub(crate) hot: HotWriter,
    /// The token endpoint's lookups by hash, on the calling thread.
    hot_reads: Arc<HotReader>,
    /// Told after this process committed a change-feed entry (see
    /// [`Store::change_notifications`](keygate_core::Store::change_notifications)).
    feed_grew: broadcast::Sender<()>,
    /// The connection that checkpoints the WAL (see `checkpoint`).
    checkpointer: SqlitePool,
}

impl SqliteEngine {
    /// Opens (creating it if missing) the database at `url` (`sqlite://path` or `sqlite:path`),
    /// and applies any migration it has not had yet.
    ///
    /// In-memory databases are refused: the store keeps two pools, which would not share one.
    async fn open(url: &str) -> Result<SqliteEngine, StoreError> {
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StoreError::Backend(
                "the SQLite store needs a database file, not an in-memory database".into(),
            ));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db)?
            .create_if_missing(true)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);

        // Owner-only from the first byte: SQLite gives the -wal and -shm files the mode of the
        // database file.
        let path = options.get_filename().to_path_buf();
        crate::file_mode::create_owner_only(&path).map_err(|e| StoreError::Backend(Box::new(e)))?;

        // The writer comes first: it creates the file, switches it to WAL (a setting the file
        // keeps) and migrates it before any reader looks at it.
        let writer = SqlitePoolOptions::new()
            // No ping before lending a connection out: it is a local file, and on sqlx each
            // ping is a round trip to the connection's thread, as much as the statement itself.
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(
                options
                    .clone()
                    .journal_mode(SqliteJournalMode::Wal)
                    // Checkpoints run on their own connection (see `checkpoint`).
                    .pragma("wal_autocheckpoint", "0"),
            )
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?;

        let reader = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(READERS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(db)?;
        let checkpointer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(db)?;
        crate::file_mode::tighten(&path).map_err(|e| StoreError::Backend(Box::new(e)))?;
        checkpoint::start(checkpointer.clone());
        let group = GroupCommit::start(writer.clone());
        let hot_reads = Arc::new(HotReader::new(path.clone()));
        let hot = HotWriter::start(path, BUSY_TIMEOUT).await?;
        tracing::debug!(url, "sqlite store ready");
        Ok(SqliteEngine {
            writer,
            reader,
            group,
            hot,
            hot_reads,
            feed_grew: broadcast::channel(16).0,
            checkpointer,
        })
    }
}

impl Engine for SqliteEngine {
    type Conn = SqliteConnection;
    type Options = ();

    const SINGLE_WRITER: bool = true;
    const HOT_PATHS: bool = true;

    fn connect(url: &str, _: ()) -> impl Future<Output = Result<Self, StoreError>> + Send {
        SqliteEngine::open(url)
    }

    async fn read(&self) -> Result<Pooled<Self>, StoreError> {
        self.reader.acquire().await.db()
    }

    async fn write(&self) -> Result<Pooled<Self>, StoreError> {
        self.writer.acquire().await.db()
    }

    /// Opens with `BEGIN IMMEDIATE`, so no transaction ever has to upgrade a read lock to a
    /// write lock, which is where SQLite answers `SQLITE_BUSY` without waiting.
    async fn begin(&self) -> Result<Tx<Self>, StoreError> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.db()
    }

    /// In WAL mode a read transaction sees the database as of its first read, throughout.
    async fn snapshot(&self) -> Result<Tx<Self>, StoreError> {
        self.reader.begin().await.db()
    }

    async fn grouped<T, F>(&self, job: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> Fn(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>>
            + Send
            + 'static,
    {
        self.group.run(job).await
    }

    /// On the hot writer's thread, a batch per transaction (see `hot_writer`).
    async fn write_hot(&self, write: HotWrite) -> Result<bool, StoreError> {
        self.hot.write(write).await
    }

    /// On a synchronous read-only connection, without leaving the calling thread (see
    /// `hot_reader`).
    async fn read_hot<R: HotRead>(&self, read: R) -> Result<Option<R::Found>, StoreError> {
        self.hot_reads.read(&read)
    }

    /// Other processes on the same file (admin commands, say) are seen at the followers' next
    /// poll.
    fn feed_grew(&self) {
        // No follower subscribed is fine: nobody is waiting.
        let _ = self.feed_grew.send(());
    }

    fn pool_stats(&self) -> PoolStats {
        let (writer, reader) = (&self.writer, &self.reader);
        PoolStats {
            connections: writer.size() + reader.size(),
            idle: (writer.num_idle() + reader.num_idle()) as u32,
            max_connections: writer.options().get_max_connections()
                + reader.options().get_max_connections(),
            write_batches: self.hot.batches(),
            batched_writes: self.hot.writes(),
        }
    }

    fn change_notifications(&self) -> Option<broadcast::Receiver<()>> {
        Some(self.feed_grew.subscribe())
    }

    /// Waits for connections in use to be returned (a batch being committed finishes first);
    /// WAL is checkpointed as the last connection closes. Writes queued after this fail as
    /// unavailable.
    async fn close(&self) {
        self.hot.stop().await;
        self.hot_reads.close();
        self.checkpointer.close().await;
        self.reader.close().await;
        self.writer.close().await;
    }
}

#[cfg(test)]
mod tests {
    use crate::SqliteStore;

    #[tokio::test]
    async fn every_connection_syncs_fully_and_enforces_foreign_keys() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
        let store = SqliteStore::connect(&url).await.expect("connect");
        let engine = store.engine();
        for pool in [&engine.writer, &engine.reader] {
            let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(pool)
                .await
                .expect("synchronous");
            assert_eq!(synchronous, 2, "FULL");
            let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(pool)
                .await
                .expect("foreign keys");
            assert_eq!(foreign_keys, 1);
            let busy_timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
                .fetch_one(pool)
                .await
                .expect("busy timeout");
            assert_eq!(busy_timeout, 5000);
        }
        assert_eq!(engine.writer.options().get_max_connections(), 1);
    }
}
