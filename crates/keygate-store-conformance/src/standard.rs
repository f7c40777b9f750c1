//! What standard OAuth adds to the contract: reading one authorization, the authorization
//! behind client-credentials tokens, and signing-key rotation.

use std::sync::Arc;

use keygate_core::model::{ChangeKind, SigningKeyRecord};
use keygate_core::{Store, StoreError};

use crate::fixtures::*;

/// An authorization reads back in any state, and not at all once its app is deleted.
pub async fn authorization_by_id_reads_it_in_any_state_until_its_app_is_deleted(
    store: Arc<dyn Store>,
) {
    let ada = user(&*store, "ada@example.com").await;
    let registered = app(&*store, ada.id, "Tracker").await;
    let given = grant(&*store, ada.id, registered.app.id).await;
    let found = store
        .authorization_by_id(given.id)
        .await
        .expect("read")
        .expect("an authorization");
    assert_eq!(found.id, given.id);
    assert_eq!(found.user_id, ada.id);
    assert_eq!(found.app_id, registered.app.id);
    assert_eq!(found.scopes, scopes("vso.work"));
    assert_eq!(found.created_at, NOW);
    assert_eq!(found.revoked_at, None);

    store
        .revoke_authorization(given.id, NOW + 5, crate::fixtures::audit())
        .await
        .expect("revoke");
    let revoked = store.authorization_by_id(given.id).await.expect("read");
    assert_eq!(revoked.and_then(|a| a.revoked_at), Some(NOW + 5));

    store
        .delete_app(registered.app.id, NOW + 6, crate::fixtures::audit())
        .await
        .expect("delete");
    assert_eq!(
        store.authorization_by_id(given.id).await.expect("read"),
        None
    );
}

/// One live client-credentials authorization per secret version: reused while it stands,
/// revoked (and announced) when the secret is replaced, refused for a replaced version.
pub async fn client_credentials_authorizations_follow_their_secret_version(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let registered = app(&*store, ada.id, "Daemon").await;
    let (id, secret) = (registered.app.id, registered.secret.id);
    let first = store
        .client_credentials_authorization(id, secret, NOW)
        .await
        .expect("client grant");
    let again = store
        .client_credentials_authorization(id, secret, NOW + 1)
        .await
        .expect("client grant");
    assert_eq!(first, again);
    let stored = store
        .authorization_by_id(first)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.app_id, id);
    assert_eq!(stored.user_id, ada.id);
    assert_eq!(stored.scopes, registered.app.scopes);

    let head = store.change_head().await.expect("head");
    let replacement = new_secret(id, "replacement");
    store
        .replace_client_secret(
            id,
            keygate_core::model::SecretSlot::Primary,
            replacement.clone(),
            NOW + 10,
            crate::fixtures::audit(),
        )
        .await
        .expect("replace");
    let revoked = store.authorization_by_id(first).await.expect("read");
    assert_eq!(revoked.and_then(|a| a.revoked_at), Some(NOW + 10));
    let announced: Vec<String> = changes_after(&*store, head)
        .await
        .into_iter()
        .filter(|c| c.kind == ChangeKind::AuthorizationRevoked)
        .map(|c| c.subject)
        .collect();
    assert_eq!(announced, vec![first.to_string()]);

    assert!(matches!(
        store
            .client_credentials_authorization(id, secret, NOW + 11)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let fresh = store
        .client_credentials_authorization(id, replacement.secret.id, NOW + 12)
        .await
        .expect("client grant");
    assert_ne!(fresh, first);

    // A revoked one is never handed out again.
    store
        .revoke_authorization(fresh, NOW + 13, crate::fixtures::audit())
        .await
        .expect("revoke");
    let after = store
        .client_credentials_authorization(id, replacement.secret.id, NOW + 14)
        .await
        .expect("client grant");
    assert_ne!(after, fresh);

    store
        .delete_app(id, NOW + 20, crate::fixtures::audit())
        .await
        .expect("delete");
    let announced: Vec<String> = changes_after(&*store, head)
        .await
        .into_iter()
        .map(|c| c.subject)
        .collect();
    assert!(announced.contains(&after.to_string()), "{announced:?}");
}

/// The owner's "revoke" ends the consents they gave, not the app's own client grant, and the
/// client grant is not listed among their authorizations.
pub async fn client_credentials_authorizations_are_not_the_owners_consents(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let registered = app(&*store, ada.id, "Daemon").await;
    let (consent, _) =
        exchanged_grant(&*store, ada.id, registered.app.id, registered.secret.id).await;
    let own = store
        .client_credentials_authorization(registered.app.id, registered.secret.id, NOW)
        .await
        .expect("client grant");
    let summaries = store
        .authorizations_of_user(ada.id, NOW + 2)
        .await
        .expect("summaries");
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].scopes, scopes("vso.work"));

    let count = store
        .revoke_user_authorizations(ada.id, None, NOW + 3, crate::fixtures::audit())
        .await
        .expect("revoke all");
    assert_eq!(count, 1);
    let consent = store.authorization_by_id(consent.id).await.expect("read");
    assert_eq!(consent.and_then(|a| a.revoked_at), Some(NOW + 3));
    let own = store.authorization_by_id(own).await.expect("read");
    assert_eq!(own.and_then(|a| a.revoked_at), None);
}

