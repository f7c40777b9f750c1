//! Microsoft's MSAL libraries, unchanged, against the real `keygate` binary's Entra ID endpoints
//! over https trusting Keygate's local CA (`keygate tls init`): MSAL for Python (`msal`, pinned
//! in `tests/msal/python/requirements.txt`, in a virtual environment `.venv-msal` this test
//! builds) and `@azure/msal-node` (pinned in `tests/msal/node/package-lock.json`, installed with
//! `npm ci`). Each runs the authorization code flow, a forced silent refresh and client
//! credentials (`tests/msal/*/msal_flows.*`), and MSAL for Python the device code flow with a
//! public app (approved on the `/device` page by form posts when the script prints `DEVICE`); this test plays the browser (sign-in and consent
//! by form posts) when a script prints `AUTHORIZE <url>`, and calls the REST API with the
//! access tokens a script prints as `TOKEN <label> <token>`. Under CI (`CI=true`) a missing
//! `node`/`npm` or `python3` is a failure, never a skip.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use keygate_testkit::html::hidden_fields;
use keygate_testkit::process::command;
use keygate_testkit::{
    free_port, run, sign_in, sqlite_url, tools_present, wait_until_answers, Cli, Process, CALLBACK,
    EMAIL, ME, ORG, PASSWORD,
};
use reqwest::{Client, StatusCode};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const KEYGATE: &str = env!("CARGO_BIN_EXE_keygate");
/// What the app registers; the scripts ask for `vso.profile` and `vso.project` of the Azure
/// DevOps resource, and `.default` for client credentials.
const SCOPES: &str = "vso.profile vso.project";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A seeded Keygate serving https with a certificate from a local CA, and a confidential app.
struct World {
    _server: Process,
    base: String,
    ca: PathBuf,
    ca_pem: Vec<u8>,
    tenant_id: String,
    app_id: String,
    secret: String,
    public_app_id: String,
    /// The private key (PEM) of a certificate registered on the confidential app, and the
    /// certificate's SHA-1 thumbprint (hex), for `private_key_jwt`.
    certificate_key: PathBuf,
    certificate_thumbprint: String,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir.path().join("keygate.db"));
    let cli = Cli::new(KEYGATE, db.clone());
    cli.seed();
    let (app_id, secret) = cli.new_app("MSAL app", SCOPES);
    let public = cli.json(&[
        "app",
        "create",
        "--public",
        "--owner",
        EMAIL,
        "--name",
        "MSAL device app",
        "--company",
        "Fabrikam",
        "--website",
        "https://fabrikam.example",
        "--callback-url",
        "http://127.0.0.1/callback",
        "--scopes",
        SCOPES,
    ]);
    let public_app_id = public["app_id"].as_str().unwrap().to_owned();
    // The app joins the organization (its service principal), so app-only tokens read it.
    cli.json(&["org", "add-app", ORG, &app_id]);
    // A certificate on the confidential app, for MSAL's certificate credential (RS256 + x5t).
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["msal-app".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_file, certificate_key) = (dir.path().join("app.pem"), dir.path().join("app-key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&certificate_key, key.serialize_pem()).unwrap();
    let added = cli.json(&[
        "app",
        "certificate",
        "add",
        &app_id,
        "--pem",
        cert_file.to_str().unwrap(),
    ]);
    let certificate_thumbprint = added["thumbprint"].as_str().unwrap().to_owned();
    // The test names the tenant, so it knows the id client credentials need.
    let tenant_id = uuid::Uuid::new_v4().to_string();

    let tls = dir.path().join("tls");
    let out = command(KEYGATE)
        .args(["tls", "init", "--json", "--dir"])
        .arg(&tls)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let serve_args: Vec<&str> = made["serveArgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let ca = PathBuf::from(made["caCert"].as_str().unwrap());
    let ca_pem = std::fs::read(&ca).unwrap();

    let port = free_port();
    let base = format!("https://localhost:{port}");
    let server = Process(
        command(KEYGATE)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--public-url", &base, "--database-url", &db])
            .args(["--tenant-id", &tenant_id])
            .args(&serve_args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let r = wait_until_answers(&https(&ca_pem, false), &format!("{base}/healthz")).await;
    assert_eq!(r.status(), StatusCode::OK);
    World {
        _server: server,
        base,
        ca,
        ca_pem,
        tenant_id,
        app_id,
        secret,
        public_app_id,
        certificate_key,
        certificate_thumbprint,
        _dir: dir,
    }
}

/// A client trusting only the local CA; a `browser` keeps cookies. Neither follows redirects.
fn https(ca_pem: &[u8], browser: bool) -> Client {
    Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem).unwrap())
        .tls_built_in_root_certs(false)
        .cookie_store(browser)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// What a signed-in person's browser does with MSAL's authorize URL: follow redirects, accept
/// any consent page by submitting its form, until Keygate sends the browser to the callback.
/// Returns that callback URL.
async fn browse(browser: &Client, url: &str) -> String {
    let mut next = reqwest::Url::parse(url).unwrap();
    let mut page = browser.get(next.clone()).send().await.unwrap();
    for _ in 0..10 {
        let status = page.status();
        if status.is_redirection() {
            let location = page.headers()["location"].to_str().unwrap();
            next = next.join(location).unwrap();
            if next.as_str().starts_with(CALLBACK) {
                return next.to_string();
            }
            page = browser.get(next.clone()).send().await.unwrap();
            continue;
        }
        let html = page.text().await.unwrap();
        assert_eq!(
            status,
            StatusCode::OK,
            "the authorize page at {next} answered {status}: {html}"
        );
        let action =
            form_action(&html).unwrap_or_else(|| panic!("no consent form at {next}: {html}"));
        let mut form = hidden_fields(&html);
        form.push(("decision".into(), "accept".into()));
        next = next.join(&action).unwrap();
        page = browser.post(next.clone()).form(&form).send().await.unwrap();
    }
    panic!("the browser never came back to {CALLBACK}");
}

/// What a signed-in person does with a device flow's code: enters it on the verification page
/// and accepts the consent page it shows.
async fn approve_device(browser: &Client, verification_uri: &str, user_code: &str) {
    let page = browser.get(verification_uri).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the /device page");
    let html = page.text().await.unwrap();
    let mut form = hidden_fields(&html);
    form.push(("user_code".into(), user_code.into()));
    let consent = browser
        .post(verification_uri)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), StatusCode::OK, "the device consent page");
    let html = consent.text().await.unwrap();
    let action = form_action(&html).unwrap_or_else(|| panic!("no consent form: {html}"));
    let mut decision = hidden_fields(&html);
    decision.push(("decision".into(), "accept".into()));
    let done = browser
        .post(
            reqwest::Url::parse(verification_uri)
                .unwrap()
                .join(&action)
                .unwrap(),
        )
        .form(&decision)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK, "the device decision");
}

