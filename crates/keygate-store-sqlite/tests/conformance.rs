//! The store conformance suite, each test on a fresh SQLite file in its own temporary directory.
#![allow(
    clippy::expect_used,
    reason = "test setup: a failure here is a failed test"
)]

use std::sync::Arc;

use keygate_core::Store;
use keygate_store_sqlite::SqliteStore;
use tempfile::TempDir;

/// A migrated store on a new file; the directory lives as long as the returned guard.
async fn fresh_store() -> (Arc<dyn Store>, TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    (Arc::new(store), dir)
}

keygate_store_conformance::store_conformance_tests!(fresh_store);
