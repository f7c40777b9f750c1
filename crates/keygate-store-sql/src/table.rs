//! What a table's row type knows about its table: its name, its columns, its key, and how to
//! bind itself, so statements and the dump are written from one list of columns.

use std::fmt::Write;

use crate::arg::{Arg, Array};
use crate::conn::Row;

/// A row of one table, every column of it: what `SELECT <COLUMN_LIST>` reads and `INSERT`
/// writes. Declared with the crate's `table!` macro, which derives everything here from the
/// struct's fields.
pub trait Table: Row + Sized {
    /// The table's name.
    const TABLE: &'static str;
    /// Its columns, in the order of the struct's fields.
    const COLUMNS: &'static [&'static str];
    /// The same, comma-separated, for statements.
    const COLUMN_LIST: &'static str;
    /// The `ORDER BY` that lists the table by its key.
    const KEY: &'static str;

    /// The row's values, in column order.
    fn args(&self) -> Vec<Arg<'_>>;
    /// Many rows, column by column (for PostgreSQL's `unnest`), in column order.
    fn arrays(rows: Vec<Self>) -> Vec<Array>;
    /// `INSERT INTO <table> (<columns>) VALUES ($1, ..., $n)`.
    fn insert() -> &'static str;
}

/// The `INSERT` statement of a table's every column.
pub fn insert_statement(table: &str, columns: &[&str]) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES (", columns.join(", "));
    for n in 1..=columns.len() {
        let separator = if n == 1 { "" } else { ", " };
        // Writing to a String cannot fail.
        let _ = write!(sql, "{separator}${n}");
    }
    sql.push(')');
    sql
}

/// The `INSERT` of every column but the first, a key the database numbers, returning it.
pub fn numbered_insert_statement(table: &str, columns: &[&str]) -> String {
    let (key, rest) = columns
        .split_first()
        .map_or(("", columns), |(k, r)| (*k, r));
    format!("{} RETURNING {key}", insert_statement(table, rest))
}

/// Declares a table's row type: a struct of plain fields (`String`, `i64`, `bool`, `Vec<u8>`
/// and their `Option`s) named as the columns, deriving `sqlx::FromRow` for both engines and
/// [`Table`] from the fields, and a macro `$columns!()` that expands to the comma-separated
/// column list as a literal, for `concat!`-built statements.
macro_rules! table {
    (
        $(#[$meta:meta])*
        pub struct $row:ident in $table:literal by $key:literal,
            columns $columns:ident {
            $first:ident : $first_ty:ty
            $(, $field:ident : $ty:ty)* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
        #[allow(missing_docs, reason = "each field is the column of the same name")]
        pub struct $row {
            pub $first: $first_ty,
            $(pub $field: $ty,)*
        }

        #[doc = concat!("The columns of `", $table, "`, comma-separated, as a literal.")]
        macro_rules! $columns {
            () => {
                concat!(stringify!($first) $(, ", ", stringify!($field))*)
            };
        }
        #[allow(unused_imports, reason = "not every table's statements are concat!-built")]
        pub(crate) use $columns;

        impl $row {
            /// The row's values, in column order, without allocating.
            pub fn bind(
                &self,
            ) -> [$crate::Arg<'_>; [$(stringify!($field),)* stringify!($first)].len()] {
                use $crate::arg::Column;
                [self.$first.arg() $(, self.$field.arg())*]
            }

            /// `INSERT` of every column but the first, a key the database numbers (bind
            /// `&row.bind()[1..]`), `RETURNING` that key.
            #[allow(dead_code, reason = "only tables the database numbers use it")]
            pub fn insert_numbered() -> &'static str {
                static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                    $crate::table::numbered_insert_statement(
                        <$row as $crate::table::Table>::TABLE,
                        <$row as $crate::table::Table>::COLUMNS,
                    )
                });
                &SQL
            }
        }

        impl $crate::table::Table for $row {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[stringify!($first) $(, stringify!($field))*];
            const COLUMN_LIST: &'static str = $columns!();
            const KEY: &'static str = $key;

            fn args(&self) -> Vec<$crate::Arg<'_>> {
                self.bind().into()
            }

            fn arrays(rows: Vec<Self>) -> Vec<$crate::arg::Array> {
                use $crate::arg::Column;
                let mut $first = Vec::with_capacity(rows.len());
                $(let mut $field = Vec::with_capacity(rows.len());)*
                for row in rows {
                    $first.push(row.$first);
                    $($field.push(row.$field);)*
                }
                vec![Column::array($first) $(, Column::array($field))*]
            }

            fn insert() -> &'static str {
                static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                    $crate::table::insert_statement(
                        <$row as $crate::table::Table>::TABLE,
                        <$row as $crate::table::Table>::COLUMNS,
                    )
                });
                &SQL
            }
        }
    };
}
pub(crate) use table;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insert_numbers_every_column() {
        assert_eq!(
            insert_statement("t", &["a", "b", "c"]),
            "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)"
        );
        assert_eq!(
            numbered_insert_statement("t", &["id", "b"]),
            "INSERT INTO t (b) VALUES ($1) RETURNING id"
        );
    }
}
