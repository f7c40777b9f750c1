//! Headless Chromium driven over WebDriver: chromedriver started on a free port with a fresh
//! profile, stopped when dropped. Missing binaries fail the test under CI and skip it elsewhere.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a page may take to appear (a loaded 2-core machine, a cold browser).
pub(crate) const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn binary(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session. `None` (with a note) when the
    /// binaries are missing outside CI; under CI (`CI=true`) a missing browser fails the test.
    pub(crate) async fn start() -> Option<Self> {
        let chromium = binary("CHROMIUM", CHROMIUM);
        let chromedriver = binary("CHROMEDRIVER", CHROMEDRIVER);
        let missing: Vec<&Path> = [chromium.as_path(), chromedriver.as_path()]
            .into_iter()
            .filter(|p| !p.is_file())
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "the browser test needs Debian's chromium and chromium-driver, but {missing:?} \
                 is missing: run `bash scripts/ensure-chromium.sh`"
            );
            let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(!in_ci, "{message}");
            eprintln!("SKIPPED (not in CI): {message}");
            return None;
        }

        // Port 0: chromedriver picks a free port and says which, so no other process can take it
        // between our choice and its bind.
        let mut driver = Command::new(&chromedriver)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", chromedriver.display()));
        let port = announced_port(&mut driver).await;
        let webdriver = format!("http://127.0.0.1:{port}");
        wait_until_ready(&webdriver).await;

        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-component-update",
                    "--disable-sync",
                    "--ignore-certificate-errors",
                    "--disable-dev-shm-usage",
                    "--window-size=1100,860",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .expect("chromedriver starts a Chromium session");
        Some(Self {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Waits for an element, failing with the page's URL and text if it never comes.
    pub(crate) async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(PAGE_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!("{css} never appeared ({e}); {}", self.describe().await),
        }
    }

    /// The current URL and visible text, for failure messages.
    pub(crate) async fn describe(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        format!("at {url}: {text}")
    }

    /// The text of the element matching `css`.
    pub(crate) async fn text_of(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.unwrap()
    }

    /// Saves a PNG of the viewport to `dir/name` and checks it is a real picture.
    pub(crate) async fn screenshot(&self, dir: &Path, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
            "{name} is not a plausible PNG ({} bytes)",
            png.len()
        );
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }

    /// Ends the WebDriver session and chromedriver.
    pub(crate) async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}

/// Reads chromedriver's "started successfully on port N." line, then keeps draining its output
/// so it never blocks on a full pipe.
async fn announced_port(driver: &mut Child) -> u16 {
    let stdout = driver
        .stdout
        .take()
        .expect("chromedriver's stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.split("on port ").nth(1) {
                if let Ok(port) = rest.trim_end_matches('.').trim().parse::<u16>() {
                    if port != 0 {
                        return Some(port);
                    }
                }
            }
        }
        None
    };
    let port = tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .ok()
        .flatten()
        .expect("chromedriver announces the port it listens on within 20 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    port
}

/// Polls chromedriver's `/status` until it answers (with a deadline).
async fn wait_until_ready(webdriver: &str) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{webdriver}/status")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not answer at {webdriver} within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where screenshots go: `docs/screenshots` when `UPDATE_SCREENSHOTS=1` (to refresh the ones the
/// README shows), otherwise the test's scratch directory so a test run leaves the tree clean.
pub(crate) fn screenshot_dir() -> PathBuf {
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
    } else {
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
    }
}
