//! Codes and refresh tokens: single use under concurrency, and reuse revoking the authorization.

use std::sync::Arc;

use keygate_core::model::ChangeKind;
use keygate_core::secrets::TokenHash;
use keygate_core::store::ConsumeOutcome;
use keygate_core::Store;
use tokio::sync::Barrier;

use crate::fixtures::{
    app, changes_after, exchanged_grant, grant, refresh_token, scopes, user, CODE_LIFETIME, NOW,
};

/// How many callers race for one credential.
const RACERS: usize = 20;

/// A code reads back with what the token endpoint judges it by, joined from its authorization.
pub async fn a_stored_code_is_read_back_with_its_authorization(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let grant = grant(&*store, ada.id, tracker.app.id).await;

    let code = store
        .code_by_hash(grant.code)
        .await
        .expect("code")
        .expect("a code");
    assert_eq!(code.authorization_id, grant.id);
    assert_eq!(code.user_id, ada.id);
    assert_eq!(code.app_id, tracker.app.id);
    assert_eq!(code.scopes, scopes("vso.work"));
    assert_eq!(code.redirect_uri, "https://example.com/callback");
    assert_eq!(
        code.code_challenge.as_deref(),
        Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    );
    assert_eq!(code.expires_at, NOW + CODE_LIFETIME);
    assert_eq!(code.used_at, None);
    assert_eq!(code.revoked_at, None);
    assert!(store
        .code_by_hash(TokenHash::of("unknown code"))
        .await
        .expect("code")
        .is_none());
}

/// Of 20 callers redeeming one code at once, exactly one gets its refresh token stored; the
/// others find it used, and so the authorization ends revoked, announced once.
pub async fn redeem_code_succeeds_exactly_once_under_concurrency(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let grant = grant(&*store, ada.id, tracker.app.id).await;
    let head = store.change_head().await.expect("head");

    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..RACERS {
        let store = Arc::clone(&store);
        let barrier = Arc::clone(&barrier);
        let refresh = refresh_token(grant.id, Some(tracker.secret.id), &i.to_string(), NOW + 1);
        racers.spawn(async move {
            let hash = refresh.hash;
            barrier.wait().await;
            let outcome = store
                .redeem_code(grant.code, refresh, NOW + 1, crate::fixtures::audit())
                .await
                .expect("redeem code");
            (outcome, hash)
        });
    }
    let results = racers.join_all().await;

    let winners: Vec<TokenHash> = results
        .iter()
        .filter(|(outcome, _)| *outcome == ConsumeOutcome::Consumed)
        .map(|(_, hash)| *hash)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let mut stored = 0;
    for (_, hash) in &results {
        if let Some(record) = store.refresh_by_hash(*hash).await.expect("refresh") {
            assert_eq!(*hash, winners[0]);
            assert_eq!(record.authorization_id, grant.id);
            assert_eq!(record.used_at, None);
            stored += 1;
        }
    }
    assert_eq!(stored, 1);

    let code = store
        .code_by_hash(grant.code)
        .await
        .expect("code")
        .expect("a code");
    assert_eq!(code.used_at, Some(NOW + 1));
    assert_eq!(code.revoked_at, Some(NOW + 1));
    let changes = changes_after(&*store, head).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].kind, ChangeKind::AuthorizationRevoked);
    assert_eq!(changes[0].subject, grant.id.to_string());
}

