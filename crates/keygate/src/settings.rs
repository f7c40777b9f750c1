//! Settings resolution. Precedence, highest first: command-line flag, `KEYGATE_*` environment
//! variable (clap reads both), the `--config` TOML file, then the built-in default.

use std::path::Path;

use anyhow::Context;
use keygate_core::context::DEFAULT_KEY_PUBLISH_AHEAD;
use keygate_core::keys::SigningAlgorithm;
use keygate_core::{IntrospectionMode, Lifetimes, Policy};
use serde::Deserialize;
use url::Url;

use crate::cli::{DbArgs, LogFormat, ServeArgs};

/// The default database.
pub(crate) const DEFAULT_DATABASE_URL: &str = "sqlite://keygate.db";
/// The default listen address.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The TOML config file: every key optional, same names as the flags with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    listen: Option<String>,
    public_url: Option<String>,
    database_url: Option<String>,
    log_format: Option<LogFormat>,
    access_token_lifetime: Option<crate::lifetime::Lifetime>,
    refresh_token_lifetime: Option<crate::lifetime::Lifetime>,
    code_lifetime: Option<crate::lifetime::Lifetime>,
    client_secret_lifetime: Option<crate::lifetime::Lifetime>,
    session_lifetime: Option<crate::lifetime::Lifetime>,
    device_code_lifetime: Option<crate::lifetime::Lifetime>,
    allow_http_callbacks: Option<bool>,
    pub(crate) max_body_bytes: Option<usize>,
    pub(crate) header_timeout: Option<u64>,
    pub(crate) request_timeout: Option<u64>,
    pub(crate) max_connections: Option<usize>,
    pub(crate) max_connections_per_address: Option<usize>,
    pub(crate) trusted_proxies: Option<Vec<String>>,
    pub(crate) token_rate_limit: Option<u32>,
    pub(crate) sign_in_rate_limit: Option<u32>,
    pub(crate) tls_cert: Option<std::path::PathBuf>,
    pub(crate) tls_key: Option<std::path::PathBuf>,
    pub(crate) master_key_file: Option<std::path::PathBuf>,
    require_pkce: Option<bool>,
    signing_algorithm: Option<String>,
    key_publish_ahead: Option<i64>,
    tenant_id: Option<uuid::Uuid>,
    tenant_domain: Option<String>,
    introspection: Option<String>,
    metrics_listen: Option<String>,
    metrics_public: Option<bool>,
    pub(crate) db_max_connections: Option<u32>,
    pub(crate) db_acquire_timeout: Option<crate::db_pool::Timeout>,
    pub(crate) db_statement_timeout: Option<crate::db_pool::Timeout>,
}

impl ConfigFile {
    /// Reads the file, if one was named.
    pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }
}

/// Everything a running server is configured with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Listen address.
    pub listen: String,
    /// Public base URL.
    pub public_url: Url,
    /// Database URL.
    pub database_url: String,
    /// Log format.
    pub log_format: LogFormat,
    /// Credential lifetimes.
    pub lifetimes: Lifetimes,
    /// Protocol switches.
    pub policy: Policy,
    /// Request limits, TLS and the master key.
    pub hardening: crate::hardening::Hardening,
    /// Where `/metrics` is served on a listener of its own, if anywhere.
    pub metrics_listen: Option<String>,
    /// Whether `/metrics` is also served on the public listener.
    pub metrics_public: bool,
    /// Connection pool size and timeouts (PostgreSQL).
    pub pool: keygate_store_postgres::PoolSettings,
    /// The signing algorithm when one was asked for (flag, environment or config file), which
    /// the database's signing key must match.
    pub configured_signing_algorithm: Option<SigningAlgorithm>,
}

/// The database URL `db` names: flag or environment, then config file, then the default.
pub(crate) fn database_url(db: &DbArgs, file: &ConfigFile) -> String {
    db.database_url
        .clone()
        .or_else(|| file.database_url.clone())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
}

fn positive(name: &str, v: i64) -> anyhow::Result<i64> {
    anyhow::ensure!(
        v > 0,
        "{name} must be a positive number of seconds, not {v}"
    );
    Ok(v)
}

