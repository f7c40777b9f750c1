//! The store conformance suite on PostgreSQL, each test on a fresh database created on the server
//! named by `KEYGATE_TEST_POSTGRES_URL` and dropped afterwards. Without that variable every test
//! passes without running, and the binary says the PostgreSQL tests were skipped.
#![allow(
    clippy::expect_used,
    reason = "test setup: a failure here is a failed test"
)]

use std::sync::Arc;

use keygate_core::Store;
use keygate_store_postgres::scratch::ScratchDatabase;
use keygate_store_postgres::PgStore;

/// A migrated store on a new database; the database lives as long as the returned guard.
async fn fresh_store() -> Option<(Arc<dyn Store>, ScratchDatabase)> {
    let db = ScratchDatabase::from_env()
        .await
        .expect("create a scratch database")?;
    let store = PgStore::connect(db.url()).await.expect("connect");
    Some((Arc::new(store), db))
}

keygate_store_conformance::store_conformance_tests!(optional fresh_store);
