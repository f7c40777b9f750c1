//! Two `keygate serve` processes on one SQLite file: a revocation, secret regeneration, app
//! deletion or policy change made by any process (the CLI, the other server) is enforced by every
//! server within 1 second. The measured times are printed.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::Value;

const CALLBACK: &str = "https://localhost:5001/oauth/callback";
const SCOPES: &str = "vso.profile vso.project";
const BOUND: Duration = Duration::from_secs(1);

struct Node {
    child: Child,
    base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn cli(db: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args(args)
        .args([
            "--json",
            "--database-url",
            &format!("sqlite://{}", db.display()),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn start_node(db: &Path) -> Node {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &format!("sqlite://{}", db.display())])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let node = Node {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{}/readyz", node.base)).send().await {
            if r.status() == StatusCode::OK {
                return node;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("node did not become ready");
}

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#43;", "+")
        .replace("&amp;", "&")
}

/// Signs in on `node`, authorizes `app_id` and exchanges the code there: an access token.
async fn tokens_from(node: &Node, app_id: &str, secret: &str) -> (Client, String) {
    let b = browser();
    let html = b
        .get(format!("{}/_signin", node.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = b
        .post(format!("{}/_signin", node.base))
        .form(&[
            ("csrf", field(&html, "csrf")),
            ("email", "ana@example.com".into()),
            ("password", "long enough".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", app_id)
        .append_pair("response_type", "Assertion")
        .append_pair("state", "s")
        .append_pair("scope", SCOPES)
        .append_pair("redirect_uri", CALLBACK)
        .finish();
    let consent = b
        .get(format!("{}/oauth2/authorize?{query}", node.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut form: Vec<(String, String)> = [
        "client_id",
        "response_type",
        "state",
        "scope",
        "redirect_uri",
        "csrf",
    ]
    .iter()
    .map(|k| (k.to_string(), field(&consent, k)))
    .collect();
    form.push(("decision".into(), "accept".into()));
    let r = b
        .post(format!("{}/oauth2/authorize", node.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let code = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let t: Value = b
        .post(format!("{}/oauth2/token", node.base))
        .form(&[
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", secret),
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", &code),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (b, t["access_token"].as_str().unwrap().to_owned())
}

async fn status(node: &Node, path: &str, token: &str) -> StatusCode {
    Client::new()
        .get(format!("{}{path}", node.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

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
    let (browser_a, token) = tokens_from(&a, &app_id, &secret).await;
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
    let (_, token) = tokens_from(&a, &app_id, &secret).await;
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
    let (_, token) = tokens_from(&b, &app_id, &secret).await;
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
    let (_, token) = tokens_from(&a, &app_id, &secret).await;
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
