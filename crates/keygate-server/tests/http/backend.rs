//! Which database a `TestApp` runs on: a fresh SQLite file in the `http` test binary, or, in the
//! `http_postgres` binary (which includes this suite), a fresh PostgreSQL database created on the
//! server named by `KEYGATE_TEST_POSTGRES_URL` and dropped after the test. The whole HTTP suite thus
//! runs on both backends without a test knowing which.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use keygate_core::Store;
use keygate_store_postgres::scratch::ScratchDatabase;
use keygate_store_postgres::PgStore;
use keygate_store_sqlite::SqliteStore;

/// A test's database, to start (or restart) servers on.
#[derive(Debug, Clone)]
pub(crate) enum TestDb {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database URL.
    Postgres(String),
}

impl From<&Path> for TestDb {
    fn from(path: &Path) -> Self {
        TestDb::Sqlite(path.to_owned())
    }
}

impl From<&PathBuf> for TestDb {
    fn from(path: &PathBuf) -> Self {
        TestDb::Sqlite(path.clone())
    }
}

impl From<&TestDb> for TestDb {
    fn from(db: &TestDb) -> Self {
        db.clone()
    }
}

/// Keeps a fresh database alive for the test; dropping it removes the file or drops the database.
pub(crate) enum DbGuard {
    /// The temporary directory holding the SQLite file.
    Dir(#[expect(dead_code, reason = "held for its Drop")] tempfile::TempDir),
    /// The scratch PostgreSQL database.
    Scratch(#[expect(dead_code, reason = "held for its Drop")] ScratchDatabase),
}

/// Whether this is the `http_postgres` test binary (its crate name leads every module path).
fn on_postgres() -> bool {
    module_path!().starts_with("http_postgres::")
}

/// A fresh, empty database on this binary's backend.
pub(crate) async fn fresh_db() -> (TestDb, DbGuard) {
    if on_postgres() {
        let db = ScratchDatabase::from_env()
            .await
            .expect("a scratch PostgreSQL database")
            .expect("KEYGATE_TEST_POSTGRES_URL set when running the PostgreSQL HTTP suite");
        return (TestDb::Postgres(db.url().to_owned()), DbGuard::Scratch(db));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keygate.db");
    (TestDb::Sqlite(path), DbGuard::Dir(dir))
}

/// Opens (migrating if needed) the store on `db`.
pub(crate) async fn open(db: &TestDb) -> Arc<dyn Store> {
    match db {
        TestDb::Sqlite(path) => Arc::new(
            SqliteStore::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap(),
        ),
        TestDb::Postgres(url) => Arc::new(PgStore::connect(url).await.unwrap()),
    }
}
