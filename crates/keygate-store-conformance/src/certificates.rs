//! Certificates on apps (add, list, remove, the per-app limit, gone with their app) and the
//! single use of client assertions, also under concurrency.

use std::sync::Arc;

use keygate_core::ids::{AppId, CertificateId};
use keygate_core::model::*;
use keygate_core::secrets::TokenHash;
use keygate_core::{Store, StoreError};
use tokio::sync::Barrier;

use crate::fixtures::{app, audit_event, user, NOW};

/// How many clients race to use one assertion.
const RACERS: usize = 20;

/// A certificate record of `app` whose thumbprints and DER derive from `label` (the store does
/// not parse certificates; core does).
pub(crate) fn certificate(app: AppId, label: &str, created_at: i64) -> AppCertificate {
    let sha256 = TokenHash::of(label).0;
    let mut sha1 = [0u8; 20];
    sha1.copy_from_slice(&sha256[..20]);
    AppCertificate {
        id: CertificateId::new_random(),
        app_id: app,
        thumbprint_sha1: sha1,
        thumbprint_sha256: sha256,
        der: format!("der of {label}").into_bytes(),
        subject: format!("CN={label}"),
        description: format!("the {label} certificate"),
        not_before: NOW - 60,
        not_after: NOW + 365 * 86_400,
        created_at,
    }
}

fn added(kind: AuditKind, app: AppId) -> NewAuditEvent {
    audit_event(kind, NOW, Some(app), None)
}

/// Added certificates are listed oldest first and removed by id, each change with its audit
/// event; the same certificate twice is a conflict; an unknown id removes nothing.
pub async fn certificates_are_added_listed_and_removed(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let web = app(&*store, ada.id, "Web").await;
    let other = app(&*store, ada.id, "Other").await;
    let first = certificate(web.app.id, "first", NOW);
    let second = certificate(web.app.id, "second", NOW + 1);
    for c in [&first, &second] {
        let outcome = store
            .add_app_certificate(c.clone(), added(AuditKind::CertificateAdded, web.app.id))
            .await
            .expect("add");
        assert_eq!(outcome, AddedCertificate::Added);
    }
    let again = store
        .add_app_certificate(
            certificate(web.app.id, "first", NOW + 2),
            added(AuditKind::CertificateAdded, web.app.id),
        )
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict("certificate"))),
        "{again:?}"
    );
    // Another app may register the same certificate.
    store
        .add_app_certificate(
            certificate(other.app.id, "first", NOW),
            added(AuditKind::CertificateAdded, other.app.id),
        )
        .await
        .expect("the same certificate on another app");

    let listed = store.app_certificates(web.app.id).await.expect("list");
    assert_eq!(listed, vec![first.clone(), second.clone()]);

    assert!(!store
        .remove_app_certificate(
            other.app.id,
            first.id,
            added(AuditKind::CertificateRemoved, other.app.id)
        )
        .await
        .expect("remove from the wrong app"));
    assert!(store
        .remove_app_certificate(
            web.app.id,
            first.id,
            added(AuditKind::CertificateRemoved, web.app.id)
        )
        .await
        .expect("remove"));
    assert_eq!(
        store.app_certificates(web.app.id).await.expect("list"),
        vec![second]
    );
    let events = store
        .audit_events(AuditQuery::default())
        .await
        .expect("audit");
    let count = |kind: AuditKind| events.iter().filter(|e| e.event.kind == kind).count();
    assert_eq!(count(AuditKind::CertificateAdded), 3, "{events:?}");
    assert_eq!(count(AuditKind::CertificateRemoved), 1, "{events:?}");

    let missing = store
        .add_app_certificate(
            certificate(AppId::new_random(), "orphan", NOW),
            added(AuditKind::CertificateAdded, web.app.id),
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound("app"))),
        "{missing:?}"
    );
}