/// The `action` of the page's form with a `decision` button (the consent form).
fn form_action(html: &str) -> Option<String> {
    let at = html.find("name=\"decision\"")?;
    let form = html[..at].rfind("<form")?;
    let tag = &html[form..];
    let start = tag.find("action=\"")? + "action=\"".len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].replace("&amp;", "&"))
}

/// Runs a script of the MSAL test protocol to its end: signs the browser in, answers each
/// `AUTHORIZE` line with the callback URL, and returns the `TOKEN` lines' (label, token).
async fn drive(w: &World, mut script: Command, what: &str) -> Vec<(String, String)> {
    let ca = w.ca.to_str().unwrap();
    script
        .env("KEYGATE_URL", &w.base)
        .env("KEYGATE_TENANT_ID", &w.tenant_id)
        .env("KEYGATE_CLIENT_ID", &w.app_id)
        .env("KEYGATE_CLIENT_SECRET", &w.secret)
        .env("KEYGATE_PUBLIC_CLIENT_ID", &w.public_app_id)
        .env("KEYGATE_CERTIFICATE_KEY_FILE", &w.certificate_key)
        .env("KEYGATE_CERTIFICATE_THUMBPRINT", &w.certificate_thumbprint)
        .env("KEYGATE_REDIRECT_URI", CALLBACK)
        .env("REQUESTS_CA_BUNDLE", ca)
        .env("SSL_CERT_FILE", ca)
        .env("NODE_EXTRA_CA_CERTS", ca)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = tokio::process::Command::from(script)
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let browser = https(&w.ca_pem, true);
    sign_in(&browser, &w.base, EMAIL, PASSWORD).await;
    let (mut tokens, mut done) = (Vec::new(), false);
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(url) = line.strip_prefix("AUTHORIZE ") {
            eprintln!("{what}: the browser opens {url}");
            let back = browse(&browser, url).await;
            stdin
                .write_all(format!("{back}\n").as_bytes())
                .await
                .unwrap();
            stdin.flush().await.unwrap();
        } else if let Some(rest) = line.strip_prefix("DEVICE ") {
            let (uri, user_code) = rest.split_once(' ').unwrap();
            eprintln!("{what}: the person enters {user_code} at {uri}");
            approve_device(&browser, uri, user_code).await;
        } else if let Some(rest) = line.strip_prefix("TOKEN ") {
            let (label, token) = rest.split_once(' ').unwrap();
            tokens.push((label.to_owned(), token.to_owned()));
        } else {
            done |= line == "DONE";
            eprintln!("{what}: {line}");
        }
    }
    let status = child.wait().await.unwrap();
    assert!(
        status.success() && done,
        "{what} failed ({status}); see its output above"
    );
    tokens
}

