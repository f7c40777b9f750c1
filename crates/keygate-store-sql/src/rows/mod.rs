//! Every table's row type, once, with its conversions to and from the domain records: used by
//! both engines' statements and by the dump. Rows are plain data; conversions are plain Rust.
//! A stored value that does not parse back is corrupt data.

pub mod accounts;
pub mod apps;
pub mod certificates;
pub mod changes;
pub mod device;
pub mod grants;
pub mod hooks;
pub mod operations;
pub mod settings;
pub mod work;

use std::str::FromStr;

use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;

/// Parses a stored id (any of the GUID newtypes).
pub fn id<T: FromStr>(stored: &str, column: &str) -> Result<T, StoreError> {
    stored
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} is not a GUID")))
}

/// Parses an optional stored id.
pub fn opt_id<T: FromStr>(stored: Option<&str>, column: &str) -> Result<Option<T>, StoreError> {
    stored.map(|s| id(s, column)).transpose()
}

/// Rebuilds a stored credential hash; a wrong length is corrupt data.
pub fn hash(bytes: &[u8], column: &str) -> Result<TokenHash, StoreError> {
    TokenHash::from_slice(bytes)
        .ok_or_else(|| StoreError::Corrupt(format!("{column} is not 32 bytes")))
}

/// Converts every row, failing on the first that does not parse.
pub fn all<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R>,
    T::Error: Unparsed,
{
    rows.into_iter()
        .map(|r| T::try_from(r).map_err(Unparsed::into_store_error))
        .collect()
}

/// Why a row did not convert: corrupt data, or (for conversions that cannot fail) never.
pub trait Unparsed {
    /// The error as a store reports it.
    fn into_store_error(self) -> StoreError;
}

impl Unparsed for StoreError {
    fn into_store_error(self) -> StoreError {
        self
    }
}

impl Unparsed for std::convert::Infallible {
    fn into_store_error(self) -> StoreError {
        match self {}
    }
}

#[cfg(test)]
mod tests {
    use keygate_core::ids::UserId;

    use super::*;

    #[test]
    fn unparseable_ids_and_hashes_are_corrupt() {
        assert!(matches!(
            id::<UserId>("nope", "users.id"),
            Err(StoreError::Corrupt(_))
        ));
        let user = UserId::new_random();
        assert_eq!(id::<UserId>(&user.to_string(), "users.id").ok(), Some(user));
        assert!(matches!(
            hash(&[1, 2], "sessions.hash"),
            Err(StoreError::Corrupt(_))
        ));
    }
}