/// RFC 6749 §4.1.2: a code redeemed a second time, later, stores nothing and revokes what the
/// first redemption issued.
pub async fn redeeming_a_used_code_again_revokes_its_authorization(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let (grant, first_refresh) =
        exchanged_grant(&*store, ada.id, tracker.app.id, tracker.secret.id).await;
    let head = store.change_head().await.expect("head");

    let second = refresh_token(grant.id, Some(tracker.secret.id), "second", NOW + 30);
    let second_hash = second.hash;
    let outcome = store
        .redeem_code(grant.code, second, NOW + 30, crate::fixtures::audit())
        .await
        .expect("redeem again");
    assert_eq!(outcome, ConsumeOutcome::AlreadyUsed);

    assert!(store
        .refresh_by_hash(second_hash)
        .await
        .expect("refresh")
        .is_none());
    let first = store
        .refresh_by_hash(first_refresh)
        .await
        .expect("refresh")
        .expect("the first refresh token");
    assert_eq!(first.revoked_at, Some(NOW + 30));
    let code = store
        .code_by_hash(grant.code)
        .await
        .expect("code")
        .expect("a code");
    assert_eq!(code.used_at, Some(NOW + 1), "the first use is kept");
    let changes = changes_after(&*store, head).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].kind, ChangeKind::AuthorizationRevoked);
    assert_eq!(changes[0].subject, grant.id.to_string());
    assert_eq!(changes[0].at, NOW + 30);

    // A third attempt changes nothing more.
    let third = refresh_token(grant.id, Some(tracker.secret.id), "third", NOW + 40);
    let outcome = store
        .redeem_code(grant.code, third, NOW + 40, crate::fixtures::audit())
        .await
        .expect("redeem a third time");
    assert_eq!(outcome, ConsumeOutcome::AlreadyUsed);
    assert_eq!(changes_after(&*store, head).await.len(), 1);
}

/// Of 20 callers rotating one refresh token at once, exactly one gets its successor stored; the
/// others find it spent, and so the authorization ends revoked, announced once.
pub async fn rotate_refresh_succeeds_exactly_once_under_concurrency(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let (grant, refresh) =
        exchanged_grant(&*store, ada.id, tracker.app.id, tracker.secret.id).await;
    let head = store.change_head().await.expect("head");

    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..RACERS {
        let store = Arc::clone(&store);
        let barrier = Arc::clone(&barrier);
        let successor = refresh_token(grant.id, Some(tracker.secret.id), &i.to_string(), NOW + 60);
        racers.spawn(async move {
            let hash = successor.hash;
            barrier.wait().await;
            let outcome = store
                .rotate_refresh(refresh, successor, NOW + 60, crate::fixtures::audit())
                .await
                .expect("rotate refresh");
            (outcome, hash)
        });
    }
    let results = racers.join_all().await;

    let consumed = results
        .iter()
        .filter(|(outcome, _)| *outcome == ConsumeOutcome::Consumed)
        .count();
    assert_eq!(consumed, 1, "{results:?}");
    let mut stored = 0;
    for (outcome, hash) in &results {
        let record = store.refresh_by_hash(*hash).await.expect("refresh");
        assert_eq!(record.is_some(), *outcome == ConsumeOutcome::Consumed);
        stored += usize::from(record.is_some());
    }
    assert_eq!(stored, 1);

    let old = store
        .refresh_by_hash(refresh)
        .await
        .expect("refresh")
        .expect("the old refresh token");
    assert_eq!(old.used_at, Some(NOW + 60));
    assert_eq!(old.revoked_at, Some(NOW + 60));
    let changes = changes_after(&*store, head).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].subject, grant.id.to_string());
}

