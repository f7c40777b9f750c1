//! Certificates registered on apps, and the client assertions already used (`private_key_jwt`,
//! RFC 7523 §2.2: a client authenticates with a JWT signed by a certificate's private key).

use crate::clock::UnixTime;
use crate::ids::{AppId, CertificateId};
use crate::secrets::TokenHash;

/// The most certificates one app may hold (enough for a rotation with overlap, and a few
/// environments).
pub const CERTIFICATES_PER_APP: usize = 10;

/// A certificate registered on an app. It is public (it holds no private key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCertificate {
    /// Its id.
    pub id: CertificateId,
    /// The app it authenticates.
    pub app_id: AppId,
    /// SHA-1 of the DER (the Azure portal's "thumbprint", and a client assertion's `x5t`).
    pub thumbprint_sha1: [u8; 20],
    /// SHA-256 of the DER (a client assertion's `x5t#S256`).
    pub thumbprint_sha256: [u8; 32],
    /// The certificate, DER-encoded.
    pub der: Vec<u8>,
    /// Its subject, as text (`CN=...`).
    pub subject: String,
    /// What the app owner says it is for (may be empty).
    pub description: String,
    /// Valid from.
    pub not_before: UnixTime,
    /// Valid until.
    pub not_after: UnixTime,
    /// When it was registered.
    pub created_at: UnixTime,
}

impl AppCertificate {
    /// The SHA-1 thumbprint in upper-case hex, as the Azure portal shows it.
    pub fn thumbprint_hex(&self) -> String {
        hex_upper(&self.thumbprint_sha1)
    }

    /// The SHA-256 thumbprint in upper-case hex.
    pub fn thumbprint_sha256_hex(&self) -> String {
        hex_upper(&self.thumbprint_sha256)
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// What adding a certificate did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddedCertificate {
    /// Stored.
    Added,
    /// The app already holds [`CERTIFICATES_PER_APP`] certificates; nothing was stored.
    Full,
}

/// A client assertion already used, remembered until it expires so it is accepted once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedClientAssertion {
    /// The app it authenticated.
    pub app_id: AppId,
    /// SHA-256 of its `jti`.
    pub jti_hash: TokenHash,
    /// When it stops being accepted anyway (its `exp` with the allowed clock skew).
    pub expires_at: UnixTime,
}
