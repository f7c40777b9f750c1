//! Keygate's shared statements on a synchronous rusqlite connection: `$N` placeholders bound by
//! number from [`Arg`]s, statements prepared once and cached (the hot writer and hot reader).

use keygate_store_sql::hot::Cell;
use keygate_store_sql::{Arg, SyncConn};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::Connection;

/// The shared statements on one synchronous connection, prepared once and cached.
pub(crate) struct Statements<'c>(pub(crate) &'c Connection);

impl Statements<'_> {
    /// `sql` prepared (from the cache), with `args` bound by their `$N` numbers.
    fn bound(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<rusqlite::CachedStatement<'_>, rusqlite::Error> {
        let mut statement = self.0.prepare_cached(sql)?;
        for index in 1..=statement.parameter_count() {
            let number = statement
                .parameter_name(index)
                .and_then(|name| name.strip_prefix('$'))
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(index);
            let arg = number
                .checked_sub(1)
                .and_then(|i| args.get(i))
                .ok_or(rusqlite::Error::InvalidParameterCount(number, args.len()))?;
            statement.raw_bind_parameter(index, value(arg)?)?;
        }
        Ok(statement)
    }
}

/// One bound value as SQLite stores it (booleans as 0 or 1).
fn value<'a>(arg: &'a Arg<'_>) -> Result<ToSqlOutput<'a>, rusqlite::Error> {
    let value = match arg {
        Arg::Int(Some(v)) => ValueRef::Integer(*v),
        Arg::Bool(Some(v)) => ValueRef::Integer(i64::from(*v)),
        Arg::Text(Some(v)) => ValueRef::Text(v.as_bytes()),
        Arg::Blob(Some(v)) => ValueRef::Blob(v),
        Arg::Int(None) | Arg::Bool(None) | Arg::Text(None) | Arg::Blob(None) => ValueRef::Null,
        Arg::Array(_) => {
            return Err(rusqlite::Error::ToSqlConversionFailure(
                "SQLite binds no arrays".into(),
            ))
        }
    };
    Ok(ToSqlOutput::Borrowed(value))
}

impl SyncConn for Statements<'_> {
    type Error = rusqlite::Error;

    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, rusqlite::Error> {
        let mut statement = self.bound(sql, args)?;
        // Stepped as a query: some inserts return the key they made.
        let mut rows = statement.raw_query();
        while rows.next()?.is_some() {}
        Ok(self.0.changes())
    }

    fn fetch_text(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<String>, Self::Error> {
        let mut statement = self.bound(sql, args)?;
        let mut rows = statement.raw_query();
        let first = match rows.next()? {
            Some(row) => Some(row.get::<_, String>(0)?),
            None => None,
        };
        // Stepped to the end, so the statement has finished its write before the next one.
        while rows.next()?.is_some() {}
        Ok(first)
    }

    fn fetch_cells(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<Vec<Cell>>, rusqlite::Error> {
        let mut statement = self.bound(sql, args)?;
        let columns = statement.column_count();
        let mut rows = statement.raw_query();
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let mut cells = Vec::with_capacity(columns);
        for i in 0..columns {
            cells.push(match row.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Int(v),
                ValueRef::Text(v) => Cell::Text(String::from_utf8_lossy(v).into_owned()),
                ValueRef::Real(_) | ValueRef::Blob(_) => Cell::Other,
            });
        }
        Ok(Some(cells))
    }
}
