//! The `serve` settings that protect the server: request limits, rate limits, TLS files and the
//! master key for signing keys at rest. Flags and environment here; config-file keys of the same
//! names in [`crate::settings::ConfigFile`].

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use keygate_server::Limits;

use crate::settings::ConfigFile;

/// Limit, TLS and key-protection flags of `keygate serve`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct HardeningArgs {
    /// Largest request body accepted, in bytes. Default 262144 (256 KiB).
    #[arg(long, env = "KEYGATE_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Seconds a client may take to send a request head (and to start the next one on a kept-alive
    /// connection). Default 10.
    #[arg(long, env = "KEYGATE_HEADER_TIMEOUT")]
    pub header_timeout: Option<u64>,
    /// Seconds a whole request may take, body upload included. Default 30.
    #[arg(long, env = "KEYGATE_REQUEST_TIMEOUT")]
    pub request_timeout: Option<u64>,
    /// Connections served at once. Default 512.
    #[arg(long, env = "KEYGATE_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Connections one client address (an IPv6 /64) may hold at once; 0 = no cap. Default 64.
    #[arg(long, env = "KEYGATE_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<usize>,
    /// Reverse proxies (addresses or CIDR networks, comma separated) whose `Forwarded` or
    /// `X-Forwarded-For` header names the client address. From any other peer those headers are
    /// ignored. Default: none.
    #[arg(long, env = "KEYGATE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<String>>,
    /// Token, introspection and revocation requests per minute per client; 0 = unlimited.
    /// Default 3000.
    #[arg(long, env = "KEYGATE_TOKEN_RATE_LIMIT")]
    pub token_rate_limit: Option<u32>,
    /// Sign-in attempts per minute per address; 0 = unlimited. Default 30.
    #[arg(long, env = "KEYGATE_SIGN_IN_RATE_LIMIT")]
    pub sign_in_rate_limit: Option<u32>,
    /// PEM certificate chain: serve https (with --tls-key).
    #[arg(long, env = "KEYGATE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "KEYGATE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// File holding the master key (32 random bytes, raw or base64) that encrypts the signing
    /// keys in the database. `KEYGATE_MASTER_KEY` may hold the base64 key instead.
    #[arg(long, env = "KEYGATE_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
}

/// Where the TLS certificate and key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// The resolved protection settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hardening {
    /// Request limits and rate limits.
    pub limits: Limits,
    /// Serve https with these, when set.
    pub tls: Option<TlsFiles>,
    /// The master key's file, when set.
    pub master_key_file: Option<PathBuf>,
}

fn seconds(name: &str, v: u64) -> anyhow::Result<Duration> {
    anyhow::ensure!(v > 0, "{name} must be a positive number of seconds");
    Ok(Duration::from_secs(v))
}

/// Parses trusted proxies: networks in CIDR form, or single addresses.
fn trusted_proxies(list: &[String]) -> anyhow::Result<Vec<ipnet::IpNet>> {
    list.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "trusted proxy {s:?} is neither an IP address nor a CIDR network"
                    )
                })
        })
        .collect()
}

