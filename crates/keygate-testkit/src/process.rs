//! `keygate` processes: a command line that inherits no `KEYGATE_*` setting from the test's
//! environment, a child killed on drop, and a server started on a free port and waited for.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Client, Response, StatusCode};

/// How long a starting server may take to answer before the test gives up.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `bin` as a command, without any `KEYGATE_*` variable of the test's environment, so a
/// developer's settings never leak into what a test checks.
pub fn command(bin: impl AsRef<Path>) -> Command {
    let mut cmd = Command::new(bin.as_ref());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("KEYGATE_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// A child process, killed and reaped when dropped.
#[derive(Debug)]
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `keygate serve` (or `demo`) on 127.0.0.1, stopped when dropped.
#[derive(Debug)]
pub struct Server {
    _process: Process,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Server {
    /// Starts `keygate serve` from `bin` on a free port over `database_url`, with `extra` flags,
    /// and waits until it is ready.
    pub async fn start(bin: impl AsRef<Path>, database_url: &str, extra: &[&str]) -> Server {
        let port = free_port();
        let mut cmd = command(bin);
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--database-url", database_url])
            .args(extra)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Server::adopt(cmd.spawn().unwrap(), port).await
    }

    /// Takes charge of `child`, a server listening on 127.0.0.1:`port`, and waits until it is
    /// ready.
    pub async fn adopt(child: Child, port: u16) -> Server {
        let server = Server {
            _process: Process(child),
            base: format!("http://127.0.0.1:{port}"),
        };
        wait_ready(&server.base).await;
        server
    }

    /// `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Whether `/readyz` answers 200 before `limit` passes.
    pub async fn ready_within(&self, limit: Duration) -> bool {
        ready_within(&self.base, limit).await
    }
}

async fn ready_within(base: &str, limit: Duration) -> bool {
    let client = Client::new();
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == StatusCode::OK {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// Waits until `base` answers `/readyz` with 200; fails the test if it never does.
pub async fn wait_ready(base: &str) {
    assert!(
        ready_within(base, START_LIMIT).await,
        "{base} did not become ready"
    );
}

/// Polls `url` with `client` until it answers at all (a server is starting), and returns that
/// answer; fails the test if nothing answers in time.
pub async fn wait_until_answers(client: &Client, url: &str) -> Response {
    let deadline = Instant::now() + START_LIMIT;
    loop {
        match client.get(url).send().await {
            Ok(r) => return r,
            Err(e) if Instant::now() > deadline => panic!("{url} never answered: {e:?}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}
