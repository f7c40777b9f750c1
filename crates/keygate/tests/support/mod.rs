//! Shared by the multi-process tests: start `keygate` processes, sign in, authorize, exchange.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::Value;

pub const CALLBACK: &str = "https://localhost:5001/oauth/callback";

/// A running `keygate serve` process, killed on drop.
pub struct Node {
    pub child: Child,
    pub base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn cli(db: &Path, args: &[&str]) -> Value {
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

pub async fn start_node(db: &Path) -> Node {
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
    wait_ready(&node.base).await;
    node
}

/// Waits until `base` answers `/readyz` with 200.
pub async fn wait_ready(base: &str) {
    let client = Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == StatusCode::OK {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} did not become ready");
}

pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn field(html: &str, name: &str) -> String {
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
pub async fn tokens_from(
    node: &Node,
    email: &str,
    password: &str,
    scopes: &str,
    app_id: &str,
    secret: &str,
) -> (Client, String) {
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
            ("email", email.into()),
            ("password", password.into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", app_id)
        .append_pair("response_type", "Assertion")
        .append_pair("state", "s")
        .append_pair("scope", scopes)
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

pub async fn status(node: &Node, path: &str, token: &str) -> StatusCode {
    Client::new()
        .get(format!("{}{path}", node.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}
