//! The values a statement binds: a few column types, each nullable with its type (PostgreSQL
//! needs a typed NULL), and column-wise arrays for PostgreSQL's `unnest`.

use std::borrow::Cow;

use keygate_core::secrets::TokenHash;

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    /// An `INTEGER` / `BIGINT`.
    Int(Option<i64>),
    /// A boolean (SQLite stores it as 0 or 1).
    Bool(Option<bool>),
    /// A `TEXT`.
    Text(Option<Cow<'a, str>>),
    /// A `BLOB` / `BYTEA`.
    Blob(Option<Cow<'a, [u8]>>),
    /// A whole column, for PostgreSQL's `unnest` (SQLite has no arrays and refuses it).
    Array(Array),
}

/// A column's values, for PostgreSQL's `unnest`: `BIGINT[]`, `BOOLEAN[]`, `TEXT[]` or `BYTEA[]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Array {
    /// `BIGINT[]`.
    Ints(Vec<Option<i64>>),
    /// `BOOLEAN[]`.
    Bools(Vec<Option<bool>>),
    /// `TEXT[]`.
    Texts(Vec<Option<String>>),
    /// `BYTEA[]`.
    Blobs(Vec<Option<Vec<u8>>>),
}

/// A Rust type a row field may have, so a row can bind itself and a table's rows can be bound
/// column by column.
pub trait Column: Sized {
    /// This value, bound.
    fn arg(&self) -> Arg<'_>;
    /// A whole column of these, bound as one array.
    fn array(values: Vec<Self>) -> Array;
}

/// Implements [`Column`] for a type and its `Option`, given how one value becomes an [`Arg`]
/// and which [`Array`] holds a column of them.
macro_rules! column {
    ($ty:ty, $variant:ident, $array:ident, |$v:ident| $arg:expr) => {
        impl Column for $ty {
            fn arg(&self) -> Arg<'_> {
                let $v = self;
                Arg::$variant(Some($arg))
            }
            fn array(values: Vec<Self>) -> Array {
                Array::$array(values.into_iter().map(Some).collect())
            }
        }
        impl Column for Option<$ty> {
            fn arg(&self) -> Arg<'_> {
                Arg::$variant(self.as_ref().map(|$v| $arg))
            }
            fn array(values: Vec<Self>) -> Array {
                Array::$array(values)
            }
        }
    };
}

column!(i64, Int, Ints, |v| *v);
column!(bool, Bool, Bools, |v| *v);
column!(String, Text, Texts, |v| Cow::Borrowed(v.as_str()));
column!(Vec<u8>, Blob, Blobs, |v| Cow::Borrowed(v.as_slice()));

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}

impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Bool(Some(v))
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}

impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::Text(Some(Cow::Owned(v)))
    }
}

impl From<Option<String>> for Arg<'_> {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v.map(Cow::Owned))
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Arg::Blob(Some(Cow::Borrowed(v)))
    }
}

impl<'a> From<&'a TokenHash> for Arg<'a> {
    fn from(v: &'a TokenHash) -> Self {
        Arg::Blob(Some(Cow::Borrowed(v.as_bytes())))
    }
}

impl From<Array> for Arg<'_> {
    fn from(v: Array) -> Self {
        Arg::Array(v)
    }
}

/// A stored id (or anything else stored as its text form).
pub fn text(v: impl ToString) -> Arg<'static> {
    Arg::Text(Some(Cow::Owned(v.to_string())))
}

/// An optional stored id.
pub fn opt_text(v: Option<impl ToString>) -> Arg<'static> {
    Arg::Text(v.map(|v| Cow::Owned(v.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_keep_their_type() {
        assert_eq!(None::<String>.arg(), Arg::Text(None));
        assert_eq!(None::<i64>.arg(), Arg::Int(None));
        assert_eq!(
            <Option<Vec<u8>>>::array(vec![None, Some(vec![1])]),
            Array::Blobs(vec![None, Some(vec![1])])
        );
    }
}
