//! What a backend crate provides so [`SqlStore`](crate::SqlStore) can run on it: connections
//! for reads and writes, transactions, the grouped path for hot writes, and the hooks around
//! them (the feed-grew signal, pool use, change notifications, closing).

use std::future::Future;
use std::pin::Pin;

use keygate_core::store::PoolStats;
use keygate_core::StoreError;
use sqlx::pool::PoolConnection;
use sqlx::Transaction;
use tokio::sync::broadcast;

use crate::conn::Conn;
use crate::hot::{HotRead, HotWrite};

/// A boxed future that borrows a connection for `'c`.
pub type BoxFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// The sqlx database of an engine.
pub type Db<E> = <<E as Engine>::Conn as Conn>::Database;
/// A pooled connection of an engine.
pub type Pooled<E> = PoolConnection<Db<E>>;
/// A transaction of an engine.
pub type Tx<E> = Transaction<'static, Db<E>>;

/// One database engine's connections and the policies that go with them.
pub trait Engine: Clone + Send + Sync + 'static {
    /// The connection statements run on.
    type Conn: Conn;
    /// How to open it, beyond its URL.
    type Options: Default + Send;

    /// Whether every write queues behind one connection (SQLite): then a write that is usually
    /// answered by a read tries the read first, and single-statement hot writes are grouped too.
    const SINGLE_WRITER: bool;

    /// Whether [`Engine::write_hot`] and [`Engine::read_hot`] can answer at all (SQLite's
    /// writer thread and synchronous readers). Where they cannot, callers skip building the
    /// request (and copying its inputs) for them.
    const HOT_PATHS: bool = false;

    /// Opens the database at `url` and migrates it.
    fn connect(
        url: &str,
        options: Self::Options,
    ) -> impl Future<Output = Result<Self, StoreError>> + Send;

    /// A connection for reads.
    fn read(&self) -> impl Future<Output = Result<Pooled<Self>, StoreError>> + Send;

    /// A connection for a write of one statement, committed by itself.
    fn write(&self) -> impl Future<Output = Result<Pooled<Self>, StoreError>> + Send;

    /// A write transaction; on SQLite it holds the write lock from its first statement.
    fn begin(&self) -> impl Future<Output = Result<Tx<Self>, StoreError>> + Send;

    /// A read-only transaction that sees one consistent snapshot throughout.
    fn snapshot(&self) -> impl Future<Output = Result<Tx<Self>, StoreError>> + Send;

    /// Runs one of the hot writes (consent, code redemption, refresh rotation, session) in a
    /// transaction and answers once it committed. SQLite shares one transaction (and one fsync)
    /// among the writes queued together; PostgreSQL gives each its own. A job that fails is
    /// rolled back alone. The job may be run more than once (SQLite reruns a batch in which a
    /// job failed), each time in a transaction where none of its earlier runs is left, so it
    /// must write only through `conn` and build each run from its own copy of its inputs.
    fn grouped<T, F>(&self, job: F) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: for<'c> Fn(&'c mut Self::Conn) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static;

    /// Tries `write`'s usual outcome on the engine's own fast path; `Ok(false)` when the engine
    /// has none or the write declined it (nothing of it was written), and the caller then runs
    /// it through [`Engine::grouped`]. `Ok(true)` only once it committed. SQLite runs these on
    /// a writer thread, a whole batch per transaction; PostgreSQL has no such path.
    fn write_hot(&self, write: HotWrite) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let _ = write;
        std::future::ready(Ok(false))
    }

    /// Answers `read` on the engine's own fast path; `Ok(None)` when the engine has none (or
    /// cannot now), and the caller reads through [`Engine::read`]. SQLite answers it on a
    /// synchronous connection without leaving the calling thread.
    fn read_hot<R: HotRead>(
        &self,
        read: R,
    ) -> impl Future<Output = Result<Option<R::Found>, StoreError>> + Send {
        let _ = read;
        std::future::ready(Ok(None))
    }

    /// Told after a write that appended to the change feed has committed, so this process's
    /// followers catch up at once (PostgreSQL has NOTIFY do this for every process instead).
    fn feed_grew(&self);

    /// How busy the connection pools are.
    fn pool_stats(&self) -> PoolStats;

    /// Wakes soon after a change-feed append (see
    /// [`Store::change_notifications`](keygate_core::Store::change_notifications)).
    fn change_notifications(&self) -> Option<broadcast::Receiver<()>>;

    /// Closes the pools, waiting for connections in use to be returned.
    fn close(&self) -> impl Future<Output = ()> + Send;
}
