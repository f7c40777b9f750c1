//! TLS for `serve` and `demo --https`: reading the configured PEM files, and making a
//! self-signed localhost certificate on the fly.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use keygate_server::tls::{server_config, ServerConfig};

use crate::hardening::TlsFiles;

/// The names a local certificate is valid for.
pub(crate) const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

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

/// Makes a self-signed certificate for localhost, 127.0.0.1 and ::1, and writes it to
/// `dir/localhost-cert.pem` and (readable by the owner only) `dir/localhost-key.pem`.
pub(crate) fn self_signed_localhost(dir: &Path) -> anyhow::Result<TlsFiles> {
    let names: Vec<String> = LOCAL_NAMES.iter().map(|n| (*n).to_owned()).collect();
    let made = rcgen::generate_simple_self_signed(names)
        .context("could not make a self-signed certificate")?;
    let files = TlsFiles {
        cert: dir.join("localhost-cert.pem"),
        key: dir.join("localhost-key.pem"),
    };
    std::fs::write(&files.cert, made.cert.pem())
        .with_context(|| format!("could not write {}", files.cert.display()))?;
    write_private(&files.key, made.signing_key.serialize_pem().as_bytes())?;
    Ok(files)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("could not write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_localhost_certificate_loads_as_a_server_config() {
        let dir = tempfile::tempdir().unwrap();
        let files = self_signed_localhost(dir.path()).unwrap();
        let config = load(&files).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&files.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is readable by others");
        }
    }
}
