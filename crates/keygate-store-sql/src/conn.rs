//! One way to run a statement on either engine's connection: the SQL text (with `$1, $2, ...`
//! placeholders, which sqlx's SQLite driver binds by number too) and a slice of [`Arg`]s.

use std::future::Future;

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, FromRow, PgConnection, Postgres, Sqlite, SqliteConnection};

use crate::arg::{Arg, Array};

/// Which SQL a connection speaks, for the few statements the two engines write differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (bundled, >= 3.35: `RETURNING`, `ON CONFLICT`, `TRUE`).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A statement written once per dialect, where the two cannot share one text.
#[derive(Debug, Clone, Copy)]
pub struct PerDialect {
    /// The SQLite text.
    pub sqlite: &'static str,
    /// The PostgreSQL text.
    pub postgres: &'static str,
}

impl Dialect {
    /// The text of `statement` in this dialect.
    pub const fn pick(self, statement: &PerDialect) -> &'static str {
        match self {
            Dialect::Sqlite => statement.sqlite,
            Dialect::Postgres => statement.postgres,
        }
    }
}

/// A row type both engines can decode: every `#[derive(sqlx::FromRow)]` struct of plain fields,
/// and tuples of them.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl<R> Row for R where R: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// A connection statements run on: `SqliteConnection` or `PgConnection` (pooled, or inside a
/// transaction, through `&mut *`). Errors stay sqlx's, so the caller names what a unique
/// violation means (see [`crate::error`]).
pub trait Conn: sqlx::Connection + Send {
    /// The sqlx database this connection belongs to.
    type Database: sqlx::Database<Connection = Self>;
    /// The SQL it speaks.
    const DIALECT: Dialect;

    /// Runs a statement; returns how many rows it changed.
    fn execute<'a>(
        &'a mut self,
        sql: &'a str,
        args: &'a [Arg<'a>],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'a;

    /// The first row, if any.
    fn fetch_optional<'a, R: Row + 'a>(
        &'a mut self,
        sql: &'a str,
        args: &'a [Arg<'a>],
    ) -> impl Future<Output = Result<Option<R>, sqlx::Error>> + Send + 'a;

    /// Exactly one row (`RowNotFound` otherwise).
    fn fetch_one<'a, R: Row + 'a>(
        &'a mut self,
        sql: &'a str,
        args: &'a [Arg<'a>],
    ) -> impl Future<Output = Result<R, sqlx::Error>> + Send + 'a;

    /// Every row.
    fn fetch_all<'a, R: Row + 'a>(
        &'a mut self,
        sql: &'a str,
        args: &'a [Arg<'a>],
    ) -> impl Future<Output = Result<Vec<R>, sqlx::Error>> + Send + 'a;
}

/// Implements [`Conn`] for one engine's connection, given how its arguments are built.
macro_rules! conn {
    ($conn:ty, $db:ty, $dialect:expr, $arguments:ident) => {
        impl Conn for $conn {
            type Database = $db;
            const DIALECT: Dialect = $dialect;

            fn execute<'a>(
                &'a mut self,
                sql: &'a str,
                args: &'a [Arg<'a>],
            ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'a {
                async move {
                    let done = sqlx::query_with(sql, $arguments(args)?)
                        .execute(self)
                        .await?;
                    Ok(done.rows_affected())
                }
            }

            fn fetch_optional<'a, R: Row + 'a>(
                &'a mut self,
                sql: &'a str,
                args: &'a [Arg<'a>],
            ) -> impl Future<Output = Result<Option<R>, sqlx::Error>> + Send + 'a {
                async move {
                    sqlx::query_as_with(sql, $arguments(args)?)
                        .fetch_optional(self)
                        .await
                }
            }

            fn fetch_one<'a, R: Row + 'a>(
                &'a mut self,
                sql: &'a str,
                args: &'a [Arg<'a>],
            ) -> impl Future<Output = Result<R, sqlx::Error>> + Send + 'a {
                async move {
                    sqlx::query_as_with(sql, $arguments(args)?)
                        .fetch_one(self)
                        .await
                }
            }

            fn fetch_all<'a, R: Row + 'a>(
                &'a mut self,
                sql: &'a str,
                args: &'a [Arg<'a>],
            ) -> impl Future<Output = Result<Vec<R>, sqlx::Error>> + Send + 'a {
                async move {
                    sqlx::query_as_with(sql, $arguments(args)?)
                        .fetch_all(self)
                        .await
                }
            }
        }
    };
}

conn!(SqliteConnection, Sqlite, Dialect::Sqlite, sqlite_arguments);
conn!(PgConnection, Postgres, Dialect::Postgres, pg_arguments);

/// Binds `args` for SQLite, borrowing text and blobs; arrays are refused.
fn sqlite_arguments<'a>(args: &'a [Arg<'a>]) -> Result<SqliteArguments<'a>, sqlx::Error> {
    let mut out = SqliteArguments::default();
    out.reserve(args.len(), 0);
    for arg in args {
        match arg {
            Arg::Int(v) => out.add(*v),
            Arg::Bool(v) => out.add(*v),
            Arg::Text(v) => out.add(v.as_deref()),
            Arg::Blob(v) => out.add(v.as_deref()),
            Arg::Array(_) => Err("SQLite has no array parameters".into()),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}

/// Binds `args` for PostgreSQL, each with its type even when NULL.
fn pg_arguments(args: &[Arg<'_>]) -> Result<PgArguments, sqlx::Error> {
    let mut out = PgArguments::default();
    out.reserve(args.len(), 0);
    for arg in args {
        match arg {
            Arg::Int(v) => out.add(*v),
            Arg::Bool(v) => out.add(*v),
            Arg::Text(v) => out.add(v.as_deref()),
            Arg::Blob(v) => out.add(v.as_deref()),
            Arg::Array(Array::Ints(v)) => out.add(v),
            Arg::Array(Array::Bools(v)) => out.add(v),
            Arg::Array(Array::Texts(v)) => out.add(v),
            Arg::Array(Array::Blobs(v)) => out.add(v),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}
