//! Device codes (RFC 8628): one user claims a code, a decision is seen by the next poll, polling
//! too fast grows the interval, and a device code redeems exactly once.

use std::sync::Arc;

use keygate_core::ids::{AuthorizationId, UserId};
use keygate_core::model::*;
use keygate_core::secrets::TokenHash;
use keygate_core::store::ConsumeOutcome;
use keygate_core::{Store, StoreError};
use tokio::sync::Barrier;

use crate::fixtures::{app, refresh_token, scopes, user, NOW};

/// How many devices race to redeem one code.
const RACERS: usize = 20;

/// A pending device request of `app` for `vso.work`, expiring 900 s after [`NOW`], polled
/// every 5 s; returns the hashes of its device code and of its user code.
pub(crate) async fn device_code(
    store: &dyn Store,
    app: keygate_core::ids::AppId,
    label: &str,
) -> (TokenHash, TokenHash) {
    let hash = TokenHash::of(&format!("device code {label}"));
    let user_code_hash = TokenHash::of(&format!("user code {label}"));
    store
        .create_device_code(NewDeviceCode {
            hash,
            user_code_hash,
            app_id: app,
            scopes: scopes("vso.work"),
            created_at: NOW,
            expires_at: NOW + 900,
            interval: 5,
        })
        .await
        .expect("create device code");
    (hash, user_code_hash)
}

/// The authorization an approval by `user` of `app` stores.
fn approval(user: UserId, app: keygate_core::ids::AppId) -> NewAuthorization {
    NewAuthorization {
        id: AuthorizationId::new_random(),
        user_id: user,
        app_id: app,
        scopes: scopes("vso.work"),
        created_at: NOW + 10,
    }
}

async fn poll(store: &dyn Store, hash: TokenHash, at: i64) -> DevicePoll {
    store
        .poll_device_code(hash, at)
        .await
        .expect("poll")
        .expect("a device code")
}

/// A pending code polls as pending; once its user approves, the next poll sees the approval
/// and its authorization; a denial is seen the same way.
pub async fn approval_is_seen_by_a_poll(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tv = app(&*store, ada.id, "TV").await;
    let (device, user_code) = device_code(&*store, tv.app.id, "tv").await;

    let first = poll(&*store, device, NOW + 1).await;
    assert!(!first.too_fast);
    assert_eq!(first.record.status, DeviceCodeStatus::Pending);
    assert_eq!(first.record.app_id, tv.app.id);
    assert_eq!(first.record.scopes, scopes("vso.work"));
    assert_eq!(first.record.interval, 5);

    let claimed = store
        .claim_device_code(user_code, ada.id, NOW + 2)
        .await
        .expect("claim")
        .expect("a pending code");
    assert_eq!(claimed.app_id, tv.app.id);
    assert_eq!(claimed.user_id, Some(ada.id));
    let authorization = approval(ada.id, tv.app.id);
    let aui = authorization.id;
    store
        .decide_device_code(
            user_code,
            ada.id,
            DeviceDecision::Approve(authorization),
            NOW + 3,
            crate::fixtures::audit(),
        )
        .await
        .expect("approve");

    let seen = poll(&*store, device, NOW + 6).await;
    assert_eq!(seen.record.status, DeviceCodeStatus::Approved);
    assert_eq!(seen.record.authorization_id, Some(aui));
    assert_eq!(seen.record.user_id, Some(ada.id));
    assert_eq!(seen.record.revoked_at, None);
    let stored = store
        .authorization_by_id(aui)
        .await
        .expect("authorization")
        .expect("stored");
    assert_eq!(stored.user_id, ada.id);

    let (denied, denied_user_code) = device_code(&*store, tv.app.id, "denied").await;
    store
        .claim_device_code(denied_user_code, ada.id, NOW + 2)
        .await
        .expect("claim")
        .expect("a pending code");
    store
        .decide_device_code(
            denied_user_code,
            ada.id,
            DeviceDecision::Deny,
            NOW + 3,
            crate::fixtures::audit(),
        )
        .await
        .expect("deny");
    let seen = poll(&*store, denied, NOW + 6).await;
    assert_eq!(seen.record.status, DeviceCodeStatus::Denied);
    assert_eq!(seen.record.authorization_id, None);
    assert!(store
        .poll_device_code(TokenHash::of("unknown"), NOW)
        .await
        .expect("poll")
        .is_none());
}

