//! Certificates on apps and client assertions signed with them (`private_key_jwt`): adding,
//! listing and removing, and what [`client_assertion::verify`] accepts and refuses, with
//! certificates made by rcgen and assertions shaped as MSAL Python and msal-node make them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use keygate_core::apps::{self, AppError, Manager};
use keygate_core::model::{App, AuditKind, AuditQuery, CERTIFICATES_PER_APP};
use keygate_core::oauth::client_assertion::{self, ClientAssertionError};
use rcgen::{
    CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_RSA_SHA256,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::support::*;

const TOKEN_ENDPOINT: &str = "https://keygate.test/common/oauth2/v2.0/token";

/// A self-signed certificate valid from `from` to `until` (Unix seconds), with its key.
struct Cert {
    pem: String,
    der: Vec<u8>,
    key_pem: String,
    /// The private key, PKCS#8 DER.
    key_der: Vec<u8>,
}

fn make_cert(alg: &'static rcgen::SignatureAlgorithm, from: i64, until: i64) -> Cert {
    let key = KeyPair::generate_for(alg).unwrap();
    let mut params = CertificateParams::new(vec!["client.example".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Fabrikam daemon");
    params.not_before = time::OffsetDateTime::from_unix_timestamp(from).unwrap();
    params.not_after = time::OffsetDateTime::from_unix_timestamp(until).unwrap();
    let cert = params.self_signed(&key).unwrap();
    Cert {
        pem: cert.pem(),
        der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
        key_der: key.serialized_der().to_vec(),
    }
}

fn rsa_cert() -> Cert {
    make_cert(&PKCS_RSA_SHA256, NOW - 86_400, NOW + 365 * 86_400)
}

fn x5t(der: &[u8]) -> String {
    use aws_lc_rs::digest;
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der))
}

fn x5t_s256(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(der))
}

fn sign(header: &Header, claims: &serde_json::Value, cert: &Cert) -> String {
    let key = match header.alg {
        Algorithm::ES256 => EncodingKey::from_ec_der(&cert.key_der),
        // jsonwebtoken signs RSA with a PKCS#1 key: the one inside the PKCS#8 document.
        _ => {
            let info = pkcs8::PrivateKeyInfo::try_from(cert.key_der.as_slice()).unwrap();
            EncodingKey::from_rsa_der(info.private_key)
        }
    };
    jsonwebtoken::encode(header, claims, &key).unwrap()
}

/// The claims MSAL puts in an assertion: aud the token endpoint, iss = sub = client id, a
/// GUID jti, nbf now and exp ten minutes on.
fn msal_claims(app: &App) -> serde_json::Value {
    json!({
        "aud": TOKEN_ENDPOINT,
        "iss": app.id.to_string(),
        "sub": app.id.to_string(),
        "jti": uuid::Uuid::new_v4().to_string(),
        "nbf": NOW,
        "exp": NOW + 600,
    })
}

/// MSAL Python's header: RS256 with the SHA-1 thumbprint as `x5t`.
fn msal_python_header(cert: &Cert) -> Header {
    let mut header = Header::new(Algorithm::RS256);
    header.x5t = Some(x5t(&cert.der));
    header
}

/// msal-node's header (recent versions): PS256 with the SHA-256 thumbprint as `x5t#S256`, and
/// the certificate in `x5c` when the app was configured with it.
fn msal_node_header(cert: &Cert) -> Header {
    let mut header = Header::new(Algorithm::PS256);
    header.x5t_s256 = Some(x5t_s256(&cert.der));
    header.x5c = Some(vec![
        base64::engine::general_purpose::STANDARD.encode(&cert.der)
    ]);
    header
}

async fn verify(w: &World, app: &App, assertion: &str) -> Result<(), ClientAssertionError> {
    client_assertion::verify(&w.kg, app.id, assertion, &[TOKEN_ENDPOINT]).await
}

async fn app_with(w: &World, cert: &Cert) -> App {
    let ana = w.user("ana@example.com").await;
    let app = w.app(&ana).await;
    apps::add_certificate(&w.kg, &app, &cert.pem, "daemon")
        .await
        .unwrap();
    app
}

#[tokio::test]
async fn msal_python_and_msal_node_assertions_verify_once() {
    let w = World::new().await;
    let cert = rsa_cert();
    let app = app_with(&w, &cert).await;

    let python = sign(&msal_python_header(&cert), &msal_claims(&app), &cert);
    verify(&w, &app, &python).await.unwrap();
    let node = sign(&msal_node_header(&cert), &msal_claims(&app), &cert);
    verify(&w, &app, &node).await.unwrap();

    let replayed = verify(&w, &app, &python).await;
    assert!(
        matches!(replayed, Err(ClientAssertionError::Replayed)),
        "{replayed:?}"
    );
}

