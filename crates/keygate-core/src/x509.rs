//! Reading the X.509 certificates apps register for `private_key_jwt`: a PEM certificate to its
//! DER, thumbprints, subject and validity, and its public key as `jsonwebtoken` verifies with.
//! Only RSA (2048 bits or more) and EC P-256 keys are accepted: the keys Microsoft Entra ID
//! accepts for client assertions, and the ones RS256/PS256 and ES256 verify.

use aws_lc_rs::digest;
use jsonwebtoken::DecodingKey;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::clock::UnixTime;

/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// The kind of key a certificate holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA: signs RS256 or PS256.
    Rsa,
    /// EC on P-256: signs ES256.
    EcP256,
}

/// Why a certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateProblem {
    /// Not one PEM `CERTIFICATE` block, or not a parseable X.509 certificate.
    #[error("must be one PEM-encoded X.509 certificate (-----BEGIN CERTIFICATE-----)")]
    NotACertificate,
    /// A key other than RSA or EC P-256, or an RSA key that is too small.
    #[error("must hold an RSA key of at least 2048 bits or an EC P-256 key")]
    UnsupportedKey,
    /// Its validity ended.
    #[error("has expired")]
    Expired,
}

/// What Keygate keeps of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCertificate {
    /// The DER encoding.
    pub der: Vec<u8>,
    /// SHA-1 of the DER.
    pub thumbprint_sha1: [u8; 20],
    /// SHA-256 of the DER.
    pub thumbprint_sha256: [u8; 32],
    /// The subject, as text.
    pub subject: String,
    /// Valid from.
    pub not_before: UnixTime,
    /// Valid until.
    pub not_after: UnixTime,
    /// Its key's kind.
    pub key: KeyKind,
}

/// Reads one PEM certificate and checks it holds a supported key and is valid at `now`.
pub fn parse_pem(pem: &str, now: UnixTime) -> Result<ParsedCertificate, CertificateProblem> {
    let (rest, block) = x509_parser::pem::parse_x509_pem(pem.trim().as_bytes())
        .map_err(|_| CertificateProblem::NotACertificate)?;
    if block.label != "CERTIFICATE" || !rest.iter().all(u8::is_ascii_whitespace) {
        return Err(CertificateProblem::NotACertificate);
    }
    let parsed = parse_der(&block.contents)?;
    if parsed.not_after <= now {
        return Err(CertificateProblem::Expired);
    }
    Ok(parsed)
}

/// Reads a DER certificate (no validity check).
pub fn parse_der(der: &[u8]) -> Result<ParsedCertificate, CertificateProblem> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|_| CertificateProblem::NotACertificate)?;
    if !rest.is_empty() {
        return Err(CertificateProblem::NotACertificate);
    }
    let key = key_kind(&cert)?;
    let mut thumbprint_sha1 = [0u8; 20];
    thumbprint_sha1
        .copy_from_slice(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref());
    let mut thumbprint_sha256 = [0u8; 32];
    thumbprint_sha256.copy_from_slice(digest::digest(&digest::SHA256, der).as_ref());
    Ok(ParsedCertificate {
        der: der.to_vec(),
        thumbprint_sha1,
        thumbprint_sha256,
        subject: cert.subject().to_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        key,
    })
}

fn key_kind(cert: &X509Certificate<'_>) -> Result<KeyKind, CertificateProblem> {
    let spki = cert.public_key();
    let algorithm = &spki.algorithm.algorithm;
    if *algorithm == OID_PKCS1_RSAENCRYPTION {
        match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) if rsa.key_size() >= MIN_RSA_BITS => {
                Ok(KeyKind::Rsa)
            }
            _ => Err(CertificateProblem::UnsupportedKey),
        }
    } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        if curve.as_ref() == Some(&OID_EC_P256) {
            Ok(KeyKind::EcP256)
        } else {
            Err(CertificateProblem::UnsupportedKey)
        }
    } else {
        Err(CertificateProblem::UnsupportedKey)
    }
}

/// The public key of a stored certificate, as `jsonwebtoken` verifies with, and its kind.
pub fn decoding_key(der: &[u8]) -> Result<(KeyKind, DecodingKey), CertificateProblem> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|_| CertificateProblem::NotACertificate)?;
    let kind = key_kind(&cert)?;
    // The subjectPublicKey bit string: PKCS#1 RSAPublicKey for RSA, the uncompressed point for
    // EC, which is what jsonwebtoken's `*_der` constructors take.
    let raw = &cert.public_key().subject_public_key.data;
    let key = match kind {
        KeyKind::Rsa => DecodingKey::from_rsa_der(raw),
        KeyKind::EcP256 => DecodingKey::from_ec_der(raw),
    };
    Ok((kind, key))
}
