//! Keygate's [`Store`](keygate_core::Store) on an embedded SQLite file.
//!
//! # Durability and concurrency
//!
//! - The database runs in WAL mode with `synchronous=FULL`: a write that [`SqliteStore`]
//!   acknowledged has been synced to disk and survives a crash or a power loss, not only a
//!   process exit. (`NORMAL` would be faster but may lose the last transactions on power loss,
//!   which for an OAuth server means a redeemed code could be redeemed again.)
//! - Foreign keys are enforced; children that cannot outlive their parent (client secrets,
//!   authorizations, codes and refresh tokens of an app) are deleted with it.
//! - Writes go through two connections: a pool of exactly one sqlx connection for every write,
//!   and the hot writer's own connection for the usual outcome of the hot writes (below). Every
//!   multi-statement write opens with `BEGIN IMMEDIATE`, so no transaction ever has to upgrade a
//!   read lock to a write lock, which is where SQLite answers `SQLITE_BUSY` without waiting.
//!   SQLite allows one writer at a time: whichever of the two (or another process on the file,
//!   an admin command, say) begins second waits up to the 5-second busy timeout.
//! - The writes of the token endpoint and sign-in (consent with its code, code redemption,
//!   refresh rotation, new sessions) are *group committed*: with `synchronous=FULL` each COMMIT
//!   costs an fsync, so one transaction per grant would bound the whole server by the disk's
//!   sync rate. The hot writer (`hot_writer`), a thread with a synchronous SQLite connection,
//!   takes every such write already queued (up to 64; it never waits for more, so batches form
//!   by themselves while the previous COMMIT syncs), runs them one after another in one
//!   `BEGIN IMMEDIATE` transaction with prepared statements, COMMITs once, and only then answers
//!   each caller. Durability is unchanged: nothing is acknowledged before its COMMIT returned.
//!   The writes of a batch run in order on one connection, so single use holds inside a batch
//!   too: of two writes consuming one credential the second finds it used. A write that is not
//!   the usual case (its credential was spent already, say) writes nothing there and is run
//!   again by the group committer (`group_commit`), a task that does the same on the sqlx
//!   writer with the general statements, which revoke, audit and append to the change feed.
//!   A queued write runs (or not) as a unit whether or not its caller still waits.
//! - Reads go through a separate pool of a few connections; in WAL mode they never block the
//!   writer and always see every committed write. The token endpoint's two lookups by hash (a
//!   code, a refresh token) skip the pool's hand-off to a connection thread: the hot reader
//!   (`hot_reader`) runs them on a synchronous read-only connection on the calling thread.
//! - The writer never checkpoints: a task on its own connection copies the WAL back into the
//!   database file every 250 ms in `PASSIVE` mode (see `checkpoint`), so no grant waits for
//!   pages to be written across a large file. At a million authorizations this took code
//!   exchange from ~3.0k to ~3.6k a second and its p90 from 25 ms to 11 ms.
//!
//! The schema lives in `migrations/`, embedded in the binary and applied by
//! [`SqliteStore::connect`]. The statements, row types and the `Store` implementation are
//! shared with the PostgreSQL store (`keygate-store-sql`); this crate keeps what only SQLite
//! has: opening the file, the hot writer, the group committer, the checkpoint task and bulk
//! seeding.

mod bulk;
mod checkpoint;
mod engine;
mod file_mode;
mod group_commit;
mod hot_reader;
mod hot_writer;
mod statements;

pub use bulk::{BulkSeed, SeedAuthorization};
pub use engine::SqliteEngine;

/// The database file a `sqlite:` URL names (`None` when the URL is not one), for what Keygate
/// keeps beside it (the generated master key).
pub fn database_path(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    Some(options.get_filename().to_path_buf())
}

/// A [`Store`](keygate_core::Store) on one SQLite database file: open it with
/// `SqliteStore::connect("sqlite://path")`.
///
/// Cheap to clone: clones share the same connection pools, hot writer and group committer.
/// The committer is a task on the Tokio runtime that opened the store, so use the store on that
/// runtime; close the store (`SqlStore::close`) to stop the hot writer's thread before the file
/// is moved or deleted.
pub type SqliteStore = keygate_store_sql::SqlStore<SqliteEngine>;
