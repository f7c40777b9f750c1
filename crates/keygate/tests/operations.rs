//! The operations CLI against a real SQLite file and real `keygate serve` processes: the audit
//! log, admin tokens, the alternative secret, lifetimes with units, the emulator's loopback rule,
//! idempotent seeding, and metrics on their own listener.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::Path;
use std::process::{Command, Stdio};

use keygate_testkit::process::command;
use keygate_testkit::{free_port, ok_json, tokens_from, wait_until_answers, Cli, Server};
use serde_json::Value;

const KEYGATE: &str = env!("CARGO_BIN_EXE_keygate");

/// A database with the user and an app of hers: the CLI on it, and the App ID.
fn world() -> (tempfile::TempDir, Cli, String) {
    let dir = tempfile::tempdir().unwrap();
    let kg = Cli::sqlite(KEYGATE, &dir.path().join("keygate.db"));
    kg.create_user();
    let (id, _) = kg.new_app("Fiber", "vso.profile");
    (dir, kg, id)
}

#[test]
fn regenerating_the_alternative_secret_keeps_the_primary_and_both_land_in_the_audit_log() {
    let (_dir, kg, id) = world();
    let alt = ok_json(kg.run(&["app", "regenerate-secret", &id, "--alternative", "--json"]));
    assert_eq!(alt["slot"], "alternative");
    let primary = ok_json(kg.run(&["app", "regenerate-secret", &id, "--json"]));
    assert_eq!(primary["slot"], "primary");
    let events = ok_json(kg.run(&["audit", "list", "--json"]));
    let events = events.as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["secret_regenerated", "secret_regenerated", "app_registered"]
    );
    assert!(events
        .iter()
        .all(|e| e["actor"] == "cli" && e["app_id"] == id.as_str()));
    assert!(events[1]["detail"]
        .as_str()
        .unwrap()
        .starts_with("slot=alternative"));
    let dump = serde_json::to_string(events).unwrap();
    for secret in [&alt["client_secret"], &primary["client_secret"]] {
        assert!(!dump.contains(secret.as_str().unwrap()), "a secret leaked");
    }
    // A table for people, and filters by time and app.
    let table = kg.run(&["audit", "list", "--since", "1h"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.starts_with("AT") && text.contains("app_registered"),
        "{text}"
    );
    let future = ok_json(kg.run(&["audit", "list", "--since", "2999-01-01T00:00:00Z", "--json"]));
    assert_eq!(future, Value::Array(vec![]));
    let bad = kg.run(&["audit", "list", "--since", "last tuesday"]);
    assert!(!bad.status.success());
}

#[test]
fn admin_tokens_are_shown_once_stored_hashed_listed_and_revoked() {
    let (dir, kg, _) = world();
    let made = ok_json(kg.run(&["admin-token", "create", "--name", "deploys", "--json"]));
    let token = made["token"].as_str().unwrap();
    assert!(token.starts_with("kgat_"));
    let listed = ok_json(kg.run(&["admin-token", "list", "--json"]));
    assert_eq!(listed[0]["name"], "deploys");
    assert!(!listed.to_string().contains(token));
    let bytes = std::fs::read(dir.path().join("keygate.db")).unwrap();
    assert!(
        !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token itself is stored"
    );
    let id = made["id"].as_str().unwrap();
    ok_json(kg.run(&["admin-token", "revoke", id, "--json"]));
    assert!(!kg.run(&["admin-token", "revoke", id]).status.success());
    let kinds: Vec<String> = ok_json(kg.run(&["audit", "list", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds[..2], ["admin_token_revoked", "admin_token_created"]);
}

/// `keygate serve <args>` over the SQLite file `db`, its output captured.
fn serve(db: &Path, args: &[&str]) -> Command {
    let mut cmd = command(KEYGATE);
    cmd.arg("serve")
        .args(args)
        .args(["--database-url", &keygate_testkit::sqlite_url(db)])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn the_emulator_refuses_a_non_loopback_listen_address_and_bad_lifetimes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keygate.db");
    let out = serve(&db, &["--emulator", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    let out = serve(
        &db,
        &["--listen", "127.0.0.1:0", "--access-token-lifetime", "0s"],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a lifetime"));
    let out = serve(&db, &["--auto-approve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "--auto-approve needs --emulator");
}

#[tokio::test]
async fn a_lifetime_with_a_unit_sets_the_token_lifetime_and_seeding_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keygate.db");
    let seed = dir.path().join("seed.toml");
    std::fs::write(
        &seed,
        format!(
            "[[users]]\nemail = \"ana@example.com\"\npassword = \"long enough\"\n\n\
             [[apps]]\nid = \"{APP}\"\nowner = \"ana@example.com\"\nname = \"Fiber\"\n\
             company = \"Fabrikam\"\nwebsite = \"https://fabrikam.example\"\n\
             callback_url = \"{cb}\"\nscopes = \"vso.profile\"\nclient_secret = \"{SECRET}\"\n",
            cb = keygate_testkit::CALLBACK
        ),
    )
    .unwrap();
    for _ in 0..2 {
        let port = free_port();
        let child = serve(
            &db,
            &[
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--seed",
                seed.to_str().unwrap(),
                "--access-token-lifetime",
                "30s",
            ],
        )
        .spawn()
        .unwrap();
        let node = Server::adopt(child, port).await;
        let (_, token) = tokens_from(
            &node.base,
            "ana@example.com",
            "long enough",
            "vso.profile",
            APP,
            SECRET,
        )
        .await;
        let payload = token.split('.').nth(1).unwrap();
        let claims: Value = serde_json::from_slice(
            &base64::engine::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                payload,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap(),
            30
        );
    }
    let kg = Cli::sqlite(KEYGATE, &db);
    let apps = ok_json(kg.run(&["app", "list", "--json"]));
    assert_eq!(apps.as_array().unwrap().len(), 1);
    let kinds: Vec<String> = ok_json(kg.run(&["audit", "list", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "app_registered").count(), 1);
}

const APP: &str = "6F8A3C2E-4B1D-4E9A-9C7F-2D5B8E1A0C34";
const SECRET: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJjaWQiOiI2ZjhhM2MyZS00YjFkLTRlOWEtOWM3Zi0yZDViOGUxYTBjMzQiLCJjc2kiOiJzZWVkZWQiLCJybmQiOiJFeFVXbzg3OWxYRjc2SGR0YUVjRXpEUkdxYmRybGRzUHV0bUtoeXljamNvIn0.lt_gJRPsghx_LyZgQCubeoMmjVEuIZW-mifGY8xz0G9C7mJN3QFUhU4lOMBEB47iSoxAmwTckBlsh-ej5h3V_Q";

#[tokio::test]
async fn metrics_listen_serves_metrics_apart_from_the_public_listener() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keygate.db");
    let (port, metrics_port) = (free_port(), free_port());
    let child = serve(
        &db,
        &[
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--metrics-listen",
            &format!("127.0.0.1:{metrics_port}"),
        ],
    )
    .spawn()
    .unwrap();
    let node = Server::adopt(child, port).await;
    let public = reqwest::get(format!("{}/metrics", node.base))
        .await
        .unwrap();
    assert_eq!(public.status(), reqwest::StatusCode::NOT_FOUND);
    let metrics = format!("http://127.0.0.1:{metrics_port}/metrics");
    let text = wait_until_answers(&reqwest::Client::new(), &metrics)
        .await
        .text()
        .await
        .unwrap();
    assert!(text.contains(r#"route="/readyz",status="200""#), "{text}");
}
