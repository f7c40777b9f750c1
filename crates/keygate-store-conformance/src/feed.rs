//! Revocation, the change feed that announces it, organization policy, and the per-app summary of
//! a user's authorizations.

use std::collections::BTreeSet;
use std::sync::Arc;

use keygate_core::ids::{AuthorizationId, OrgId};
use keygate_core::model::ChangeKind;
use keygate_core::{Store, StoreError};

use crate::fixtures::{
    app, changes_after, exchanged_grant, grant, grant_at, org, scopes, user, CODE_LIFETIME, NOW,
    REFRESH_LIFETIME,
};

/// Revocation is idempotent: the first call revokes and announces, the second changes nothing.
pub async fn revoking_an_authorization_twice_announces_it_once(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let (grant, refresh) =
        exchanged_grant(&*store, ada.id, tracker.app.id, tracker.secret.id).await;
    let head = store.change_head().await.expect("head");

    store
        .revoke_authorization(grant.id, NOW + 10, crate::fixtures::audit())
        .await
        .expect("revoke");
    store
        .revoke_authorization(grant.id, NOW + 20, crate::fixtures::audit())
        .await
        .expect("revoke again");

    let record = store
        .refresh_by_hash(refresh)
        .await
        .expect("refresh")
        .expect("a refresh token");
    assert_eq!(
        record.revoked_at,
        Some(NOW + 10),
        "the first revocation stands"
    );
    let changes = changes_after(&*store, head).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].kind, ChangeKind::AuthorizationRevoked);
    assert_eq!(changes[0].subject, grant.id.to_string());
    assert_eq!(changes[0].at, NOW + 10);
}

/// A user revokes what they gave one app, or everything; other users' authorizations and
/// already-revoked ones are left alone and not counted.
pub async fn revoking_a_users_authorizations_can_be_limited_to_one_app(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let bob = user(&*store, "bob@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let mailer = app(&*store, ada.id, "Mailer").await;
    let ada_tracker_1 = grant(&*store, ada.id, tracker.app.id).await;
    let ada_tracker_2 = grant(&*store, ada.id, tracker.app.id).await;
    let ada_mailer = grant(&*store, ada.id, mailer.app.id).await;
    let bob_tracker = grant(&*store, bob.id, tracker.app.id).await;
    let head = store.change_head().await.expect("head");

    let count = store
        .revoke_user_authorizations(
            ada.id,
            Some(tracker.app.id),
            NOW + 5,
            crate::fixtures::audit(),
        )
        .await
        .expect("revoke for one app");
    assert_eq!(count, 2);
    let subjects: BTreeSet<String> = changes_after(&*store, head)
        .await
        .into_iter()
        .map(|c| c.subject)
        .collect();
    assert_eq!(
        subjects,
        BTreeSet::from([ada_tracker_1.id.to_string(), ada_tracker_2.id.to_string()])
    );

    let revoked_at = |code| {
        let store = Arc::clone(&store);
        async move {
            store
                .code_by_hash(code)
                .await
                .expect("code")
                .expect("a code")
                .revoked_at
        }
    };
    assert_eq!(revoked_at(ada_mailer.code).await, None);
    assert_eq!(revoked_at(bob_tracker.code).await, None);

    let count = store
        .revoke_user_authorizations(ada.id, None, NOW + 6, crate::fixtures::audit())
        .await
        .expect("revoke all");
    assert_eq!(count, 1, "only the mailer authorization was still live");
    assert_eq!(revoked_at(ada_mailer.code).await, Some(NOW + 6));
    assert_eq!(revoked_at(ada_tracker_1.code).await, Some(NOW + 5));
    assert_eq!(revoked_at(bob_tracker.code).await, None);
    assert_eq!(changes_after(&*store, head).await.len(), 3);
}

/// The head is 0 on an empty feed; changes come oldest first after a sequence number, at most
/// `limit` at a time, with increasing sequence numbers.
pub async fn the_change_feed_lists_changes_oldest_first_after_a_sequence_number(
    store: Arc<dyn Store>,
) {
    assert_eq!(store.change_head().await.expect("head"), 0);
    assert!(changes_after(&*store, 0).await.is_empty());

    let ada = user(&*store, "ada@example.com").await;
    let fabrikam = org(&*store, ada.id, "Fabrikam").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let first = grant(&*store, ada.id, tracker.app.id).await;
    let second = grant(&*store, ada.id, tracker.app.id).await;
    store
        .revoke_authorization(first.id, NOW + 1, crate::fixtures::audit())
        .await
        .expect("revoke");
    store
        .set_org_oauth_policy(fabrikam.id, false, NOW + 2, crate::fixtures::audit())
        .await
        .expect("set policy");
    store
        .revoke_authorization(second.id, NOW + 3, crate::fixtures::audit())
        .await
        .expect("revoke");

    let all = changes_after(&*store, 0).await;
    let summary: Vec<(ChangeKind, String, i64)> = all
        .iter()
        .map(|c| (c.kind.clone(), c.subject.clone(), c.at))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                ChangeKind::AuthorizationRevoked,
                first.id.to_string(),
                NOW + 1
            ),
            (
                ChangeKind::OrgPolicyChanged,
                fabrikam.id.to_string(),
                NOW + 2
            ),
            (
                ChangeKind::AuthorizationRevoked,
                second.id.to_string(),
                NOW + 3
            ),
        ]
    );
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(store.change_head().await.expect("head"), all[2].seq);

    let limited = store.changes_since(0, 2).await.expect("changes");
    assert_eq!(limited, all[..2].to_vec());
    let rest = store
        .changes_since(limited[1].seq, 10)
        .await
        .expect("changes");
    assert_eq!(rest, all[2..].to_vec());
    assert!(store
        .changes_since(all[2].seq, 10)
        .await
        .expect("changes")
        .is_empty());
}

