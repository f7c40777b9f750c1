//! Reading every row into a backend-neutral [`Dump`](keygate_core::dump::Dump) and writing one
//! back, for `keygate db copy`.
//!
//! The export reads in one read transaction, which in WAL mode is one consistent snapshot even
//! while another process writes. The import runs in one write transaction with foreign keys
//! checked at commit (`defer_foreign_keys`), so rows can go in table by table in key order;
//! explicit `seq` and `id` values move the AUTOINCREMENT counters past them.

mod export;
mod import;
mod import_apps;
mod rows;

pub(crate) use export::export_dump;
pub(crate) use import::import_dump;

use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;

/// Rebuilds a stored credential hash; a wrong length is corrupt data.
fn hash(bytes: &[u8], column: &str) -> Result<TokenHash, StoreError> {
    TokenHash::from_slice(bytes)
        .ok_or_else(|| StoreError::Corrupt(format!("{column} is not 32 bytes")))
}
