//! The hot writer: consents, code redemptions, refresh rotations and sessions, executed a whole
//! batch at a time on a thread of its own with a synchronous SQLite connection.
//!
//! sqlx runs every statement on its connection's worker thread, so each statement of a grouped
//! write costs a hand-off to that thread and back; on one busy core those hand-offs, not the
//! fsync, bounded refresh and code exchange. Here the tokio side hands the thread a queue of
//! writes; the thread takes everything queued (up to [`MAX_BATCH`]; after yielding its core
//! once per write taken, so that on a busy core the request threads queue what they are about
//! to), runs it in one
//! `BEGIN IMMEDIATE` transaction with prepared statements, commits (one fsync,
//! `synchronous=FULL` as on every connection of the store), and only then answers each caller.
//!
//! Only the usual outcome runs here ([`HotWrite::run`]). A write that declines (its credential
//! was spent already, its secret retired) wrote nothing and is answered `false`, so the caller
//! runs it through the group committer, which tells the cases apart. When a statement fails or
//! a write must not stand, the whole transaction is rolled back and every write of the batch is
//! answered `false` the same way: nothing of it was written. A failed COMMIT is answered as an
//! error, never retried: its writes may or may not be durable, and retrying a spent credential
//! would read as reuse.
//!
//! This connection and the sqlx writer are two writers on one file: whichever begins second
//! waits for the other's commit through SQLite's busy handler (the same busy timeout as every
//! connection), so the two never write at once.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use keygate_core::StoreError;
use keygate_store_sql::{HotOutcome, HotWrite};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use tokio::sync::{mpsc, oneshot};

use crate::statements::Statements;

/// The most writes one transaction carries (as in the group committer).
const MAX_BATCH: usize = 64;
/// Writes that may wait for the thread before submitters wait for room.
const QUEUE_DEPTH: usize = 1024;
/// Prepared statements kept: every hot statement, with room to spare.
const STATEMENT_CACHE: usize = 32;

/// Why the hot writer could not answer a write.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HotWriterError {
    /// SQLite refused to open or set up the connection.
    #[error("the hot writer could not open the database: {0}")]
    Open(#[source] rusqlite::Error),
    /// The thread could not be started, or stopped before it was ready.
    #[error("the hot writer thread did not start: {0}")]
    Thread(String),
    /// The thread dropped the write without answering (it panicked mid-batch).
    #[error("the hot writer dropped a write without answering")]
    Abandoned,
    /// The batch's COMMIT failed; its writes may not be durable.
    #[error("the hot writer's commit failed: {0}")]
    Commit(String),
}

/// What the thread is asked to do.
#[allow(
    clippy::large_enum_variant,
    reason = "nearly every message is a write: boxing it would only add an allocation"
)]
enum Message {
    /// Run a write in the next batch and answer whether it was written.
    Write(Pending),
    /// Finish what is queued before this, close the connection, and answer.
    Stop(oneshot::Sender<()>),
}

/// A queued write and whom to answer.
struct Pending {
    write: HotWrite,
    reply: oneshot::Sender<Result<bool, StoreError>>,
}

/// The submitting side of the hot writer; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct HotWriter {
    queue: mpsc::Sender<Message>,
    counts: Arc<Counts>,
}

/// What the thread has committed, for the metrics.
#[derive(Debug, Default)]
struct Counts {
    /// Transactions committed.
    batches: AtomicU64,
    /// Writes committed in them.
    writes: AtomicU64,
}

impl HotWriter {
    /// Opens a connection to the (already migrated, WAL-mode) database at `path` on a new
    /// thread, and starts taking writes.
    pub(crate) async fn start(path: PathBuf, busy_timeout: Duration) -> Result<Self, StoreError> {
        let (queue, messages) = mpsc::channel(QUEUE_DEPTH);
        let (ready, opened) = oneshot::channel();
        let counts = Arc::new(Counts::default());
        let counted = Arc::clone(&counts);
        std::thread::Builder::new()
            .name("kg-hot-writer".into())
            .spawn(move || match open(&path, busy_timeout) {
                Ok(conn) => {
                    if ready.send(Ok(())).is_ok() {
                        serve(conn, messages, &counted);
                    }
                }
                Err(e) => {
                    ready.send(Err(e)).ok();
                }
            })
            .map_err(|e| backend(HotWriterError::Thread(e.to_string())))?;
        match opened.await {
            Ok(Ok(())) => Ok(HotWriter { queue, counts }),
            Ok(Err(e)) => Err(backend(HotWriterError::Open(e))),
            Err(_) => Err(backend(HotWriterError::Thread(
                "it stopped while opening".into(),
            ))),
        }
    }

    /// Runs `write`'s usual outcome in the next batch: `true` once committed, `false` when
    /// nothing of it was written and the general path must run it (also after [`stop`]).
    ///
    /// Once queued, the write commits or not with its batch whether or not the caller still
    /// waits.
    ///
    /// [`stop`]: HotWriter::stop
    pub(crate) async fn write(&self, write: HotWrite) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        if self
            .queue
            .send(Message::Write(Pending { write, reply }))
            .await
            .is_err()
        {
            // The thread has stopped: nothing was queued.
            return Ok(false);
        }
        answer
            .await
            .map_err(|_| backend(HotWriterError::Abandoned))?
    }

    /// Transactions committed since the start.
    pub(crate) fn batches(&self) -> u64 {
        self.counts.batches.load(Ordering::Relaxed)
    }

    /// Writes committed in them.
    pub(crate) fn writes(&self) -> u64 {
        self.counts.writes.load(Ordering::Relaxed)
    }

    /// Lets the writes queued so far commit, then closes the connection; later writes are
    /// answered `false`.
    pub(crate) async fn stop(&self) {
        let (done, stopped) = oneshot::channel();
        if self.queue.send(Message::Stop(done)).await.is_ok() {
            // An error means the thread is gone already, which is what was asked.
            stopped.await.ok();
        }
    }
}

