//! Certificates registered on apps, and the client assertions already used.

use keygate_core::model::{AppCertificate, UsedClientAssertion};
use keygate_core::StoreError;

use super::{hash, id};
use crate::table::table;

table! {
    /// A certificate registered on an app, DER-encoded, with its two thumbprints.
    pub struct CertificateRow in "app_certificates" by "id", columns certificate_columns {
        id: String,
        app_id: String,
        thumbprint_sha1: Vec<u8>,
        thumbprint_sha256: Vec<u8>,
        der: Vec<u8>,
        subject: String,
        description: String,
        not_before: i64,
        not_after: i64,
        created_at: i64,
    }
}

impl From<AppCertificate> for CertificateRow {
    fn from(c: AppCertificate) -> Self {
        CertificateRow {
            id: c.id.to_string(),
            app_id: c.app_id.to_string(),
            thumbprint_sha1: c.thumbprint_sha1.to_vec(),
            thumbprint_sha256: c.thumbprint_sha256.to_vec(),
            der: c.der,
            subject: c.subject,
            description: c.description,
            not_before: c.not_before,
            not_after: c.not_after,
            created_at: c.created_at,
        }
    }
}

impl TryFrom<CertificateRow> for AppCertificate {
    type Error = StoreError;

    fn try_from(r: CertificateRow) -> Result<Self, StoreError> {
        Ok(AppCertificate {
            id: id(&r.id, "app_certificates.id")?,
            app_id: id(&r.app_id, "app_certificates.app_id")?,
            thumbprint_sha1: r.thumbprint_sha1.as_slice().try_into().map_err(|_| {
                StoreError::Corrupt("app_certificates.thumbprint_sha1 is not 20 bytes".into())
            })?,
            thumbprint_sha256: hash(&r.thumbprint_sha256, "app_certificates.thumbprint_sha256")?.0,
            der: r.der,
            subject: r.subject,
            description: r.description,
            not_before: r.not_before,
            not_after: r.not_after,
            created_at: r.created_at,
        })
    }
}

table! {
    /// A client assertion already used, by app and the SHA-256 of its `jti`.
    pub struct UsedAssertionRow in "client_assertion_jtis" by "app_id, jti_hash",
        columns used_assertion_columns {
        app_id: String,
        jti_hash: Vec<u8>,
        expires_at: i64,
    }
}

impl From<UsedClientAssertion> for UsedAssertionRow {
    fn from(u: UsedClientAssertion) -> Self {
        UsedAssertionRow {
            app_id: u.app_id.to_string(),
            jti_hash: u.jti_hash.as_bytes().to_vec(),
            expires_at: u.expires_at,
        }
    }
}

impl TryFrom<UsedAssertionRow> for UsedClientAssertion {
    type Error = StoreError;

    fn try_from(r: UsedAssertionRow) -> Result<Self, StoreError> {
        Ok(UsedClientAssertion {
            app_id: id(&r.app_id, "client_assertion_jtis.app_id")?,
            jti_hash: hash(&r.jti_hash, "client_assertion_jtis.jti_hash")?,
            expires_at: r.expires_at,
        })
    }
}
