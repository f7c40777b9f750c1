//! The `keygate-bench` binary end to end: seed a real SQLite file, start the real server on port 0
//! over it, and drive it with every scenario for a few requests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use keygate_core::{Lifetimes, Policy, SystemClock};
use keygate_server::{build_state, serve, ServerOptions};
use keygate_store_sqlite::SqliteStore;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::sync::oneshot;

const BIN: &str = env!("CARGO_BIN_EXE_keygate-bench");

struct Bench {
    dir: tempfile::TempDir,
    base: String,
    _shutdown: oneshot::Sender<()>,
}

impl Bench {
    fn fixture(&self) -> PathBuf {
        self.dir.path().join("fixture.json")
    }

    fn report(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.json"))
    }

    /// Runs `keygate-bench run SCENARIO` against the server; returns the exit code and report.
    async fn run(&self, scenario: &str, extra: &[&str]) -> (i32, Value) {
        let report = self.report(scenario);
        let out = Command::new(BIN)
            .args(["run", scenario, "--url", &self.base, "--quiet", "--fixture"])
            .arg(self.fixture())
            .arg("--json")
            .arg(&report)
            .args(extra)
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(report.exists(), "no report from {scenario}: {stderr}");
        let json = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        (out.status.code().unwrap_or(-1), json)
    }
}

async fn seed(db: &Path, fixture: &Path, authorizations: &str) -> Value {
    let out = Command::new(BIN)
        .args(["seed", "--database-url"])
        .arg(format!("sqlite://{}", db.display()))
        .args([
            "--apps",
            "3",
            "--users",
            "4",
            "--authorizations",
            authorizations,
        ])
        .arg("--fixture")
        .arg(fixture)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Seeds a fresh database and serves it on port 0.
async fn seeded_server() -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    seed(&db, &dir.path().join("fixture.json"), "25").await;
    let store = SqliteStore::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = build_state(
        Arc::new(store),
        ServerOptions {
            public_url: base.parse().unwrap(),
            lifetimes: Lifetimes::default(),
            policy: Policy::default(),
            clock: Arc::new(SystemClock),
        },
    )
    .await
    .unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Bench {
        dir,
        base,
        _shutdown: tx,
    }
}

fn assert_clean(report: &Value, steps: u64) {
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["ok"], steps, "{report:#}");
    assert!(report["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
    assert!(report["throughput"].as_f64().unwrap() > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_stores_the_asked_numbers_and_refuses_a_second_seed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let fixture = dir.path().join("fixture.json");
    let summary = seed(&db, &fixture, "1234").await;
    assert_eq!(summary["users"], 4);
    assert_eq!(summary["apps"], 4, "three apps and the bench app");
    assert_eq!(summary["authorizations"], 1234);
    let f: Value = serde_json::from_str(&std::fs::read_to_string(&fixture).unwrap()).unwrap();
    assert_eq!(f["email"], "bench@keygate.bench");

    let again = Command::new(BIN)
        .args(["seed", "--database-url"])
        .arg(format!("sqlite://{}", db.display()))
        .arg("--fixture")
        .arg(dir.path().join("other.json"))
        .output()
        .await
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already seeded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_exchange_redeems_each_minted_code_once() {
    let bench = seeded_server().await;
    let (code, report) = bench.run("code-exchange", &["-n", "30", "-c", "3"]).await;
    assert_eq!(code, 0);
    assert_clean(&report, 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_every_chain_without_a_refusal() {
    let bench = seeded_server().await;
    let (code, report) = bench.run("refresh", &["-n", "40", "-c", "4"]).await;
    assert_eq!(code, 0);
    assert_clean(&report, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_calls_with_the_minted_bearer_tokens_succeed() {
    let bench = seeded_server().await;
    let (code, report) = bench.run("api", &["-n", "60", "-c", "3"]).await;
    assert_eq!(code, 0);
    assert_clean(&report, 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_flow_signs_in_authorizes_exchanges_calls_and_refreshes() {
    let bench = seeded_server().await;
    let (code, report) = bench.run("full-flow", &["-n", "2", "-c", "2"]).await;
    assert_eq!(code, 0);
    assert_clean(&report, 2);
    assert_eq!(report["requests"], 14, "seven requests a flow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_and_refresh_work_in_the_standard_flavour() {
    let bench = seeded_server().await;
    let (code, report) = bench
        .run("client-credentials", &["-n", "40", "-c", "2"])
        .await;
    assert_eq!(code, 0);
    assert_clean(&report, 40);
    let (code, report) = bench
        .run("refresh", &["-n", "20", "-c", "2", "--flavour", "standard"])
        .await;
    assert_eq!(code, 0);
    assert_clean(&report, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_reports_the_client_credentials_token_active() {
    let bench = seeded_server().await;
    let (code, report) = bench.run("introspect", &["-n", "30", "-c", "3"]).await;
    assert_eq!(code, 0);
    assert_clean(&report, 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_counts_as_an_error_and_sets_the_exit_code() {
    let bench = seeded_server().await;
    let tokens = bench.dir.path().join("forged.txt");
    std::fs::write(&tokens, "not-a-refresh-token\n").unwrap();
    let (code, report) = bench
        .run(
            "refresh",
            &[
                "-n",
                "5",
                "-c",
                "1",
                "--refresh-tokens",
                tokens.to_str().unwrap(),
            ],
        )
        .await;
    assert_eq!(code, 2);
    assert_eq!(report["ok"], 0);
    assert_eq!(report["errors"], 5);
    assert_eq!(report["error_kinds"]["HTTP 400"], 5, "{report:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hello_server_answers_every_get() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut hello = Command::new(BIN)
        .args(["hello", "--listen", &addr.to_string()])
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Wait (bounded) until the hello server accepts connections.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(std::time::Instant::now() < deadline, "hello never listened");
        tokio::task::yield_now().await;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("get.json");
    let out = Command::new(BIN)
        .args(["run", "get", "--quiet", "-n", "500", "-c", "4", "--url"])
        .arg(format!("http://{addr}"))
        .arg("--json")
        .arg(&report)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_clean(&json, 500);
    assert_eq!(json["connections"], 4);
    hello.kill().await.unwrap();
}
