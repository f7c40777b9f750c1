//! Apps and client secrets, and what replacing a secret or deleting an app revokes.

use std::collections::BTreeSet;
use std::sync::Arc;

use keygate_core::ids::{AppId, AuthorizationId};
use keygate_core::model::ChangeKind;
use keygate_core::secrets::TokenHash;
use keygate_core::{Store, StoreError};

use crate::fixtures::{app, changes_after, exchanged_grant, grant, new_app, new_secret, user, NOW};

/// An app comes back as registered by id, in its owner's list (oldest first, then by name) and in
/// the list of all apps, and its secret verifies by hash.
pub async fn created_apps_are_found_by_id_by_owner_and_by_secret_hash(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let bob = user(&*store, "bob@example.com").await;
    let mut created = Vec::new();
    for (owner, name, at) in [
        (ada.id, "Zebra", NOW),
        (ada.id, "Alpha", NOW),
        (ada.id, "Older", NOW - 10),
        (bob.id, "Bobs", NOW),
    ] {
        let new = new_app(owner, name, at);
        let secret = new_secret(new.id, &format!("secret {name}"));
        let app = store
            .create_app(new, secret, crate::fixtures::audit())
            .await
            .expect("create app");
        created.push(app);
    }
    let [zebra, alpha, older, bobs] = <[_; 4]>::try_from(created).expect("four apps");

    assert_eq!(
        store.app_by_id(zebra.id).await.expect("app").as_ref(),
        Some(&zebra)
    );
    assert!(store
        .app_by_id(AppId::new_random())
        .await
        .expect("app")
        .is_none());
    assert_eq!(
        store.list_apps(Some(ada.id)).await.expect("list"),
        vec![older.clone(), alpha.clone(), zebra.clone()]
    );
    assert_eq!(
        store.list_apps(None).await.expect("list"),
        vec![older, alpha, bobs.clone(), zebra]
    );

    let secret = store
        .client_secret_by_hash(TokenHash::of("secret Bobs"))
        .await
        .expect("secret")
        .expect("a secret");
    assert_eq!(secret.app_id, bobs.id);
    assert_eq!(secret.expires_at, NOW + 365 * 24 * 3600);
    assert!(store
        .client_secret_by_hash(TokenHash::of("not a secret"))
        .await
        .expect("secret")
        .is_none());
}

/// Replacing a secret retires the old version and revokes, on the feed too, every authorization
/// whose code was exchanged; an authorization whose code is still unexchanged stays live.
pub async fn replacing_a_client_secret_revokes_exchanged_authorizations_and_announces_them(
    store: Arc<dyn Store>,
) {
    let ada = user(&*store, "ada@example.com").await;
    let bob = user(&*store, "bob@example.com").await;
    let registered = app(&*store, ada.id, "Tracker").await;
    let other = app(&*store, ada.id, "Other").await;
    let (exchanged_a, refresh_a) =
        exchanged_grant(&*store, ada.id, registered.app.id, registered.secret.id).await;
    let (exchanged_b, _) =
        exchanged_grant(&*store, bob.id, registered.app.id, registered.secret.id).await;
    let pending = grant(&*store, bob.id, registered.app.id).await;
    let (elsewhere, _) = exchanged_grant(&*store, ada.id, other.app.id, other.secret.id).await;
    let head = store.change_head().await.expect("head");

    let replacement = new_secret(registered.app.id, "the new secret");
    let revoked = store
        .replace_client_secret(
            registered.app.id,
            keygate_core::model::SecretSlot::Primary,
            replacement.clone(),
            NOW + 50,
            crate::fixtures::audit(),
        )
        .await
        .expect("replace secret");
    assert_eq!(revoked, 2);

    assert!(store
        .client_secret_by_hash(registered.secret_hash)
        .await
        .expect("old secret")
        .is_none());
    assert_eq!(
        store
            .client_secret_by_hash(replacement.hash)
            .await
            .expect("new secret"),
        Some(replacement.secret)
    );
    let refresh = store
        .refresh_by_hash(refresh_a)
        .await
        .expect("refresh")
        .expect("a refresh token");
    assert_eq!(refresh.revoked_at, Some(NOW + 50));
    let code = store
        .code_by_hash(pending.code)
        .await
        .expect("code")
        .expect("a code");
    assert_eq!(code.revoked_at, None);
    let revoked_ids: BTreeSet<AuthorizationId> = store
        .authorizations_revoked_since(NOW)
        .await
        .expect("revoked since")
        .into_iter()
        .map(|(id, at)| {
            assert_eq!(at, NOW + 50);
            id
        })
        .collect();
    assert_eq!(
        revoked_ids,
        BTreeSet::from([exchanged_a.id, exchanged_b.id])
    );
    assert!(!revoked_ids.contains(&elsewhere.id));

    let changes = changes_after(&*store, head).await;
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert_client_changed(&changes, registered.app.id, NOW + 50);
    let revocations: Vec<_> = changes
        .into_iter()
        .filter(|c| c.kind == ChangeKind::AuthorizationRevoked)
        .collect();
    assert!(revocations.iter().all(|c| c.at == NOW + 50));
    let subjects: BTreeSet<String> = revocations.into_iter().map(|c| c.subject).collect();
    assert_eq!(
        subjects,
        BTreeSet::from([exchanged_a.id.to_string(), exchanged_b.id.to_string()])
    );
}

