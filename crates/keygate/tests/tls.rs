//! TLS: `keygate serve --tls-cert/--tls-key` serves https (with HSTS for a real host name),
//! `keygate tls init` makes a local CA and a server certificate clients trust through the CA
//! alone, and `keygate demo --https` serves a certificate from that local CA.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use keygate_testkit::process::command;
use keygate_testkit::{free_port, sqlite_url, wait_until_answers, Process};

const KEYGATE: &str = env!("CARGO_BIN_EXE_keygate");

fn client_trusting(cert_pem: &[u8]) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem).unwrap())
        .redirect(reqwest::redirect::Policy::none())
}

#[tokio::test]
async fn serve_with_a_certificate_and_key_answers_https_with_hsts_and_refuses_plain_http() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["keygate.test".to_owned()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let port = free_port();
    let _server = Process(
        command(KEYGATE)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--public-url", &format!("https://keygate.test:{port}")])
            .args(["--database-url", &sqlite_url(&dir.path().join("k.db"))])
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let https = client_trusting(made.cert.pem().as_bytes())
        .resolve("keygate.test", addr)
        .build()
        .unwrap();
    let r = wait_until_answers(&https, &format!("https://keygate.test:{port}/healthz")).await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let page = https
        .get(format!("https://keygate.test:{port}/_signin"))
        .send()
        .await
        .unwrap();
    assert!(page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Secure"));

    // The same port does not speak plain HTTP.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    // A client that does not trust the certificate is refused at the handshake.
    let untrusting = reqwest::Client::builder()
        .resolve("keygate.test", addr)
        .build()
        .unwrap();
    assert!(untrusting
        .get(format!("https://keygate.test:{port}/healthz"))
        .send()
        .await
        .is_err());
}

/// A client trusting `ca_pem` and nothing else (no built-in roots).
fn client_trusting_only(ca_pem: &[u8]) -> reqwest::Client {
    client_trusting(ca_pem)
        .tls_built_in_root_certs(false)
        .build()
        .unwrap()
}

fn tls_init(dir: &Path, names: &[&str]) -> serde_json::Value {
    let mut cmd = command(KEYGATE);
    cmd.args(["tls", "init", "--json", "--dir"]).arg(dir);
    for name in names {
        cmd.args(["--name", name]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn tls_init_makes_a_ca_that_alone_makes_clients_trust_the_server_and_rerunning_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    let first = tls_init(&tls, &[]);
    assert_eq!(first["caCreated"], true);
    assert_eq!(
        first["names"],
        serde_json::json!(["localhost", "127.0.0.1", "::1"])
    );
    let ca = std::fs::read(tls.join("ca.pem")).unwrap();
    let leaf = std::fs::read(tls.join("server.pem")).unwrap();

    // Re-running keeps both; a new name keeps the CA and remakes the server certificate.
    let again = tls_init(&tls, &[]);
    assert_eq!(
        (&again["caCreated"], &again["serverIssued"]),
        (&false.into(), &false.into())
    );
    assert_eq!(std::fs::read(tls.join("server.pem")).unwrap(), leaf);
    let named = tls_init(&tls, &["keygate.test"]);
    assert_eq!(
        (&named["caCreated"], &named["serverIssued"]),
        (&false.into(), &true.into())
    );
    assert_eq!(std::fs::read(tls.join("ca.pem")).unwrap(), ca);
    assert_ne!(std::fs::read(tls.join("server.pem")).unwrap(), leaf);

    // The printed serve arguments serve https that the CA alone vouches for, on every name.
    let serve_args: Vec<String> = named["serveArgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let port = free_port();
    let _server = Process(
        command(KEYGATE)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--public-url", &format!("https://localhost:{port}")])
            .args(["--database-url", &sqlite_url(&dir.path().join("k.db"))])
            .args(&serve_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let client = client_trusting(&ca)
        .tls_built_in_root_certs(false)
        .resolve("keygate.test", addr)
        .build()
        .unwrap();
    for host in ["localhost", "127.0.0.1", "keygate.test"] {
        let r = wait_until_answers(&client, &format!("https://{host}:{port}/healthz")).await;
        assert_eq!(r.status(), reqwest::StatusCode::OK, "{host}");
    }
    // Another CA does not vouch for it.
    let other = tls_init(&dir.path().join("other"), &[]);
    let stranger = client_trusting_only(&std::fs::read(other["caCert"].as_str().unwrap()).unwrap());
    assert!(stranger
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .is_err());

    let out = command(KEYGATE)
        .args(["tls", "show", "--dir"])
        .arg(&tls)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(shown.contains("keygate.test"), "{shown}");
    assert!(shown.contains(&format!(
        "export SSL_CERT_FILE={}",
        tls.join("ca.pem").display()
    )));
}

#[tokio::test]
async fn demo_https_serves_a_certificate_from_the_kept_local_ca() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("demo-tls");
    // A CA made (and, say, trusted) before is the one the demo serves with.
    tls_init(&tls, &[]);
    let ca_before = std::fs::read(tls.join("ca.pem")).unwrap();
    let port = free_port();
    let mut child = command(KEYGATE)
        .args(["demo", "--https", "--listen", &format!("127.0.0.1:{port}")])
        .env("KEYGATE_DEMO_TLS_DIR", &tls)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _demo = Process(child);
    // The banner names the https base URL and the trust lines. The pipe stays open (the
    // reader is kept to the end of the test): closed, the demo's next line would hit a broken
    // pipe and end the process while the test still talks to it.
    let (base, ca_path, printed, _stdout) = tokio::task::spawn_blocking(move || {
        let (mut base, mut ca, mut printed) = (None, None, String::new());
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            printed.push_str(&line);
            printed.push('\n');
            if let Some(rest) = line.strip_prefix("Keygate demo is running at ") {
                base = rest.split_whitespace().next().map(str::to_owned);
            }
            if let Some(rest) = line.trim().strip_prefix("export SSL_CERT_FILE=") {
                ca = Some(rest.to_owned());
            }
            if line.contains("Entra ID tenant id: ") {
                break;
            }
        }
        (
            base.expect("no base URL printed"),
            ca.expect("no trust line printed"),
            printed,
            lines,
        )
    })
    .await
    .unwrap();
    assert_eq!(base, format!("https://127.0.0.1:{port}"));
    assert_eq!(Path::new(&ca_path), tls.join("ca.pem"));
    assert_eq!(std::fs::read(&ca_path).unwrap(), ca_before);
    for line in [
        format!("export REQUESTS_CA_BUNDLE={ca_path}"),
        format!("export NODE_EXTRA_CA_CERTS={ca_path}"),
        format!("curl --cacert {ca_path}"),
        "instance_discovery=False".to_owned(),
        "499b84ac-1321-427f-aa17-267ca6975798/.default".to_owned(),
        "Entra ID tenant id: ".to_owned(),
        format!("knownAuthorities: [\"127.0.0.1:{port}\"]"),
    ] {
        assert!(printed.contains(&line), "{line} missing from:\n{printed}");
    }
    let client = client_trusting_only(&ca_before);
    for host in ["localhost", "127.0.0.1"] {
        let r = wait_until_answers(&client, &format!("https://{host}:{port}/healthz")).await;
        assert_eq!(r.status(), reqwest::StatusCode::OK, "{host}");
    }
    // The printed tenant id is the one the Entra endpoints answer for.
    let tenant = printed
        .split("Entra ID tenant id: ")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .unwrap();
    let discovery: serde_json::Value = client
        .get(format!(
            "{base}/{tenant}/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], format!("{base}/{tenant}/v2.0"));
    // curl, told only about the CA, trusts it too.
    let curl = std::process::Command::new("curl")
        .args(["-sS", "--fail", "--cacert", &ca_path])
        .arg(format!("https://localhost:{port}/healthz"))
        .output();
    match curl {
        Ok(out) => assert!(
            out.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!("SKIPPED the curl check: {e}"),
    }
}
