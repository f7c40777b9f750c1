//! Tests of the hot writer: batches, declined and rolled-back writes, binding, and stopping.

use keygate_core::ids::SecretId;
use keygate_core::secrets::TokenHash;
use keygate_core::store::ConsumeOutcome;
use keygate_core::Store;
use keygate_store_conformance::fixtures::{app, exchanged_grant, refresh_token, user, Grant, NOW};

use super::*;
use crate::statements::Statements;
use crate::SqliteStore;
use keygate_store_sql::Engine;
use keygate_store_sql::{Arg, SyncConn};

/// A store on a new file with a user, an app and `grants` exchanged grants: each grant with
/// the hash of its live refresh token, and the app's secret version.
async fn granted(
    grants: usize,
) -> (
    SqliteStore,
    tempfile::TempDir,
    Vec<(Grant, TokenHash)>,
    Option<SecretId>,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    let ada = user(&store, "ada@example.com").await;
    let tracker = app(&store, ada.id, "Tracker").await;
    let mut exchanged = Vec::new();
    for _ in 0..grants {
        exchanged.push(exchanged_grant(&store, ada.id, tracker.app.id, tracker.secret.id).await);
    }
    (store, dir, exchanged, Some(tracker.secret.id))
}

/// Queues `writes` before any thread drains the queue, then serves it on a new connection to
/// the store's file: they all land in one batch. Returns each caller's answer, in order.
async fn one_batch_of(dir: &tempfile::TempDir, writes: Vec<HotWrite>) -> Vec<bool> {
    let (queue, messages) = mpsc::channel(QUEUE_DEPTH);
    let mut answers = Vec::new();
    for write in writes {
        let (reply, answer) = oneshot::channel();
        let queued = queue.try_send(Message::Write(Pending { write, reply }));
        assert!(queued.is_ok(), "queued");
        answers.push(answer);
    }
    drop(queue);
    let conn = open(&dir.path().join("keygate.db"), Duration::from_secs(5)).expect("open");
    let thread = std::thread::spawn(move || serve(conn, messages, &Counts::default()));
    let mut written = Vec::new();
    for answer in answers {
        written.push(answer.await.expect("answered").expect("no error"));
    }
    thread.join().expect("thread");
    written
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_rotations_of_one_token_in_a_batch_one_is_written_and_the_other_declined() {
    let (store, dir, grants, secret) = granted(1).await;
    let (grant, old) = &grants[0];
    let old = *old;
    let successors: Vec<_> = ["one", "two"]
        .iter()
        .map(|label| refresh_token(grant.id, secret, label, NOW + 60))
        .collect();
    let writes = successors
        .iter()
        .map(|successor| HotWrite::Rotate {
            old,
            successor: successor.clone(),
            now: NOW + 60,
        })
        .collect();

    assert_eq!(one_batch_of(&dir, writes).await, [true, false]);

    let spent = store
        .refresh_by_hash(old)
        .await
        .expect("read")
        .expect("old");
    assert_eq!(spent.used_at, Some(NOW + 60));
    assert!(store
        .refresh_by_hash(successors[0].hash)
        .await
        .expect("read")
        .is_some());
    assert!(
        store
            .refresh_by_hash(successors[1].hash)
            .await
            .expect("read")
            .is_none(),
        "a declined write leaves nothing"
    );
    // The declined one, run the general way, is the reuse it is.
    let again = store
        .rotate_refresh(
            old,
            successors[1].clone(),
            NOW + 61,
            keygate_store_conformance::fixtures::audit(),
        )
        .await
        .expect("rotate");
    assert_eq!(again, ConsumeOutcome::AlreadyUsed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_must_not_stand_rolls_its_whole_batch_back_and_declines_every_write() {
    let (store, dir, grants, secret) = granted(2).await;
    let (first, first_old) = &grants[0];
    let (first_old, second_old) = (*first_old, grants[1].1);
    let writes = vec![
        HotWrite::Rotate {
            old: first_old,
            successor: refresh_token(first.id, secret, "fine", NOW + 60),
            now: NOW + 60,
        },
        // Spends the second grant's token for a successor of the first grant.
        HotWrite::Rotate {
            old: second_old,
            successor: refresh_token(first.id, secret, "crossed", NOW + 60),
            now: NOW + 60,
        },
    ];

    assert_eq!(one_batch_of(&dir, writes).await, [false, false]);

    for old in [first_old, second_old] {
        let token = store
            .refresh_by_hash(old)
            .await
            .expect("read")
            .expect("old");
        assert_eq!(token.used_at, None, "rolled back");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_code_is_declined_and_left_as_it_was() {
    let (store, dir, grants, secret) = granted(1).await;
    let (grant, _) = &grants[0];
    let refresh = refresh_token(grant.id, secret, "late", NOW + 60);
    let write = HotWrite::Redeem {
        code: grant.code,
        refresh: refresh.clone(),
        now: NOW + 60,
    };

    assert_eq!(one_batch_of(&dir, vec![write]).await, [false]);

    let code = store
        .code_by_hash(grant.code)
        .await
        .expect("read")
        .expect("code");
    assert_eq!(code.used_at, Some(NOW + 1), "still the first exchange's");
    assert!(store
        .refresh_by_hash(refresh.hash)
        .await
        .expect("read")
        .is_none());
}

#[test]
fn arguments_bind_by_their_dollar_numbers_whatever_order_the_text_names_them_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = Connection::open(dir.path().join("bind.db")).expect("open");
    let mut statements = Statements(&conn);
    let args = [Arg::from("a"), Arg::from(2_i64), Arg::from(true)];
    let text = statements
        .fetch_text("SELECT $2 || $1 || $3 || $1", &args)
        .expect("select");
    assert_eq!(text.as_deref(), Some("2a1a"));
    let too_few = statements.fetch_text("SELECT $4", &args);
    assert!(too_few.is_err());
    let array = [Arg::Array(keygate_store_sql::arg::Array::Ints(vec![]))];
    assert!(statements.fetch_text("SELECT $1", &array).is_err());
}

#[test]
fn the_writers_connection_syncs_fully_and_enforces_foreign_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("settings.db");
    Connection::open(&path).expect("create");
    let conn = open(&path, Duration::from_millis(1234)).expect("open");
    let pragma = |name: &str| -> i64 {
        conn.pragma_query_value(None, name, |row| row.get(0))
            .expect(name)
    };
    assert_eq!(pragma("synchronous"), 2, "FULL");
    assert_eq!(pragma("foreign_keys"), 1);
    assert_eq!(pragma("busy_timeout"), 1234);
    assert_eq!(pragma("wal_autocheckpoint"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_stop_writes_are_declined_and_the_store_still_answers_them() {
    let (store, _dir, grants, secret) = granted(1).await;
    let (grant, old) = &grants[0];
    let old = *old;
    let engine = store.engine();
    let stats = engine.pool_stats();
    assert_eq!(
        (stats.write_batches, stats.batched_writes),
        (2, 2),
        "the consent and the exchange went the hot way, one after the other"
    );
    engine.hot.stop().await;
    let successor = refresh_token(grant.id, secret, "next", NOW + 60);

    let hot = engine
        .hot
        .write(HotWrite::Rotate {
            old,
            successor: successor.clone(),
            now: NOW + 60,
        })
        .await
        .expect("answered");
    assert!(!hot);
    let outcome = store
        .rotate_refresh(
            old,
            successor,
            NOW + 60,
            keygate_store_conformance::fixtures::audit(),
        )
        .await
        .expect("general path");
    assert_eq!(outcome, ConsumeOutcome::Consumed);
}
