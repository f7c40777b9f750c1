//! TLS for `serve` and `demo --https`: reading the configured PEM files into a server
//! configuration (the local CA that makes them is in `local_ca`).

use std::sync::Arc;

use anyhow::Context;
use keygate_server::tls::{server_config, ServerConfig};

use crate::hardening::TlsFiles;

/// Reads the certificate chain and key named in the settings.
pub(crate) fn load(files: &TlsFiles) -> anyhow::Result<Arc<ServerConfig>> {
    let cert = std::fs::read(&files.cert).with_context(|| {
        format!(
            "could not read the TLS certificate {}",
            files.cert.display()
        )
    })?;
    let key = std::fs::read(&files.key)
        .with_context(|| format!("could not read the TLS key {}", files.key.display()))?;
    server_config(&cert, &key).with_context(|| {
        format!(
            "the TLS certificate {} and key {} are unusable",
            files.cert.display(),
            files.key.display()
        )
    })
}
