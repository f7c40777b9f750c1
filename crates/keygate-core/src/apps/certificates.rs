//! Certificates on an app, for client authentication with a signed JWT (`private_key_jwt`):
//! add one from PEM, list them, remove one by thumbprint. The caller has already found the app
//! through [`managed_app`](super::managed_app), so the same people may change them as may change
//! the app. Each change is audited in its own transaction.
//!
//! The client cache holds no certificate (the token endpoint reads them from the store when an
//! assertion comes, and writes its `jti` there anyway), so a change needs no `ClientChanged`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::{AppError, FieldErrors};
use crate::audit::{self, Entry};
use crate::context::Keygate;
use crate::ids::CertificateId;
use crate::model::{AddedCertificate, App, AppCertificate, AuditKind, CERTIFICATES_PER_APP};
use crate::store::StoreError;
use crate::x509;

/// The longest description kept.
const MAX_DESCRIPTION: usize = 200;

/// The form field a certificate problem belongs to.
pub const CERTIFICATE_FIELD: &str = "certificate";

fn invalid(field: &'static str, message: String) -> AppError {
    let mut errors = FieldErrors::new();
    errors.insert(field, message);
    AppError::Invalid(errors)
}

/// Registers the PEM certificate `pem` on `app`. Refused (as a field error on
/// [`CERTIFICATE_FIELD`]) when it is not one PEM certificate, holds neither an RSA (2048 bits or
/// more) nor an EC P-256 key, has expired, is already registered, or the app already holds
/// [`CERTIFICATES_PER_APP`] certificates.
pub async fn add_certificate(
    kg: &Keygate,
    app: &App,
    pem: &str,
    description: &str,
) -> Result<AppCertificate, AppError> {
    let now = kg.clock.now();
    let parsed =
        x509::parse_pem(pem, now).map_err(|p| invalid(CERTIFICATE_FIELD, p.to_string()))?;
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION || description.chars().any(char::is_control) {
        return Err(invalid(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters on one line"),
        ));
    }
    let certificate = AppCertificate {
        id: CertificateId::new_random(),
        app_id: app.id,
        thumbprint_sha1: parsed.thumbprint_sha1,
        thumbprint_sha256: parsed.thumbprint_sha256,
        der: parsed.der,
        subject: parsed.subject,
        description: description.to_owned(),
        not_before: parsed.not_before,
        not_after: parsed.not_after,
        created_at: now,
    };
    let event = audit::event(
        kg,
        Entry::new(AuditKind::CertificateAdded, format!("app:{}", app.id))
            .app(app.id)
            .detail(format!("thumbprint={}", certificate.thumbprint_hex())),
    );
    match kg.store().add_app_certificate(certificate.clone(), event).await {
        Ok(AddedCertificate::Added) => {
            tracing::info!(app.id = %app.id, thumbprint = %certificate.thumbprint_hex(), "certificate added");
            Ok(certificate)
        }
        Ok(AddedCertificate::Full) => Err(invalid(
            CERTIFICATE_FIELD,
            format!("cannot be added: an app holds at most {CERTIFICATES_PER_APP} certificates; remove one first"),
        )),
        Err(StoreError::Conflict(_)) => Err(invalid(
            CERTIFICATE_FIELD,
            "is already registered on this app".into(),
        )),
        Err(e) => Err(super::not_found(e)),
    }
}

/// The certificates of `app`, oldest first.
pub async fn certificates_of(kg: &Keygate, app: &App) -> Result<Vec<AppCertificate>, AppError> {
    Ok(kg.store().app_certificates(app.id).await?)
}

/// Whether `thumbprint` names `certificate`: its SHA-1 or SHA-256 thumbprint in hex (either
/// case, `:` or space separators allowed, as tools print them) or base64url (as `x5t` and
/// `x5t#S256` carry them).
pub fn names_certificate(thumbprint: &str, certificate: &AppCertificate) -> bool {
    let compact: String = thumbprint
        .trim()
        .chars()
        .filter(|c| *c != ':' && *c != ' ')
        .collect();
    if compact.eq_ignore_ascii_case(&certificate.thumbprint_hex())
        || compact.eq_ignore_ascii_case(&certificate.thumbprint_sha256_hex())
    {
        return true;
    }
    let trimmed = compact.trim_end_matches('=');
    trimmed == URL_SAFE_NO_PAD.encode(certificate.thumbprint_sha1)
        || trimmed == URL_SAFE_NO_PAD.encode(certificate.thumbprint_sha256)
}

/// Removes the certificate of `app` that `thumbprint` names (see [`names_certificate`]);
/// [`AppError::CertificateNotFound`] when none does.
pub async fn remove_certificate(
    kg: &Keygate,
    app: &App,
    thumbprint: &str,
) -> Result<AppCertificate, AppError> {
    let held = certificates_of(kg, app).await?;
    let Some(certificate) = held.into_iter().find(|c| names_certificate(thumbprint, c)) else {
        return Err(AppError::CertificateNotFound);
    };
    let event = audit::event(
        kg,
        Entry::new(AuditKind::CertificateRemoved, format!("app:{}", app.id))
            .app(app.id)
            .detail(format!("thumbprint={}", certificate.thumbprint_hex())),
    );
    if !kg
        .store()
        .remove_app_certificate(app.id, certificate.id, event)
        .await?
    {
        return Err(AppError::CertificateNotFound);
    }
    tracing::info!(app.id = %app.id, thumbprint = %certificate.thumbprint_hex(), "certificate removed");
    Ok(certificate)
}
