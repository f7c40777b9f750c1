//! Signing keys and files at rest: with a master key the database holds the keys sealed, the
//! server restarts with the same key, and refuses to start with a wrong or missing one; without a
//! configured one, SQLite gets a key file beside the database; the files are owner-only; the
//! master key rotates.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use keygate_testkit::process::command;
use keygate_testkit::{free_port, sqlite_url, wait_until_answers, Process};
use sqlx::{ConnectOptions, Row};

fn serve(db: &Path, port: u16, master_key_file: Option<&Path>) -> Command {
    let mut cmd = command(env!("CARGO_BIN_EXE_keygate"));
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &sqlite_url(db)]);
    if let Some(file) = master_key_file {
        cmd.env("KEYGATE_MASTER_KEY_FILE", file);
    }
    cmd
}

/// Waits until the server on `port` answers `/healthz`.
async fn healthy(port: u16) {
    let url = format!("http://127.0.0.1:{port}/healthz");
    wait_until_answers(&reqwest::Client::new(), &url).await;
}

async fn start(db: &Path, master_key_file: Option<&Path>) -> Process {
    let port = free_port();
    let child = serve(db, port, master_key_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let process = Process(child);
    healthy(port).await;
    process
}

/// Runs a server that must fail to start, and returns its output.
fn fails_to_start(db: &Path, master_key_file: Option<&Path>) -> Output {
    let out = serve(db, free_port(), master_key_file).output().unwrap();
    assert!(!out.status.success(), "the server started");
    out
}

async fn stored_keys(db: &Path) -> Vec<Vec<u8>> {
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .connect()
        .await
        .unwrap();
    sqlx::query("SELECT private_der FROM signing_keys")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.get::<Vec<u8>, _>(0))
        .collect()
}

#[tokio::test]
async fn with_a_master_key_signing_keys_are_stored_sealed_and_need_that_key_to_load() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let key = dir.path().join("master.key");
    std::fs::write(&key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n").unwrap();
    drop(start(&db, Some(&key)).await);

    let stored = stored_keys(&db).await;
    assert!(!stored.is_empty());
    for der in &stored {
        assert!(
            der.starts_with(b"KGSEAL1\0"),
            "a signing key is stored in the clear"
        );
    }
    // The same key opens them again.
    drop(start(&db, Some(&key)).await);

    let wrong = dir.path().join("wrong.key");
    std::fs::write(&wrong, [7u8; 32]).unwrap();
    let out = fails_to_start(&db, Some(&wrong));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not decrypt with this master key"),
        "{err}"
    );

    let out = fails_to_start(&db, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the signing keys are encrypted"), "{err}");
}

#[tokio::test]
async fn a_master_key_file_that_is_not_32_bytes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("short.key");
    std::fs::write(&key, "c2hvcnQ=").unwrap();
    let out = fails_to_start(&dir.path().join("k.db"), Some(&key));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("32 random bytes"), "{err}");
}

/// Starts a server without a configured master key, stops it, and returns its log.
async fn run_without_configured_key(db: &Path) -> String {
    let port = free_port();
    let mut child = serve(db, port, None)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    healthy(port).await;
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn all_sealed(keys: &[Vec<u8>]) -> bool {
    !keys.is_empty() && keys.iter().all(|der| der.starts_with(b"KGSEAL1\0"))
}

#[tokio::test]
async fn without_a_configured_master_key_sqlite_gets_one_beside_the_database_and_owner_only_files()
{
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let key_file = beside(&db, ".master-key");
    let log = run_without_configured_key(&db).await;
    assert!(
        log.contains("created a master key beside the database"),
        "{log}"
    );
    assert!(log.contains(&key_file.display().to_string()), "{log}");
    assert!(!log.contains("NO MASTER KEY"), "{log}");
    for file in [
        db.clone(),
        beside(&db, "-wal"),
        beside(&db, "-shm"),
        key_file.clone(),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert!(all_sealed(&stored_keys(&db).await));
    // The next start uses the same key and makes no other.
    let before = std::fs::read(&key_file).unwrap();
    let log = run_without_configured_key(&db).await;
    assert!(
        log.contains("sealed with the master key beside the database"),
        "{log}"
    );
    assert_eq!(std::fs::read(&key_file).unwrap(), before);
}

#[tokio::test]
async fn a_copy_of_the_database_alone_cannot_mint_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    run_without_configured_key(&db).await;
    // The copy takes the database and its WAL, as a backup or a curious local user would.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("k.db");
    std::fs::copy(&db, &copy).unwrap();
    std::fs::copy(beside(&db, "-wal"), beside(&copy, "-wal")).unwrap();
    // The signing keys in it are sealed: no usable private key is there to sign with.
    assert!(all_sealed(&stored_keys(&copy).await));
    // Keygate itself cannot sign with the copy either: it refuses to start, and makes up no key.
    let out = fails_to_start(&copy, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the signing keys are encrypted"), "{err}");
    assert!(!beside(&copy, ".master-key").exists());
    let guess = elsewhere.path().join("guess.key");
    std::fs::write(&guess, [9u8; 32]).unwrap();
    let out = fails_to_start(&copy, Some(&guess));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not decrypt with this master key"),
        "{err}"
    );
}

#[tokio::test]
async fn rotating_the_master_key_reseals_every_key_and_the_old_key_no_longer_opens_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let key_file = beside(&db, ".master-key");
    run_without_configured_key(&db).await;
    let old_key = dir.path().join("old.key");
    std::fs::copy(&key_file, &old_key).unwrap();
    let before = stored_keys(&db).await;

    let out = command(env!("CARGO_BIN_EXE_keygate"))
        .args(["keys", "rotate-master-key", "--json"])
        .args(["--database-url", &sqlite_url(&db)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["resealed_keys"], before.len());
    assert_ne!(
        std::fs::read(&key_file).unwrap(),
        std::fs::read(&old_key).unwrap()
    );
    assert_eq!(mode(&key_file), 0o600);
    assert!(!beside(&key_file, ".new").exists());
    let after = stored_keys(&db).await;
    assert!(all_sealed(&after));
    assert_ne!(after, before);
    // The server starts with the new key beside the database, and not with the old one.
    run_without_configured_key(&db).await;
    let out = fails_to_start(&db, Some(&old_key));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not decrypt with this master key"),
        "{err}"
    );
}
