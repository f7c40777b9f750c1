//! A `keygate serve` process reaches PostgreSQL through a TCP proxy the test controls. Cutting the
//! proxy makes requests that need the database fail fast with 503 (never hang; what a node holds in
//! memory, such as a bearer-checked profile, keeps answering) and `/readyz` report not ready, without
//! consuming anything half-way; restoring it brings the service back by itself.
//!
//! Runs on a fresh database on the server named by `KEYGATE_TEST_POSTGRES_URL`; without that
//! variable the test passes without running and says so.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::time::{Duration, Instant};

use keygate_store_postgres::scratch::ScratchDatabase;
use keygate_testkit::{
    authorize, azure_token_request, browser, csrf, exchange, refresh, sign_in, status, tokens, Cli,
    Server, EMAIL, ME, ORG, PASSWORD, SCOPES,
};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How long a request may take while the database is unreachable: the acquire timeout the node
/// runs with (500 ms) plus a generous margin for a loaded machine.
const FAIL_FAST: Duration = Duration::from_secs(3);

/// What the proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Forwards them to the database.
    Open,
    /// Closes new ones at once (the database refuses connections).
    Refuse,
    /// Accepts new ones and never answers (packets lost on the way).
    Blackhole,
}

/// A TCP proxy to one upstream address whose mode the test sets. Every change of mode closes
/// every connection it holds, so a cut also breaks the connections already pooled.
struct Proxy {
    port: u16,
    mode: watch::Sender<Mode>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (mode, _) = watch::channel(Mode::Open);
        let modes = mode.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let mut changed = modes.subscribe();
                let now = *changed.borrow_and_update();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    match now {
                        Mode::Refuse => {}
                        Mode::Blackhole => {
                            let _ = changed.changed().await;
                        }
                        Mode::Open => {
                            let Ok(mut server) = TcpStream::connect(upstream).await else {
                                return;
                            };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                _ = changed.changed() => {}
                            }
                        }
                    }
                });
            }
        });
        Proxy { port, mode }
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

/// `url` with its host and port replaced by the proxy's.
fn through(url: &str, port: u16) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    parsed.set_host(Some("127.0.0.1")).unwrap();
    parsed.set_port(Some(port)).unwrap();
    parsed.to_string()
}

/// Times one request; fails the test if it did not end within [`FAIL_FAST`].
async fn timed<F: std::future::Future<Output = reqwest::Result<reqwest::Response>>>(
    what: &str,
    request: F,
) -> (StatusCode, Value) {
    let start = Instant::now();
    let r = tokio::time::timeout(FAIL_FAST * 2, request)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
        .unwrap();
    let took = start.elapsed();
    let status = r.status();
    let body = r.text().await.unwrap();
    println!("{what}: {status} after {} ms", took.as_millis());
    assert!(took < FAIL_FAST, "{what} took {} ms", took.as_millis());
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_gives_fast_503s_and_service_resumes_by_itself() {
    let Some(db) = ScratchDatabase::from_env().await.expect("scratch database") else {
        return;
    };
    let cli = Cli::new(env!("CARGO_BIN_EXE_keygate"), db.url());
    cli.seed();
    let (app_id, secret) = cli.new_app("Outage", SCOPES);
    let parsed = url::Url::parse(db.url()).unwrap();
    let upstream = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    );
    let proxy = Proxy::start(upstream).await;
    let node = Server::start(
        env!("CARGO_BIN_EXE_keygate"),
        &through(db.url(), proxy.port),
        &["--db-acquire-timeout", "500ms", "--db-max-connections", "4"],
    )
    .await;

    let browser = browser();
    sign_in(&browser, &node.base, EMAIL, PASSWORD).await;
    let code = authorize(&browser, &node.base, &app_id, SCOPES).await;
    let (access, refresh_token) =
        tokens(exchange(&Client::new(), &node.base, &secret, &code).await).await;
    assert_eq!(status(&node.base, ME, &access).await, StatusCode::OK);

    // A second browser opens the sign-in form before the outage and submits it during it.
    let newcomer = keygate_testkit::browser();
    let newcomer_csrf = csrf(&newcomer, &node.url("/_signin")).await;

    for mode in [Mode::Refuse, Mode::Blackhole] {
        println!("database cut off: {mode:?}");
        proxy.set(mode);
        requests_fail_fast(
            &node,
            &browser,
            &newcomer,
            &newcomer_csrf,
            &secret,
            &refresh_token,
            &access,
        )
        .await;
        proxy.set(Mode::Open);
        let start = Instant::now();
        assert!(
            node.ready_within(Duration::from_secs(15)).await,
            "the node did not come back"
        );
        println!(
            "ready again {} ms after the database came back",
            start.elapsed().as_millis()
        );
    }
    // Nothing was half-done during the outage: the refresh token refused with 503 is still the
    // live end of its chain, and the session still signs the browser in.
    let (access, _) =
        tokens(refresh(&Client::new(), &node.base, &secret, &refresh_token).await).await;
    assert_eq!(status(&node.base, ME, &access).await, StatusCode::OK);
    let r = browser.get(node.url("/profile/view")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// While the database is cut off, each kind of request is answered 503 within [`FAIL_FAST`].
async fn requests_fail_fast(
    node: &Server,
    browser: &Client,
    newcomer: &Client,
    newcomer_csrf: &str,
    secret: &str,
    refresh_token: &str,
    access: &str,
) {
    let (s, body) = timed("readyz", Client::new().get(node.url("/readyz")).send()).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "not ready");
    let (s, body) = timed(
        "refresh",
        azure_token_request(
            &Client::new(),
            &node.base,
            secret,
            "refresh_token",
            refresh_token,
        )
        .send(),
    )
    .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["Error"], "temporarily_unavailable");
    let (s, _) = timed("page", browser.get(node.url("/profile/view")).send()).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    // The profile needs nothing the node does not hold already: the token verifies from its
    // signature and the revocation snapshot, and its user (users never change) is cached. It
    // keeps answering through the outage.
    let (s, _) = timed(
        "api from memory",
        Client::new()
            .get(node.url(ME))
            .bearer_auth(access)
            .header("X-TFS-FedAuthRedirect", "Suppress")
            .send(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // An API call that must read the store fails fast.
    let (s, _) = timed(
        "api from the store",
        Client::new()
            .get(node.url(&format!("/{ORG}/_apis/projects")))
            .bearer_auth(access)
            .header("X-TFS-FedAuthRedirect", "Suppress")
            .send(),
    )
    .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    let (s, _) = timed(
        "sign-in",
        newcomer
            .post(node.url("/_signin"))
            .form(&[
                ("csrf", newcomer_csrf),
                ("email", EMAIL),
                ("password", PASSWORD),
            ])
            .send(),
    )
    .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
}