#[tokio::test]
async fn an_ec_p256_certificate_verifies_es256_and_a_header_without_thumbprint_tries_each() {
    let w = World::new().await;
    let rsa = rsa_cert();
    let ec = make_cert(&PKCS_ECDSA_P256_SHA256, NOW - 60, NOW + 86_400);
    let app = app_with(&w, &rsa).await;
    apps::add_certificate(&w.kg, &app, &ec.pem, "")
        .await
        .unwrap();

    let bare = sign(&Header::new(Algorithm::ES256), &msal_claims(&app), &ec);
    verify(&w, &app, &bare).await.unwrap();
    let mut by_kid = Header::new(Algorithm::RS256);
    // Both certificates share a creation second, so list order says nothing: pick the RSA one.
    let registered = apps::certificates_of(&w.kg, &app).await.unwrap();
    let rsa_record = registered.iter().find(|c| c.der == rsa.der).unwrap();
    by_kid.kid = Some(rsa_record.thumbprint_hex());
    verify(&w, &app, &sign(&by_kid, &msal_claims(&app), &rsa))
        .await
        .unwrap();
}

#[tokio::test]
async fn another_apps_certificate_and_a_wrong_key_are_refused() {
    let w = World::new().await;
    let (ours, theirs) = (rsa_cert(), rsa_cert());
    let app = app_with(&w, &ours).await;
    let bob = w.user("bob@example.com").await;
    let other = w.app(&bob).await;
    apps::add_certificate(&w.kg, &other, &theirs.pem, "")
        .await
        .unwrap();

    // Signed by the other app's certificate, naming it: not registered on this app.
    let foreign = sign(&msal_python_header(&theirs), &msal_claims(&app), &theirs);
    let refused = verify(&w, &app, &foreign).await;
    assert!(
        matches!(refused, Err(ClientAssertionError::NoMatchingCertificate)),
        "{refused:?}"
    );
    // Naming our certificate but signed with another key.
    let forged = sign(&msal_python_header(&ours), &msal_claims(&app), &theirs);
    let refused = verify(&w, &app, &forged).await;
    assert!(
        matches!(refused, Err(ClientAssertionError::BadSignature)),
        "{refused:?}"
    );
    // An EC assertion for an app with only an RSA certificate.
    let ec = make_cert(&PKCS_ECDSA_P256_SHA256, NOW - 60, NOW + 86_400);
    let wrong_kind = sign(&Header::new(Algorithm::ES256), &msal_claims(&app), &ec);
    let refused = verify(&w, &app, &wrong_kind).await;
    assert!(
        matches!(refused, Err(ClientAssertionError::NoMatchingCertificate)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn audience_issuer_and_times_are_checked() {
    let w = World::new().await;
    let cert = rsa_cert();
    let app = app_with(&w, &cert).await;
    let header = msal_python_header(&cert);
    let with = |key: &str, value: serde_json::Value| {
        let mut claims = msal_claims(&app);
        claims[key] = value;
        sign(&header, &claims, &cert)
    };
    let cases = [
        ("aud", json!("https://elsewhere.example/token")),
        ("iss", json!(uuid::Uuid::new_v4().to_string())),
        ("sub", json!(uuid::Uuid::new_v4().to_string())),
        ("exp", json!(NOW - 301)),
        ("exp", json!(NOW + 7200)),
        ("nbf", json!(NOW + 600)),
        ("iat", json!(NOW + 600)),
        ("jti", json!("")),
    ];
    for (claim, value) in cases {
        let outcome = verify(&w, &app, &with(claim, value.clone())).await;
        let expected = matches!(
            (claim, &outcome),
            ("aud", Err(ClientAssertionError::WrongAudience))
                | ("iss" | "sub", Err(ClientAssertionError::WrongIssuer))
                | (
                    "exp",
                    Err(ClientAssertionError::Expired | ClientAssertionError::LifetimeTooLong)
                )
                | ("nbf" | "iat", Err(ClientAssertionError::NotYetValid))
                | ("jti", Err(ClientAssertionError::Malformed(_)))
        );
        assert!(expected, "{claim}={value}: {outcome:?}");
    }
    // aud as an array naming the endpoint, and the client id in upper case, are accepted.
    let mut claims = msal_claims(&app);
    claims["aud"] = json!(["https://other.example", TOKEN_ENDPOINT]);
    claims["iss"] = json!(app.id.to_string().to_uppercase());
    verify(&w, &app, &sign(&header, &claims, &cert))
        .await
        .unwrap();
    // Not a JWT, or an unsupported algorithm.
    let garbage = verify(&w, &app, "not.a.jwt").await;
    assert!(
        matches!(garbage, Err(ClientAssertionError::Malformed(_))),
        "{garbage:?}"
    );
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &msal_claims(&app),
        &EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    let hs = verify(&w, &app, &hs).await;
    assert!(
        matches!(hs, Err(ClientAssertionError::Malformed(_))),
        "{hs:?}"
    );
    // An unknown app.
    let bob = w.user("bob@example.com").await;
    let stranger = w.app(&bob).await;
    apps::delete_app(&w.kg, stranger.id).await.unwrap();
    let unknown = verify(&w, &stranger, &with("jti", json!("x"))).await;
    assert!(
        matches!(unknown, Err(ClientAssertionError::UnknownApp)),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn an_expired_certificate_is_refused_when_added_and_when_it_signs() {
    let w = World::new().await;
    let expired = make_cert(&PKCS_RSA_SHA256, NOW - 10 * 86_400, NOW - 86_400);
    let ana = w.user("ana@example.com").await;
    let app = w.app(&ana).await;
    let refused = apps::add_certificate(&w.kg, &app, &expired.pem, "").await;
    assert!(
        matches!(&refused, Err(AppError::Invalid(e)) if e.contains_key("certificate")),
        "{refused:?}"
    );

    // A certificate that expires while registered stops verifying.
    let short = make_cert(&PKCS_RSA_SHA256, NOW - 60, NOW + 3600);
    apps::add_certificate(&w.kg, &app, &short.pem, "")
        .await
        .unwrap();
    w.clock.advance(7200);
    let mut claims = msal_claims(&app);
    claims["nbf"] = json!(NOW + 7200);
    claims["exp"] = json!(NOW + 7800);
    let outcome = verify(
        &w,
        &app,
        &sign(&msal_python_header(&short), &claims, &short),
    )
    .await;
    assert!(
        matches!(outcome, Err(ClientAssertionError::CertificateNotValid)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn certificates_are_added_listed_removed_audited_and_limited() {
    let w = World::new().await;
    let (ana, bob) = (
        w.user("ana@example.com").await,
        w.user("bob@example.com").await,
    );
    let app = w.app(&ana).await;
    let cert = rsa_cert();
    let added = apps::add_certificate(&w.kg, &app, &cert.pem, "  ci runner ")
        .await
        .unwrap();
    assert_eq!(added.description, "ci runner");
    assert!(
        added.subject.contains("CN=Fabrikam daemon"),
        "{}",
        added.subject
    );
    assert_eq!(added.thumbprint_hex().len(), 40);
    let again = apps::add_certificate(&w.kg, &app, &cert.pem, "").await;
    assert!(matches!(again, Err(AppError::Invalid(_))), "{again:?}");

    // Bob cannot reach Ana's app, so not its certificates either.
    let theirs = apps::managed_app(&w.kg, &Manager::Owner(bob.id), app.id).await;
    assert!(matches!(theirs, Err(AppError::NotFound)));

    // Not a certificate, an unsupported key.
    for bad in ["hello", &cert.key_pem] {
        let refused = apps::add_certificate(&w.kg, &app, bad, "").await;
        assert!(matches!(refused, Err(AppError::Invalid(_))), "{refused:?}");
    }
    let p384 = make_cert(&PKCS_ECDSA_P384_SHA384, NOW - 60, NOW + 86_400);
    let refused = apps::add_certificate(&w.kg, &app, &p384.pem, "").await;
    assert!(matches!(refused, Err(AppError::Invalid(_))), "{refused:?}");

    for _ in 1..CERTIFICATES_PER_APP {
        let c = make_cert(&PKCS_ECDSA_P256_SHA256, NOW - 60, NOW + 86_400);
        apps::add_certificate(&w.kg, &app, &c.pem, "")
            .await
            .unwrap();
    }
    let extra = make_cert(&PKCS_ECDSA_P256_SHA256, NOW - 60, NOW + 86_400);
    let full = apps::add_certificate(&w.kg, &app, &extra.pem, "").await;
    assert!(
        matches!(&full, Err(AppError::Invalid(e)) if e["certificate"].contains("at most")),
        "{full:?}"
    );
    assert_eq!(
        apps::certificates_of(&w.kg, &app).await.unwrap().len(),
        CERTIFICATES_PER_APP
    );

    // Removed by SHA-1 hex with colons in lower case, as tools print it.
    let colons = added
        .thumbprint_hex()
        .to_lowercase()
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(":");
    apps::remove_certificate(&w.kg, &app, &colons)
        .await
        .unwrap();
    let gone = apps::remove_certificate(&w.kg, &app, &colons).await;
    assert!(
        matches!(gone, Err(AppError::CertificateNotFound)),
        "{gone:?}"
    );

    let events = w
        .store
        .audit_events(AuditQuery {
            app: Some(app.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let count = |k: AuditKind| events.iter().filter(|e| e.event.kind == k).count();
    assert_eq!(count(AuditKind::CertificateAdded), CERTIFICATES_PER_APP);
    assert_eq!(count(AuditKind::CertificateRemoved), 1);
    let _ = ana;
}
