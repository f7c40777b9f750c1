//! Operations: an app's two secret slots, editing an app, the audit log and admin tokens.

use std::sync::Arc;

use keygate_core::ids::AppId;
use keygate_core::model::{
    Actor, AdminToken, AuditKind, AuditQuery, NewAdminToken, NewAuditEvent, SecretSlot,
};
use keygate_core::secrets::TokenHash;
use keygate_core::{Store, StoreError};

use crate::fixtures::{app, audit_event as event, exchanged_grant, new_secret, org, user, NOW};

/// The alternative secret verifies beside the primary; replacing one slot retires only its
/// version and revokes only the authorizations that version redeemed.
pub async fn replacing_one_secret_slot_keeps_the_other_and_what_it_minted(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let alternative = new_secret(tracker.app.id, "the alternative");
    let revoked = store
        .replace_client_secret(
            tracker.app.id,
            SecretSlot::Alternative,
            alternative.clone(),
            NOW + 1,
            crate::fixtures::audit(),
        )
        .await
        .expect("add the alternative");
    assert_eq!(revoked, 0, "an empty slot revokes nothing");
    let slots = store
        .client_secrets_of_app(tracker.app.id)
        .await
        .expect("secrets");
    let listed: Vec<_> = slots.iter().map(|s| (s.slot, s.secret.clone())).collect();
    assert_eq!(
        listed,
        vec![
            (SecretSlot::Primary, tracker.secret.clone()),
            (SecretSlot::Alternative, alternative.secret.clone()),
        ]
    );
    for hash in [tracker.secret_hash, alternative.hash] {
        assert!(store
            .client_secret_by_hash(hash)
            .await
            .expect("lookup")
            .is_some());
    }

    let (by_primary, _) = exchanged_grant(&*store, ada.id, tracker.app.id, tracker.secret.id).await;
    let (by_alternative, _) =
        exchanged_grant(&*store, ada.id, tracker.app.id, alternative.secret.id).await;
    let replacement = new_secret(tracker.app.id, "the new primary");
    let revoked = store
        .replace_client_secret(
            tracker.app.id,
            SecretSlot::Primary,
            replacement.clone(),
            NOW + 2,
            crate::fixtures::audit(),
        )
        .await
        .expect("replace the primary");
    assert_eq!(revoked, 1);
    assert!(store
        .client_secret_by_hash(tracker.secret_hash)
        .await
        .expect("old primary")
        .is_none());
    assert!(store
        .client_secret_by_hash(alternative.hash)
        .await
        .expect("alternative")
        .is_some());
    let revoked: Vec<_> = store
        .authorizations_revoked_since(NOW)
        .await
        .expect("revoked")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(revoked, vec![by_primary.id]);
    assert!(!revoked.contains(&by_alternative.id));
    let slots: Vec<_> = store
        .client_secrets_of_app(tracker.app.id)
        .await
        .expect("secrets")
        .into_iter()
        .map(|s| (s.slot, s.secret.id))
        .collect();
    assert_eq!(
        slots,
        vec![
            (SecretSlot::Primary, replacement.secret.id),
            (SecretSlot::Alternative, alternative.secret.id),
        ]
    );
}

/// Editing an app changes its details and keeps its id, owner, scopes and creation time.
pub async fn updating_an_app_changes_its_details_only(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let mut edited = tracker.app.clone();
    edited.name = "Tracker 2".into();
    edited.callback_url = "https://example.com/other-callback".into();
    edited.description = "Now with boards".into();
    let mut sneaky = edited.clone();
    sneaky.scopes = crate::fixtures::scopes("vso.code_full");
    sneaky.created_at = NOW + 99;
    let head = store.change_head().await.expect("head");
    let stored = store
        .update_app(sneaky, NOW + 5, crate::fixtures::audit())
        .await
        .expect("update");
    assert_eq!(stored, edited);
    let changes = crate::fixtures::changes_after(&*store, head).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        changes[0].kind,
        keygate_core::model::ChangeKind::ClientChanged
    );
    assert_eq!(changes[0].subject, tracker.app.id.to_string());
    assert_eq!(
        store.app_by_id(tracker.app.id).await.expect("app"),
        Some(edited)
    );
    let mut missing = tracker.app.clone();
    missing.id = AppId::new_random();
    let result = store
        .update_app(missing, NOW + 6, crate::fixtures::audit())
        .await;
    assert!(
        matches!(result, Err(StoreError::NotFound("app"))),
        "{result:?}"
    );
}

