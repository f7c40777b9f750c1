//! TLS: `keygate serve --tls-cert/--tls-key` serves https (with HSTS for a real host name), and
//! `keygate demo --https` serves a self-signed localhost certificate it made for the run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

use std::io::{BufRead, BufReader};
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

#[tokio::test]
async fn demo_https_serves_a_self_signed_certificate_for_localhost() {
    let port = free_port();
    let mut child = command(KEYGATE)
        .args(["demo", "--https", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _demo = Process(child);
    // The banner names the https base URL and the certificate file. The pipe stays open (the
    // reader is kept to the end of the test): closed, the demo's next line would hit a broken
    // pipe and end the process while the test still talks to it.
    let (base, cert_path, _stdout) = tokio::task::spawn_blocking(move || {
        let (mut base, mut cert) = (None, None);
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("Keygate demo is running at ") {
                base = rest.split_whitespace().next().map(str::to_owned);
            }
            if line.trim_end().ends_with("localhost-cert.pem") {
                cert = Some(line.trim().to_owned());
            }
            if base.is_some() && cert.is_some() {
                break;
            }
        }
        (
            base.expect("no base URL printed"),
            cert.expect("no certificate printed"),
            lines,
        )
    })
    .await
    .unwrap();
    assert_eq!(base, format!("https://127.0.0.1:{port}"));
    let pem = std::fs::read(&cert_path).unwrap();
    for host in ["localhost", "127.0.0.1"] {
        let client = client_trusting(&pem).build().unwrap();
        let r = wait_until_answers(&client, &format!("https://{host}:{port}/healthz")).await;
        assert_eq!(r.status(), reqwest::StatusCode::OK, "{host}");
    }
}
