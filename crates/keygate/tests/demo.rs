//! `keygate demo` works as the README says: it prints credentials that carry a client through
//! sign-in, consent, the code exchange and a first API call.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use keygate_testkit::process::command;
use keygate_testkit::{free_port, tokens_from, Server};
use reqwest::{Client, StatusCode};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_prints_credentials_that_work_end_to_end() {
    let port = free_port();
    let mut child = command(env!("CARGO_BIN_EXE_keygate"))
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let printed = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            text.push_str(&line);
            text.push('\n');
            if line.contains("Press Ctrl-C") {
                break;
            }
        }
        text
    })
    .join()
    .unwrap();
    let node = Server::adopt(child, port).await;
    let value_after = |label: &str| {
        printed
            .lines()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("the demo did not print {label}:\n{printed}"))
    };
    let app_id = value_after("App ID:");
    let secret = value_after("Client Secret:");
    let email = value_after("email:");
    let password = value_after("password:");
    assert!(printed.contains("/oauth2/authorize?client_id="));
    let (_, token) = tokens_from(
        &node.base,
        &email,
        &password,
        "vso.profile vso.project vso.build vso.code vso.work_write",
        &app_id,
        &secret,
    )
    .await;
    let builds: Value = Client::new()
        .get(format!(
            "{}/fabrikam/Fabrikam-Fiber/_apis/build/builds",
            node.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(builds["count"], 3);
    let item = Client::new()
        .get(format!(
            "{}/fabrikam/Fabrikam-Fiber/_apis/wit/workitems/1",
            node.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(item.status(), StatusCode::OK);
}