/// There is nothing to replace on an app that does not exist.
pub async fn replacing_the_secret_of_a_missing_app_is_not_found(store: Arc<dyn Store>) {
    let missing = AppId::new_random();
    let result = store
        .replace_client_secret(
            missing,
            keygate_core::model::SecretSlot::Primary,
            new_secret(missing, "secret"),
            NOW,
            crate::fixtures::audit(),
        )
        .await;
    assert!(
        matches!(result, Err(StoreError::NotFound("app"))),
        "{result:?}"
    );
}

/// Deleting an app takes its secrets and credentials with it, while the revocation of each of
/// its live authorizations stays on the feed and among recent revocations.
pub async fn deleting_an_app_removes_its_credentials_and_leaves_its_revocations_on_the_feed(
    store: Arc<dyn Store>,
) {
    let ada = user(&*store, "ada@example.com").await;
    let doomed = app(&*store, ada.id, "Doomed").await;
    let kept = app(&*store, ada.id, "Kept").await;
    let (exchanged, refresh) =
        exchanged_grant(&*store, ada.id, doomed.app.id, doomed.secret.id).await;
    let pending = grant(&*store, ada.id, doomed.app.id).await;
    let (survivor, survivor_refresh) =
        exchanged_grant(&*store, ada.id, kept.app.id, kept.secret.id).await;
    let head = store.change_head().await.expect("head");

    store
        .delete_app(doomed.app.id, NOW + 70, crate::fixtures::audit())
        .await
        .expect("delete app");

    assert!(store.app_by_id(doomed.app.id).await.expect("app").is_none());
    assert!(store
        .client_secret_by_hash(doomed.secret_hash)
        .await
        .expect("secret")
        .is_none());
    assert!(store
        .code_by_hash(pending.code)
        .await
        .expect("code")
        .is_none());
    assert!(store
        .refresh_by_hash(refresh)
        .await
        .expect("refresh")
        .is_none());
    assert_eq!(
        store.list_apps(Some(ada.id)).await.expect("list"),
        vec![kept.app.clone()]
    );

    let changes = changes_after(&*store, head).await;
    let subjects: BTreeSet<String> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::AuthorizationRevoked)
        .map(|c| c.subject.clone())
        .collect();
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert_client_changed(&changes, doomed.app.id, NOW + 70);
    assert_eq!(
        subjects,
        BTreeSet::from([exchanged.id.to_string(), pending.id.to_string()])
    );
    // A node that starts now must still refuse the deleted app's access tokens.
    let recent: BTreeSet<AuthorizationId> = store
        .authorizations_revoked_since(NOW + 70)
        .await
        .expect("revoked since")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(recent, BTreeSet::from([exchanged.id, pending.id]));

    let untouched = store
        .refresh_by_hash(survivor_refresh)
        .await
        .expect("refresh")
        .expect("the other app's refresh token");
    assert_eq!(untouched.authorization_id, survivor.id);
    assert_eq!(untouched.revoked_at, None);
}

/// There is nothing to delete when the app does not exist.
pub async fn deleting_a_missing_app_is_not_found(store: Arc<dyn Store>) {
    let result = store
        .delete_app(AppId::new_random(), NOW, crate::fixtures::audit())
        .await;
    assert!(
        matches!(result, Err(StoreError::NotFound("app"))),
        "{result:?}"
    );
}

/// Other nodes learn from the feed that what they cached about the app's client authentication
/// is stale: exactly one `ClientChanged` naming the app, after the revocations it caused.
fn assert_client_changed(changes: &[keygate_core::model::Change], app: AppId, at: i64) {
    let client_changes: Vec<_> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::ClientChanged)
        .collect();
    assert_eq!(client_changes.len(), 1, "{changes:?}");
    assert_eq!(client_changes[0].subject, app.to_string());
    assert_eq!(client_changes[0].at, at);
    assert_eq!(
        changes.last().map(|c| &c.kind),
        Some(&ChangeKind::ClientChanged)
    );
}
