//! Group commit seen from outside: concurrent grants that share transactions are each single use,
//! each answered on its own, and on disk once answered.
#![allow(
    clippy::expect_used,
    reason = "test setup: a failure here is a failed test"
)]

use std::sync::Arc;

use keygate_core::store::ConsumeOutcome;
use keygate_core::Store;
use keygate_store_conformance::fixtures::{
    app, changes_after, exchanged_grant, refresh_token, user, NOW,
};
use keygate_store_sqlite::SqliteStore;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

/// How many distinct refresh tokens are rotated at once.
const CHAINS: usize = 200;
/// How many callers race to rotate one refresh token.
const RACERS: usize = 30;

async fn connect(url: &str) -> Arc<SqliteStore> {
    Arc::new(SqliteStore::connect(url).await.expect("connect"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rotations_of_distinct_tokens_all_succeed_and_survive_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
    let store = connect(&url).await;
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let secret = tracker.secret.id;

    // The code exchanges race too: they are grouped the same way.
    let mut exchanges = JoinSet::new();
    for _ in 0..CHAINS {
        let store = Arc::clone(&store);
        exchanges
            .spawn(async move { exchanged_grant(&*store, ada.id, tracker.app.id, secret).await });
    }
    let chains = exchanges.join_all().await;
    let head = store.change_head().await.expect("head");

    let barrier = Arc::new(Barrier::new(CHAINS));
    let mut rotations = JoinSet::new();
    for (grant, old) in chains.iter().copied() {
        let store = Arc::clone(&store);
        let barrier = Arc::clone(&barrier);
        let successor = refresh_token(grant.id, Some(secret), "second", NOW + 60);
        rotations.spawn(async move {
            let new = successor.hash;
            barrier.wait().await;
            let outcome = store
                .rotate_refresh(
                    old,
                    successor,
                    NOW + 60,
                    keygate_store_conformance::fixtures::audit(),
                )
                .await
                .expect("rotate refresh");
            (old, new, outcome)
        });
    }
    let rotated = rotations.join_all().await;
    assert!(
        rotated
            .iter()
            .all(|(_, _, outcome)| *outcome == ConsumeOutcome::Consumed),
        "{rotated:?}"
    );
    store.close().await;
    drop(store);

    let store = connect(&url).await;
    for (old, new, _) in &rotated {
        let old = store
            .refresh_by_hash(*old)
            .await
            .expect("old")
            .expect("the spent token");
        assert_eq!(old.used_at, Some(NOW + 60));
        assert_eq!(old.revoked_at, None);
        let new = store
            .refresh_by_hash(*new)
            .await
            .expect("new")
            .expect("its successor");
        assert_eq!(new.used_at, None);
        assert_eq!(new.revoked_at, None);
    }
    assert_eq!(changes_after(&*store, head).await, []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_rotations_of_one_token_consume_it_exactly_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
    let store = connect(&url).await;
    let ada = user(&*store, "ada@example.com").await;
    let tracker = app(&*store, ada.id, "Tracker").await;
    let (grant, old) = exchanged_grant(&*store, ada.id, tracker.app.id, tracker.secret.id).await;
    let head = store.change_head().await.expect("head");

    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = JoinSet::new();
    for i in 0..RACERS {
        let store = Arc::clone(&store);
        let barrier = Arc::clone(&barrier);
        let successor = refresh_token(grant.id, Some(tracker.secret.id), &i.to_string(), NOW + 60);
        racers.spawn(async move {
            let new = successor.hash;
            barrier.wait().await;
            let outcome = store
                .rotate_refresh(
                    old,
                    successor,
                    NOW + 60,
                    keygate_store_conformance::fixtures::audit(),
                )
                .await
                .expect("rotate refresh");
            (new, outcome)
        });
    }
    let results = racers.join_all().await;

    let consumed = results
        .iter()
        .filter(|(_, outcome)| *outcome == ConsumeOutcome::Consumed)
        .count();
    assert_eq!(consumed, 1, "{results:?}");
    assert!(
        results.iter().all(|(_, outcome)| matches!(
            outcome,
            ConsumeOutcome::Consumed | ConsumeOutcome::AlreadyUsed
        )),
        "{results:?}"
    );
    for (new, outcome) in &results {
        let stored = store.refresh_by_hash(*new).await.expect("successor");
        assert_eq!(stored.is_some(), *outcome == ConsumeOutcome::Consumed);
    }
    // The losers presented a spent token: the authorization is revoked, and announced once.
    let old = store
        .refresh_by_hash(old)
        .await
        .expect("old")
        .expect("the spent token");
    assert_eq!(old.revoked_at, Some(NOW + 60));
    let changes = changes_after(&*store, head).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].subject, grant.id.to_string());
}
