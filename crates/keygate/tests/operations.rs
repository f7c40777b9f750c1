//! The operations CLI against a real SQLite file and real `keygate serve` processes: the audit
//! log, admin tokens, the alternative secret, lifetimes with units, the emulator's loopback rule,
//! idempotent seeding, and metrics on their own listener.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{free_port, wait_ready, Node};

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

fn world() -> (tempfile::TempDir, std::path::PathBuf, String) {
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
    let app = ok_json(keygate(
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
            support::CALLBACK,
            "--scopes",
            "vso.profile",
            "--json",
        ],
    ));
    let id = app["app_id"].as_str().unwrap().to_owned();
    (dir, db, id)
}

#[test]
fn regenerating_the_alternative_secret_keeps_the_primary_and_both_land_in_the_audit_log() {
    let (_dir, db, id) = world();
    let alt = ok_json(keygate(
        &db,
        &["app", "regenerate-secret", &id, "--alternative", "--json"],
    ));
    assert_eq!(alt["slot"], "alternative");
    let primary = ok_json(keygate(&db, &["app", "regenerate-secret", &id, "--json"]));
    assert_eq!(primary["slot"], "primary");
    let events = ok_json(keygate(&db, &["audit", "list", "--json"]));
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
    let table = keygate(&db, &["audit", "list", "--since", "1h"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.starts_with("AT") && text.contains("app_registered"),
        "{text}"
    );
    let future = ok_json(keygate(
        &db,
        &["audit", "list", "--since", "2999-01-01T00:00:00Z", "--json"],
    ));
    assert_eq!(future, Value::Array(vec![]));
    let bad = keygate(&db, &["audit", "list", "--since", "last tuesday"]);
    assert!(!bad.status.success());
}

#[test]
fn admin_tokens_are_shown_once_stored_hashed_listed_and_revoked() {
    let (_dir, db, _) = world();
    let made = ok_json(keygate(
        &db,
        &["admin-token", "create", "--name", "deploys", "--json"],
    ));
    let token = made["token"].as_str().unwrap();
    assert!(token.starts_with("kgat_"));
    let listed = ok_json(keygate(&db, &["admin-token", "list", "--json"]));
    assert_eq!(listed[0]["name"], "deploys");
    assert!(!listed.to_string().contains(token));
    let bytes = std::fs::read(&db).unwrap();
    assert!(
        !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token itself is stored"
    );
    let id = made["id"].as_str().unwrap();
    ok_json(keygate(&db, &["admin-token", "revoke", id, "--json"]));
    assert!(!keygate(&db, &["admin-token", "revoke", id])
        .status
        .success());
    let kinds: Vec<String> = ok_json(keygate(&db, &["audit", "list", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds[..2], ["admin_token_revoked", "admin_token_created"]);
}

fn serve(db: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_keygate"))
        .arg("serve")
        .args(args)
        .args(["--database-url", &format!("sqlite://{}", db.display())])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn the_emulator_refuses_a_non_loopback_listen_address_and_bad_lifetimes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keygate.db");
    let out = serve(&db, &["--emulator", "--listen", "0.0.0.0:0"])
        .wait_with_output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    let out = serve(
        &db,
        &["--listen", "127.0.0.1:0", "--access-token-lifetime", "0s"],
    )
    .wait_with_output()
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a lifetime"));
    let out = serve(&db, &["--auto-approve", "--listen", "127.0.0.1:0"])
        .wait_with_output()
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
            cb = support::CALLBACK
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
        );
        let node = Node {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        wait_ready(&node.base).await;
        let (_, token) = support::tokens_from(
            &node,
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
    let apps = ok_json(keygate(&db, &["app", "list", "--json"]));
    assert_eq!(apps.as_array().unwrap().len(), 1);
    let kinds: Vec<String> = ok_json(keygate(&db, &["audit", "list", "--json"]))
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
    );
    let node = Node {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    wait_ready(&node.base).await;
    let public = reqwest::get(format!("{}/metrics", node.base))
        .await
        .unwrap();
    assert_eq!(public.status(), reqwest::StatusCode::NOT_FOUND);
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics")).await {
            break r.text().await.unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the metrics listener never answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(text.contains(r#"route="/readyz",status="200""#), "{text}");
}