fn key(kid: &str, state: &str, created_at: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.to_owned(),
        algorithm: "ES256".to_owned(),
        private_der: kid.as_bytes().to_vec(),
        state: state.to_owned(),
        created_at,
        retired_at: None,
        purpose: "access".into(),
    }
}

fn states(keys: &[SigningKeyRecord]) -> Vec<(String, String, Option<i64>)> {
    keys.iter()
        .map(|k| (k.kid.clone(), k.state.clone(), k.retired_at))
        .collect()
}

/// A key is published as `next`, then signs, then is retired, then deleted; each step is
/// announced, and only one key waits at a time.
pub async fn signing_keys_rotate_from_next_to_active_to_retired_to_gone(store: Arc<dyn Store>) {
    store
        .ensure_signing_key(key("one", "active", NOW))
        .await
        .expect("first key");
    assert!(!store.promote_next_signing_key(NOW).await.expect("promote"));
    let head = store.change_head().await.expect("head");

    store
        .add_next_signing_key(key("two", "next", NOW + 10))
        .await
        .expect("next key");
    assert!(matches!(
        store
            .add_next_signing_key(key("three", "next", NOW + 11))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let s = |k: &str, st: &str, r: Option<i64>| (k.to_owned(), st.to_owned(), r);
    assert_eq!(
        states(&store.signing_keys().await.expect("keys")),
        vec![s("one", "active", None), s("two", "next", None)]
    );

    assert!(store
        .promote_next_signing_key(NOW + 20)
        .await
        .expect("promote"));
    assert_eq!(
        states(&store.signing_keys().await.expect("keys")),
        vec![
            s("one", "retired", Some(NOW + 20)),
            s("two", "active", None)
        ]
    );

    assert_eq!(
        store
            .delete_retired_signing_keys(NOW + 19, NOW + 30)
            .await
            .expect("delete"),
        0
    );
    assert_eq!(
        store
            .delete_retired_signing_keys(NOW + 20, NOW + 31)
            .await
            .expect("delete"),
        1
    );
    assert_eq!(
        states(&store.signing_keys().await.expect("keys")),
        vec![s("two", "active", None)]
    );
    let kinds: Vec<(ChangeKind, String)> = changes_after(&*store, head)
        .await
        .into_iter()
        .map(|c| (c.kind, c.subject))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (ChangeKind::KeysChanged, "two".to_owned()),
            (ChangeKind::KeysChanged, "two".to_owned()),
            (ChangeKind::KeysChanged, "one".to_owned()),
        ]
    );
}

/// The access-token key and the ID-token key live side by side: each purpose has its own active
/// and `next` key, and promotion retires only the active key of the promoted key's purpose.
pub async fn each_key_purpose_has_its_own_active_and_next_key(store: Arc<dyn Store>) {
    let id_key = |kid: &str, state: &str, at: i64| SigningKeyRecord {
        purpose: "id_token".into(),
        algorithm: "RS256".into(),
        ..key(kid, state, at)
    };
    store
        .ensure_signing_key(key("access-1", "active", NOW))
        .await
        .expect("access key");
    let keys = store
        .ensure_signing_key(id_key("id-1", "active", NOW))
        .await
        .expect("id key");
    assert_eq!(keys.len(), 2, "a second purpose gets its own active key");
    let again = store
        .ensure_signing_key(id_key("id-x", "active", NOW))
        .await
        .expect("no second id key");
    assert_eq!(again.len(), 2);

    store
        .add_next_signing_key(key("access-2", "next", NOW + 1))
        .await
        .expect("next access key");
    store
        .add_next_signing_key(id_key("id-2", "next", NOW + 1))
        .await
        .expect("next id key beside the next access key");
    assert!(matches!(
        store
            .add_next_signing_key(id_key("id-3", "next", NOW + 2))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store
        .promote_next_signing_key(NOW + 5)
        .await
        .expect("promote"));
    let keys = store.signing_keys().await.expect("keys");
    let find = |kid: &str| {
        keys.iter()
            .find(|k| k.kid == kid)
            .map(|k| (k.state.clone(), k.purpose.clone()))
            .expect("stored")
    };
    assert_eq!(find("access-1"), ("retired".into(), "access".into()));
    assert_eq!(find("access-2"), ("active".into(), "access".into()));
    assert_eq!(find("id-1"), ("retired".into(), "id_token".into()));
    assert_eq!(find("id-2"), ("active".into(), "id_token".into()));
}
