//! Signing keys at rest: with a master key the database holds them sealed, the server restarts
//! with the same key, and refuses to start with a wrong or missing one; without a master key the
//! server warns at start.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

use std::path::Path;
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

#[tokio::test]
async fn without_a_master_key_the_server_warns_at_start_and_stores_keys_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let port = free_port();
    let mut child = serve(&db, port, None)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    healthy(port).await;
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(log.contains("NO MASTER KEY"), "{log}");
    assert!(stored_keys(&db)
        .await
        .iter()
        .all(|der| !der.starts_with(b"KGSEAL1\0")));
}
