//! Shared by the tests that run several `keygate` processes on one database (any URL): start
//! nodes, seed through the CLI, and drive a browser and an app through sign-in, consent, exchange
//! and refresh.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

pub const CALLBACK: &str = "https://localhost:5001/oauth/callback";
pub const SCOPES: &str = "vso.profile vso.project";
pub const EMAIL: &str = "ana@example.com";
pub const PASSWORD: &str = "long enough";
pub const ORG: &str = "fabrikam";
pub const ME: &str = "/_apis/profile/profiles/me";

/// A running `keygate serve` process, killed on drop.
pub struct Node {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    /// Starts `keygate serve` on a free port over `db`, with `extra` flags, and waits until it is
    /// ready.
    pub async fn start(db: &str, extra: &[&str]) -> Node {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_keygate"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--database-url", db])
            .args(extra)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let node = Node {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        assert!(
            node.ready_within(Duration::from_secs(30)).await,
            "{} did not become ready",
            node.base
        );
        node
    }

    /// Whether `/readyz` answers 200 before `limit` passes.
    pub async fn ready_within(&self, limit: Duration) -> bool {
        let client = Client::new();
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(r) = client.get(self.url("/readyz")).send().await {
                if r.status() == StatusCode::OK {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs an admin command against `db` and returns its JSON output.
pub fn cli(db: &str, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args(args)
        .args(["--json", "--database-url", db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A user, an organization with a project, on `db`.
pub fn seed(db: &str) {
    cli(
        db,
        &[
            "user",
            "create",
            "--email",
            EMAIL,
            "--name",
            "Ana",
            "--password",
            PASSWORD,
        ],
    );
    cli(db, &["org", "create", ORG, "--owner", EMAIL]);
    cli(db, &["project", "create", ORG, "Fabrikam-Fiber"]);
}

/// Registers an app owned by the seeded user: its id and secret.
pub fn new_app(db: &str, name: &str) -> (String, String) {
    let app = cli(
        db,
        &[
            "app",
            "create",
            "--owner",
            EMAIL,
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

/// A client that keeps cookies (for every node: cookies ignore the port) and never follows
/// redirects.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of the hidden field `name` of a page.
pub fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#43;", "+")
        .replace("&#x2b;", "+")
        .replace("&amp;", "&")
}

/// GETs a page and returns the CSRF token its form carries.
pub async fn csrf(browser: &Client, node: &Node, path: &str) -> String {
    let html = browser
        .get(node.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    field(&html, "csrf")
}

/// Signs `browser` in on `node` as the seeded user.
pub async fn sign_in(browser: &Client, node: &Node) {
    let csrf = csrf(browser, node, "/_signin").await;
    let r = browser
        .post(node.url("/_signin"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", EMAIL),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in failed");
}

/// Has the signed-in `browser` accept `app_id` on `node`; returns the code.
pub async fn authorize(browser: &Client, node: &Node, app_id: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", app_id)
        .append_pair("response_type", "Assertion")
        .append_pair("state", "s")
        .append_pair("scope", SCOPES)
        .append_pair("redirect_uri", CALLBACK)
        .finish();
    let consent = browser
        .get(node.url(&format!("/oauth2/authorize?{query}")))
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
    let r = browser
        .post(node.url("/oauth2/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND, "consent refused");
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("a code")
        .1
        .into_owned()
}

/// The Azure code exchange at `node`.
pub async fn exchange(client: &Client, node: &Node, secret: &str, code: &str) -> Response {
    token_request(client, node, secret, JWT_BEARER, code).await
}

/// The Azure refresh at `node`.
pub async fn refresh(client: &Client, node: &Node, secret: &str, refresh: &str) -> Response {
    token_request(client, node, secret, "refresh_token", refresh).await
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

async fn token_request(
    client: &Client,
    node: &Node,
    secret: &str,
    grant: &str,
    assertion: &str,
) -> Response {
    client
        .post(node.url("/oauth2/token"))
        .form(&[
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", secret),
            ("grant_type", grant),
            ("assertion", assertion),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .unwrap()
}

/// Access and refresh tokens from a successful token response.
pub async fn tokens(r: Response) -> (String, String) {
    assert_eq!(r.status(), StatusCode::OK, "token request refused");
    let t: Value = r.json().await.unwrap();
    (
        t["access_token"].as_str().unwrap().to_owned(),
        t["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// The status of `GET path` with `token` at `node` (header `X-TFS-FedAuthRedirect: Suppress`, so
/// a refused token answers 401 rather than the sign-in page).
pub async fn status(node: &Node, path: &str, token: &str) -> StatusCode {
    Client::new()
        .get(node.url(path))
        .bearer_auth(token)
        .header("X-TFS-FedAuthRedirect", "Suppress")
        .send()
        .await
        .unwrap()
        .status()
}
