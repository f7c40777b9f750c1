//! What only the PostgreSQL backend promises: several processes' pools on one database agree (the
//! change feed never shows a later number before an earlier one, a secret replacement never
//! interleaves with an exchange, first starts agree on one key), notifications wake other
//! stores, and an unreachable server is reported as unavailable in time.
//!
//! Each test makes its own database on the server named by `KEYGATE_TEST_POSTGRES_URL`, with one
//! `PgStore` per simulated node; without the variable the tests pass without running.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test setup: a failure here is a failed test"
)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keygate_core::ids::AuthorizationId;
use keygate_core::model::{ChangeKind, NewAuthorization, NewCode, SecretSlot, SigningKeyRecord};
use keygate_core::secrets::TokenHash;
use keygate_core::store::ConsumeOutcome;
use keygate_core::{Store, StoreError};
use keygate_store_conformance::fixtures::{
    app, grant, new_secret, refresh_token, scopes, user, NOW,
};
use keygate_store_postgres::scratch::ScratchDatabase;
use keygate_store_postgres::{PgStore, PoolSettings};

/// A scratch database and `nodes` stores on it, each with a pool of its own.
async fn nodes(count: usize) -> Option<(ScratchDatabase, Vec<Arc<PgStore>>)> {
    let db = ScratchDatabase::from_env()
        .await
        .expect("scratch database")?;
    let mut stores = Vec::new();
    for _ in 0..count {
        let store = PgStore::connect(db.url()).await.expect("connect");
        stores.push(Arc::new(store));
    }
    Some((db, stores))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn several_nodes_starting_together_migrate_once_and_agree_on_one_signing_key() {
    let Some(db) = ScratchDatabase::from_env().await.expect("scratch database") else {
        return;
    };
    let mut starts = tokio::task::JoinSet::new();
    for i in 0..4 {
        let url = db.url().to_owned();
        starts.spawn(async move {
            let store = PgStore::connect(&url).await.expect("connect");
            let candidate = SigningKeyRecord {
                kid: format!("key-{i}"),
                algorithm: "ES256".into(),
                private_der: vec![48, i],
                state: "active".into(),
                created_at: NOW,
                retired_at: None,
                purpose: "access".into(),
            };
            let keys = store.ensure_signing_key(candidate).await.expect("key");
            let csrf = store
                .setting_or_insert("csrf_key", &[i])
                .await
                .expect("setting");
            (keys, csrf)
        });
    }
    let results = starts.join_all().await;
    let (first_keys, first_csrf) = &results[0];
    assert_eq!(first_keys.len(), 1);
    for (keys, csrf) in &results {
        assert_eq!(keys, first_keys, "every node signs with the same key");
        assert_eq!(csrf, first_csrf, "every node uses the same CSRF key");
    }
}

#[tokio::test]
async fn a_dump_carries_every_column_of_every_table_of_the_live_schema() {
    let Some((_db, stores)) = nodes(1).await else {
        return;
    };
    let gaps = stores[0].dump_schema_gaps().await.expect("schema");
    assert!(
        gaps.is_empty(),
        "keygate db copy would lose data:\n{}",
        gaps.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_on_another_node_sees_every_change_even_when_writers_commit_concurrently() {
    let Some((_db, stores)) = nodes(4).await else {
        return;
    };
    let ada = user(&*stores[0], "ada@example.com").await;
    let tracker = app(&*stores[0], ada.id, "Tracker").await;
    let mut grants = Vec::new();
    for i in 0..60 {
        let id = AuthorizationId::new_random();
        stores[0]
            .create_authorization(
                NewAuthorization {
                    id,
                    user_id: ada.id,
                    app_id: tracker.app.id,
                    scopes: scopes("vso.work"),
                    created_at: NOW,
                },
                NewCode {
                    hash: TokenHash::of(&format!("code {i}")),
                    redirect_uri: "https://example.com/callback".into(),
                    code_challenge: None,
                    expires_at: NOW + 300,
                },
                keygate_store_conformance::fixtures::audit(),
            )
            .await
            .expect("authorization");
        grants.push(id);
    }

    // Three writer nodes revoke concurrently while a fourth follows the feed the way a server
    // does: from its last sequence number onwards.
    let follower = Arc::clone(&stores[3]);
    let expected = grants.len();
    let follow = tokio::spawn(async move {
        let (mut head, mut seen) = (0, BTreeSet::new());
        let deadline = Instant::now() + Duration::from_secs(30);
        while seen.len() < expected && Instant::now() < deadline {
            for c in follower.changes_since(head, 7).await.expect("changes") {
                assert!(c.seq > head);
                head = c.seq;
                if c.kind == ChangeKind::AuthorizationRevoked {
                    seen.insert(c.subject);
                }
            }
        }
        seen
    });
    let mut writers = tokio::task::JoinSet::new();
    for (i, chunk) in grants.chunks(20).enumerate() {
        let store = Arc::clone(&stores[i]);
        let chunk = chunk.to_vec();
        writers.spawn(async move {
            for id in chunk {
                store
                    .revoke_authorization(id, NOW + 1, keygate_store_conformance::fixtures::audit())
                    .await
                    .expect("revoke");
            }
        });
    }
    writers.join_all().await;
    let seen = follow.await.expect("follower");
    let all: BTreeSet<String> = grants.iter().map(ToString::to_string).collect();
    assert_eq!(seen, all, "the follower skipped a change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_secret_replacement_racing_exchanges_on_other_nodes_leaves_nothing_live_under_it() {
    let Some((_db, stores)) = nodes(3).await else {
        return;
    };
    let ada = user(&*stores[0], "ada@example.com").await;
    let tracker = app(&*stores[0], ada.id, "Tracker").await;
    let mut grants = Vec::new();
    for _ in 0..40 {
        grants.push(grant(&*stores[0], ada.id, tracker.app.id).await);
    }
    // Two nodes exchange codes authenticated with the old secret while a third replaces it; all
    // start at one barrier, and half of the exchanges wait for a moment first.
    let barrier = Arc::new(tokio::sync::Barrier::new(41));
    let mut racers = tokio::task::JoinSet::new();
    for (i, grant) in grants.into_iter().enumerate() {
        let store = Arc::clone(&stores[i % 2]);
        let secret = tracker.secret.id;
        let barrier = Arc::clone(&barrier);
        racers.spawn(async move {
            let refresh = refresh_token(grant.id, Some(secret), "first", NOW + 1);
            barrier.wait().await;
            if i % 2 == 1 {
                tokio::task::yield_now().await;
                store.ping().await.expect("ping");
            }
            store
                .redeem_code(
                    grant.code,
                    refresh,
                    NOW + 1,
                    keygate_store_conformance::fixtures::audit(),
                )
                .await
                .expect("redeem")
        });
    }
    let replacement = new_secret(tracker.app.id, "the replacement");
    barrier.wait().await;
    let replaced = stores[2]
        .replace_client_secret(
            tracker.app.id,
            SecretSlot::Primary,
            replacement,
            NOW + 2,
            keygate_store_conformance::fixtures::audit(),
        )
        .await
        .expect("replace");
    let outcomes = racers.join_all().await;
    let consumed = outcomes
        .iter()
        .filter(|o| **o == ConsumeOutcome::Consumed)
        .count();
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, ConsumeOutcome::Consumed | ConsumeOutcome::SecretRetired)));
    assert_eq!(
        replaced as usize, consumed,
        "the replacement revoked exactly what the old secret had minted"
    );
    let dump = stores[0].export_dump().await.expect("export");
    let live_under_old = dump
        .authorizations
        .iter()
        .filter(|a| a.secret_id == Some(tracker.secret.id) && a.revoked_at.is_none())
        .count();
    assert_eq!(live_under_old, 0, "an exchange escaped the replacement");
    println!(
        "{consumed} exchanges committed before the replacement, {} after",
        40 - consumed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_on_one_node_wakes_the_others_at_once() {
    let Some((_db, stores)) = nodes(2).await else {
        return;
    };
    let mut wake = stores[1].change_notifications().expect("notifications");
    let ada = user(&*stores[0], "ada@example.com").await;
    let org = keygate_store_conformance::fixtures::org(&*stores[0], ada.id, "fabrikam").await;
    // The listener also wakes once when it connects, so one wake could be that: each of three
    // changes must wake the other node, which only a notification can do.
    for round in 0..3 {
        let start = Instant::now();
        stores[0]
            .set_org_oauth_policy(
                org.id,
                round % 2 == 1,
                NOW,
                keygate_store_conformance::fixtures::audit(),
            )
            .await
            .expect("policy");
        tokio::time::timeout(Duration::from_secs(5), wake.recv())
            .await
            .expect("woken within 5 s")
            .expect("a wake-up");
        println!(
            "notification {round} arrived {} ms after the commit",
            start.elapsed().as_millis()
        );
    }
}
#[tokio::test]
async fn an_unreachable_server_is_unavailable_within_the_acquire_timeout() {
    // A port nothing listens on: every connection attempt is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = PoolSettings {
        acquire_timeout: Duration::from_millis(500),
        ..PoolSettings::default()
    };
    let start = Instant::now();
    let result =
        PgStore::connect_with(&format!("postgres://keygate@127.0.0.1:{port}/x"), settings).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}
