//! The database's files are readable by their owner only: they hold password hashes, the CSRF
//! key and (without a master key) signing keys. A missing file is created 0600 before SQLite
//! opens it, and the file with its `-wal` and `-shm` companions is tightened to 0600 after
//! opening, so a database made by an older Keygate (0644) is fixed at its next start.

use std::path::{Path, PathBuf};

/// Owner read and write, nothing for anyone else.
#[cfg(unix)]
const OWNER_ONLY: u32 = 0o600;

/// The companions SQLite keeps beside a database in WAL mode (and the rollback journal).
const COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Creates `path` empty and owner-only unless it exists (an empty file is an empty database).
pub(crate) fn create_owner_only(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, OWNER_ONLY);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Takes every permission but the owner's read and write away from the database file and its
/// companions that exist.
pub(crate) fn tighten(path: &Path) -> std::io::Result<()> {
    for file in std::iter::once(path.to_path_buf()).chain(companions(path)) {
        tighten_one(&file)?;
    }
    Ok(())
}

fn companions(path: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    COMPANIONS.iter().map(move |suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    })
}

#[cfg(unix)]
fn tighten_one(file: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = match std::fs::metadata(file) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(OWNER_ONLY))?;
        tracing::info!(file = %file.display(), "made the database file readable by its owner only");
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten_one(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
#[allow(
    clippy::unwrap_used,
    reason = "a test should fail loudly at the line that broke"
)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_is_owner_only_and_old_loose_files_are_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        create_owner_only(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        let wal = dir.path().join("k.db-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o664)).unwrap();
        tighten(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&wal), 0o600);
        // An existing file is left as it is by create.
        std::fs::write(&db, b"kept").unwrap();
        create_owner_only(&db).unwrap();
        assert_eq!(std::fs::read(&db).unwrap(), b"kept");
    }
}
