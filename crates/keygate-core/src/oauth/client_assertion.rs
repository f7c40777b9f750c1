//! Client authentication with a JWT signed by a certificate registered on the app
//! (`private_key_jwt`: RFC 7523 §2.2 and §3, as Microsoft Entra ID and MSAL use it).
//!
//! The token endpoint receives `client_assertion_type` = [`ASSERTION_TYPE`] and
//! `client_assertion`, and calls [`verify`] with the token endpoint URL(s) the assertion may
//! name as its audience. An assertion is accepted when:
//!
//! - its header's `alg` is RS256 or PS256 (an RSA certificate) or ES256 (EC P-256), and the
//!   certificate it names (`x5t#S256`, else `x5t`, else `kid` as a thumbprint; with none of
//!   them, each registered certificate is tried) is registered on the app and signed it;
//! - `iss` and `sub` are both the client id, `aud` is (or contains) one accepted audience;
//! - `exp` has not passed and is at most an hour ahead, `nbf` and `iat` (when present) are not
//!   in the future, each with [`CLOCK_SKEW`] seconds of tolerance, on `kg.clock`;
//! - it carries a `jti` never used before with this app (remembered until `exp`);
//! - the certificate is within its validity.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

use crate::apps::names_certificate;
use crate::clock::UnixTime;
use crate::context::Keygate;
use crate::ids::AppId;
use crate::model::{AppCertificate, UsedClientAssertion};
use crate::secrets::TokenHash;
use crate::store::StoreError;
use crate::x509::{self, KeyKind};

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Seconds of clock difference tolerated on `exp`, `nbf` and `iat`.
pub const CLOCK_SKEW: i64 = 300;

/// The furthest ahead an assertion's `exp` may be, in seconds (MSAL makes them last 10 minutes).
pub const MAX_LIFETIME: i64 = 3600;

/// The longest `jti` accepted.
const MAX_JTI: usize = 512;

/// Why a client assertion was refused. Every variant means the client is not authenticated
/// (`invalid_client`); the variants tell the token endpoint which Entra error code to answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientAssertionError {
    /// Not a JWT, a header or claims that do not parse, an algorithm other than RS256, PS256 or
    /// ES256, or a required claim (`iss`, `sub`, `aud`, `exp`, `jti`) missing.
    #[error("the client assertion is malformed: {0}")]
    Malformed(&'static str),
    /// No app has that client id.
    #[error("no app has that client id")]
    UnknownApp,
    /// No certificate registered on the app matches the assertion's header (`x5t#S256`, `x5t`,
    /// `kid`) and algorithm (Entra: AADSTS700027).
    #[error(
        "no certificate registered on the app matches the client assertion (key was not found)"
    )]
    NoMatchingCertificate,
    /// The signature does not verify with the matching certificate(s) (Entra: AADSTS700027).
    #[error("the client assertion contains an invalid signature")]
    BadSignature,
    /// `iss` or `sub` is not the client id.
    #[error("the client assertion's iss and sub must both be the client id")]
    WrongIssuer,
    /// `aud` names none of the accepted audiences (the token endpoint).
    #[error("the client assertion's audience is not this token endpoint")]
    WrongAudience,
    /// `exp` has passed (Entra: AADSTS700024, not within its valid time range).
    #[error("the client assertion has expired")]
    Expired,
    /// `exp` is more than [`MAX_LIFETIME`] ahead.
    #[error("the client assertion expires too far in the future (at most one hour)")]
    LifetimeTooLong,
    /// `nbf` or `iat` is in the future (Entra: AADSTS700024).
    #[error("the client assertion is not valid yet")]
    NotYetValid,
    /// The certificate that signed it has expired or is not valid yet.
    #[error("the certificate that signed the client assertion is expired or not yet valid")]
    CertificateNotValid,
    /// Its `jti` was used before with this app.
    #[error("the client assertion was already used")]
    Replayed,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The claims read from an assertion; numbers are read leniently (integers or floats).
#[derive(Debug, Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<serde_json::Number>,
    nbf: Option<serde_json::Number>,
    iat: Option<serde_json::Number>,
    jti: Option<String>,
}

/// `aud`: one string or an array of them (RFC 7519 §4.1.3).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn names_any(&self, accepted: &[&str]) -> bool {
        let matches = |aud: &str| accepted.iter().any(|a| same_url(a, aud));
        match self {
            Audience::One(a) => matches(a),
            Audience::Many(all) => all.iter().any(|a| matches(a)),
        }
    }
}

/// Audience URLs compare exactly, except for one trailing slash.
fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