/// The writer's connection: every setting the store's sqlx connections have.
fn open(path: &Path, busy_timeout: Duration) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Checkpoints run on their own connection (see `checkpoint`).
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// The thread's loop: a batch per wake-up until stopped or every submitter is gone.
fn serve(mut conn: Connection, mut messages: mpsc::Receiver<Message>, counts: &Counts) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = messages.blocking_recv() {
        let mut stop = take_queued(first, &mut messages, &mut batch);
        // Let the threads that make writes run before committing, so the writes they are
        // about to queue share this fsync instead of each waiting for one of their own. Where
        // nothing else wants this core, the yield returns at once and nothing new is queued.
        while stop.is_none() && !batch.is_empty() && batch.len() < MAX_BATCH {
            std::thread::yield_now();
            match messages.try_recv() {
                Ok(message) => stop = take_queued(message, &mut messages, &mut batch),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            commit_batch(&mut conn, std::mem::take(&mut batch), counts);
        }
        if let Some(done) = stop {
            // Refuse new writes, and send the ones queued behind the stop the general way:
            // none of them was written.
            messages.close();
            while let Ok(message) = messages.try_recv() {
                match message {
                    Message::Write(pending) => {
                        pending.reply.send(Ok(false)).ok();
                    }
                    Message::Stop(also_done) => {
                        also_done.send(()).ok();
                    }
                }
            }
            if let Err((_, e)) = conn.close() {
                tracing::warn!(error = %e, "the hot writer's connection did not close cleanly");
            }
            done.send(()).ok();
            return;
        }
    }
}

/// Adds `first` and whatever else is queued now to `batch`, up to [`MAX_BATCH`] writes; the
/// stop request, if one came (nothing after it is taken).
fn take_queued(
    first: Message,
    messages: &mut mpsc::Receiver<Message>,
    batch: &mut Vec<Pending>,
) -> Option<oneshot::Sender<()>> {
    let mut next = Some(first);
    while let Some(message) = next.take() {
        match message {
            Message::Write(pending) => batch.push(pending),
            Message::Stop(done) => return Some(done),
        }
        if batch.len() < MAX_BATCH {
            next = messages.try_recv().ok();
        }
    }
    None
}

/// Runs one batch in one transaction and answers every write in it.
fn commit_batch(conn: &mut Connection, batch: Vec<Pending>, counts: &Counts) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Nothing began, so nothing was written: the general path answers each write (and
        // reports the lock timeout itself if it persists).
        tracing::debug!(error = %e, "the hot writer could not begin; writes go the general way");
        decline_all(batch);
        return;
    }
    let mut written = Vec::with_capacity(batch.len());
    for pending in &batch {
        match pending.write.run(&mut Statements(conn)) {
            Ok(HotOutcome::Written) => written.push(true),
            Ok(HotOutcome::Declined) => written.push(false),
            Ok(HotOutcome::RollBack) => return roll_back(conn, batch, None),
            Err(e) => return roll_back(conn, batch, Some(e)),
        }
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => {
            counts.batches.fetch_add(1, Ordering::Relaxed);
            let committed = written.iter().filter(|w| **w).count();
            counts.writes.fetch_add(committed as u64, Ordering::Relaxed);
            for (pending, written) in batch.into_iter().zip(written) {
                pending.reply.send(Ok(written)).ok();
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "the hot writer's commit failed");
            if !conn.is_autocommit() {
                conn.execute_batch("ROLLBACK").ok();
            }
            let cause = e.to_string();
            for pending in batch {
                let error = if is_lock_timeout(&e) {
                    StoreError::Unavailable(Box::new(HotWriterError::Commit(cause.clone())))
                } else {
                    backend(HotWriterError::Commit(cause.clone()))
                };
                pending.reply.send(Err(error)).ok();
            }
        }
    }
}

/// Rolls the batch back and sends every write of it the general way.
fn roll_back(conn: &mut Connection, batch: Vec<Pending>, cause: Option<rusqlite::Error>) {
    if let Some(e) = cause {
        tracing::debug!(error = %e, "a hot write failed; its batch goes the general way");
    }
    if let Err(e) = conn.execute_batch("ROLLBACK") {
        tracing::warn!(error = %e, "the hot writer could not roll back");
    }
    decline_all(batch);
}

/// Answers every write `false`: nothing of it was written.
fn decline_all(batch: Vec<Pending>) {
    for pending in batch {
        pending.reply.send(Ok(false)).ok();
    }
}

/// Whether SQLite said another connection kept the lock past the busy timeout.
fn is_lock_timeout(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn backend(e: HotWriterError) -> StoreError {
    StoreError::Backend(Box::new(e))
}

#[cfg(test)]
mod tests;
