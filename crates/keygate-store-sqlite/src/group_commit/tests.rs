//! Tests of the group committer: batches, per-write rollback, panics, and durability.

use keygate_core::model::NewRefreshToken;
use keygate_core::secrets::TokenHash;
use keygate_core::store::ConsumeOutcome;
use keygate_core::Store;
use keygate_store_conformance::fixtures::{app, exchanged_grant, refresh_token, user, NOW};

use super::*;
use keygate_store_sql::sql::grants;

use crate::SqliteStore;

/// A job as the tests build them, before it is queued.
type TestJob<T> =
    Box<dyn for<'c> Fn(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send>;

/// Boxes a closure, fixing its signature to the one [`GroupCommit::run`] takes.
fn job<T, F>(f: F) -> TestJob<T>
where
    F: for<'c> Fn(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>>
        + Send
        + 'static,
{
    Box::new(f)
}

/// A rotation as a grouped job would run it. Boxed in a generic function: building the future
/// where the connection type is concrete trips a known compiler limitation (rust-lang/rust
/// issue 100013) when it is proven `Send` for every borrow of the connection.
fn rotation<C: keygate_store_sql::Conn>(
    conn: &mut C,
    old: TokenHash,
    successor: NewRefreshToken,
) -> BoxFuture<'_, Result<ConsumeOutcome, StoreError>> {
    Box::pin(grants::rotate(conn, old, successor, NOW + 60))
}

async fn store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
    (SqliteStore::connect(&url).await.expect("connect"), dir)
}

/// Queues `jobs` rotations with nobody draining the queue, waits until all are queued, then
/// lets a committer drain it: they all land in one batch. Returns each caller's result, in
/// order, and the number of batches the committer ran.
async fn one_batch_of<T: Send + 'static>(
    store: &SqliteStore,
    jobs: Vec<TestJob<T>>,
) -> (Vec<Result<T, StoreError>>, u64) {
    let (group, queue) = GroupCommit::channel();
    let count = jobs.len();
    let mut callers = Vec::new();
    for job in jobs {
        let group = group.clone();
        callers.push(tokio::spawn(async move { group.run(job).await }));
        // Queue them in this order: each is in before the next is submitted.
        while queue.len() < callers.len() {
            tokio::task::yield_now().await;
        }
    }
    assert_eq!(queue.len(), count);
    drop(group);
    let committer = tokio::spawn(commit_batches(store.engine().writer.clone(), queue));
    let mut results = Vec::new();
    for caller in callers {
        results.push(caller.await.expect("caller"));
    }
    (results, committer.await.expect("committer"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_is_rolled_back_alone_and_the_rest_of_its_batch_commits() {
    let (store, _dir) = store().await;
    let ada = user(&store, "ada@example.com").await;
    let tracker = app(&store, ada.id, "Tracker").await;
    let mut grants_ = Vec::new();
    for _ in 0..3 {
        grants_.push(exchanged_grant(&store, ada.id, tracker.app.id, tracker.secret.id).await);
    }
    let secret = Some(tracker.secret.id);
    let mut successors = Vec::new();
    let mut jobs = Vec::new();
    for (i, (grant, old)) in grants_.iter().enumerate() {
        // The middle job consumes its token and then fails: its successor names another
        // authorization, which the store refuses after the UPDATE already ran.
        let owner = if i == 1 { grants_[0].0.id } else { grant.id };
        let successor = refresh_token(owner, secret, &format!("next {i}"), NOW + 60);
        successors.push(successor.hash);
        let old = *old;
        jobs.push(job(move |conn| rotation(conn, old, successor.clone())));
    }

    let (results, batches) = one_batch_of(&store, jobs).await;

    assert_eq!(batches, 1);
    assert!(
        matches!(results[0], Ok(ConsumeOutcome::Consumed)),
        "{results:?}"
    );
    assert!(
        matches!(results[1], Err(StoreError::Backend(_))),
        "{results:?}"
    );
    assert!(
        matches!(results[2], Ok(ConsumeOutcome::Consumed)),
        "{results:?}"
    );
    for (i, ((_, old), successor)) in grants_.iter().zip(&successors).enumerate() {
        let old = store
            .refresh_by_hash(*old)
            .await
            .expect("old")
            .expect("old");
        let successor = store.refresh_by_hash(*successor).await.expect("successor");
        if i == 1 {
            assert_eq!(old.used_at, None, "rolled back to its savepoint");
            assert!(successor.is_none());
        } else {
            assert_eq!(old.used_at, Some(NOW + 60));
            assert!(successor.is_some());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_jobs_of_one_batch_consuming_one_token_give_one_consumed_and_revoke_it() {
    let (store, _dir) = store().await;
    let ada = user(&store, "ada@example.com").await;
    let tracker = app(&store, ada.id, "Tracker").await;
    let (grant, old) = exchanged_grant(&store, ada.id, tracker.app.id, tracker.secret.id).await;
    let head = store.change_head().await.expect("head");
    let mut jobs = Vec::new();
    for label in ["one", "two"] {
        let successor = refresh_token(grant.id, Some(tracker.secret.id), label, NOW + 60);
        jobs.push(job(move |conn| rotation(conn, old, successor.clone())));
    }

    let (results, batches) = one_batch_of(&store, jobs).await;

    assert_eq!(batches, 1);
    let outcomes: Vec<_> = results.into_iter().map(|r| r.expect("rotate")).collect();
    assert_eq!(
        outcomes,
        [ConsumeOutcome::Consumed, ConsumeOutcome::AlreadyUsed]
    );
    let old = store.refresh_by_hash(old).await.expect("old").expect("old");
    assert_eq!(old.revoked_at, Some(NOW + 60));
    assert_eq!(
        store.changes_since(head, 10).await.expect("changes").len(),
        1
    );
}

#[tokio::test]
async fn a_batch_whose_commit_cannot_start_answers_every_caller_with_the_error() {
    let (store, _dir) = store().await;
    store.engine().writer.close().await;
    let group = GroupCommit::start(store.engine().writer.clone());
    let answer = group.run(|conn| Box::pin(execute(conn, "SELECT 1"))).await;
    assert!(
        matches!(answer, Err(StoreError::Unavailable(_))),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_job_that_panics_abandons_its_batch_and_the_committer_carries_on() {
    let (store, _dir) = store().await;
    let group = GroupCommit::start(store.engine().writer.clone());
    let answer: Result<(), StoreError> = group
        .run(|conn| {
            Box::pin(async move {
                execute(
                    conn,
                    "INSERT INTO changes (kind, subject, at) VALUES ('x', 'y', 1)",
                )
                .await?;
                panic!("a job that panics after writing");
            })
        })
        .await;
    assert!(matches!(answer, Err(StoreError::Backend(_))), "{answer:?}");
    let head = store.change_head().await.expect("head");
    assert_eq!(head, 0, "the panicking job's write was rolled back");

    group
        .run(|conn| {
            Box::pin(execute(
                conn,
                "INSERT INTO changes (kind, subject, at) VALUES ('x', 'z', 2)",
            ))
        })
        .await
        .expect("the next batch commits");
    assert_eq!(store.change_head().await.expect("head"), 1);
}

#[test]
fn copies_of_an_error_keep_its_kind() {
    let unavailable = db(sqlx::Error::PoolTimedOut);
    assert!(matches!(
        copy_error(&unavailable),
        StoreError::Unavailable(_)
    ));
    assert!(matches!(
        copy_error(&StoreError::Conflict("session")),
        StoreError::Conflict("session")
    ));
}
