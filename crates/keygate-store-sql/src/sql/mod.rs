//! The statements, by area, each a function over any [`crate::Conn`]: one text where both
//! engines accept it, a [`crate::PerDialect`] pair where they differ. Which
//! connection or transaction a function runs on is the caller's choice (see `store.rs`).

pub mod accounts;
pub mod apps;
pub mod audit;
pub mod certificates;
pub mod changes;
pub mod device;
pub mod grants;
pub mod hooks;
pub mod keys;
pub mod orgs;
pub mod projects;
pub mod standard;
pub mod user_grants;
pub mod work;

use keygate_core::StoreError;

use crate::conn::Conn;
use crate::error::DbResultExt;

/// Fails with `NotFound(what)` unless `sql` finds a row.
pub(crate) async fn require<C: Conn>(
    conn: &mut C,
    sql: &str,
    args: &[crate::Arg<'_>],
    what: &'static str,
) -> Result<(), StoreError> {
    let found: Option<(i32,)> = conn.fetch_optional(sql, args).await.db()?;
    found.map(|_| ()).ok_or(StoreError::NotFound(what))
}

/// The first column of each row.
pub(crate) fn firsts<T>(rows: Vec<(T,)>) -> Vec<T> {
    rows.into_iter().map(|(v,)| v).collect()
}
