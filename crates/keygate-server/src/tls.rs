//! TLS server configuration (rustls with the aws-lc-rs provider) from PEM certificates and keys.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
pub use rustls::ServerConfig;

/// Why a certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate PEM holds no usable certificate.
    #[error("no certificate could be read from the certificate PEM: {0}")]
    Certificate(String),
    /// The key PEM holds no usable private key.
    #[error("no private key could be read from the key PEM: {0}")]
    Key(String),
    /// rustls refused the pair (a key that does not match the certificate, say).
    #[error("the certificate and key cannot be used together: {0}")]
    Config(#[from] rustls::Error),
}

/// A server configuration for a certificate chain (leaf first) and its private key, both PEM.
/// Speaks HTTP/1.1 (ALPN `http/1.1`), TLS 1.2 and 1.3.
pub fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Certificate(e.to_string()))?;
    if chain.is_empty() {
        return Err(TlsError::Certificate(
            "the file has no CERTIFICATE block".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::Key(e.to_string()))?;
    // Name the provider: other crates in the build may enable a second one, and then rustls
    // cannot pick a process default.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_a_certificate_or_key_is_refused_with_a_reason() {
        assert!(matches!(
            server_config(b"", b""),
            Err(TlsError::Certificate(_))
        ));
        let cert =
            b"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ3\n-----END CERTIFICATE-----\n";
        assert!(server_config(cert, b"not a key").is_err());
    }
}
