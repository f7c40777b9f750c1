//! Keygate's [`Store`](keygate_core::Store) on PostgreSQL, so several stateless Keygate nodes can
//! share one database behind a load balancer.
//!
//! It keeps the exact semantics of the SQLite store (the conformance suite runs against both);
//! what differs is how they are kept when many processes write at once.
//!
//! # Concurrency
//!
//! - Transactions run at PostgreSQL's default `READ COMMITTED`. Single use is one conditional
//!   `UPDATE ... WHERE used_at IS NULL RETURNING`: concurrent updaters of one row queue on its
//!   row lock and re-check the condition after the winner commits, so of any number of
//!   concurrent redemptions, on any number of nodes, exactly one consumes the credential.
//! - Redeeming a code or rotating a refresh token first takes a `FOR SHARE` lock on its app's
//!   row; replacing a secret or deleting an app takes `FOR UPDATE` on it. So an exchange and a
//!   secret replacement never interleave: either the exchange commits first and the replacement
//!   revokes what it minted, or the replacement commits first and the exchange sees its secret
//!   gone (`ConsumeOutcome::SecretRetired`). Taking that lock first also keeps the lock order the
//!   same in every transaction, so they cannot deadlock one another.
//! - Appending to the change feed happens under a transaction-scoped advisory lock taken before
//!   any row lock, so feed sequence numbers become visible in commit order (see
//!   `keygate_store_sql::sql::changes`).
//!
//! # Notifications
//!
//! Every transaction that appends to the change feed also sends `NOTIFY keygate_changes`; a task
//! per store `LISTEN`s on a connection of its own and wakes the server's change follower through
//! [`Store::change_notifications`](keygate_core::Store::change_notifications), so a revocation
//! made on one node reaches the others in milliseconds rather than at their next poll.
//!
//! # Failures
//!
//! Connection failures, pool timeouts and statement timeouts are reported as
//! [`StoreError::Unavailable`] (the server answers 503); the pool reconnects by itself when the
//! database is back. The schema lives in `migrations/`, embedded and applied by
//! `PgStore::connect` (or `PgStore::connect_with`, with [`PoolSettings`]); concurrent starts of
//! several nodes are serialised by sqlx's migration lock.
//!
//! The statements, row types and the `Store` implementation are shared with the SQLite store
//! (`keygate-store-sql`, whose `sql/changes.rs` and `sql/apps.rs` hold the locking described
//! here); this crate keeps what only PostgreSQL has: the pool, the notification listener and
//! scratch databases for tests.

mod notify;
#[cfg(feature = "test-support")]
pub mod scratch;

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use keygate_core::store::PoolStats;
use keygate_core::StoreError;
use keygate_store_sql::engine::{Pooled, Tx};
use keygate_store_sql::error::{db, DbResultExt};
use keygate_store_sql::{BoxFuture, Engine};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};
use tokio::sync::broadcast;

use crate::notify::Notifier;

/// How long a pooled connection may have been idle and still be lent out without a ping.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// How the connection pool behaves; every field has a sensible default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections this node opens (each node has its own pool; size the server's
    /// `max_connections` for the sum over nodes, plus one listening connection per node).
    pub max_connections: u32,
    /// Connections kept open even when idle.
    pub min_connections: u32,
    /// How long a request waits for a connection (including connecting) before the store
    /// reports itself unavailable. Short values make an unreachable database fail fast.
    pub acquire_timeout: Duration,
    /// Longest a single statement may run on the server before it is cancelled.
    pub statement_timeout: Duration,
    /// How long an unused connection stays open.
    pub idle_timeout: Option<Duration>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(15),
            idle_timeout: Some(Duration::from_secs(600)),
        }
    }
}

/// A [`Store`](keygate_core::Store) on one PostgreSQL database: open it with
/// `PgStore::connect(url)` or `PgStore::connect_with(url, PoolSettings { .. })`.
///
/// Cheap to clone: clones share the pool and the notification listener, which stops when the
/// last clone is dropped.
pub type PgStore = keygate_store_sql::SqlStore<PgEngine>;

