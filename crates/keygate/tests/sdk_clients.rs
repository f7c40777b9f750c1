//! Microsoft's own Azure DevOps SDKs, unchanged, against the real `keygate` binary: the Node SDK
//! (azure-devops-node-api, pinned in `tests/sdk/node/package-lock.json`, installed with `npm ci`)
//! and the Python SDK (azure-devops, pinned in `tests/sdk/python/requirements.txt`, in a virtual
//! environment this test builds in `.venv-sdk`), each with an Azure-flavour and a standard OAuth
//! token: connect, projects, repositories, builds, work items (create, get, update, WIQL) and
//! the profile. Their output is part of the test's. Under CI (`CI=true`) a missing `node`/`npm`
//! or `python3` is a failure, never a skip.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::Command;

use keygate_testkit::{
    authorize, authorize_as, browser, exchange, run, sign_in, sqlite_url, standard_token_request,
    tokens, tools_present, Cli, Server, CALLBACK, EMAIL, ORG, PASSWORD, PROJECT,
};
use reqwest::{Client, StatusCode};

const KEYGATE: &str = env!("CARGO_BIN_EXE_keygate");
const SCOPES: &str = "vso.profile vso.project vso.code vso.build_execute vso.work_write";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A seeded server (Ana, her organization and project, one queued build) and an access token of
/// each flavour for an app with [`SCOPES`].
struct World {
    server: Server,
    tokens: Vec<(&'static str, String)>,
    dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir.path().join("keygate.db"));
    let cli = Cli::new(KEYGATE, db.clone());
    cli.seed();
    let (app_id, secret) = cli.new_app("SDK app", SCOPES);
    // Emulator mode: the service hooks tests' receivers listen on http://127.0.0.1.
    let server = Server::start(KEYGATE, &db, &["--emulator"]).await;
    let base = server.base.clone();

    let b = browser();
    sign_in(&b, &base, EMAIL, PASSWORD).await;
    let code = authorize(&b, &base, &app_id, SCOPES).await;
    let (azure, _) = tokens(exchange(&b, &base, &secret, &code).await).await;
    let code = authorize_as(&b, &base, &app_id, SCOPES, "code").await;
    let standard = standard_token_request(
        &Client::new(),
        &base,
        &app_id,
        &secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .send()
    .await
    .unwrap();
    let (standard, _) = tokens(standard).await;

    let queued = Client::new()
        .post(format!(
            "{base}/{ORG}/{PROJECT}/_apis/build/builds?api-version=7.1"
        ))
        .bearer_auth(&azure)
        .json(&serde_json::json!({"definition": {"id": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), StatusCode::OK);
    World {
        server,
        tokens: vec![("azure", azure), ("standard", standard)],
        dir,
    }
}

fn sdk_env<'a>(command: &'a mut Command, w: &World, token: &str) -> &'a mut Command {
    command
        .env("KEYGATE_URL", &w.server.base)
        .env("KEYGATE_ORG", ORG)
        .env("KEYGATE_PROJECT", PROJECT)
        .env("KEYGATE_TOKEN", token)
}

#[tokio::test]
async fn the_azure_devops_node_api_works_unchanged_with_both_token_flavours() {
    if !tools_present("Node SDK", &["node", "npm"]) {
        return;
    }
    let dir = root().join("tests/sdk/node");
    run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir),
        "npm ci",
    );
    let w = world().await;
    for (flavour, token) in &w.tokens {
        eprintln!("azure-devops-node-api with the {flavour} token");
        run(
            sdk_env(
                Command::new("node")
                    .args(["--test", "sdk.test.js"])
                    .current_dir(&dir),
                &w,
                token,
            ),
            &format!("the Node SDK tests ({flavour} token)"),
        );
    }
}

/// The virtual environment with the pinned requirements, rebuilt when they change.
fn python_venv() -> PathBuf {
    keygate_testkit::python_venv(
        &root().join(".venv-sdk"),
        &root().join("tests/sdk/python/requirements.txt"),
    )
}

#[tokio::test]
async fn the_azure_devops_python_package_works_unchanged_with_both_token_flavours() {
    if !tools_present("Python SDK", &["python3"]) {
        return;
    }
    let python = python_venv();
    let w = world().await;
    for (flavour, token) in &w.tokens {
        eprintln!("azure-devops (PyPI) with the {flavour} token");
        run(
            sdk_env(
                Command::new(&python)
                    .args(["-m", "pytest", "-p", "no:cacheprovider", "-v"])
                    .arg(root().join("tests/sdk/python"))
                    // The SDK caches resource areas per URL in the user's home; keep it private.
                    .env("HOME", w.dir.path()),
                &w,
                token,
            ),
            &format!("the Python SDK tests ({flavour} token)"),
        );
    }
}
