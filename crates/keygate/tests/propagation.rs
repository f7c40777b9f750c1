//! Two `keygate serve` processes on one SQLite file: a revocation, secret regeneration, app
//! deletion or policy change made by any process (the CLI, the other server) is enforced by every
//! server within 1 second. The measured times are printed.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::time::{Duration, Instant};

use keygate_testkit::{
    csrf, status, time_until_token_refused, tokens_from, Cli, Server, ME, SCOPES,
};
use reqwest::StatusCode;

const BOUND: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_by_any_process_are_enforced_by_every_server_within_one_second() {
    let dir = tempfile::tempdir().unwrap();
    let kg = Cli::sqlite(
        env!("CARGO_BIN_EXE_keygate"),
        &dir.path().join("keygate.db"),
    );
    kg.seed();
    let a = Server::start(env!("CARGO_BIN_EXE_keygate"), kg.database_url(), &[]).await;
    let b = Server::start(env!("CARGO_BIN_EXE_keygate"), kg.database_url(), &[]).await;
    let mut worst = Duration::ZERO;

    // A user revokes on node A's page; node B must follow.
    let (app_id, secret) = kg.new_app("Revoked by the user", SCOPES);
    let (browser_a, token) = tokens_from(
        &a.base,
        "ana@example.com",
        "long enough",
        SCOPES,
        &app_id,
        &secret,
    )
    .await;
    assert_eq!(
        status(&b.base, ME, &token).await,
        StatusCode::OK,
        "a token minted on A works on B"
    );
    let token_csrf = csrf(&browser_a, &a.url("/profile/authorizations")).await;
    let start = Instant::now();
    let r = browser_a
        .post(format!("{}/profile/authorizations/revoke-all", a.base))
        .form(&[("csrf", token_csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let took = time_until_token_refused(&[&a, &b], ME, &token, start, BOUND * 5).await;
    println!(
        "revocation on node A enforced on A and B after {} ms",
        took.as_millis()
    );
    worst = worst.max(took);

    // The CLI regenerates a secret.
    let (app_id, secret) = kg.new_app("Regenerated", SCOPES);
    let (_, token) = tokens_from(
        &a.base,
        "ana@example.com",
        "long enough",
        SCOPES,
        &app_id,
        &secret,
    )
    .await;
    let start = Instant::now();
    kg.json(&["app", "regenerate-secret", &app_id]);
    let took = time_until_token_refused(&[&a, &b], ME, &token, start, BOUND * 5).await;
    println!(
        "secret regeneration by the CLI enforced after {} ms",
        took.as_millis()
    );
    worst = worst.max(took);

    // The CLI deletes an app.
    let (app_id, secret) = kg.new_app("Deleted", SCOPES);
    let (_, token) = tokens_from(
        &b.base,
        "ana@example.com",
        "long enough",
        SCOPES,
        &app_id,
        &secret,
    )
    .await;
    let start = Instant::now();
    kg.json(&["app", "delete", &app_id]);
    let took = time_until_token_refused(&[&a, &b], ME, &token, start, BOUND * 5).await;
    println!(
        "app deletion by the CLI enforced after {} ms",
        took.as_millis()
    );
    worst = worst.max(took);

    // The CLI denies third-party OAuth for the organization.
    let (app_id, secret) = kg.new_app("Policy", SCOPES);
    let (_, token) = tokens_from(
        &a.base,
        "ana@example.com",
        "long enough",
        SCOPES,
        &app_id,
        &secret,
    )
    .await;
    let projects = "/fabrikam/_apis/projects";
    assert_eq!(status(&b.base, projects, &token).await, StatusCode::OK);
    let start = Instant::now();
    kg.json(&["org", "policy", "fabrikam", "--third-party-oauth", "deny"]);
    let took = time_until_token_refused(&[&a, &b], projects, &token, start, BOUND * 5).await;
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
