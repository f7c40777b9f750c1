//! Group commit: concurrent single-use writes share one `BEGIN IMMEDIATE` transaction, and so one
//! fsync, and each caller is answered only after that COMMIT.
//!
//! A committer task takes every job already queued (up to [`MAX_BATCH`]; it never waits for more:
//! batches form by themselves while the previous COMMIT is syncing), borrows the writer connection
//! for the batch, and runs the jobs one after another. Because the jobs run in order on one
//! connection, a later job sees what an earlier one wrote: two jobs consuming the same credential
//! still give exactly one `Consumed`.
//!
//! A job that fails must be rolled back alone while the others commit. Savepoints do that, but
//! they cost two statements per job (and on sqlx each statement is a round trip to the
//! connection's thread), while jobs almost never fail (a spent or retired credential is an
//! answer, not a failure). So the batch first runs without savepoints; only when a job fails is
//! the whole transaction rolled back and the batch run again from the start with each job
//! between `SAVEPOINT` and `RELEASE`, a failing one rolled back to its savepoint. Jobs are
//! therefore `Fn`: each run starts from the same database state, so the rerun answers what a
//! savepoint-only run would have; nothing of the first run is kept or told to anyone.
//!
//! The savepoints are plain statements rather than sqlx's nested transactions: sqlx rolls a nested
//! transaction back with `ROLLBACK TO` alone, which in SQLite leaves the savepoint on the stack;
//! here every savepoint is released, rolled back or not, so each job starts from the same state.

use keygate_core::StoreError;
use keygate_store_sql::error::{db, DbResultExt};
use keygate_store_sql::BoxFuture;
use sqlx::{Connection, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

/// The most jobs one transaction carries: enough to absorb any realistic burst in one fsync, few
/// enough that the first job's caller is not kept waiting behind a long tail.
const MAX_BATCH: usize = 64;
/// Jobs that may wait for the committer before submitters wait for room.
const QUEUE_DEPTH: usize = 1024;

/// Why a grouped write got no answer of its own.
#[derive(Debug, thiserror::Error)]
enum GroupCommitError {
    /// The committer task is gone (the runtime is shutting down).
    #[error("the group committer has stopped")]
    Stopped,
    /// The batch was dropped before it committed (a job panicked); nothing of it was written.
    #[error("the write's batch was abandoned before it committed")]
    Abandoned,
    /// The shared transaction failed; every job in it is answered with a copy of the cause.
    #[error("the shared transaction failed: {0}")]
    Shared(String),
}

/// The submitting side of the group committer; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::Sender<Box<dyn Job>>,
}

impl GroupCommit {
    /// Starts the committer task on the current Tokio runtime, writing through `writer`.
    pub(crate) fn start(writer: SqlitePool) -> GroupCommit {
        let (group, jobs) = GroupCommit::channel();
        tokio::spawn(commit_batches(writer, jobs));
        group
    }

    /// A submitting side and the queue a committer would drain, not yet drained.
    fn channel() -> (GroupCommit, mpsc::Receiver<Box<dyn Job>>) {
        let (queue, jobs) = mpsc::channel(QUEUE_DEPTH);
        (GroupCommit { queue }, jobs)
    }

    /// Runs `job` on the writer connection inside the next shared transaction, and answers with
    /// its result once that transaction has committed (or with the reason it did not).
    ///
    /// Once queued, the job runs and commits (or not) as a unit whether or not the caller still
    /// waits for it: dropping this future never leaves half a write behind.
    pub(crate) async fn run<T, F>(&self, job: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> Fn(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>>
            + Send
            + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Box::new(Queued {
                job,
                reply,
                result: None,
            }))
            .await
            .map_err(|_| StoreError::Unavailable(Box::new(GroupCommitError::Stopped)))?;
        answer
            .await
            .map_err(|_| StoreError::Backend(Box::new(GroupCommitError::Abandoned)))?
    }
}

/// A queued job with its reply channel, its result type erased.
trait Job: Send {
    /// Runs the job on `conn`, holding its result (a later run replaces it) until
    /// [`Job::deliver`].
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, ()>;
    /// Whether the job's last run succeeded (`false` before any run).
    fn succeeded(&self) -> bool;
    /// Answers the caller: its own result if the batch committed (or the job failed anyway),
    /// otherwise the batch's error (also when the job never ran).
    fn deliver(self: Box<Self>, batch: Result<(), &StoreError>);
}

struct Queued<T, F> {
    job: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
    result: Option<Result<T, StoreError>>,
}

impl<T, F> Job for Queued<T, F>
where
    T: Send + 'static,
    F: for<'c> Fn(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>>
        + Send
        + 'static,
{
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, ()> {
        Box::pin(async move {
            self.result = Some((self.job)(conn).await);
        })
    }

    fn succeeded(&self) -> bool {
        matches!(self.result, Some(Ok(_)))
    }

    fn deliver(self: Box<Self>, batch: Result<(), &StoreError>) {
        let answer = match (self.result, batch) {
            (Some(Ok(_)), Err(error)) | (None, Err(error)) => Err(copy_error(error)),
            (Some(result), _) => result,
            (None, Ok(())) => Err(StoreError::Backend(Box::new(GroupCommitError::Abandoned))),
        };
        // A caller that went away (its request timed out, say) needs no answer: its write stood
        // or fell with the batch all the same.
        self.reply.send(answer).ok();
    }
}

