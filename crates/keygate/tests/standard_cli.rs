//! The admin CLI's standard-OAuth commands against a real SQLite file: public apps and signing
//! key rotation, resource servers.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::process::Output;

use keygate_testkit::{free_port, ok_json, refused, wait_until_answers, Cli, Process};
use serde_json::Value;

fn world() -> (tempfile::TempDir, Cli) {
    let dir = tempfile::tempdir().unwrap();
    let kg = Cli::sqlite(
        env!("CARGO_BIN_EXE_keygate"),
        &dir.path().join("keygate.db"),
    );
    kg.create_user();
    (dir, kg)
}

fn create_app(kg: &Cli, callback: &str, public: bool) -> Output {
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
    kg.run(&args)
}

#[test]
fn a_public_app_gets_no_secret_and_only_public_apps_may_use_native_callbacks() {
    let (_dir, kg) = world();
    let app = ok_json(create_app(&kg, "http://127.0.0.1/callback", true));
    assert_eq!(app["client_type"], "public");
    assert!(app["client_secret"].is_null());
    let native = ok_json(create_app(&kg, "com.fabrikam.fiber:/callback", true));
    assert_eq!(native["client_type"], "public");
    refused(
        &create_app(&kg, "http://127.0.0.1/callback", false),
        "callback_url",
    );
    let confidential = ok_json(create_app(&kg, "https://fabrikam.example/cb", false));
    assert!(confidential["client_secret"].as_str().unwrap().len() > 100);
}

#[test]
fn an_operator_makes_an_app_a_resource_server_and_takes_it_back() {
    let (_dir, kg) = world();
    let app = ok_json(create_app(&kg, "https://fabrikam.example/cb", false));
    let id = app["app_id"].as_str().unwrap();
    let shown = ok_json(kg.run(&["app", "show", id, "--json"]));
    assert_eq!(shown["resource_server"], false);
    let granted = ok_json(kg.run(&["app", "resource-server", id, "--json"]));
    assert_eq!(granted["resource_server"], true);
    assert_eq!(
        ok_json(kg.run(&["app", "show", id, "--json"]))["resource_server"],
        true
    );
    let denied = ok_json(kg.run(&["app", "resource-server", id, "--deny", "--json"]));
    assert_eq!(denied["resource_server"], false);
    let audit = ok_json(kg.run(&["audit", "list", "--app", id, "--json"]));
    let text = audit.to_string();
    assert!(text.contains("resource_server=allow"), "{text}");
    assert!(text.contains("resource_server=deny"), "{text}");
}

fn keys(kg: &Cli) -> Vec<Value> {
    ok_json(kg.run(&["keys", "list", "--json"]))
        .as_array()
        .unwrap()
        .clone()
}

/// The keys of one purpose: `access` (access tokens and the other credentials) or `id_token`.
fn keys_for(kg: &Cli, purpose: &str) -> Vec<Value> {
    keys(kg)
        .into_iter()
        .filter(|k| k["purpose"] == purpose)
        .collect()
}

#[test]
fn keys_rotate_publishes_a_next_key_that_signs_after_the_publish_ahead_delay() {
    let (_dir, kg) = world();
    let first = keys_for(&kg, "access");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["state"], "active");
    assert_eq!(first[0]["algorithm"], "ES256");
    let id_first = keys_for(&kg, "id_token");
    assert_eq!(id_first.len(), 1);
    assert_eq!(id_first[0]["algorithm"], "RS256");

    let next = ok_json(kg.run(&["keys", "rotate", "--algorithm", "RS256", "--json"]));
    assert_eq!(next["state"], "next");
    assert_eq!(next["algorithm"], "RS256");
    // The ID token key is rotated with it, and stays RS256.
    assert_eq!(next["id_token_key"]["state"], "next");
    assert_eq!(next["id_token_key"]["algorithm"], "RS256");
    assert_eq!(next["id_token_key"]["purpose"], "id_token");
    assert_eq!(
        next["signs_from"].as_i64().unwrap(),
        next["created_at"].as_i64().unwrap() + 600
    );
    refused(
        &kg.run(&["keys", "rotate", "--json"]),
        "is one already waiting",
    );
    let listed = keys(&kg);
    assert_eq!(listed.len(), 4);
    let state = |kid: &Value| listed.iter().find(|k| &k["kid"] == kid).unwrap()["state"].clone();
    assert_eq!(state(&first[0]["kid"]), "active");
    assert_eq!(state(&next["kid"]), "next");
}

#[tokio::test]
async fn a_configured_signing_algorithm_is_used_or_the_server_refuses_to_start() {
    // Admin commands make the first key with the configured algorithm too.
    let dir = tempfile::tempdir().unwrap();
    let kg = Cli::sqlite(
        env!("CARGO_BIN_EXE_keygate"),
        &dir.path().join("keygate.db"),
    );
    kg.create_user();
    let made = kg
        .command(&["keys", "list", "--json"])
        .env("KEYGATE_SIGNING_ALGORITHM", "RS256")
        .output()
        .unwrap();
    let made = ok_json(made);
    let access = made
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["purpose"] == "access");
    assert_eq!(access.unwrap()["algorithm"], "RS256");

    // A database signing ES256 (made without the setting) and a server told RS256: it says so
    // and stops, naming both and the way out.
    let (_dir, kg) = world();
    assert_eq!(keys_for(&kg, "access")[0]["algorithm"], "ES256");
    let serve = |port: u16| {
        let mut cmd = kg.command(&["serve", "--listen", &format!("127.0.0.1:{port}")]);
        cmd.args(["--signing-algorithm", "RS256"]);
        cmd
    };
    let out = serve(free_port()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("set to RS256"), "{err}");
    assert!(err.contains("signs access tokens with ES256"), "{err}");
    assert!(
        err.contains("keygate keys rotate --algorithm RS256"),
        "{err}"
    );

    // Rotated as told, the same server starts.
    ok_json(kg.run(&["keys", "rotate", "--algorithm", "RS256", "--json"]));
    let port = free_port();
    let _server = Process(serve(port).spawn().unwrap());
    let health = format!("http://127.0.0.1:{port}/healthz");
    wait_until_answers(&reqwest::Client::new(), &health).await;
}

#[test]
fn keys_rotate_immediately_signs_at_once_and_keeps_the_old_key_published_as_retired() {
    let (_dir, kg) = world();
    let old = keys_for(&kg, "access")[0]["kid"].clone();
    let old_id = keys_for(&kg, "id_token")[0]["kid"].clone();
    let new = ok_json(kg.run(&[
        "keys",
        "rotate",
        "--algorithm",
        "eddsa",
        "--immediately",
        "--json",
    ]));
    assert_eq!(new["state"], "active");
    assert_eq!(new["algorithm"], "EdDSA");
    let listed = keys(&kg);
    let retired = listed.iter().find(|k| k["kid"] == old).unwrap();
    assert_eq!(retired["state"], "retired");
    assert!(retired["retired_at"].is_i64());
    let retired_id = listed.iter().find(|k| k["kid"] == old_id).unwrap();
    assert_eq!(retired_id["state"], "retired");
    assert_eq!(new["id_token_key"]["state"], "active");
}

#[test]
fn an_unknown_signing_algorithm_is_refused() {
    let (_dir, kg) = world();
    refused(
        &kg.run(&["keys", "rotate", "--algorithm", "HS256"]),
        "unsupported signing algorithm HS256",
    );
    assert_eq!(keys(&kg).len(), 2);
}