/// One PostgreSQL database's pool and notification listener, as the shared store uses them.
#[derive(Debug, Clone)]
pub struct PgEngine {
    /// Connections for reads and writes.
    pool: PgPool,
    /// The task that listens for change notifications.
    notifier: Arc<Notifier>,
}

impl PgEngine {
    /// Connects to the database at `url` (`postgres://` or `postgresql://`), applies any
    /// migration it has not had yet, and starts listening for change notifications.
    ///
    /// Fails with [`StoreError::Unavailable`] when the server cannot be reached within
    /// `settings.acquire_timeout`.
    async fn open(url: &str, settings: PoolSettings) -> Result<PgEngine, StoreError> {
        let statement_timeout = settings.statement_timeout.as_millis().to_string();
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(Box::new(e)))?
            .application_name("keygate")
            .options([("statement_timeout", statement_timeout.as_str())]);
        let pool = PgPoolOptions::new()
            // sqlx pings every connection before lending it out: a round trip, and as much of
            // the server's CPU as a short statement, on every read and every transaction. A
            // connection that was in use a moment ago needs no ping; one idle for longer is
            // pinged (a broken one is closed and another taken), so a restarted server or a cut
            // connection is still noticed before a request uses it.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for < PING_AFTER_IDLE {
                        return Ok(true);
                    }
                    Ok(sqlx::Connection::ping(conn).await.is_ok())
                })
            })
            .max_connections(settings.max_connections.max(1))
            .min_connections(settings.min_connections)
            .acquire_timeout(settings.acquire_timeout)
            .idle_timeout(settings.idle_timeout)
            .connect_with(options.clone())
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| match e {
                sqlx::migrate::MigrateError::Execute(e) => db(e),
                other => StoreError::Backend(Box::new(other)),
            })?;
        let notifier = Notifier::start(options, settings.acquire_timeout);
        tracing::debug!(
            max_connections = settings.max_connections,
            "postgres store ready"
        );
        Ok(PgEngine {
            pool,
            notifier: Arc::new(notifier),
        })
    }
}

impl Engine for PgEngine {
    type Conn = PgConnection;
    type Options = PoolSettings;

    const SINGLE_WRITER: bool = false;

    fn connect(
        url: &str,
        settings: PoolSettings,
    ) -> impl Future<Output = Result<Self, StoreError>> + Send {
        PgEngine::open(url, settings)
    }

    async fn read(&self) -> Result<Pooled<Self>, StoreError> {
        self.pool.acquire().await.db()
    }

    async fn write(&self) -> Result<Pooled<Self>, StoreError> {
        self.pool.acquire().await.db()
    }

    async fn begin(&self) -> Result<Tx<Self>, StoreError> {
        self.pool.begin().await.db()
    }

    async fn snapshot(&self) -> Result<Tx<Self>, StoreError> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .db()
    }

    /// Each write in a transaction of its own: nodes share the database, not a committer.
    async fn grouped<T, F>(&self, job: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> Fn(&'c mut PgConnection) -> BoxFuture<'c, Result<T, StoreError>>
            + Send
            + 'static,
    {
        let mut tx = self.begin().await?;
        let done = job(&mut tx).await?;
        tx.commit().await.db()?;
        Ok(done)
    }

    /// Nothing to do: every append sent `NOTIFY`, which wakes this process's followers too.
    fn feed_grew(&self) {}

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            connections: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max_connections: self.pool.options().get_max_connections(),
            // Each hot write commits by itself on PostgreSQL.
            write_batches: 0,
            batched_writes: 0,
        }
    }

    fn change_notifications(&self) -> Option<broadcast::Receiver<()>> {
        Some(self.notifier.subscribe())
    }

    /// Also stops listening.
    async fn close(&self) {
        self.notifier.stop();
        self.pool.close().await;
    }
}
