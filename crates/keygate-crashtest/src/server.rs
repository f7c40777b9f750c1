//! The server under test: the release binary started on a fixed port over one SQLite file,
//! killed with SIGKILL, and the database checked while it is down.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A `keygate serve` process.
pub(crate) struct Server {
    binary: PathBuf,
    db: PathBuf,
    log: PathBuf,
    listen: String,
    child: Option<Child>,
}

impl Server {
    /// Describes the server; nothing runs until [`Server::start`].
    pub(crate) fn new(binary: &Path, dir: &Path, port: u16) -> Self {
        Self {
            binary: binary.to_owned(),
            db: dir.join("keygate.db"),
            log: dir.join("server.log"),
            listen: format!("127.0.0.1:{port}"),
            child: None,
        }
    }

    /// The database URL.
    pub(crate) fn database_url(&self) -> String {
        format!("sqlite://{}", self.db.display())
    }

    /// The base URL.
    pub(crate) fn base(&self) -> String {
        format!("http://{}", self.listen)
    }

    /// Runs an admin command against the database and returns its JSON output.
    pub(crate) fn admin(
        &self,
        args: &[&str],
        stdin: Option<&str>,
    ) -> anyhow::Result<serde_json::Value> {
        use std::io::Write;
        let mut child = Command::new(&self.binary)
            .args(args)
            .args(["--database-url", &self.database_url(), "--json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("could not run the keygate binary")?;
        if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
            input.write_all(text.as_bytes())?;
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "keygate {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(serde_json::from_slice(&out.stdout)?)
    }

    /// Starts the server (rate limits off: the driver is one client hammering on purpose) and
    /// waits until it answers `/healthz`.
    pub(crate) async fn start(&mut self, http: &reqwest::Client) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(&self.binary)
            .args(["serve", "--listen", &self.listen, "--database-url"])
            .arg(self.database_url())
            .args(["--token-rate-limit", "0", "--sign-in-rate-limit", "0"])
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("could not start keygate serve")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = http.get(format!("{}/healthz", self.base())).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!(
            "the server did not become healthy; see {}",
            self.log.display()
        )
    }

    /// SIGKILL: no shutdown hook runs, nothing is flushed.
    pub(crate) fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("could not SIGKILL the server")?;
            child.wait()?;
        }
        Ok(())
    }

    /// `PRAGMA integrity_check` and the double-redemption query, on the database of a stopped
    /// server. Returns the integrity answer and the number of authorizations with more than one
    /// first refresh token (a code redeemed twice would make two).
    pub(crate) async fn check_database(&self) -> anyhow::Result<(String, i64)> {
        use sqlx::sqlite::SqliteConnectOptions;
        use sqlx::{ConnectOptions, Row};
        let mut conn = SqliteConnectOptions::new()
            .filename(&self.db)
            .connect()
            .await?;
        let integrity: String = sqlx::query("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await?
            .try_get(0)?;
        let forked: i64 = sqlx::query(
            "SELECT COUNT(*) FROM (SELECT authorization_id FROM refresh_tokens \
             WHERE parent_hash IS NULL GROUP BY authorization_id HAVING COUNT(*) > 1)",
        )
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
        Ok((integrity, forked))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}
