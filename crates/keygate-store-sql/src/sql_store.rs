//! [`SqlStore`]: Keygate's store on an SQL [`Engine`], and what it offers besides the
//! [`Store`](keygate_core::Store) contract (which `store.rs` implements).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use keygate_core::store::PoolStats;
use keygate_core::StoreError;

use crate::engine::Engine;

/// Keygate's [`Store`](keygate_core::Store) on an SQL [`Engine`]. Cheap to clone when the
/// engine is.
#[derive(Debug, Clone)]
pub struct SqlStore<E> {
    pub(crate) engine: E,
    /// This process's committed writes that appended to the change feed (see
    /// [`Store::local_feed_writes`](keygate_core::Store::local_feed_writes)), shared by clones.
    feed_writes: Arc<AtomicU64>,
}

impl<E: Engine> SqlStore<E> {
    /// Opens the database at `url` with the engine's default options, migrating it.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, E::Options::default()).await
    }

    /// Opens the database at `url` with `options`, migrating it.
    pub async fn connect_with(url: &str, options: E::Options) -> Result<Self, StoreError> {
        Ok(SqlStore {
            engine: E::connect(url, options).await?,
            feed_writes: Arc::default(),
        })
    }

    /// The engine underneath, for what only one backend offers.
    pub fn engine(&self) -> &E {
        &self.engine
    }

    /// Closes the pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.engine.close().await;
    }

    /// How many connections the pools hold and lend out.
    pub fn pool_usage(&self) -> PoolStats {
        self.engine.pool_stats()
    }

    /// Where the live schema and what `keygate db copy` carries disagree (see
    /// [`dump::schema_gaps`](crate::dump::schema_gaps)); empty when a dump carries every
    /// column of every table.
    pub async fn dump_schema_gaps(&self) -> Result<Vec<String>, StoreError> {
        crate::dump::schema_gaps(&mut *self.engine.read().await?).await
    }

    /// Passes `result` on, first telling this process's change followers that the feed grew
    /// when the write succeeded and `appended` says it added to the feed.
    pub(crate) fn announce_if<T>(
        &self,
        result: Result<T, StoreError>,
        appended: impl FnOnce(&T) -> bool,
    ) -> Result<T, StoreError> {
        if result.as_ref().is_ok_and(appended) {
            // Counted before anyone is told, and before the writer's caller has its answer.
            self.feed_writes.fetch_add(1, Ordering::AcqRel);
            self.engine.feed_grew();
        }
        result
    }

    /// See [`Store::local_feed_writes`](keygate_core::Store::local_feed_writes).
    pub(crate) fn feed_writes(&self) -> u64 {
        self.feed_writes.load(Ordering::Acquire)
    }
}
