//! Reading every row into a backend-neutral [`Dump`] and writing one back, for `keygate db
//! copy`. Each table is read and written through its row type: the columns the dump carries are
//! the row type's, so a column the row type lacks cannot go unnoticed (see [`TABLES`] and the
//! backends' schema tests).
//!
//! The export reads in one snapshot (SQLite: one read transaction, in WAL mode; PostgreSQL:
//! `REPEATABLE READ, READ ONLY`), each table ordered by its key. The import writes in one
//! transaction, parents first: SQLite row by row with foreign keys checked at commit
//! (`defer_foreign_keys`), PostgreSQL one `unnest` insert per table after locking every table
//! against other writers, then moving the identity sequences past the copied numbers.
//! Explicit `seq` and `id` values move SQLite's AUTOINCREMENT counters by themselves.

mod tables;

pub use tables::TABLES;

use std::collections::BTreeSet;

use keygate_core::dump::Dump;
use keygate_core::StoreError;

use crate::arg::Arg;
use crate::conn::{Conn, Dialect, PerDialect};
use crate::error::DbResultExt;
use crate::rows::{all, Unparsed};
use crate::table::Table;

/// Every row of `R`'s table, by key, converted.
async fn export<C: Conn, R: Table, T>(conn: &mut C) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R>,
    T::Error: Unparsed,
{
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        R::COLUMN_LIST,
        R::TABLE,
        R::KEY
    );
    let found: Vec<R> = conn.fetch_all(&sql, &[]).await.db()?;
    all(found)
}

/// Writes `rows` into `R`'s table.
async fn import<C: Conn, R: Table, T: Into<R>>(
    conn: &mut C,
    rows: Vec<T>,
) -> Result<(), StoreError> {
    let rows: Vec<R> = rows.into_iter().map(Into::into).collect();
    match C::DIALECT {
        Dialect::Sqlite => {
            for row in &rows {
                conn.execute(R::insert(), &row.args()).await.db()?;
            }
        }
        Dialect::Postgres => {
            let placeholders: Vec<String> =
                (1..=R::COLUMNS.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "INSERT INTO {} ({}) SELECT * FROM unnest({})",
                R::TABLE,
                R::COLUMN_LIST,
                placeholders.join(", ")
            );
            let columns: Vec<Arg<'_>> = R::arrays(rows).into_iter().map(Arg::Array).collect();
            conn.execute(&sql, &columns).await.db()?;
        }
    }
    Ok(())
}

/// Reads every table, inside the caller's snapshot transaction.
pub async fn export_dump<C: Conn>(conn: &mut C) -> Result<Dump, StoreError> {
    tables::export_all(conn).await
}

/// Writes `dump` into an empty database, inside the caller's write transaction;
/// `Conflict("data")` when any table holds a row.
pub async fn import_dump<C: Conn>(conn: &mut C, dump: Dump) -> Result<(), StoreError> {
    let names: Vec<&str> = TABLES.iter().map(|(table, _)| *table).collect();
    match C::DIALECT {
        // Foreign keys are checked at commit, so a refresh token may come before its parent.
        Dialect::Sqlite => conn.execute("PRAGMA defer_foreign_keys = ON", &[]).await,
        // Nothing else may write while the copy goes in: a node started on this database by
        // mistake waits for the copy instead of interleaving with it.
        Dialect::Postgres => {
            let sql = format!(
                "LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE",
                names.join(", ")
            );
            conn.execute(&sql, &[]).await
        }
    }
    .db()?;
    require_empty(conn, &names).await?;
    tables::import_all(conn, dump).await?;
    if C::DIALECT == Dialect::Postgres {
        move_sequences(conn).await?;
    }
    Ok(())
}

/// Fails with `Conflict("data")` unless every table is empty.
async fn require_empty<C: Conn>(conn: &mut C, tables: &[&str]) -> Result<(), StoreError> {
    let any = tables
        .iter()
        .map(|t| format!("SELECT 1 FROM {t}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let sql = format!("SELECT 1 WHERE EXISTS ({any})");
    let found: Option<(i32,)> = conn.fetch_optional(&sql, &[]).await.db()?;
    match found {
        Some(_) => Err(StoreError::Conflict("data")),
        None => Ok(()),
    }
}

/// Moves each PostgreSQL identity past the highest number copied, so new rows continue the
/// numbering.
async fn move_sequences<C: Conn>(conn: &mut C) -> Result<(), StoreError> {
    for (table, column) in [
        ("changes", "seq"),
        ("builds", "id"),
        ("work_items", "id"),
        ("audit_events", "id"),
        ("hook_outbox", "id"),
    ] {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                           COALESCE(MAX({column}), 0) + 1, false)
             FROM {table}"
        );
        conn.execute(&sql, &[]).await.db()?;
    }
    Ok(())
}

/// Every column of every table of the live schema (but sqlx's own bookkeeping), as
/// `(table, column)`.
const LIVE_COLUMNS: PerDialect = PerDialect {
    sqlite: "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'
         ORDER BY 1, 2",
    postgres: "SELECT c.table_name::text, c.column_name::text
         FROM information_schema.columns c JOIN information_schema.tables t
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
           AND c.table_name <> '_sqlx_migrations'
         ORDER BY 1, 2",
};

/// What the live schema and the dump disagree on, one line each: a table or a column the
/// database has and a dump would silently drop, or one the dump names that the database lacks.
/// Empty when a dump carries everything.
pub async fn schema_gaps<C: Conn>(conn: &mut C) -> Result<Vec<String>, StoreError> {
    let live: Vec<(String, String)> = conn
        .fetch_all(C::DIALECT.pick(&LIVE_COLUMNS), &[])
        .await
        .db()?;
    Ok(gaps(&live, TABLES))
}

/// Compares the live `(table, column)` pairs with the tables and columns a dump carries.
fn gaps(live: &[(String, String)], carried: &[(&str, &[&str])]) -> Vec<String> {
    let live: BTreeSet<(&str, &str)> = live.iter().map(|(t, c)| (t.as_str(), c.as_str())).collect();
    let carried: BTreeSet<(&str, &str)> = carried
        .iter()
        .flat_map(|(table, columns)| columns.iter().map(move |column| (*table, *column)))
        .collect();
    let dropped = live
        .difference(&carried)
        .map(|(t, c)| format!("{t}.{c} is in the database but not carried by the dump"));
    let unknown = carried
        .difference(&live)
        .map(|(t, c)| format!("{t}.{c} is carried by the dump but not in the database"));
    dropped.chain(unknown).collect()
}

#[cfg(test)]
mod tests {
    use super::gaps;

    #[test]
    fn a_column_or_table_the_dump_does_not_carry_is_a_gap() {
        let live: Vec<(String, String)> = [("apps", "id"), ("apps", "note"), ("extra", "x")]
            .iter()
            .map(|(t, c)| (t.to_string(), c.to_string()))
            .collect();
        let carried: &[(&str, &[&str])] = &[("apps", &["id", "name"])];
        assert_eq!(
            gaps(&live, carried),
            [
                "apps.note is in the database but not carried by the dump",
                "extra.x is in the database but not carried by the dump",
                "apps.name is carried by the dump but not in the database",
            ]
        );
        let everything: &[(&str, &[&str])] = &[("apps", &["id", "note"]), ("extra", &["x"])];
        assert!(gaps(&live, everything).is_empty());
    }
}
