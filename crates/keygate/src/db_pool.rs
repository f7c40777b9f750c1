//! Connection pool settings (`--db-max-connections`, `--db-acquire-timeout`,
//! `--db-statement-timeout`, the same `KEYGATE_DB_*` variables and config-file keys), resolved
//! with the usual precedence: flag or environment, then config file, then default.

use std::str::FromStr;
use std::time::Duration;

use keygate_store_postgres::PoolSettings;
use serde::Deserialize;

use crate::cli::PoolArgs;
use crate::settings::ConfigFile;

/// A timeout: a number of seconds, or a number with a unit (`500ms`, `5s`, `1m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timeout(pub Duration);

/// Why a timeout could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a timeout: use seconds (5) or a number with a unit (500ms, 5s, 1m)")]
pub(crate) struct TimeoutError(String);

impl FromStr for Timeout {
    type Err = TimeoutError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let duration = match t.parse::<u64>() {
            Ok(seconds) => Duration::from_secs(seconds),
            Err(_) => humantime::parse_duration(t).map_err(|_| TimeoutError(s.to_owned()))?,
        };
        if duration.is_zero() {
            return Err(TimeoutError(s.to_owned()));
        }
        Ok(Self(duration))
    }
}

impl<'de> Deserialize<'de> for Timeout {
    /// A config file may say `5` or `"500ms"`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Seconds(n) => n.to_string().parse(),
            Raw::Text(s) => s.parse(),
        }
        .map_err(serde::de::Error::custom)
    }
}

/// The pool settings the flags (or environment) `flags` and the config file ask for, over the
/// defaults.
pub(crate) fn resolve(flags: &PoolArgs, file: &ConfigFile) -> anyhow::Result<PoolSettings> {
    let d = PoolSettings::default();
    let max_connections = flags
        .db_max_connections
        .or(file.db_max_connections)
        .unwrap_or(d.max_connections);
    anyhow::ensure!(max_connections > 0, "db_max_connections must be at least 1");
    Ok(PoolSettings {
        max_connections,
        acquire_timeout: flags
            .db_acquire_timeout
            .or(file.db_acquire_timeout)
            .map_or(d.acquire_timeout, |t| t.0),
        statement_timeout: flags
            .db_statement_timeout
            .or(file.db_statement_timeout)
            .map_or(d.statement_timeout, |t| t.0),
        ..d
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_read_seconds_and_units_down_to_milliseconds() {
        for (text, expected) in [
            ("5", Duration::from_secs(5)),
            ("500ms", Duration::from_millis(500)),
            ("2s", Duration::from_secs(2)),
            ("1m", Duration::from_secs(60)),
        ] {
            assert_eq!(
                text.parse::<Timeout>().ok(),
                Some(Timeout(expected)),
                "{text}"
            );
        }
        for bad in ["0", "0s", "soon", "-1", ""] {
            assert!(bad.parse::<Timeout>().is_err(), "{bad}");
        }
    }

    #[test]
    fn flags_win_over_the_config_file_which_wins_over_defaults() {
        let file: ConfigFile =
            toml::from_str("db_max_connections = 3\ndb_acquire_timeout = \"250ms\"\n")
                .expect("config");
        let flags = PoolArgs {
            db_max_connections: Some(7),
            ..PoolArgs::default()
        };
        let pool = resolve(&flags, &file).expect("pool");
        assert_eq!(pool.max_connections, 7);
        assert_eq!(pool.acquire_timeout, Duration::from_millis(250));
        assert_eq!(
            pool.statement_timeout,
            PoolSettings::default().statement_timeout
        );
        let none = resolve(&PoolArgs::default(), &ConfigFile::default()).expect("pool");
        assert_eq!(none, PoolSettings::default());
    }

    #[test]
    fn a_pool_of_no_connections_is_refused() {
        let flags = PoolArgs {
            db_max_connections: Some(0),
            ..PoolArgs::default()
        };
        assert!(resolve(&flags, &ConfigFile::default()).is_err());
    }
}
