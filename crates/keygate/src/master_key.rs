//! Where the master key that seals the signing keys comes from: the configured file or
//! variable, else (for SQLite) a key file Keygate keeps beside the database, made on first start.
//!
//! The generated file is `<database>.master-key`, created owner-only (0600). A copy of the
//! database alone then holds only sealed keys. A database whose keys are already sealed never
//! gets a made-up key: it needs the key it was sealed with. PostgreSQL has no file to sit beside,
//! so there the key must be configured, and a server without one warns at every start.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use keygate_core::keys::at_rest::{self, MasterKey};
use keygate_core::Store;

use crate::hardening::Hardening;
use crate::storage::Backend;

/// Where the installed master key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MasterKeySource {
    /// `--master-key-file`, `KEYGATE_MASTER_KEY_FILE` or `KEYGATE_MASTER_KEY`.
    Configured,
    /// The key file beside the SQLite database, made now (`true`) or earlier.
    BesideDatabase(PathBuf, bool),
    /// None: signing keys are stored in the clear (PostgreSQL without a configured key), or the
    /// database's keys are sealed and opening them will fail, naming what is missing.
    Absent,
}

/// The warning a server logs when it runs without a master key.
pub(crate) const NO_MASTER_KEY_WARNING: &str = "NO MASTER KEY: signing keys are stored UNENCRYPTED in the database, so anyone with a copy of it can mint tokens. Set KEYGATE_MASTER_KEY_FILE to a file holding 32 random bytes (for example `head -c 32 /dev/urandom | base64 > master.key`).";

/// The key file Keygate keeps beside the SQLite database at `database`.
pub(crate) fn beside(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".master-key");
    PathBuf::from(name)
}

/// Installs the master key for the database at `database_url` (already opened as `store`), as
/// the module describes, and says where it came from.
pub(crate) async fn install(
    h: &Hardening,
    database_url: &str,
    store: &Arc<dyn Store>,
) -> anyhow::Result<MasterKeySource> {
    if at_rest::is_installed() {
        return Ok(MasterKeySource::Configured);
    }
    if let Some(key) = configured(h)? {
        at_rest::install(key)?;
        return Ok(MasterKeySource::Configured);
    }
    let Some(database) = (Backend::of(database_url) == Some(Backend::Sqlite))
        .then(|| keygate_store_sqlite::database_path(database_url))
        .flatten()
    else {
        return Ok(MasterKeySource::Absent);
    };
    let path = beside(&database);
    if path.exists() {
        at_rest::install(read(&path)?)?;
        return Ok(MasterKeySource::BesideDatabase(path, false));
    }
    if at_rest::holds_sealed_keys(store.as_ref()).await? {
        return Ok(MasterKeySource::Absent);
    }
    let (key, text) = MasterKey::generate()?;
    let created = create_once(&path, &text)
        .with_context(|| format!("could not create the master key file {}", path.display()))?;
    if !created {
        // Another node on the same database made it first: use theirs.
        at_rest::install(read(&path)?)?;
        return Ok(MasterKeySource::BesideDatabase(path, false));
    }
    at_rest::install(key)?;
    Ok(MasterKeySource::BesideDatabase(path, true))
}

/// Creates the key file at `path` holding `text`, whole or not at all: written and synced under
/// a name of this process's own, then linked into place. `false` when the file already exists
/// (another process won the race; its file is complete).
fn create_once(path: &Path, text: &str) -> std::io::Result<bool> {
    let mut own = path.as_os_str().to_owned();
    own.push(format!(".{}.tmp", std::process::id()));
    let own = PathBuf::from(own);
    write_owner_only(&own, text)?;
    let linked = std::fs::hard_link(&own, path);
    std::fs::remove_file(&own)?;
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Logs where the master key came from (a server does at every start).
pub(crate) fn announce(source: &MasterKeySource) {
    match source {
        MasterKeySource::Configured => {
            tracing::info!("signing keys are sealed with the configured master key")
        }
        MasterKeySource::BesideDatabase(path, true) => tracing::warn!(
            file = %path.display(),
            "created a master key beside the database; signing keys are sealed with it. Keep it out of database backups and copy it with care"
        ),
        MasterKeySource::BesideDatabase(path, false) => tracing::info!(
            file = %path.display(),
            "signing keys are sealed with the master key beside the database"
        ),
        MasterKeySource::Absent => tracing::warn!("{NO_MASTER_KEY_WARNING}"),
    }
}

/// The configured master key: the file given by flag or config file, else
/// `KEYGATE_MASTER_KEY_FILE` or `KEYGATE_MASTER_KEY` in the environment.
fn configured(h: &Hardening) -> anyhow::Result<Option<MasterKey>> {
    let file = h
        .master_key_file
        .clone()
        .or_else(|| std::env::var_os("KEYGATE_MASTER_KEY_FILE").map(PathBuf::from));
    if let Some(path) = file {
        return read(&path).map(Some);
    }
    match std::env::var("KEYGATE_MASTER_KEY") {
        Ok(text) => Ok(Some(
            MasterKey::from_text_or_bytes(text.as_bytes())
                .context("KEYGATE_MASTER_KEY is unusable")?,
        )),
        Err(_) => Ok(None),
    }
}

/// The master key in the file at `path`.
pub(crate) fn read(path: &Path) -> anyhow::Result<MasterKey> {
    let contents = std::fs::read(path)
        .with_context(|| format!("could not read the master key file {}", path.display()))?;
    MasterKey::from_text_or_bytes(&contents)
        .with_context(|| format!("the master key file {} is unusable", path.display()))
}

/// Writes `text` to a new owner-only file at `path` and syncs it (it must never be lost once
/// keys are sealed with it).
pub(crate) fn write_owner_only(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}
