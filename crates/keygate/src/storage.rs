//! Picks the storage backend once, from the database URL's scheme.

use std::sync::Arc;

use anyhow::Context;
use keygate_core::Store;
use keygate_store_sqlite::SqliteStore;

/// Opens (creating and migrating if needed) the store named by `url`.
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let store = SqliteStore::connect(url)
            .await
            .with_context(|| format!("could not open the SQLite database {url}"))?;
        return Ok(Arc::new(store));
    }
    anyhow::bail!("unsupported database URL {url}: use sqlite://path")
}
