//! Audit events travel with the change they record: written in its transaction, so a change
//! that commits has its event and one that fails or changes nothing has none.

use std::sync::Arc;

use keygate_core::model::{AuditEvent, AuditKind, AuditQuery, NewAuditEvent, SecretSlot};
use keygate_core::store::ConsumeOutcome;
use keygate_core::{Store, StoreError};

use crate::fixtures::{
    app, audit_event, exchanged_grant, grant, new_secret, org, refresh_token, user, NOW,
};

/// Every event in the log, oldest first.
async fn log(store: &dyn Store) -> Vec<AuditEvent> {
    let mut all = store
        .audit_events(AuditQuery::default())
        .await
        .expect("audit events");
    all.reverse();
    all
}

/// The details of the events of `kind`, oldest first.
async fn details_of(store: &dyn Store, kind: AuditKind) -> Vec<String> {
    log(store)
        .await
        .into_iter()
        .filter(|e| e.event.kind == kind)
        .map(|e| e.event.detail)
        .collect()
}

fn with_detail(kind: AuditKind, detail: &str) -> NewAuditEvent {
    NewAuditEvent {
        detail: detail.into(),
        ..audit_event(kind, NOW, None, None)
    }
}

/// Each audited write records the event it was given, with what it found where the contract says
/// so (` revoked_authorizations=N`), and only when it changed something.
pub async fn audited_writes_record_their_event_with_the_change(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let fabrikam = org(&*store, ada.id, "fabrikam").await;
    exchanged_grant(&*store, ada.id, tracker.app.id, tracker.secret.id).await;

    let replaced = store
        .replace_client_secret(
            tracker.app.id,
            SecretSlot::Primary,
            new_secret(tracker.app.id, "next"),
            NOW + 1,
            with_detail(AuditKind::SecretRegenerated, "slot=primary"),
        )
        .await
        .expect("replace secret");
    assert_eq!(replaced, 1);
    assert_eq!(
        details_of(&*store, AuditKind::SecretRegenerated).await,
        ["slot=primary revoked_authorizations=1"]
    );

    // Revoking nothing records nothing; revoking something records how much.
    let none = store
        .revoke_user_authorizations(
            ada.id,
            None,
            NOW + 2,
            with_detail(AuditKind::AuthorizationRevoked, "user=ada"),
        )
        .await
        .expect("revoke none");
    assert_eq!(none, 0);
    assert!(details_of(&*store, AuditKind::AuthorizationRevoked)
        .await
        .is_empty());
    grant(&*store, ada.id, tracker.app.id).await;
    store
        .revoke_user_authorizations(
            ada.id,
            Some(tracker.app.id),
            NOW + 3,
            with_detail(AuditKind::AuthorizationRevoked, "user=ada"),
        )
        .await
        .expect("revoke one");
    assert_eq!(
        details_of(&*store, AuditKind::AuthorizationRevoked).await,
        ["user=ada revoked_authorizations=1"]
    );

    store
        .set_org_oauth_policy(
            fabrikam.id,
            false,
            NOW + 4,
            with_detail(AuditKind::PolicyChanged, "third_party_oauth=deny"),
        )
        .await
        .expect("policy");
    store
        .record_sign_in_failure(
            "ada@example.com",
            "192.0.2.1",
            NOW + 5,
            with_detail(AuditKind::SignInFailed, ""),
        )
        .await
        .expect("failure");
    let gone = store
        .revoke_admin_token(
            "no-such-token",
            NOW + 6,
            with_detail(AuditKind::AdminTokenRevoked, ""),
        )
        .await
        .expect("revoke missing admin token");
    assert!(!gone);
    assert_eq!(details_of(&*store, AuditKind::PolicyChanged).await.len(), 1);
    assert_eq!(details_of(&*store, AuditKind::SignInFailed).await.len(), 1);
    assert!(details_of(&*store, AuditKind::AdminTokenRevoked)
        .await
        .is_empty());
}

/// A write that fails leaves no event behind: the change and its record roll back together.
pub async fn a_failed_write_records_no_event(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let missing = keygate_core::ids::AppId::new_random();
    let before = log(&*store).await.len();

    let replaced = store
        .replace_client_secret(
            missing,
            SecretSlot::Primary,
            new_secret(missing, "secret"),
            NOW,
            with_detail(AuditKind::SecretRegenerated, "missing app"),
        )
        .await;
    assert!(
        matches!(replaced, Err(StoreError::NotFound(_))),
        "{replaced:?}"
    );
    let updated = store
        .update_app(
            keygate_core::model::App {
                id: missing,
                ..tracker.app.clone()
            },
            NOW,
            with_detail(AuditKind::AppUpdated, "missing app"),
        )
        .await;
    assert!(
        matches!(updated, Err(StoreError::NotFound(_))),
        "{updated:?}"
    );
    // An app registered under an id that is taken: the insert conflicts, its event goes with it.
    let twice = store
        .create_app(
            keygate_core::model::NewApp {
                id: tracker.app.id,
                ..crate::fixtures::new_app(ada.id, "Tracker again", NOW)
            },
            new_secret(tracker.app.id, "another secret"),
            with_detail(AuditKind::AppRegistered, "duplicate"),
        )
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    assert_eq!(
        log(&*store).await.len(),
        before,
        "no failed write left an event"
    );
}

/// A code or refresh token used once records nothing; used again, its authorization is revoked
/// and the reuse event recorded, in the same transaction.
pub async fn a_reused_credential_records_its_event_with_the_revocation(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let (granted, first) =
        exchanged_grant(&*store, ada.id, tracker.app.id, tracker.secret.id).await;
    let reuse = || {
        with_detail(
            AuditKind::RefreshTokenReuseDetected,
            "authorization revoked",
        )
    };
    let second = refresh_token(granted.id, Some(tracker.secret.id), "second", NOW + 1);
    let rotated = store
        .rotate_refresh(first, second.clone(), NOW + 1, reuse())
        .await
        .expect("rotate");
    assert_eq!(rotated, ConsumeOutcome::Consumed);
    assert!(details_of(&*store, AuditKind::RefreshTokenReuseDetected)
        .await
        .is_empty());
    let third = refresh_token(granted.id, Some(tracker.secret.id), "third", NOW + 2);
    let replayed = store
        .rotate_refresh(first, third, NOW + 2, reuse())
        .await
        .expect("replay");
    assert_eq!(replayed, ConsumeOutcome::AlreadyUsed);
    assert_eq!(
        details_of(&*store, AuditKind::RefreshTokenReuseDetected).await,
        ["authorization revoked"]
    );
    let record = store
        .authorization_by_id(granted.id)
        .await
        .expect("authorization")
        .expect("exists");
    assert!(record.revoked_at.is_some());
}
