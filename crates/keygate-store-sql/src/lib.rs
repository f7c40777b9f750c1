//! The SQL Keygate's SQLite and PostgreSQL stores share: the row types, the statements, and the
//! one [`Store`](keygate_core::Store) implementation, [`SqlStore`].
//!
//! A backend crate provides an [`Engine`]: how it connects and migrates, which connection a
//! read or a write takes, how a transaction begins, how the hot writes are grouped, and the
//! hooks around them. Everything else is written once here:
//!
//! - `rows/`: each table's row type (plain data deriving `sqlx::FromRow`, which decodes from
//!   either engine's rows) with its table name and columns ([`table::Table`]), and its plain
//!   Rust conversions to and from the domain records. The statements and the dump take their
//!   column lists from these types.
//! - `sql/`: the statements by area, each a function over any [`Conn`]. sqlx's SQLite driver
//!   binds `$1, $2, ...` by number, so one text serves both engines wherever they accept the
//!   same SQL; where they differ (SQLite's `COLLATE NOCASE` lookups against PostgreSQL's
//!   `lower()`, PostgreSQL's row locks, feed lock and `NOTIFY`, `unnest`), a [`PerDialect`]
//!   pair or a [`Dialect`] check says so in place.
//! - `sql_store.rs` and `store.rs`: [`SqlStore`] and its `impl Store`, which says for each
//!   operation on what it runs and whether it grew the change feed.
//! - `dump/`: `keygate db copy`'s export and import, table by table through the row types.
//! - `hot.rs`: the hot single-use writes as data, with their usual outcome written once against
//!   a synchronous connection, for an engine with a writer thread of its own (SQLite).
//! - `error.rs`: the one mapping from sqlx errors to `StoreError`, for both engines.
//!
//! Lock order on PostgreSQL (kept by every write here): the app's row first (`FOR SHARE` by
//! exchanges, `FOR UPDATE` by secret replacement, app edits and deletion), then the feed's
//! advisory lock, then any other row; so no two transactions wait on each other in a cycle.

pub mod arg;
mod audited;
pub mod conn;
pub mod dump;
pub mod engine;
pub mod error;
pub mod hot;
pub mod rows;
pub mod sql;
mod sql_store;
mod store;
pub mod table;

pub use arg::Arg;
pub use conn::{Conn, Dialect, PerDialect};
pub use engine::{BoxFuture, Engine};
pub use hot::{
    Cell, CodeByHash, HotOutcome, HotRead, HotReadError, HotWrite, RefreshByHash, SyncConn,
};
pub use sql_store::SqlStore;