fn seconds(n: &serde_json::Number) -> Option<i64> {
    // Truncation is intended: a fractional second does not matter here.
    #[allow(clippy::cast_possible_truncation, reason = "whole seconds suffice")]
    n.as_i64()
        .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

/// Verifies `assertion` as the client authentication of `app`, accepting an `aud` equal to one
/// of `accepted_audiences` (the token endpoint URL(s) the request could have been sent to), and
/// records its `jti` so it is never accepted again. See the module documentation for the rules.
pub async fn verify(
    kg: &Keygate,
    app: AppId,
    assertion: &str,
    accepted_audiences: &[&str],
) -> Result<(), ClientAssertionError> {
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| ClientAssertionError::Malformed("not a JWT with a readable header"))?;
    let kind = match header.alg {
        Algorithm::RS256 | Algorithm::PS256 => KeyKind::Rsa,
        Algorithm::ES256 => KeyKind::EcP256,
        _ => {
            return Err(ClientAssertionError::Malformed(
                "alg must be RS256, PS256 or ES256",
            ))
        }
    };
    if kg.data().app(app).await?.is_none() {
        return Err(ClientAssertionError::UnknownApp);
    }
    let registered = kg.store().app_certificates(app).await?;
    let named: Vec<&AppCertificate> = registered.iter().filter(|c| names(&header, c)).collect();
    let mut candidates = Vec::new();
    for certificate in named {
        // A stored certificate was checked when it was added; one that no longer reads is
        // skipped like a certificate of the wrong kind.
        if let Ok((k, key)) = x509::decoding_key(&certificate.der) {
            if k == kind {
                candidates.push((certificate, key));
            }
        }
    }
    if candidates.is_empty() {
        return Err(ClientAssertionError::NoMatchingCertificate);
    }
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let mut verified = None;
    for (certificate, key) in candidates {
        match jsonwebtoken::decode::<Claims>(assertion, &key, &validation) {
            Ok(data) => {
                verified = Some((certificate, data.claims));
                break;
            }
            Err(e) => match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature
                | jsonwebtoken::errors::ErrorKind::InvalidEcdsaKey
                | jsonwebtoken::errors::ErrorKind::InvalidRsaKey(_) => continue,
                _ => {
                    return Err(ClientAssertionError::Malformed(
                        "the claims are not a readable JSON object",
                    ))
                }
            },
        }
    }
    let Some((certificate, claims)) = verified else {
        return Err(ClientAssertionError::BadSignature);
    };
    let now = kg.clock.now();
    let exp = check_claims(&claims, app, accepted_audiences, now)?;
    if certificate.not_after <= now || certificate.not_before > now + CLOCK_SKEW {
        return Err(ClientAssertionError::CertificateNotValid);
    }
    let jti = claims
        .jti
        .as_deref()
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI)
        .ok_or(ClientAssertionError::Malformed("jti is required"))?;
    let used = UsedClientAssertion {
        app_id: app,
        jti_hash: TokenHash::of(jti),
        expires_at: exp + CLOCK_SKEW,
    };
    if !kg.store().use_client_assertion(used, now).await? {
        tracing::warn!(app.id = %app, "a client assertion was replayed");
        return Err(ClientAssertionError::Replayed);
    }
    Ok(())
}

/// Whether the header names `certificate`: by `x5t#S256`, else `x5t`, else `kid` read as a
/// thumbprint; a header that names no certificate lets every one be tried.
fn names(header: &jsonwebtoken::Header, certificate: &AppCertificate) -> bool {
    if let Some(s256) = &header.x5t_s256 {
        return s256.trim_end_matches('=') == URL_SAFE_NO_PAD.encode(certificate.thumbprint_sha256);
    }
    if let Some(x5t) = &header.x5t {
        return x5t.trim_end_matches('=') == URL_SAFE_NO_PAD.encode(certificate.thumbprint_sha1);
    }
    match &header.kid {
        Some(kid) => names_certificate(kid, certificate),
        None => true,
    }
}

/// Checks `iss`, `sub`, `aud` and the times; returns `exp`.
fn check_claims(
    claims: &Claims,
    app: AppId,
    accepted_audiences: &[&str],
    now: UnixTime,
) -> Result<UnixTime, ClientAssertionError> {
    let is_client = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| s.parse::<AppId>().ok())
            .is_some_and(|id| id == app)
    };
    if claims.iss.is_none() || claims.sub.is_none() {
        return Err(ClientAssertionError::Malformed("iss and sub are required"));
    }
    if !is_client(&claims.iss) || !is_client(&claims.sub) {
        return Err(ClientAssertionError::WrongIssuer);
    }
    let aud = claims
        .aud
        .as_ref()
        .ok_or(ClientAssertionError::Malformed("aud is required"))?;
    if !aud.names_any(accepted_audiences) {
        return Err(ClientAssertionError::WrongAudience);
    }
    let exp = claims
        .exp
        .as_ref()
        .and_then(seconds)
        .ok_or(ClientAssertionError::Malformed("exp is required"))?;
    if exp.saturating_add(CLOCK_SKEW) <= now {
        return Err(ClientAssertionError::Expired);
    }
    if exp > now.saturating_add(MAX_LIFETIME + CLOCK_SKEW) {
        return Err(ClientAssertionError::LifetimeTooLong);
    }
    for time in [&claims.nbf, &claims.iat].into_iter().flatten() {
        let t = seconds(time).ok_or(ClientAssertionError::Malformed("nbf and iat are numbers"))?;
        if t > now.saturating_add(CLOCK_SKEW) {
            return Err(ClientAssertionError::NotYetValid);
        }
    }
    Ok(exp)
}