/// A starting node learns of every authorization revoked at or after a time, with when.
pub async fn authorizations_revoked_since_lists_revocations_from_a_given_time(
    store: Arc<dyn Store>,
) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let old = grant(&*store, ada.id, tracker.app.id).await;
    let recent = grant(&*store, ada.id, tracker.app.id).await;
    let live = grant(&*store, ada.id, tracker.app.id).await;
    store
        .revoke_authorization(old.id, NOW + 10, crate::fixtures::audit())
        .await
        .expect("revoke");
    store
        .revoke_authorization(recent.id, NOW + 20, crate::fixtures::audit())
        .await
        .expect("revoke");

    let since = |at| {
        let store = Arc::clone(&store);
        async move {
            let mut found = store
                .authorizations_revoked_since(at)
                .await
                .expect("revoked since");
            found.sort();
            found
        }
    };
    let mut both: Vec<(AuthorizationId, i64)> = vec![(old.id, NOW + 10), (recent.id, NOW + 20)];
    both.sort();
    assert_eq!(since(NOW).await, both);
    assert_eq!(since(NOW + 20).await, vec![(recent.id, NOW + 20)]);
    assert!(since(NOW + 21).await.is_empty());
    assert!(since(NOW).await.iter().all(|(id, _)| *id != live.id));
}

/// One row per app with a live authorization that can still be used (an unspent, unexpired
/// refresh token or an unredeemed, unexpired code): scopes united, issued at the first consent,
/// expiring with the last credential; sorted by app name.
pub async fn authorizations_of_user_summarize_live_authorizations_per_app(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let bob = user(&*store, "bob@example.com").await;
    let zulu = app(&*store, ada.id, "Zulu Tracker").await;
    let alpha = app(&*store, ada.id, "Alpha Mailer").await;
    let revoked = app(&*store, ada.id, "Revoked App").await;
    let expired = app(&*store, ada.id, "Expired App").await;

    // Zulu: an exchanged authorization, then a later one still waiting in its code.
    let (_, _) = exchanged_grant(&*store, ada.id, zulu.app.id, zulu.secret.id).await;
    grant_at(&*store, ada.id, zulu.app.id, "vso.code", NOW + 500).await;
    // Alpha: a pending code only.
    grant_at(&*store, ada.id, alpha.app.id, "vso.work", NOW + 400).await;
    // Revoked: exchanged, then revoked.
    let (gone, _) = exchanged_grant(&*store, ada.id, revoked.app.id, revoked.secret.id).await;
    store
        .revoke_authorization(gone.id, NOW + 2, crate::fixtures::audit())
        .await
        .expect("revoke");
    // Expired: a code nobody redeemed, long past its expiry when we look.
    grant_at(&*store, ada.id, expired.app.id, "vso.work", NOW - 10_000).await;
    // Bob's authorizations are his own.
    grant(&*store, bob.id, alpha.app.id).await;

    let summaries = store
        .authorizations_of_user(ada.id, NOW + 600)
        .await
        .expect("summaries");
    let names: Vec<&str> = summaries.iter().map(|s| s.app_name.as_str()).collect();
    assert_eq!(names, vec!["Alpha Mailer", "Zulu Tracker"]);

    let alpha_row = &summaries[0];
    assert_eq!(alpha_row.app_id, alpha.app.id);
    assert_eq!(alpha_row.company_name, "Alpha Mailer Ltd");
    assert_eq!(alpha_row.scopes, scopes("vso.work"));
    assert_eq!(alpha_row.issued_at, NOW + 400);
    assert_eq!(alpha_row.expires_at, NOW + 400 + CODE_LIFETIME);

    let zulu_row = &summaries[1];
    assert_eq!(zulu_row.app_id, zulu.app.id);
    assert_eq!(zulu_row.scopes, scopes("vso.work vso.code"));
    assert_eq!(zulu_row.issued_at, NOW);
    assert_eq!(zulu_row.expires_at, NOW + 1 + REFRESH_LIFETIME);

    // Once the refresh token has expired too, nothing of Zulu's remains usable.
    let later = store
        .authorizations_of_user(ada.id, NOW + 2 + REFRESH_LIFETIME)
        .await
        .expect("summaries");
    assert!(later.is_empty(), "{later:?}");
}

