//! Three `keygate serve` processes on one PostgreSQL database behave as one server: a session,
//! a code or a token from one node works on the others, a code or refresh token raced over all
//! three is spent exactly once, and a revocation, secret regeneration, app deletion or policy
//! change made on one node is enforced by the others within 1 second (the measured times are
//! printed), and a device approved on one node gets its tokens by polling another within 1
//! second.
//!
//! Each test makes its own database on the server named by `KEYGATE_TEST_POSTGRES_URL`; without
//! that variable the tests pass without running and say so.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::time::{Duration, Instant};

use keygate_store_postgres::scratch::ScratchDatabase;
use keygate_testkit::{
    authorize, azure_token_request, browser, csrf, exchange, refresh, sign_in,
    standard_token_request, status, time_until_all_refuse, time_until_token_refused, tokens, Cli,
    Server, EMAIL, ME, ORG, PASSWORD, SCOPES,
};
use reqwest::{Client, StatusCode};

const KEYGATE: &str = env!("CARGO_BIN_EXE_keygate");

const BOUND: Duration = Duration::from_secs(1);
const RACERS: usize = 30;

/// A scratch database, seeded, with three nodes on it.
async fn cluster() -> Option<(ScratchDatabase, [Server; 3])> {
    let db = ScratchDatabase::from_env()
        .await
        .expect("scratch database")?;
    Cli::new(KEYGATE, db.url()).seed();
    let (a, b, c) = tokio::join!(
        Server::start(KEYGATE, db.url(), &[]),
        Server::start(KEYGATE, db.url(), &[]),
        Server::start(KEYGATE, db.url(), &[])
    );
    Some((db, [a, b, c]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_a_code_and_a_token_from_one_node_work_on_the_others() {
    let Some((db, [a, b, c])) = cluster().await else {
        return;
    };
    let (app_id, secret) = Cli::new(KEYGATE, db.url()).new_app("Shared", SCOPES);
    let browser = browser();

    sign_in(&browser, &a.base, EMAIL, PASSWORD).await;
    let r = browser.get(b.url("/profile/view")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "signed in on A, signed in on B");

    // Consent on B (its CSRF token and session came from A's sign-in), redeem on C.
    let code = authorize(&browser, &b.base, &app_id, SCOPES).await;
    let (access, refresh_token) =
        tokens(exchange(&Client::new(), &c.base, &secret, &code).await).await;
    for node in [&a, &b, &c] {
        assert_eq!(
            status(&node.base, ME, &access).await,
            StatusCode::OK,
            "{}",
            node.base
        );
    }

    // A token minted on A works on C.
    let (access, _) = tokens(refresh(&Client::new(), &a.base, &secret, &refresh_token).await).await;
    assert_eq!(status(&c.base, ME, &access).await, StatusCode::OK);
}

/// Sends `RACERS` requests made by `request(node)` at once, spread over the three nodes, and
/// returns their statuses.
async fn race<F, Fut>(nodes: &[Server; 3], request: F) -> Vec<StatusCode>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = StatusCode> + Send + 'static,
{
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(RACERS));
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..RACERS {
        let sent = request(nodes[i % 3].base.clone());
        let barrier = barrier.clone();
        racers.spawn(async move {
            barrier.wait().await;
            sent.await
        });
    }
    racers.join_all().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_simultaneous_redemptions_over_three_nodes_succeed_exactly_once() {
    let Some((db, nodes)) = cluster().await else {
        return;
    };
    let (app_id, secret) = Cli::new(KEYGATE, db.url()).new_app("Raced", SCOPES);
    let browser = browser();
    sign_in(&browser, &nodes[0].base, EMAIL, PASSWORD).await;

    let code = authorize(&browser, &nodes[0].base, &app_id, SCOPES).await;
    let statuses = race(&nodes, |base| {
        token_status(
            base,
            secret.clone(),
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            code.clone(),
        )
    })
    .await;
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(won, 1, "one code, one redemption: {statuses:?}");
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::OK || *s == StatusCode::BAD_REQUEST));

    // Likewise one refresh token raced over the three nodes.
    let code = authorize(&browser, &nodes[1].base, &app_id, SCOPES).await;
    let (_, refresh_token) =
        tokens(exchange(&Client::new(), &nodes[1].base, &secret, &code).await).await;
    let statuses = race(&nodes, |base| {
        token_status(base, secret.clone(), "refresh_token", refresh_token.clone())
    })
    .await;
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(won, 1, "one refresh token, one rotation: {statuses:?}");
    println!("{RACERS} racers over 3 nodes: 1 redemption and 1 rotation succeeded");
}

/// The status of an Azure token request with `grant` and `assertion` at `base`.
async fn token_status(
    base: String,
    secret: String,
    grant: &'static str,
    assertion: String,
) -> StatusCode {
    azure_token_request(&Client::new(), &base, &secret, grant, &assertion)
        .send()
        .await
        .unwrap()
        .status()
}

/// The status a client-credentials request with `secret` gets from `node`.
async fn client_credentials_status(base: &str, app_id: &str, secret: &str) -> StatusCode {
    let form = [("grant_type", "client_credentials")];
    standard_token_request(&Client::new(), base, app_id, secret, &form)
        .send()
        .await
        .unwrap()
        .status()
}

/// How long after `start` until `nodes` all refuse `secret` for client credentials.
async fn time_until_secret_refused(
    nodes: &[&Server],
    app_id: &str,
    secret: &str,
    start: Instant,
) -> Duration {
    let bases: Vec<&str> = nodes.iter().map(|n| n.base.as_str()).collect();
    time_until_all_refuse(&bases, start, BOUND * 5, "old secret", |base| {
        client_credentials_status(base, app_id, secret)
    })
    .await
}

/// A fresh app's access token, authorized on `a`, working everywhere.
async fn live_token(
    db: &str,
    nodes: &[&Server; 3],
    browser: &Client,
    name: &str,
    path: &str,
) -> (String, String, String) {
    let (app_id, secret) = Cli::new(KEYGATE, db).new_app(name, SCOPES);
    let code = authorize(browser, &nodes[0].base, &app_id, SCOPES).await;
    let (access, _) = tokens(exchange(&Client::new(), &nodes[0].base, &secret, &code).await).await;
    for node in nodes {
        assert_eq!(status(&node.base, path, &access).await, StatusCode::OK);
    }
    (app_id, secret, access)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_on_one_node_are_enforced_by_the_others_within_one_second() {
    let Some((db, [a, b, c])) = cluster().await else {
        return;
    };
    let nodes = [&a, &b, &c];
    let browser = browser();
    sign_in(&browser, &a.base, EMAIL, PASSWORD).await;
    let mut worst = Duration::ZERO;
    let mut report = Vec::new();

    // The user revokes every authorization on A's page.
    let (_, _, access) = live_token(db.url(), &nodes, &browser, "Revoked", ME).await;
    let token = csrf(&browser, &a.url("/profile/authorizations")).await;
    let start = Instant::now();
    let r = browser
        .post(a.url("/profile/authorizations/revoke-all"))
        .form(&[("csrf", token)])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let took = time_until_token_refused(&[&b, &c], ME, &access, start, BOUND * 5).await;
    report.push(("revocation", took));

    // The owner regenerates the app's secret on A's app page. Every node has just
    // authenticated the old secret (client credentials), so each holds it in its cache.
    let (app_id, secret, access) = live_token(db.url(), &nodes, &browser, "Regenerated", ME).await;
    for node in &nodes {
        assert_eq!(
            client_credentials_status(&node.base, &app_id, &secret).await,
            StatusCode::OK
        );
    }
    let path = format!("/app/{app_id}/regenerate?slot=primary");
    let token = csrf(&browser, &a.url(&path)).await;
    let start = Instant::now();
    let r = browser
        .post(a.url(&path))
        .form(&[("csrf", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let took = time_until_token_refused(&[&b, &c], ME, &access, start, BOUND * 5).await;
    report.push(("secret regeneration", took));
    let took = time_until_secret_refused(&[&b, &c], &app_id, &secret, start).await;
    report.push(("secret regeneration (old secret refused)", took));
    assert_eq!(
        client_credentials_status(&a.base, &app_id, &secret).await,
        StatusCode::UNAUTHORIZED,
        "the node that regenerated refuses the old secret at once"
    );

    // The owner deletes the app on A.
    let (app_id, _, access) = live_token(db.url(), &nodes, &browser, "Deleted", ME).await;
    let path = format!("/app/{app_id}/delete");
    let token = csrf(&browser, &a.url(&path)).await;
    let start = Instant::now();
    let r = browser
        .post(a.url(&path))
        .form(&[("csrf", token)])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let took = time_until_token_refused(&[&b, &c], ME, &access, start, BOUND * 5).await;
    report.push(("app deletion", took));

    // The organization owner denies third-party OAuth on A.
    let projects = format!("/{ORG}/_apis/projects");
    let (_, _, access) = live_token(db.url(), &nodes, &browser, "Policy", &projects).await;
    let path = format!("/{ORG}/_settings/organizationPolicy");
    let token = csrf(&browser, &a.url(&path)).await;
    let start = Instant::now();
    let r = browser
        .post(a.url(&path))
        .form(&[("csrf", token.as_str()), ("third_party_oauth", "deny")])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let took = time_until_token_refused(&[&b, &c], &projects, &access, start, BOUND * 5).await;
    report.push(("policy change", took));

    for (what, took) in &report {
        println!(
            "{what} on node A enforced on B and C after {} ms",
            took.as_millis()
        );
        worst = worst.max(*took);
    }
    println!(
        "worst-case propagation across three nodes on PostgreSQL: {} ms (bound {} ms)",
        worst.as_millis(),
        BOUND.as_millis()
    );
    assert!(worst < BOUND, "propagation took {} ms", worst.as_millis());
}

/// The RFC 8628 device code grant.
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_approved_on_one_node_gets_its_tokens_by_polling_another_within_one_second() {
    let Some((db, [a, b, c])) = cluster().await else {
        return;
    };
    let (app_id, secret) = Cli::new(KEYGATE, db.url()).new_app("Device", SCOPES);
    let device = Client::new();
    let started: serde_json::Value = device
        .post(a.url("/oauth2/devicecode"))
        .basic_auth(&app_id, Some(&secret))
        .form(&[("scope", SCOPES)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device_code = started["device_code"].as_str().unwrap().to_owned();
    let user_code = started["user_code"].as_str().unwrap();
    let poll = |base: String| {
        standard_token_request(
            &device,
            &base,
            &app_id,
            &secret,
            &[("grant_type", DEVICE_GRANT), ("device_code", &device_code)],
        )
        .send()
    };
    let pending = poll(c.base.clone()).await.unwrap();
    assert_eq!(pending.status(), StatusCode::BAD_REQUEST);

    // The person signs in and approves on B.
    let person = browser();
    sign_in(&person, &b.base, EMAIL, PASSWORD).await;
    let token = csrf(&person, &b.url("/device")).await;
    let consent = person
        .post(b.url("/device"))
        .form(&[("csrf", token.as_str()), ("user_code", user_code)])
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), StatusCode::OK);
    let mut fields = keygate_testkit::html::hidden_fields(&consent.text().await.unwrap());
    fields.push(("decision".into(), "accept".into()));
    let done = person
        .post(b.url("/device/decide"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let approved = Instant::now();

    // The device polls C (and, for the single-use check, A) until it has its tokens.
    let mut issued = None;
    while approved.elapsed() < BOUND {
        let r = poll(c.base.clone()).await.unwrap();
        if r.status() == StatusCode::OK {
            issued = Some(r.json::<serde_json::Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen_after = approved.elapsed();
    let issued = issued.expect("the approval on B was not seen by polling C within 1 second");
    println!("device approval on B seen by a poll on C after {seen_after:?}");
    let access = issued["access_token"].as_str().unwrap();
    assert_eq!(status(&a.base, ME, access).await, StatusCode::OK);
    let again = poll(a.base.clone()).await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "redeemed once");
}
