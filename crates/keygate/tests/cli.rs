//! The admin CLI against a real SQLite file: accounts, apps, and refusals that write nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn keygate(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args(args)
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .env_remove("KEYGATE_CONFIG")
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

fn world() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keygate.db");
    let out = keygate(
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
    );
    let user = ok_json(out);
    assert_eq!(user["email"], "ana@example.com");
    (dir, db)
}

#[test]
fn user_create_refuses_a_duplicate_email_whatever_its_case() {
    let (_dir, db) = world();
    let out = keygate(
        &db,
        &[
            "user",
            "create",
            "--email",
            "ANA@example.com",
            "--name",
            "Ana 2",
            "--password",
            "long enough",
        ],
    );
    refused(&out, "already exists");
}

#[test]
fn user_create_refuses_bad_emails_and_short_passwords_and_writes_nothing() {
    let (_dir, db) = world();
    for email in ["not-an-email", "a@b", "two@@example.com", ""] {
        let out = keygate(
            &db,
            &[
                "user",
                "create",
                "--email",
                email,
                "--name",
                "X",
                "--password",
                "long enough",
            ],
        );
        refused(&out, "email");
    }
    let out = keygate(
        &db,
        &[
            "user",
            "create",
            "--email",
            "bob@example.com",
            "--name",
            "Bob",
            "--password",
            "short",
        ],
    );
    refused(&out, "at least 8");
    // Nothing was written: bob can still be created.
    let out = keygate(
        &db,
        &[
            "user",
            "create",
            "--email",
            "bob@example.com",
            "--name",
            "Bob",
            "--password",
            "long enough",
        ],
    );
    assert!(out.status.success());
}

#[test]
fn user_create_reads_the_password_from_stdin() {
    let (_dir, db) = world();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args([
            "user",
            "create",
            "--email",
            "cy@example.com",
            "--name",
            "Cy",
            "--password-stdin",
            "--json",
        ])
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from standard input\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(ok_json(out)["email"], "cy@example.com");
}

#[test]
fn org_and_project_commands_refuse_duplicates() {
    let (_dir, db) = world();
    ok_json(keygate(
        &db,
        &[
            "org",
            "create",
            "fabrikam",
            "--owner",
            "ana@example.com",
            "--json",
        ],
    ));
    refused(
        &keygate(
            &db,
            &["org", "create", "Fabrikam", "--owner", "ana@example.com"],
        ),
        "already exists",
    );
    refused(
        &keygate(
            &db,
            &["org", "create", "bad name", "--owner", "ana@example.com"],
        ),
        "organization name",
    );
    refused(
        &keygate(&db, &["org", "create", "app", "--owner", "ana@example.com"]),
        "reserved",
    );
    refused(
        &keygate(
            &db,
            &["org", "create", "contoso", "--owner", "nobody@example.com"],
        ),
        "no user",
    );
    refused(
        &keygate(&db, &["org", "add-member", "fabrikam", "ana@example.com"]),
        "already a member",
    );
    let p = ok_json(keygate(
        &db,
        &["project", "create", "fabrikam", "Fabrikam-Fiber", "--json"],
    ));
    assert_eq!(p["default_repository"], "Fabrikam-Fiber");
    refused(
        &keygate(&db, &["project", "create", "fabrikam", "fabrikam-fiber"]),
        "already exists",
    );
    refused(
        &keygate(&db, &["project", "create", "nowhere", "P"]),
        "no organization",
    );
    let policy = ok_json(keygate(
        &db,
        &[
            "org",
            "policy",
            "fabrikam",
            "--third-party-oauth",
            "deny",
            "--json",
        ],
    ));
    assert_eq!(policy["third_party_oauth"], "deny");
}

#[test]
fn app_commands_create_list_show_regenerate_and_delete() {
    let (_dir, db) = world();
    let created = ok_json(keygate(
        &db,
        &[
            "app",
            "create",
            "--owner",
            "ana@example.com",
            "--name",
            "Fiber",
            "--company",
            "Fabrikam",
            "--website",
            "https://fabrikam.example",
            "--callback-url",
            "https://localhost:5001/oauth/callback",
            "--scopes",
            "vso.work vso.code_write",
            "--json",
        ],
    ));
    let id = created["app_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(id, id.to_uppercase());
    assert_eq!(secret.split('.').count(), 3);
    let list = ok_json(keygate(
        &db,
        &["app", "list", "--owner", "ana@example.com", "--json"],
    ));
    assert_eq!(list.as_array().unwrap().len(), 1);
    let shown = ok_json(keygate(&db, &["app", "show", &id.to_lowercase(), "--json"]));
    assert_eq!(shown["scopes"], "vso.code_write vso.work");
    let regenerated = ok_json(keygate(&db, &["app", "regenerate-secret", &id, "--json"]));
    assert_ne!(regenerated["client_secret"].as_str().unwrap(), secret);
    ok_json(keygate(&db, &["app", "delete", &id, "--json"]));
    refused(&keygate(&db, &["app", "show", &id]), "no app");
    refused(
        &keygate(
            &db,
            &[
                "app",
                "create",
                "--owner",
                "ana@example.com",
                "--name",
                "Bad",
                "--company",
                "C",
                "--website",
                "https://c.example",
                "--callback-url",
                "http://c.example/cb",
                "--scopes",
                "vso.work",
            ],
        ),
        "callback_url must start with https://",
    );
    let list = ok_json(keygate(&db, &["app", "list", "--json"]));
    assert!(
        list.as_array().unwrap().is_empty(),
        "the refused app was not written"
    );
}

#[test]
fn the_human_readable_app_list_is_a_table() {
    let (_dir, db) = world();
    let out = keygate(&db, &["app", "list"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("APP ID"));
}