/// The first user to enter a code claims it; another user, an expired code, or a decided code
/// finds nothing, and a decision on a code one has not claimed writes nothing.
pub async fn a_user_code_is_claimed_by_one_user_and_decided_once(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let mallory = user(&*store, "mallory@example.com").await;
    let tv = app(&*store, ada.id, "TV").await;
    let (_, user_code) = device_code(&*store, tv.app.id, "tv").await;

    assert!(store
        .claim_device_code(user_code, ada.id, NOW + 1)
        .await
        .expect("claim")
        .is_some());
    assert!(
        store
            .claim_device_code(user_code, ada.id, NOW + 2)
            .await
            .expect("claim again")
            .is_some(),
        "the claimant may look again"
    );
    assert!(store
        .claim_device_code(user_code, mallory.id, NOW + 2)
        .await
        .expect("claim by another")
        .is_none());
    let theirs = approval(mallory.id, tv.app.id);
    let theirs_id = theirs.id;
    assert!(matches!(
        store
            .decide_device_code(
                user_code,
                mallory.id,
                DeviceDecision::Approve(theirs),
                NOW + 3,
                crate::fixtures::audit(),
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .authorization_by_id(theirs_id)
            .await
            .expect("read")
            .is_none(),
        "the refused approval stored no authorization"
    );
    store
        .decide_device_code(
            user_code,
            ada.id,
            DeviceDecision::Deny,
            NOW + 3,
            crate::fixtures::audit(),
        )
        .await
        .expect("deny");
    assert!(matches!(
        store
            .decide_device_code(
                user_code,
                ada.id,
                DeviceDecision::Approve(approval(ada.id, tv.app.id)),
                NOW + 4,
                crate::fixtures::audit(),
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store
        .claim_device_code(user_code, ada.id, NOW + 5)
        .await
        .expect("claim decided")
        .is_none());

    let (_, late) = device_code(&*store, tv.app.id, "late").await;
    assert!(store
        .claim_device_code(late, ada.id, NOW + 900)
        .await
        .expect("claim expired")
        .is_none());
    let duplicate = store
        .create_device_code(NewDeviceCode {
            hash: TokenHash::of("another device code"),
            user_code_hash: late,
            app_id: tv.app.id,
            scopes: scopes("vso.work"),
            created_at: NOW,
            expires_at: NOW + 900,
            interval: 5,
        })
        .await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))));
}

/// A poll of a pending code sooner than its interval after the previous poll grows the interval
/// by 5 seconds, for that code only; a poll after the (grown) interval does not.
pub async fn polling_too_fast_grows_the_interval_of_that_code(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tv = app(&*store, ada.id, "TV").await;
    let (device, _) = device_code(&*store, tv.app.id, "tv").await;
    let (other, _) = device_code(&*store, tv.app.id, "other").await;

    assert!(!poll(&*store, device, NOW + 10).await.too_fast);
    let fast = poll(&*store, device, NOW + 12).await;
    assert!(fast.too_fast);
    assert_eq!(fast.record.interval, 10);
    let still_fast = poll(&*store, device, NOW + 19).await;
    assert!(still_fast.too_fast, "7 s is sooner than the grown 10 s");
    assert_eq!(still_fast.record.interval, 15);
    let patient = poll(&*store, device, NOW + 34).await;
    assert!(!patient.too_fast);
    assert_eq!(patient.record.interval, 15);
    assert_eq!(poll(&*store, other, NOW + 35).await.record.interval, 5);
}

/// Of 20 devices redeeming one approved code at once, exactly one gets its refresh token stored
/// (and the authorization remembers the secret version); the rest find it used.
pub async fn a_device_code_redeems_exactly_once_under_concurrency(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let tv = app(&*store, ada.id, "TV").await;
    let (device, user_code) = device_code(&*store, tv.app.id, "tv").await;
    let pending = refresh_token(AuthorizationId::new_random(), None, "early", NOW + 1);
    assert_eq!(
        store
            .redeem_device_code(device, pending, NOW + 1)
            .await
            .expect("redeem pending"),
        ConsumeOutcome::AlreadyUsed,
        "a pending code redeems nothing"
    );
    store
        .claim_device_code(user_code, ada.id, NOW + 2)
        .await
        .expect("claim")
        .expect("a pending code");
    let authorization = approval(ada.id, tv.app.id);
    let aui = authorization.id;
    store
        .decide_device_code(
            user_code,
            ada.id,
            DeviceDecision::Approve(authorization),
            NOW + 3,
            crate::fixtures::audit(),
        )
        .await
        .expect("approve");

    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..RACERS {
        let store = Arc::clone(&store);
        let barrier = Arc::clone(&barrier);
        let refresh = refresh_token(aui, Some(tv.secret.id), &i.to_string(), NOW + 4);
        racers.spawn(async move {
            let hash = refresh.hash;
            barrier.wait().await;
            let outcome = store
                .redeem_device_code(device, refresh, NOW + 4)
                .await
                .expect("redeem device code");
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
    assert!(results
        .iter()
        .all(|(o, _)| matches!(o, ConsumeOutcome::Consumed | ConsumeOutcome::AlreadyUsed)));
    let mut stored = 0;
    for (_, hash) in &results {
        if store.refresh_by_hash(*hash).await.expect("read").is_some() {
            stored += 1;
            assert_eq!(*hash, winners[0]);
        }
    }
    assert_eq!(stored, 1);
    let after = poll(&*store, device, NOW + 20).await;
    assert_eq!(after.record.used_at, Some(NOW + 4));
    let dump = store.export_dump().await.expect("export");
    let authorization = dump
        .authorizations
        .iter()
        .find(|a| a.id == aui)
        .expect("authorization");
    assert_eq!(authorization.secret_id, Some(tv.secret.id));
    assert_eq!(authorization.revoked_at, None, "nothing was revoked");
}
