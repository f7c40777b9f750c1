//! Copying everything one store holds into another, empty one (`keygate db copy`): read it all,
//! then write it all and verify by reading the target back.

use super::Dump;
use crate::data::Data;
use crate::store::StoreError;

/// Why a copy did not happen, or cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The source could not be read.
    #[error("could not read the source database")]
    ReadSource(#[source] StoreError),
    /// The source holds no row at all (a mistyped source, most likely).
    #[error("the source database holds nothing to copy")]
    SourceEmpty,
    /// The target already holds rows: a copy never merges into a live database.
    #[error("the target database is not empty")]
    TargetNotEmpty,
    /// The target refused the rows; its transaction wrote nothing.
    #[error("could not write the target database (nothing was written)")]
    WriteTarget(#[source] StoreError),
    /// The target could not be read back.
    #[error("could not read the target database back")]
    ReadTarget(#[source] StoreError),
    /// The target reads back something other than what was written.
    #[error("the target database does not read back what was written")]
    Mismatch,
}

/// Reads every row of `source` in one consistent snapshot, refusing a source that holds nothing.
pub async fn read_all(source: &Data) -> Result<Dump, CopyError> {
    let dump = source
        .store()
        .export_dump()
        .await
        .map_err(CopyError::ReadSource)?;
    if dump.is_empty() {
        return Err(CopyError::SourceEmpty);
    }
    Ok(dump)
}

/// Writes every row of `dump` into the empty `target` in one transaction, keeping sequence
/// numbers and store-assigned ids, then reads the target back and compares.
pub async fn write_all(target: &Data, dump: &Dump) -> Result<(), CopyError> {
    match target.store().import_dump(dump.clone()).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(CopyError::TargetNotEmpty),
        Err(e) => return Err(CopyError::WriteTarget(e)),
    }
    let copied = target
        .store()
        .export_dump()
        .await
        .map_err(CopyError::ReadTarget)?;
    if copied != *dump {
        return Err(CopyError::Mismatch);
    }
    Ok(())
}
