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
//!   any row lock, so feed sequence numbers become visible in commit order (see `changes.rs`).
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
//! [`PgStore::connect`] (concurrent starts of several nodes are serialised by sqlx's migration
//! lock).

mod accounts;
mod apps;
mod audit;
mod changes;
mod dump;
mod error;
mod grants;
mod keys;
mod notify;
mod orgs;
mod projects;
mod rows;
#[cfg(feature = "test-support")]
pub mod scratch;
mod standard;
mod store_impl;
mod user_grants;
mod work;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use keygate_core::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

use crate::error::{db, DbResultExt};
use crate::notify::Notifier;

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

/// A [`Store`](keygate_core::Store) on one PostgreSQL database.
///
/// Cheap to clone: clones share the pool and the notification listener, which stops when the
/// last clone is dropped.
#[derive(Debug, Clone)]
pub struct PgStore {
    /// Connections for reads and writes.
    pool: PgPool,
    /// The task that listens for change notifications.
    notifier: Arc<Notifier>,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://` or `postgresql://`), applies any
    /// migration it has not had yet, and starts listening for change notifications.
    ///
    /// Fails with [`StoreError::Unavailable`] when the server cannot be reached within
    /// `settings.acquire_timeout`.
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<PgStore, StoreError> {
        let statement_timeout = settings.statement_timeout.as_millis().to_string();
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(Box::new(e)))?
            .application_name("keygate")
            .options([("statement_timeout", statement_timeout.as_str())]);
        let pool = PgPoolOptions::new()
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
        Ok(PgStore {
            pool,
            notifier: Arc::new(notifier),
        })
    }

    /// Closes the pool, waiting for connections in use to be returned, and stops listening.
    pub async fn close(&self) {
        self.notifier.stop();
        self.pool.close().await;
    }

    /// Starts a write transaction.
    async fn write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.db()
    }
}