/// Flag (or environment) first, then the config file, then the default.
pub(crate) fn resolve(args: &HardeningArgs, file: &ConfigFile) -> anyhow::Result<Hardening> {
    let d = Limits::default();
    let max_connections = args
        .max_connections
        .or(file.max_connections)
        .unwrap_or(d.max_connections);
    anyhow::ensure!(max_connections > 0, "max_connections must be at least 1");
    let max_body_bytes = args
        .max_body_bytes
        .or(file.max_body_bytes)
        .unwrap_or(d.max_body_bytes);
    anyhow::ensure!(max_body_bytes > 0, "max_body_bytes must be at least 1");
    let limits = Limits {
        max_body_bytes,
        header_timeout: match args.header_timeout.or(file.header_timeout) {
            Some(s) => seconds("header_timeout", s)?,
            None => d.header_timeout,
        },
        request_timeout: match args.request_timeout.or(file.request_timeout) {
            Some(s) => seconds("request_timeout", s)?,
            None => d.request_timeout,
        },
        tls_handshake_timeout: d.tls_handshake_timeout,
        max_connections,
        max_connections_per_address: args
            .max_connections_per_address
            .or(file.max_connections_per_address)
            .unwrap_or(d.max_connections_per_address),
        trusted_proxies: trusted_proxies(
            args.trusted_proxies
                .as_deref()
                .or(file.trusted_proxies.as_deref())
                .unwrap_or_default(),
        )?,
        token_requests_per_minute: args
            .token_rate_limit
            .or(file.token_rate_limit)
            .unwrap_or(d.token_requests_per_minute),
        sign_in_attempts_per_minute: args
            .sign_in_rate_limit
            .or(file.sign_in_rate_limit)
            .unwrap_or(d.sign_in_attempts_per_minute),
    };
    let tls = match (
        args.tls_cert.clone().or(file.tls_cert.clone()),
        args.tls_key.clone().or(file.tls_key.clone()),
    ) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => anyhow::bail!("tls_cert and tls_key must be given together"),
    };
    Ok(Hardening {
        limits,
        tls,
        master_key_file: args
            .master_key_file
            .clone()
            .or(file.master_key_file.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_config_file_which_beats_the_defaults() {
        let file: ConfigFile =
            toml::from_str("max_body_bytes = 1000\ntoken_rate_limit = 7\nheader_timeout = 3\n")
                .unwrap();
        let args = HardeningArgs {
            max_body_bytes: Some(2000),
            sign_in_rate_limit: Some(0),
            ..HardeningArgs::default()
        };
        let h = resolve(&args, &file).unwrap();
        assert_eq!(h.limits.max_body_bytes, 2000);
        assert_eq!(h.limits.token_requests_per_minute, 7);
        assert_eq!(h.limits.sign_in_attempts_per_minute, 0);
        assert_eq!(h.limits.header_timeout, Duration::from_secs(3));
        assert_eq!(h.limits.request_timeout, Limits::default().request_timeout);
        assert_eq!(h.limits.max_connections, Limits::default().max_connections);
        assert!(h.tls.is_none());
    }

    #[test]
    fn zero_timeouts_connections_or_body_sizes_are_refused() {
        let file = ConfigFile::default();
        for args in [
            HardeningArgs {
                header_timeout: Some(0),
                ..HardeningArgs::default()
            },
            HardeningArgs {
                request_timeout: Some(0),
                ..HardeningArgs::default()
            },
            HardeningArgs {
                max_connections: Some(0),
                ..HardeningArgs::default()
            },
            HardeningArgs {
                max_body_bytes: Some(0),
                ..HardeningArgs::default()
            },
        ] {
            assert!(resolve(&args, &file).is_err(), "{args:?}");
        }
    }

    #[test]
    fn trusted_proxies_take_addresses_and_networks_and_refuse_anything_else() {
        let file: ConfigFile =
            toml::from_str("trusted_proxies = [\"10.0.0.0/8\", \"192.0.2.1\"]\n").unwrap();
        let h = resolve(&HardeningArgs::default(), &file).unwrap();
        assert_eq!(
            h.limits.trusted_proxies,
            vec![
                "10.0.0.0/8".parse::<ipnet::IpNet>().unwrap(),
                "192.0.2.1/32".parse().unwrap()
            ]
        );
        let args = HardeningArgs {
            trusted_proxies: Some(vec!["::1".into(), "proxy.example".into()]),
            ..HardeningArgs::default()
        };
        let err = resolve(&args, &file).unwrap_err().to_string();
        assert!(err.contains("proxy.example"), "{err}");
        assert!(resolve(&HardeningArgs::default(), &ConfigFile::default())
            .unwrap()
            .limits
            .trusted_proxies
            .is_empty());
    }

    #[test]
    fn a_tls_certificate_needs_its_key() {
        let file: ConfigFile = toml::from_str("tls_cert = \"cert.pem\"\n").unwrap();
        assert!(resolve(&HardeningArgs::default(), &file).is_err());
        let args = HardeningArgs {
            tls_key: Some("key.pem".into()),
            ..HardeningArgs::default()
        };
        let h = resolve(&args, &file).unwrap();
        assert_eq!(
            h.tls,
            Some(TlsFiles {
                cert: "cert.pem".into(),
                key: "key.pem".into()
            })
        );
    }
}
