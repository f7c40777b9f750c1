//! Picks the storage backend once, from the database URL's scheme: `sqlite:` for one machine,
//! `postgres://` or `postgresql://` for several nodes on one database.

use std::sync::Arc;

use anyhow::Context;
use keygate_core::{Store, StoreError};
use keygate_store_postgres::{PgStore, PoolSettings};
use keygate_store_sqlite::SqliteStore;

/// The backends a database URL can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend `url` names, if any.
    pub(crate) fn of(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Opens (creating and migrating if needed) the store named by `url`; `pool` sizes a PostgreSQL
/// connection pool and bounds its waits (SQLite keeps its one writer and few readers). Every
/// command opens its database here, with the pool settings it resolved from its flags,
/// environment and config file.
pub(crate) async fn open_with(url: &str, pool: &PoolSettings) -> anyhow::Result<Arc<dyn Store>> {
    match Backend::of(url) {
        Some(Backend::Sqlite) => {
            let store = SqliteStore::connect(url)
                .await
                .with_context(|| format!("could not open the SQLite database {url}"))?;
            Ok(Arc::new(store))
        }
        Some(Backend::Postgres) => {
            // The URL may carry a password: name only the backend in the error.
            let store = PgStore::connect_with(url, pool.clone())
                .await
                .map_err(|e| match e {
                    StoreError::Unavailable(_) => anyhow::Error::new(e).context(format!(
                        "could not reach the PostgreSQL database within {} (db_acquire_timeout)",
                        humantime::format_duration(pool.acquire_timeout)
                    )),
                    other => {
                        anyhow::Error::new(other).context("could not open the PostgreSQL database")
                    }
                })?;
            Ok(Arc::new(store))
        }
        None => anyhow::bail!(
            "unsupported database URL {}: use sqlite://path or postgres://user@host/database",
            redact(url)
        ),
    }
}

/// `url` without a password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        assert_eq!(Backend::of("sqlite://keygate.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("sqlite:keygate.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("postgres://u@h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("postgresql://u@h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("mysql://u@h/db"), None);
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://kg:hunter2@db.example/keygate"),
            "postgres://kg:***@db.example/keygate"
        );
        assert_eq!(redact("sqlite://keygate.db"), "sqlite://keygate.db");
    }
}
