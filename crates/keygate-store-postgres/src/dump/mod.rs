//! Reading every row into a backend-neutral [`Dump`](keygate_core::dump::Dump) and writing one
//! back, for `keygate db copy`.
//!
//! The export reads in one `REPEATABLE READ` read-only transaction, so it is one consistent
//! snapshot even while nodes keep writing. The import writes every table with one `unnest`
//! insert each, inside one transaction that first checks the database is empty, then moves the
//! identity sequences past the copied numbers.

mod export;
mod import;
mod import_apps;

pub(crate) use export::export_dump;
pub(crate) use import::import_dump;

use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;

/// Rebuilds a stored credential hash; a wrong length is corrupt data.
fn hash(bytes: &[u8], column: &str) -> Result<TokenHash, StoreError> {
    TokenHash::from_slice(bytes)
        .ok_or_else(|| StoreError::Corrupt(format!("{column} is not 32 bytes")))
}

/// Stored ids (or scope sets) of a column, as text.
fn ids<T: ToString>(values: impl Iterator<Item = T>) -> Vec<String> {
    values.map(|v| v.to_string()).collect()
}