/// One failure, told to each caller of a batch: `StoreError` holds boxed causes and is not
/// `Clone`, so the cause travels as text with the variant kept.
fn copy_error(error: &StoreError) -> StoreError {
    match error {
        StoreError::Conflict(what) => StoreError::Conflict(what),
        StoreError::NotFound(what) => StoreError::NotFound(what),
        StoreError::Corrupt(what) => StoreError::Corrupt(what.clone()),
        StoreError::Unavailable(cause) => {
            StoreError::Unavailable(Box::new(GroupCommitError::Shared(cause.to_string())))
        }
        StoreError::Backend(cause) => {
            StoreError::Backend(Box::new(GroupCommitError::Shared(cause.to_string())))
        }
    }
}

/// The committer: drains the queue batch by batch until every submitter is gone; returns how
/// many batches it ran.
async fn commit_batches(writer: SqlitePool, mut jobs: mpsc::Receiver<Box<dyn Job>>) -> u64 {
    let mut batches = 0;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let taken = std::mem::replace(&mut batch, Vec::with_capacity(MAX_BATCH));
        let writer = writer.clone();
        // Each batch in its own task: a job that panics abandons its batch (the transaction rolls
        // back as it is dropped, and its callers are told), not every write after it.
        match tokio::spawn(async move { commit_batch(&writer, taken).await }).await {
            Ok(()) => {}
            Err(e) if e.is_panic() => {
                tracing::error!(error = %e, "a group-commit batch panicked; nothing of it was written");
            }
            // The runtime is shutting down.
            Err(_) => break,
        }
        batches += 1;
    }
    batches
}

/// Runs one batch on the writer connection and answers every job in it.
async fn commit_batch(writer: &SqlitePool, batch: Vec<Box<dyn Job>>) {
    let mut conn = match writer.acquire().await {
        Ok(conn) => conn,
        Err(e) => {
            let error = db(e);
            batch.into_iter().for_each(|job| job.deliver(Err(&error)));
            return;
        }
    };
    if let Err(Broken) = run_batch(&mut conn, batch).await {
        // The transaction ended in a state sqlx may not track (SQLite rolls back by itself on
        // some errors): a fresh connection is cheaper than trusting this one.
        conn.close_on_drop();
    }
}

/// The transaction failed in a way that leaves the connection's state unknown.
struct Broken;

/// Runs the jobs in one transaction and commits, then answers them all: first without
/// savepoints, and only if a job fails, again from the start with one savepoint per job.
async fn run_batch(
    conn: &mut SqliteConnection,
    mut batch: Vec<Box<dyn Job>>,
) -> Result<(), Broken> {
    let Some(mut tx) = begin(conn, &mut batch).await else {
        return Ok(());
    };
    let mut failed = false;
    for job in batch.iter_mut() {
        job.run(&mut tx).await;
        if !job.succeeded() {
            failed = true;
            break;
        }
    }
    if !failed {
        return commit(tx, batch).await;
    }
    // Some job wrote part of what it meant to and cannot be told apart from the others' writes
    // any more: start over, each job in its own savepoint.
    if let Err(e) = tx.rollback().await.db() {
        batch.into_iter().for_each(|job| job.deliver(Err(&e)));
        return Err(Broken);
    }
    let Some(mut tx) = begin(conn, &mut batch).await else {
        return Ok(());
    };
    let mut failure = None;
    for job in batch.iter_mut() {
        if let Err(e) = execute(&mut tx, "SAVEPOINT job").await {
            failure = Some(e);
            break;
        }
        job.run(&mut tx).await;
        let ended = if job.succeeded() {
            execute(&mut tx, "RELEASE job").await
        } else {
            // ROLLBACK TO keeps the savepoint open; RELEASE then removes it, so the next job's
            // savepoint starts from a clean stack.
            match execute(&mut tx, "ROLLBACK TO job").await {
                Ok(()) => execute(&mut tx, "RELEASE job").await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = ended {
            failure = Some(e);
            break;
        }
    }
    if let Some(error) = failure {
        // Whatever the jobs wrote can no longer be told apart: the whole batch is rolled back.
        tx.rollback().await.ok();
        batch.into_iter().for_each(|job| job.deliver(Err(&error)));
        return Err(Broken);
    }
    commit(tx, batch).await
}

/// Opens the batch's transaction; `None` (every job answered with the error) when nothing
/// began, another process having held the lock past the busy timeout, say.
async fn begin<'c>(
    conn: &'c mut SqliteConnection,
    batch: &mut Vec<Box<dyn Job>>,
) -> Option<sqlx::Transaction<'c, sqlx::Sqlite>> {
    match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => Some(tx),
        Err(e) => {
            let error = db(e);
            batch.drain(..).for_each(|job| job.deliver(Err(&error)));
            None
        }
    }
}

/// Commits, then answers every job: its own result, or the commit's error.
async fn commit(
    tx: sqlx::Transaction<'_, sqlx::Sqlite>,
    batch: Vec<Box<dyn Job>>,
) -> Result<(), Broken> {
    match tx.commit().await.db() {
        Ok(()) => {
            batch.into_iter().for_each(|job| job.deliver(Ok(())));
            Ok(())
        }
        Err(error) => {
            batch.into_iter().for_each(|job| job.deliver(Err(&error)));
            Err(Broken)
        }
    }
}

async fn execute(conn: &mut SqliteConnection, statement: &'static str) -> Result<(), StoreError> {
    sqlx::query(statement).execute(conn).await.db()?;
    Ok(())
}

#[cfg(test)]
mod tests;
