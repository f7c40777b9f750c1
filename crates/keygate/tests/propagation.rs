//! Two `keygate serve` processes on one SQLite file: a revocation, secret regeneration, app
//! deletion or policy change made by any process (the CLI, the other server) is enforced by every
//! server within 1 second. The measured times are printed.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::*;
const SCOPES: &str = "vso.profile vso.project";
const BOUND: Duration = Duration::from_secs(1);

/// How long after `start` until every node answers 401 for `token`.
async fn time_until_refused(nodes: &[&Node], path: &str, token: &str, start: Instant) -> Duration {
    let mut pending: Vec<&Node> = nodes.to_vec();
    while !pending.is_empty() && start.elapsed() < BOUND * 5 {
        let mut still = Vec::new();
        for n in pending {
            if status(n, path, token).await != StatusCode::UNAUTHORIZED {
                still.push(n);
            }
        }
        pending = still;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(pending.is_empty(), "a node never refused the token");
    start.elapsed()
}

fn new_app(db: &Path, name: &str) -> (String, String) {
    let app = cli(
        db,
        &[
            "app",
            "create",
            "--owner",
            "ana@example.com",
            "--name",
            name,
            "--company",
            "Fabrikam",
            "--website",
            "https://fabrikam.example",
            "--callback-url",
            CALLBACK,
            "--scopes",
            SCOPES,
        ],
    );
    (
        app["app_id"].as_str().unwrap().to_owned(),
        app["client_secret"].as_str().unwrap().to_owned(),
    )
}

fn seeded_db(dir: &Path) -> PathBuf {
    let db = dir.join("keygate.db");
    cli(
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
        ],
    );
    cli(
        &db,
        &["org", "create", "fabrikam", "--owner", "ana@example.com"],
    );
    cli(&db, &["project", "create", "fabrikam", "Fabrikam-Fiber"]);
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_by_any_process_are_enforced_by_every_server_within_one_second() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_db(dir.path());
    let a = start_node(&db).await;
    let b = start_node(&db).await;
    let me = "/_apis/profile/profiles/me";
    let mut worst = Duration::ZERO;

    // A user revokes on node A's page; node B must follow.
    let (app_id, secret) = new_app(&db, "Revoked by the user");
    let (browser_a, token) = tokens_from(
        &a,
        "ana@example.com",
        "long enough",
        SCOPES,
        &app_id,
        &secret,
    )
    .await;
    assert_eq!(
        status(&b, me, &token).await,
        StatusCode::OK,
        "a token minted on A works on B"
    );
    let page = browser_a
        .get(format!("{}/profile/authorizations", a.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = Instant::now();
    let r = browser_a
        .post(format!("{}/profile/authorizations/revoke-all", a.base))
        .form(&[("csrf", field(&page, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let took = time_until_refused(&[&a, &b], me, &token, start).await;
    println!(
        "revocation on node A enforced on A and B after {} ms",
        took.as_millis()
    );
    worst = worst.max(took);

    // The CLI regenerates a secret.
    let (app_id, secret) = new_app(&db, "Regenerated");
    let (_, token) = tokens_from(
        &a,
        "ana@example.com",
        "long enough",
        SCOPES,
        &app_id,
        &secret,
    )
    .await;
    let start = Instant::now();
    cli(&db, &["app", "regenerate-secret", &app_id]);
    let took = time_until_refused(&[&a, &b], me, &token, start).await;
    println!(
        "secret regeneration by the CLI enforced after {} ms",
        took.as_millis()
    );
    worst = worst.max(took);

    // The CLI deletes an app.
    let (app_id, secret) = new_app(&db, "Deleted");
    let (_, token) = tokens_from(
        &b,
        "ana@example.com",
        "long enough",
        SCOPES,
        &app_id,
        &secret,
    )
    .await;
    let start = Instant::now();
    cli(&db, &["app", "delete", &app_id]);
    let took = time_until_refused(&[&a, &b], me, &token, start).await;
    println!(
        "app deletion by the CLI enforced after {} ms",
        took.as_millis()
    );
    worst = worst.max(took);

    // The CLI denies third-party OAuth for the organization.
    let (app_id, secret) = new_app(&db, "Policy");
    let (_, token) = tokens_from(
        &a,
        "ana@example.com",
        "long enough",
        SCOPES,
        &app_id,
        &secret,
    )
    .await;
    let projects = "/fabrikam/_apis/projects";
    assert_eq!(status(&b, projects, &token).await, StatusCode::OK);
    let start = Instant::now();
    cli(
        &db,
        &["org", "policy", "fabrikam", "--third-party-oauth", "deny"],
    );
    let took = time_until_refused(&[&a, &b], projects, &token, start).await;
    println!(
        "organization policy by the CLI enforced after {} ms",
        took.as_millis()
    );
    worst = worst.max(took);

    println!(
        "worst-case propagation across two servers: {} ms (bound {} ms)",
        worst.as_millis(),
        BOUND.as_millis()
    );
    assert!(worst < BOUND, "propagation took {} ms", worst.as_millis());
}