/// Each rotation spends its token and stores a successor of the same authorization; RFC 9700
/// §4.14.2: presenting a spent link again revokes the authorization, ending the whole chain.
pub async fn rotated_refresh_tokens_form_a_chain_and_reusing_a_spent_one_revokes_it(
    store: Arc<dyn Store>,
) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let (grant, first) = exchanged_grant(&*store, ada.id, tracker.app.id, tracker.secret.id).await;

    let second = refresh_token(grant.id, Some(tracker.secret.id), "second", NOW + 100);
    let second_hash = second.hash;
    let second_access = second.access_id;
    assert_eq!(
        store
            .rotate_refresh(first, second, NOW + 100, crate::fixtures::audit())
            .await
            .expect("rotate"),
        ConsumeOutcome::Consumed
    );
    let third = refresh_token(grant.id, Some(tracker.secret.id), "third", NOW + 200);
    let third_hash = third.hash;
    assert_eq!(
        store
            .rotate_refresh(second_hash, third, NOW + 200, crate::fixtures::audit())
            .await
            .expect("rotate"),
        ConsumeOutcome::Consumed
    );

    let read = |hash| {
        let store = Arc::clone(&store);
        async move {
            store
                .refresh_by_hash(hash)
                .await
                .expect("refresh")
                .expect("a stored refresh token")
        }
    };
    let first_record = read(first).await;
    let second_record = read(second_hash).await;
    let third_record = read(third_hash).await;
    assert_eq!(first_record.used_at, Some(NOW + 100));
    assert_eq!(second_record.used_at, Some(NOW + 200));
    assert_eq!(second_record.access_id, second_access);
    assert_eq!(
        second_record.expires_at,
        NOW + 100 + crate::fixtures::REFRESH_LIFETIME
    );
    assert_eq!(third_record.used_at, None);
    for record in [&first_record, &second_record, &third_record] {
        assert_eq!(record.authorization_id, grant.id);
        assert_eq!(record.user_id, ada.id);
        assert_eq!(record.app_id, tracker.app.id);
        assert_eq!(record.scopes, scopes("vso.work"));
        assert_eq!(record.revoked_at, None);
    }

    // The first link is presented again: someone kept a copy.
    let stolen = refresh_token(grant.id, Some(tracker.secret.id), "stolen", NOW + 300);
    let stolen_hash = stolen.hash;
    assert_eq!(
        store
            .rotate_refresh(first, stolen, NOW + 300, crate::fixtures::audit())
            .await
            .expect("rotate a spent token"),
        ConsumeOutcome::AlreadyUsed
    );
    assert!(store
        .refresh_by_hash(stolen_hash)
        .await
        .expect("refresh")
        .is_none());
    assert_eq!(read(third_hash).await.revoked_at, Some(NOW + 300));
    let changes = changes_after(&*store, 0).await;
    let revocations: Vec<_> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::AuthorizationRevoked)
        .collect();
    assert_eq!(revocations.len(), 1, "{changes:?}");
    assert_eq!(revocations[0].subject, grant.id.to_string());
}

/// A secret replaced between a client's authentication and its redemption mints nothing: the
/// code stays unused and no refresh token is stored (the replacement could not revoke it).
pub async fn redeeming_or_rotating_under_a_replaced_secret_stores_nothing(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let (_, first_refresh) =
        exchanged_grant(&*store, ada.id, tracker.app.id, tracker.secret.id).await;
    let pending = grant(&*store, ada.id, tracker.app.id).await;
    let replacement = crate::fixtures::new_secret(tracker.app.id, "the replacement secret");
    store
        .replace_client_secret(
            tracker.app.id,
            keygate_core::model::SecretSlot::Primary,
            replacement,
            NOW + 5,
            crate::fixtures::audit(),
        )
        .await
        .expect("replace secret");

    let late = refresh_token(pending.id, Some(tracker.secret.id), "late", NOW + 6);
    let late_hash = late.hash;
    let outcome = store
        .redeem_code(pending.code, late, NOW + 6, crate::fixtures::audit())
        .await
        .expect("redeem");
    assert_eq!(outcome, ConsumeOutcome::SecretRetired);
    let code = store
        .code_by_hash(pending.code)
        .await
        .expect("code")
        .expect("a code");
    assert_eq!(code.used_at, None, "the code was not consumed");
    assert!(store
        .refresh_by_hash(late_hash)
        .await
        .expect("refresh")
        .is_none());

    let rotated = refresh_token(pending.id, Some(tracker.secret.id), "rotated", NOW + 7);
    let outcome = store
        .rotate_refresh(first_refresh, rotated, NOW + 7, crate::fixtures::audit())
        .await
        .expect("rotate");
    assert_eq!(outcome, ConsumeOutcome::SecretRetired);
}
