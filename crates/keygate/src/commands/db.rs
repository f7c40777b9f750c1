//! `keygate db copy`: moves a deployment from one database to another (SQLite to PostgreSQL when
//! a team outgrows one machine, or back), keeping every registration and live credential.
//!
//! The copy goes through the backend-neutral [`Dump`](keygate_core::dump::Dump): the source
//! exports every row in one consistent snapshot, the target imports it in one transaction (and
//! refuses if it already holds anything), and the target is then exported again and compared
//! with what was read, so a copy that reports success is exact.

use std::path::Path;

use anyhow::Context;
use keygate_core::dump::{self, CopyError};
use keygate_core::Data;
use keygate_store_postgres::PoolSettings;
use serde_json::{json, Value};

use crate::cli::DbCommand;
use crate::master_key;
use crate::output::print;
use crate::settings::ConfigFile;
use crate::storage::{self, redact, Backend};

/// Runs a `db` subcommand.
pub(super) async fn run(cmd: DbCommand) -> anyhow::Result<()> {
    let DbCommand::Copy {
        from,
        to,
        config,
        pool,
        json,
    } = cmd;
    let file = ConfigFile::load(config.as_deref())?;
    let pool = crate::db_pool::resolve(&pool, &file)?;
    let counts = copy(&from, &to, &pool).await?;
    let master_key = carry_master_key(&from, &to)?;
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let value = json!({
        "from": redact(&from),
        "to": redact(&to),
        "rows": total,
        "master_key_file": master_key.as_ref().map(|k| k.file.display().to_string()),
        "tables": counts.iter().map(|(t, n)| (t.to_string(), json!(n))).collect::<serde_json::Map<String, Value>>(),
    });
    let rows: Vec<Vec<String>> = counts
        .iter()
        .map(|(t, n)| vec![t.to_string(), n.to_string()])
        .collect();
    print(json, &value, &["TABLE", "ROWS"], &rows);
    if !json {
        println!(
            "copied and verified {total} rows from {} to {}",
            redact(&from),
            redact(&to)
        );
    }
    match master_key {
        Some(MasterKeyCarried { file, copied: true }) => eprintln!(
            "the master key that seals the signing keys was copied to {}",
            file.display()
        ),
        Some(MasterKeyCarried { file, copied: false }) => eprintln!(
            "the signing keys are sealed with the master key in {}: start servers on the copy with KEYGATE_MASTER_KEY_FILE={}",
            file.display(),
            file.display()
        ),
        None => {}
    }
    Ok(())
}

/// The master key file that goes with a copy.
struct MasterKeyCarried {
    /// The key file servers on the copy use.
    file: std::path::PathBuf,
    /// Whether it was copied beside the target (SQLite to SQLite).
    copied: bool,
}

/// The sealed signing keys travel as they are, so their key must go with them: from a SQLite
/// source's key file to a new one beside a SQLite target, or, for a PostgreSQL target, named
/// for the operator to configure.
fn carry_master_key(from: &str, to: &str) -> anyhow::Result<Option<MasterKeyCarried>> {
    let sqlite_path = |url: &str| {
        (Backend::of(url) == Some(Backend::Sqlite))
            .then(|| keygate_store_sqlite::database_path(url))
            .flatten()
    };
    let Some(source_key) = sqlite_path(from)
        .map(|db| master_key::beside(&db))
        .filter(|k| k.exists())
    else {
        return Ok(None);
    };
    let Some(target) = sqlite_path(to) else {
        return Ok(Some(MasterKeyCarried {
            file: source_key,
            copied: false,
        }));
    };
    let target_key = master_key::beside(&target);
    let text = std::fs::read_to_string(&source_key)
        .with_context(|| format!("could not read the master key {}", source_key.display()))?;
    master_key::write_owner_only(&target_key, text.trim()).with_context(|| {
        format!(
            "the rows are copied, but the master key could not be copied to {}",
            target_key.display()
        )
    })?;
    Ok(Some(MasterKeyCarried {
        file: target_key,
        copied: true,
    }))
}

/// The file an `sqlite:` URL names.
fn sqlite_file(url: &str) -> &str {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    path.split('?').next().unwrap_or(path)
}

/// Copies every row from `from` into the empty database `to`, each opened with `pool`; returns
/// the rows per table.
pub(super) async fn copy(
    from: &str,
    to: &str,
    pool: &PoolSettings,
) -> anyhow::Result<Vec<(&'static str, usize)>> {
    anyhow::ensure!(from != to, "--from and --to name the same database");
    let source_backend = Backend::of(from).with_context(|| {
        format!(
            "unsupported database URL {}: use sqlite://path or postgres://...",
            redact(from)
        )
    })?;
    // Opening an SQLite URL creates a missing file; a typo must not copy an empty database.
    if source_backend == Backend::Sqlite {
        let file = sqlite_file(from);
        anyhow::ensure!(
            Path::new(file).exists(),
            "the source database {file} does not exist"
        );
    }
    let source = Data::new(storage::open_with(from, pool).await?);
    let dump = dump::read_all(&source).await.map_err(|e| match e {
        CopyError::SourceEmpty => {
            anyhow::anyhow!("the source database {} holds nothing to copy", redact(from))
        }
        other => anyhow::Error::new(other),
    })?;
    let counts = dump.counts();
    // Opened only now: opening an SQLite URL creates the file.
    let target = Data::new(storage::open_with(to, pool).await?);
    dump::write_all(&target, &dump).await.map_err(|e| match e {
        CopyError::TargetNotEmpty => anyhow::anyhow!(
            "the target database {} is not empty: copy only into a new, empty database",
            redact(to)
        ),
        CopyError::Mismatch => anyhow::anyhow!(
            "the target database does not read back what was written; do not use it"
        ),
        other => anyhow::Error::new(other),
    })?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_file("sqlite://data/keygate.db"), "data/keygate.db");
        assert_eq!(sqlite_file("sqlite:keygate.db?mode=rwc"), "keygate.db");
        assert_eq!(sqlite_file("sqlite:///abs/k.db"), "/abs/k.db");
    }
}