/// Audit events come back as recorded, newest first, filtered by app, organization and time,
/// and outlive the app they are about.
pub async fn audit_events_are_listed_newest_first_by_app_org_and_time(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let fabrikam = org(&*store, ada.id, "fabrikam").await;
    let first = event(AuditKind::AppRegistered, NOW, Some(tracker.app.id), None);
    let second = event(AuditKind::PolicyChanged, NOW + 5, None, Some(fabrikam.id));
    let third = NewAuditEvent {
        actor: Actor::User(ada.id),
        client_addr: None,
        ..event(
            AuditKind::Other("future_kind".into()),
            NOW + 9,
            Some(tracker.app.id),
            None,
        )
    };
    for e in [&first, &second, &third] {
        store.record_audit_event(e.clone()).await.expect("record");
    }
    let fourth = event(AuditKind::AppDeleted, NOW + 10, Some(tracker.app.id), None);
    store
        .delete_app(tracker.app.id, NOW + 10, fourth.clone())
        .await
        .expect("delete app");

    // The fixtures' own writes recorded placeholder events; this test is about the others.
    let placeholder = AuditKind::Other("conformance".into());
    let all: Vec<_> = store
        .audit_events(AuditQuery::default())
        .await
        .expect("all")
        .into_iter()
        .filter(|e| e.event.kind != placeholder)
        .collect();
    let events: Vec<_> = all.iter().map(|e| e.event.clone()).collect();
    assert_eq!(
        events,
        vec![fourth.clone(), third.clone(), second.clone(), first.clone()]
    );
    assert!(all[0].id > all[1].id && all[1].id > all[2].id && all[2].id > all[3].id);

    let of_app: Vec<_> = store
        .audit_events(AuditQuery {
            app: Some(tracker.app.id),
            ..AuditQuery::default()
        })
        .await
        .expect("by app")
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(of_app, vec![fourth.clone(), third.clone(), first]);
    let of_org: Vec<_> = store
        .audit_events(AuditQuery {
            org: Some(fabrikam.id),
            ..AuditQuery::default()
        })
        .await
        .expect("by org")
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(of_org, vec![second.clone()]);
    let recent: Vec<_> = store
        .audit_events(AuditQuery {
            since: Some(NOW + 5),
            limit: 1,
            ..AuditQuery::default()
        })
        .await
        .expect("since")
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(recent, vec![fourth]);
}

/// An admin token is found by the hash of its value until it is revoked, and listed either way.
pub async fn admin_tokens_verify_by_hash_until_revoked(store: Arc<dyn Store>) {
    let token = AdminToken {
        id: "a1b2c3".into(),
        name: "deploys".into(),
        created_at: NOW,
        revoked_at: None,
    };
    let hash = TokenHash::of("kgat_value");
    store
        .create_admin_token(
            NewAdminToken {
                token: token.clone(),
                hash,
            },
            crate::fixtures::audit(),
        )
        .await
        .expect("create");
    let duplicate = store
        .create_admin_token(
            NewAdminToken {
                token: token.clone(),
                hash: TokenHash::of("another value"),
            },
            crate::fixtures::audit(),
        )
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    assert_eq!(
        store.admin_token_by_hash(hash).await.expect("lookup"),
        Some(token.clone())
    );
    assert!(store
        .admin_token_by_hash(TokenHash::of("kgat_other"))
        .await
        .expect("lookup")
        .is_none());
    assert!(store
        .revoke_admin_token("a1b2c3", NOW + 3, crate::fixtures::audit())
        .await
        .expect("revoke"));
    assert!(!store
        .revoke_admin_token("a1b2c3", NOW + 4, crate::fixtures::audit())
        .await
        .expect("revoke again"));
    assert!(store
        .admin_token_by_hash(hash)
        .await
        .expect("lookup")
        .is_none());
    assert_eq!(
        store.admin_tokens().await.expect("list"),
        vec![AdminToken {
            revoked_at: Some(NOW + 3),
            ..token
        }]
    );
}
