//! Group commit: concurrent single-use writes share one `BEGIN IMMEDIATE` transaction, and so one
//! fsync, each inside its own savepoint, and each caller is answered only after that COMMIT.
//!
//! A committer task takes every job already queued (up to [`MAX_BATCH`]; it never waits for more:
//! batches form by themselves while the previous COMMIT is syncing), borrows the writer connection
//! for the batch, and runs the jobs one after another, each between `SAVEPOINT` and `RELEASE`. A
//! job that fails is rolled back to its savepoint alone; the others commit. Because the jobs run in
//! order on one connection, a later job sees what an earlier one wrote: two jobs consuming the same
//! credential still give exactly one `Consumed`.
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
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>>
            + Send
            + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Box::new(Queued { job, reply }))
            .await
            .map_err(|_| StoreError::Unavailable(Box::new(GroupCommitError::Stopped)))?;
        answer
            .await
            .map_err(|_| StoreError::Backend(Box::new(GroupCommitError::Abandoned)))?
    }
}

/// A queued job with its reply channel, its result type erased.
trait Job: Send {
    /// Runs the job on `conn` (already inside its savepoint); the result is held, not sent.
    fn run<'c>(self: Box<Self>, conn: &'c mut SqliteConnection) -> BoxFuture<'c, Box<dyn Held>>;
    /// Answers without running: the batch failed before the job's turn.
    fn fail(self: Box<Self>, error: &StoreError);
}

/// A job's result, held until the batch's transaction has ended.
trait Held: Send {
    /// Whether the job succeeded, so its savepoint is released rather than rolled back.
    fn succeeded(&self) -> bool;
    /// Answers the caller: its own result if the batch committed (or the job failed anyway),
    /// otherwise the batch's error.
    fn deliver(self: Box<Self>, batch: Result<(), &StoreError>);
}

struct Queued<T, F> {
    job: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Queued<T, F>
where
    T: Send + 'static,
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>>
        + Send
        + 'static,
{
    fn run<'c>(self: Box<Self>, conn: &'c mut SqliteConnection) -> BoxFuture<'c, Box<dyn Held>> {
        let Queued { job, reply } = *self;
        Box::pin(async move {
            let result = job(conn).await;
            Box::new(Answer { result, reply }) as Box<dyn Held>
        })
    }

    fn fail(self: Box<Self>, error: &StoreError) {
        // A caller that went away needs no answer.
        self.reply.send(Err(copy_error(error))).ok();
    }
}

struct Answer<T> {
    result: Result<T, StoreError>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T: Send + 'static> Held for Answer<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn deliver(self: Box<Self>, batch: Result<(), &StoreError>) {
        let answer = match (self.result, batch) {
            (Ok(_), Err(error)) => Err(copy_error(error)),
            (result, _) => result,
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
            batch.into_iter().for_each(|job| job.fail(&error));
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

/// Runs the jobs in one transaction, each in its own savepoint, commits, then answers them all.
async fn run_batch(conn: &mut SqliteConnection, batch: Vec<Box<dyn Job>>) -> Result<(), Broken> {
    let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => {
            // Nothing began (another process held the lock past the busy timeout, say).
            let error = db(e);
            batch.into_iter().for_each(|job| job.fail(&error));
            return Ok(());
        }
    };
    let mut held: Vec<Box<dyn Held>> = Vec::with_capacity(batch.len());
    let mut waiting = batch.into_iter();
    let mut failure = None;
    for job in waiting.by_ref() {
        if let Err(e) = execute(&mut tx, "SAVEPOINT job").await {
            job.fail(&e);
            failure = Some(e);
            break;
        }
        let answer = job.run(&mut tx).await;
        let ended = if answer.succeeded() {
            execute(&mut tx, "RELEASE job").await
        } else {
            // ROLLBACK TO keeps the savepoint open; RELEASE then removes it, so the next job's
            // savepoint starts from a clean stack.
            match execute(&mut tx, "ROLLBACK TO job").await {
                Ok(()) => execute(&mut tx, "RELEASE job").await,
                Err(e) => Err(e),
            }
        };
        held.push(answer);
        if let Err(e) = ended {
            failure = Some(e);
            break;
        }
    }
    if let Some(error) = failure {
        // Whatever the jobs wrote can no longer be told apart: the whole batch is rolled back.
        tx.rollback().await.ok();
        waiting.for_each(|job| job.fail(&error));
        held.into_iter()
            .for_each(|answer| answer.deliver(Err(&error)));
        return Err(Broken);
    }
    match tx.commit().await.db() {
        Ok(()) => {
            held.into_iter().for_each(|answer| answer.deliver(Ok(())));
            Ok(())
        }
        Err(error) => {
            held.into_iter()
                .for_each(|answer| answer.deliver(Err(&error)));
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