/// Disallowing third-party OAuth is stored, listed by name and announced on the feed; allowing
/// it again takes the organization off the list.
pub async fn org_oauth_policy_changes_are_stored_and_announced(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let fabrikam = org(&*store, ada.id, "Fabrikam").await;
    let contoso = org(&*store, ada.id, "Contoso").await;
    assert!(store
        .orgs_denying_oauth()
        .await
        .expect("denying")
        .is_empty());
    let head = store.change_head().await.expect("head");

    store
        .set_org_oauth_policy(fabrikam.id, false, NOW + 1, crate::fixtures::audit())
        .await
        .expect("deny");
    store
        .set_org_oauth_policy(contoso.id, false, NOW + 2, crate::fixtures::audit())
        .await
        .expect("deny");
    let mut denying = store.orgs_denying_oauth().await.expect("denying");
    denying.sort();
    assert_eq!(denying, vec!["Contoso".to_owned(), "Fabrikam".to_owned()]);
    let stored = store
        .org_by_name("Fabrikam")
        .await
        .expect("org")
        .expect("an org");
    assert!(!stored.third_party_oauth_allowed);

    store
        .set_org_oauth_policy(fabrikam.id, true, NOW + 3, crate::fixtures::audit())
        .await
        .expect("allow");
    assert_eq!(
        store.orgs_denying_oauth().await.expect("denying"),
        vec!["Contoso".to_owned()]
    );
    let changes = changes_after(&*store, head).await;
    let summary: Vec<(ChangeKind, String)> =
        changes.into_iter().map(|c| (c.kind, c.subject)).collect();
    assert_eq!(
        summary,
        vec![
            (ChangeKind::OrgPolicyChanged, fabrikam.id.to_string()),
            (ChangeKind::OrgPolicyChanged, contoso.id.to_string()),
            (ChangeKind::OrgPolicyChanged, fabrikam.id.to_string()),
        ]
    );
}

/// A policy cannot be set on an organization that does not exist, and nothing is announced.
pub async fn setting_the_oauth_policy_of_a_missing_org_is_not_found(store: Arc<dyn Store>) {
    let result = store
        .set_org_oauth_policy(OrgId::new_random(), false, NOW, crate::fixtures::audit())
        .await;
    assert!(
        matches!(result, Err(StoreError::NotFound("organization"))),
        "{result:?}"
    );
    assert_eq!(store.change_head().await.expect("head"), 0);
}

/// A backend that offers change notifications wakes its subscribers after a change it committed
/// (here a revocation). Backends without notifications (`None`) pass.
pub async fn change_notifications_wake_subscribers_after_feed_appends(store: Arc<dyn Store>) {
    let Some(mut woken) = store.change_notifications() else {
        return;
    };
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let (grant, _) = exchanged_grant(&*store, ada.id, tracker.app.id, tracker.secret.id).await;
    // Whatever the setup announced is not what this test waits for.
    while woken.try_recv().is_ok() {}

    store
        .revoke_authorization(grant.id, NOW + 10, crate::fixtures::audit())
        .await
        .expect("revoke");
    let wake = tokio::time::timeout(std::time::Duration::from_secs(5), woken.recv()).await;
    assert!(
        matches!(
            wake,
            Ok(Ok(())) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_)))
        ),
        "no notification after a revocation: {wake:?}"
    );
}
