//! The admin CLI run as a process against one database, with the seed data most tests start
//! from.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::process::command;
use crate::{CALLBACK, EMAIL, ORG, PASSWORD, PROJECT};

/// The `sqlite://` URL of `file`.
pub fn sqlite_url(file: &Path) -> String {
    format!("sqlite://{}", file.display())
}

/// The `keygate` binary's admin commands against one database.
#[derive(Debug, Clone)]
pub struct Cli {
    bin: PathBuf,
    database_url: String,
    config: Option<PathBuf>,
}

impl Cli {
    /// Admin commands of `bin` against `database_url`.
    pub fn new(bin: impl Into<PathBuf>, database_url: impl Into<String>) -> Cli {
        Cli {
            bin: bin.into(),
            database_url: database_url.into(),
            config: None,
        }
    }

    /// The same commands, each also given `--config file`.
    pub fn with_config(self, file: &Path) -> Cli {
        Cli {
            config: Some(file.to_owned()),
            ..self
        }
    }

    /// Admin commands of `bin` against the SQLite file `file`.
    pub fn sqlite(bin: impl Into<PathBuf>, file: &Path) -> Cli {
        Cli::new(bin, sqlite_url(file))
    }

    /// The database the commands run against.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// `keygate <args> --database-url <url>` (and `--config`, if given), not yet run (to pipe
    /// its input, say).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = command(&self.bin);
        cmd.args(args).args(["--database-url", &self.database_url]);
        if let Some(config) = &self.config {
            cmd.arg("--config").arg(config);
        }
        cmd
    }

    /// Runs `keygate <args>` against the database.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs `keygate <args> --json`, which must succeed, and returns its JSON output.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.command(args).arg("--json").output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Creates the user [`EMAIL`] with [`PASSWORD`]; the command's JSON output.
    pub fn create_user(&self) -> Value {
        self.json(&[
            "user",
            "create",
            "--email",
            EMAIL,
            "--name",
            "Ana",
            "--password",
            PASSWORD,
        ])
    }

    /// The user, the organization [`ORG`] she owns and its project [`PROJECT`].
    pub fn seed(&self) {
        self.create_user();
        self.json(&["org", "create", ORG, "--owner", EMAIL]);
        self.json(&["project", "create", ORG, PROJECT]);
    }

    /// Registers a confidential app owned by the seeded user, calling back to [`CALLBACK`]
    /// with `scopes`: its App ID and client secret.
    pub fn new_app(&self, name: &str, scopes: &str) -> (String, String) {
        let app = self.json(&[
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
            scopes,
        ]);
        (
            app["app_id"].as_str().unwrap().to_owned(),
            app["client_secret"].as_str().unwrap().to_owned(),
        )
    }
}

/// The JSON a command printed; fails the test if the command failed.
pub fn ok_json(out: Output) -> Value {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Checks that a command failed and said `message`.
pub fn refused(out: &Output, message: &str) {
    assert!(!out.status.success(), "should have failed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(message), "stderr was: {err}");
}
