//! Reading stored column values back into domain types; a value that does not parse is corrupt.

use std::str::FromStr;

use keygate_core::StoreError;

/// Parses a stored id (any of the GUID newtypes).
pub(crate) fn id<T: FromStr>(stored: &str, column: &str) -> Result<T, StoreError> {
    stored
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} is not a GUID")))
}

/// Converts every row, failing on the first that does not parse.
pub(crate) fn all<R, T: TryFrom<R, Error = StoreError>>(
    rows: Vec<R>,
) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}

#[cfg(test)]
mod tests {
    use keygate_core::ids::UserId;

    use super::*;

    #[test]
    fn unparseable_ids_are_corrupt() {
        assert!(matches!(
            id::<UserId>("nope", "users.id"),
            Err(StoreError::Corrupt(_))
        ));
        let user = UserId::new_random();
        assert_eq!(id::<UserId>(&user.to_string(), "users.id").ok(), Some(user));
    }
}
