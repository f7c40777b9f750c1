//! The admin CLI's standard-OAuth commands against a real SQLite file: public apps and signing
//! key rotation.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn keygate(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args(args)
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .env_remove("KEYGATE_CONFIG")
        .env_remove("KEYGATE_SIGNING_ALGORITHM")
        .output()
        .unwrap()
}

fn ok_json(out: Output) -> Value {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn refused(out: &Output, message: &str) {
    assert!(!out.status.success(), "should have failed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(message), "stderr was: {err}");
}

fn world() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keygate.db");
    ok_json(keygate(
        &db,
        &[
            "user",
            "create",
            "--email",
            "ana@example.com",
            "--name",
            "Ana",
            "--password",
            "long enough",
            "--json",
        ],
    ));
    (dir, db)
}

fn create_app(db: &Path, callback: &str, public: bool) -> Output {
    let mut args = vec![
        "app",
        "create",
        "--owner",
        "ana@example.com",
        "--name",
        "Fiber CLI",
        "--company",
        "Fabrikam",
        "--website",
        "https://fabrikam.example",
        "--callback-url",
        callback,
        "--scopes",
        "vso.work",
        "--json",
    ];
    if public {
        args.push("--public");
    }
    keygate(db, &args)
}

#[test]
fn a_public_app_gets_no_secret_and_only_public_apps_may_use_native_callbacks() {
    let (_dir, db) = world();
    let app = ok_json(create_app(&db, "http://127.0.0.1/callback", true));
    assert_eq!(app["client_type"], "public");
    assert!(app["client_secret"].is_null());
    let native = ok_json(create_app(&db, "com.fabrikam.fiber:/callback", true));
    assert_eq!(native["client_type"], "public");
    refused(
        &create_app(&db, "http://127.0.0.1/callback", false),
        "callback_url",
    );
    let confidential = ok_json(create_app(&db, "https://fabrikam.example/cb", false));
    assert!(confidential["client_secret"].as_str().unwrap().len() > 100);
}

fn keys(db: &Path) -> Vec<Value> {
    ok_json(keygate(db, &["keys", "list", "--json"]))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn keys_rotate_publishes_a_next_key_that_signs_after_the_publish_ahead_delay() {
    let (_dir, db) = world();
    let first = keys(&db);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["state"], "active");
    assert_eq!(first[0]["algorithm"], "ES256");

    let next = ok_json(keygate(
        &db,
        &["keys", "rotate", "--algorithm", "RS256", "--json"],
    ));
    assert_eq!(next["state"], "next");
    assert_eq!(next["algorithm"], "RS256");
    assert_eq!(
        next["signs_from"].as_i64().unwrap(),
        next["created_at"].as_i64().unwrap() + 600
    );
    refused(
        &keygate(&db, &["keys", "rotate", "--json"]),
        "is one already waiting",
    );
    let listed = keys(&db);
    assert_eq!(listed.len(), 2);
    let state = |kid: &Value| listed.iter().find(|k| &k["kid"] == kid).unwrap()["state"].clone();
    assert_eq!(state(&first[0]["kid"]), "active");
    assert_eq!(state(&next["kid"]), "next");
}

#[test]
fn keys_rotate_immediately_signs_at_once_and_keeps_the_old_key_published_as_retired() {
    let (_dir, db) = world();
    let old = keys(&db)[0]["kid"].clone();
    let new = ok_json(keygate(
        &db,
        &[
            "keys",
            "rotate",
            "--algorithm",
            "eddsa",
            "--immediately",
            "--json",
        ],
    ));
    assert_eq!(new["state"], "active");
    assert_eq!(new["algorithm"], "EdDSA");
    let listed = keys(&db);
    let retired = listed.iter().find(|k| k["kid"] == old).unwrap();
    assert_eq!(retired["state"], "retired");
    assert!(retired["retired_at"].is_i64());
}

#[test]
fn an_unknown_signing_algorithm_is_refused() {
    let (_dir, db) = world();
    refused(
        &keygate(&db, &["keys", "rotate", "--algorithm", "HS256"]),
        "unsupported signing algorithm HS256",
    );
    assert_eq!(keys(&db).len(), 1);
}
