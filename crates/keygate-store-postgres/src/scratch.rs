//! Throw-away databases for tests (feature `test-support`): each test gets a fresh database
//! `kg_test_<random>` on the server named by `KEYGATE_TEST_POSTGRES_URL`, dropped when the
//! [`ScratchDatabase`] is.
//!
//! Without that variable, [`server_url`] returns `None` and prints once, to the terminal even
//! under the test harness's output capture, that the PostgreSQL tests were skipped.

use std::io::Write;
use std::str::FromStr;
use std::sync::Once;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// The environment variable naming the PostgreSQL server tests may create databases on.
pub const TEST_URL_VAR: &str = "KEYGATE_TEST_POSTGRES_URL";

/// What went wrong creating a scratch database.
pub type ScratchError = Box<dyn std::error::Error + Send + Sync>;

static SKIPPED: Once = Once::new();

/// The test server's URL, or `None` (after saying once that the PostgreSQL tests are skipped)
/// when `KEYGATE_TEST_POSTGRES_URL` is unset or empty.
pub fn server_url() -> Option<String> {
    match std::env::var(TEST_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            SKIPPED.call_once(|| {
                // Straight to the process's stderr: the harness captures `eprintln!` of passing
                // tests, and this note must be seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "note: PostgreSQL tests skipped: set {TEST_URL_VAR} \
                     (e.g. postgres://postgres@127.0.0.1:5432/test) to run them"
                );
            });
            None
        }
    }
}

/// A fresh, empty database on the test server; dropped (with every connection to it) when this
/// value is dropped.
#[derive(Debug)]
pub struct ScratchDatabase {
    /// The server's URL, whose database we connect to for `CREATE`/`DROP DATABASE`.
    server: String,
    /// The database's name.
    name: String,
    /// The URL of the new database.
    url: String,
}

impl ScratchDatabase {
    /// Creates `kg_test_<random>` on the server at `server_url`.
    pub async fn create(server_url: &str) -> Result<Self, ScratchError> {
        let name = format!("kg_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnectOptions::from_str(server_url)?.connect().await?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        let url = database_url(server_url, &name)?;
        Ok(Self {
            server: server_url.to_owned(),
            name,
            url,
        })
    }

    /// Creates a scratch database on the test server, or `None` when no server is configured.
    pub async fn from_env() -> Result<Option<Self>, ScratchError> {
        match server_url() {
            Some(server) => Ok(Some(Self::create(&server).await?)),
            None => Ok(None),
        }
    }

    /// The new database's URL (`postgres://.../kg_test_...`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The new database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// `server_url` with its database replaced by `name`, keeping user, host, port and parameters.
fn database_url(server_url: &str, name: &str) -> Result<String, ScratchError> {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let scheme_end = base.find("://").ok_or("the server URL has no scheme")? + 3;
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    Ok(url)
}

async fn drop_database(server: &str, name: &str) -> Result<(), ScratchError> {
    let mut admin = PgConnectOptions::from_str(server)?.connect().await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    Ok(())
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which must not be blocked on; a thread with a
        // runtime of its own does the work while this one waits.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(drop_database(&server, &name))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "warning: could not drop {}: {e}",
                    self.name
                );
            }
            Err(_) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "warning: dropping {} panicked",
                    self.name
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn the_scratch_url_keeps_everything_but_the_database() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/test", "kg_test_x").ok(),
            Some("postgres://postgres@127.0.0.1:5432/kg_test_x".to_owned())
        );
        assert_eq!(
            database_url("postgresql://u:p@db/test?sslmode=disable", "kg").ok(),
            Some("postgresql://u:p@db/kg?sslmode=disable".to_owned())
        );
        assert_eq!(
            database_url("postgres://db:5432", "kg").ok(),
            Some("postgres://db:5432/kg".to_owned())
        );
    }
}