/// The REST API answers 200 to every token: a signed-in user's (`*-auth-code`, `*-refresh`,
/// `*-device`) on the organization's projects and the user's profile, an app-only one (the app
/// was added to the organization; it has no profile) on the projects.
async fn tokens_work_on_the_rest_api(w: &World, tokens: &[(String, String)]) {
    let projects = format!("/{ORG}/_apis/projects?api-version=7.1");
    for (label, token) in tokens {
        let user = label.ends_with("-auth-code")
            || label.ends_with("-refresh")
            || label.ends_with("-device");
        rest_answers_200(w, label, token, &projects).await;
        if user {
            rest_answers_200(w, label, token, ME).await;
        }
    }
}

async fn rest_answers_200(w: &World, label: &str, token: &str, path: &str) {
    let r = https(&w.ca_pem, false)
        .get(format!("{}{path}", w.base))
        .bearer_auth(token)
        .header("X-TFS-FedAuthRedirect", "Suppress")
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{label} token on {path}: {body}");
}

/// The virtual environment with the pinned requirements, rebuilt when they change.
fn python_venv() -> PathBuf {
    keygate_testkit::python_venv(
        &root().join(".venv-msal"),
        &root().join("tests/msal/python/requirements.txt"),
    )
}

#[tokio::test]
async fn msal_python_signs_in_refreshes_and_gets_an_app_token() {
    if !tools_present("MSAL for Python", &["python3"]) {
        return;
    }
    let python = python_venv();
    let w = world().await;
    let mut script = Command::new(python);
    script.arg(root().join("tests/msal/python/msal_flows.py"));
    let tokens = drive(&w, script, "msal (Python)").await;
    let labels: Vec<&str> = tokens.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        [
            "python-device",
            "python-auth-code",
            "python-refresh",
            "python-client-credentials",
            "python-certificate"
        ]
    );
    tokens_work_on_the_rest_api(&w, &tokens).await;
}

#[tokio::test]
async fn msal_node_signs_in_refreshes_and_gets_an_app_token() {
    if !tools_present("msal-node", &["node", "npm"]) {
        return;
    }
    let dir = root().join("tests/msal/node");
    run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir),
        "npm ci",
    );
    let w = world().await;
    let mut script = Command::new("node");
    script.arg("msal_flows.js").current_dir(&dir);
    let tokens = drive(&w, script, "msal-node").await;
    let labels: Vec<&str> = tokens.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        ["node-auth-code", "node-refresh", "node-client-credentials"]
    );
    tokens_work_on_the_rest_api(&w, &tokens).await;
}