/// An app holds at most [`CERTIFICATES_PER_APP`] certificates: one more is refused (and not
/// recorded), and deleting the app takes its certificates and used assertions with it.
pub async fn certificates_per_app_are_limited_and_go_with_their_app(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let web = app(&*store, ada.id, "Web").await;
    for n in 0..CERTIFICATES_PER_APP {
        let c = certificate(web.app.id, &format!("cert {n}"), NOW);
        let outcome = store
            .add_app_certificate(c, added(AuditKind::CertificateAdded, web.app.id))
            .await
            .expect("add");
        assert_eq!(outcome, AddedCertificate::Added);
    }
    let extra = store
        .add_app_certificate(
            certificate(web.app.id, "one too many", NOW),
            added(AuditKind::CertificateAdded, web.app.id),
        )
        .await
        .expect("add");
    assert_eq!(extra, AddedCertificate::Full);
    let listed = store.app_certificates(web.app.id).await.expect("list");
    assert_eq!(listed.len(), CERTIFICATES_PER_APP);
    let events = store
        .audit_events(AuditQuery::default())
        .await
        .expect("audit");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event.kind == AuditKind::CertificateAdded)
            .count(),
        CERTIFICATES_PER_APP
    );

    let used = UsedClientAssertion {
        app_id: web.app.id,
        jti_hash: TokenHash::of("jti"),
        expires_at: NOW + 600,
    };
    assert!(store.use_client_assertion(used, NOW).await.expect("use"));
    store
        .delete_app(web.app.id, NOW, added(AuditKind::AppDeleted, web.app.id))
        .await
        .expect("delete app");
    assert!(store
        .app_certificates(web.app.id)
        .await
        .expect("list")
        .is_empty());
    let dump = store.export_dump().await.expect("export");
    assert!(dump.app_certificates.is_empty());
    assert!(dump.client_assertion_jtis.is_empty());
}

/// A client assertion is accepted once per app; the same `jti` is new for another app; an
/// expired record is forgotten by a later use.
pub async fn a_client_assertion_is_used_once_per_app(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let web = app(&*store, ada.id, "Web").await;
    let other = app(&*store, ada.id, "Other").await;
    let used = |app: AppId, jti: &str, expires_at: i64| UsedClientAssertion {
        app_id: app,
        jti_hash: TokenHash::of(jti),
        expires_at,
    };
    assert!(store
        .use_client_assertion(used(web.app.id, "a", NOW + 600), NOW)
        .await
        .expect("first use"));
    assert!(!store
        .use_client_assertion(used(web.app.id, "a", NOW + 600), NOW + 1)
        .await
        .expect("replay"));
    assert!(store
        .use_client_assertion(used(other.app.id, "a", NOW + 600), NOW + 1)
        .await
        .expect("another app"));
    assert!(store
        .use_client_assertion(used(web.app.id, "b", NOW + 10), NOW + 2)
        .await
        .expect("short-lived"));
    // Later, "b" has expired: the next use sweeps it away, and "a" stays.
    assert!(store
        .use_client_assertion(used(web.app.id, "c", NOW + 600), NOW + 100)
        .await
        .expect("sweep"));
    let dump = store.export_dump().await.expect("export");
    let kept: Vec<TokenHash> = dump
        .client_assertion_jtis
        .iter()
        .filter(|u| u.app_id == web.app.id)
        .map(|u| u.jti_hash)
        .collect();
    assert!(kept.contains(&TokenHash::of("a")));
    assert!(kept.contains(&TokenHash::of("c")));
    assert!(!kept.contains(&TokenHash::of("b")));
}

/// Of [`RACERS`] concurrent uses of one assertion exactly one is accepted.
pub async fn a_client_assertion_is_accepted_once_under_concurrency(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let web = app(&*store, ada.id, "Web").await;
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        let store = Arc::clone(&store);
        let barrier = Arc::clone(&barrier);
        let used = UsedClientAssertion {
            app_id: web.app.id,
            jti_hash: TokenHash::of("raced jti"),
            expires_at: NOW + 600,
        };
        racers.spawn(async move {
            barrier.wait().await;
            store.use_client_assertion(used, NOW).await.expect("use")
        });
    }
    let results = racers.join_all().await;
    assert_eq!(
        results.iter().filter(|fresh| **fresh).count(),
        1,
        "{results:?}"
    );
}