/// Resolves `serve` settings.
pub(crate) fn resolve(args: &ServeArgs) -> anyhow::Result<Settings> {
    let file = ConfigFile::load(args.db.config.as_deref())?;
    let hardening = crate::hardening::resolve(&args.hardening, &file)?;
    let pool = crate::db_pool::resolve(&args.db.pool, &file)?;
    let database_url = database_url(&args.db, &file);
    let listen = args
        .listen
        .clone()
        .or(file.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let public_url = args
        .public_url
        .clone()
        .or(file.public_url)
        .unwrap_or_else(|| {
            let scheme = if hardening.tls.is_some() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{listen}")
        });
    let public_url =
        Url::parse(&public_url).with_context(|| format!("invalid public URL {public_url}"))?;
    anyhow::ensure!(
        matches!(public_url.scheme(), "http" | "https") && public_url.host_str().is_some(),
        "the public URL must be an http(s) URL with a host"
    );
    let d = Lifetimes::default();
    let lifetimes = Lifetimes {
        access_token: positive(
            "access_token_lifetime",
            args.access_token_lifetime
                .or(file.access_token_lifetime)
                .map(|l| l.0)
                .unwrap_or(d.access_token),
        )?,
        refresh_token: positive(
            "refresh_token_lifetime",
            args.refresh_token_lifetime
                .or(file.refresh_token_lifetime)
                .map(|l| l.0)
                .unwrap_or(d.refresh_token),
        )?,
        code: positive(
            "code_lifetime",
            args.code_lifetime
                .or(file.code_lifetime)
                .map(|l| l.0)
                .unwrap_or(d.code),
        )?,
        client_secret: positive(
            "client_secret_lifetime",
            args.client_secret_lifetime
                .or(file.client_secret_lifetime)
                .map(|l| l.0)
                .unwrap_or(d.client_secret),
        )?,
        session: positive(
            "session_lifetime",
            args.session_lifetime
                .or(file.session_lifetime)
                .map(|l| l.0)
                .unwrap_or(d.session),
        )?,
        device_code: positive(
            "device_code_lifetime",
            args.device_code_lifetime
                .or(file.device_code_lifetime)
                .map(|l| l.0)
                .unwrap_or(d.device_code),
        )?,
    };
    let configured_signing_algorithm = match args
        .signing_algorithm
        .clone()
        .or(file.signing_algorithm.clone())
    {
        Some(name) => Some(name.parse::<SigningAlgorithm>()?),
        None => None,
    };
    let introspection = match args.introspection.clone().or(file.introspection.clone()) {
        Some(name) => name.parse::<IntrospectionMode>()?,
        None => IntrospectionMode::default(),
    };
    Ok(Settings {
        pool,
        hardening,
        configured_signing_algorithm,
        metrics_listen: args
            .operations
            .metrics_listen
            .clone()
            .or(file.metrics_listen),
        metrics_public: args.operations.metrics_public || file.metrics_public.unwrap_or(false),
        listen,
        public_url,
        database_url,
        log_format: args
            .log_format
            .or(file.log_format)
            .unwrap_or(LogFormat::Pretty),
        lifetimes,
        policy: Policy {
            allow_http_callbacks: args
                .allow_http_callbacks
                .or(file.allow_http_callbacks)
                .unwrap_or(false),
            require_pkce: args.require_pkce.or(file.require_pkce).unwrap_or(false),
            signing_algorithm: configured_signing_algorithm.unwrap_or_default(),
            key_publish_ahead: positive(
                "key_publish_ahead",
                args.key_publish_ahead
                    .or(file.key_publish_ahead)
                    .unwrap_or(DEFAULT_KEY_PUBLISH_AHEAD),
            )?,
            tenant_id: args.tenant_id.or(file.tenant_id),
            tenant_domain: args.tenant_domain.clone().or(file.tenant_domain.clone()),
            introspection,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_stay_off_the_public_listener_unless_the_flag_or_the_file_asks() {
        assert!(!resolve(&ServeArgs::default()).unwrap().metrics_public);
        let mut args = ServeArgs::default();
        args.operations.metrics_public = true;
        assert!(resolve(&args).unwrap().metrics_public);
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("keygate.toml");
        std::fs::write(&config, "metrics_public = true\n").unwrap();
        let mut args = ServeArgs::default();
        args.db.config = Some(config);
        assert!(resolve(&args).unwrap().metrics_public);
    }
}
