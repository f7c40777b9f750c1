//! The change feed: appended to inside the writing transaction, read by every node.
//!
//! On SQLite every write goes through the one writer connection, so sequence numbers follow
//! commit order by themselves. PostgreSQL hands out identity values when a row is inserted, not
//! when its transaction commits, so two concurrent writers could make `seq = 8` visible before
//! `seq = 7`, and a node that had read up to 8 would never see 7. Every appending transaction
//! there first takes one transaction-scoped advisory lock ([`lock_feed`]) and holds it until it
//! commits: the next writer can only draw a number after the previous one is visible. Revoking
//! writes are rare, so serialising them costs nothing measurable. Every transaction takes its
//! locks in one order (its app's row if it needs one, then the feed lock, then any other row),
//! so no two can wait on each other in a cycle. Every PostgreSQL append also sends
//! `NOTIFY keygate_changes` (sent at commit, once per transaction), which wakes every node.

use keygate_core::clock::UnixTime;
use keygate_core::ids::AuthorizationId;
use keygate_core::model::{Change, ChangeKind};
use keygate_core::StoreError;

use crate::arg::{Arg, Array};
use crate::conn::{Conn, Dialect};
use crate::error::DbResultExt;
use crate::rows::changes::{change_columns, ChangeRow};
use crate::rows::id;

/// The channel every appending PostgreSQL transaction notifies on commit.
pub const CHANNEL: &str = "keygate_changes";

/// The advisory lock that orders feed appends: class "KG" (0x4b47 = 19271), object 1.
const LOCK_FEED: &str = "SELECT pg_advisory_xact_lock(19271, 1)";

/// Proof that the current transaction holds the feed lock; appending asks for it.
#[derive(Debug)]
pub struct FeedLock(());

/// Takes the feed lock until the transaction ends (PostgreSQL; SQLite's one writer needs none).
/// Call it before taking any row lock other than the app row's.
pub async fn lock_feed<C: Conn>(conn: &mut C) -> Result<FeedLock, StoreError> {
    if C::DIALECT == Dialect::Postgres {
        conn.execute(LOCK_FEED, &[]).await.db()?;
    }
    Ok(FeedLock(()))
}

/// Asks PostgreSQL to wake every listening node when this transaction commits (notifications of
/// a transaction that rolls back are never sent; several in one transaction arrive as one).
async fn notify<C: Conn>(conn: &mut C) -> Result<(), StoreError> {
    if C::DIALECT == Dialect::Postgres {
        conn.execute("SELECT pg_notify($1, '')", &[CHANNEL.into()])
            .await
            .db()?;
    }
    Ok(())
}

/// Appends a change; call it inside the transaction that made the change, so the feed can
/// neither miss it nor announce one that rolled back.
pub async fn append_change<C: Conn>(
    conn: &mut C,
    _lock: &FeedLock,
    kind: ChangeKind,
    subject: &str,
    at: UnixTime,
) -> Result<(), StoreError> {
    let row = ChangeRow {
        seq: 0,
        kind: kind.as_str().to_owned(),
        subject: subject.to_owned(),
        at,
    };
    conn.execute(ChangeRow::insert_numbered(), &row.bind()[1..])
        .await
        .db()?;
    notify(conn).await
}

/// PostgreSQL appends a whole revocation list with one statement.
const APPEND_EACH: &str = "INSERT INTO changes (kind, subject, at)
     SELECT $1, subject, $3 FROM unnest($2::text[]) WITH ORDINALITY AS s (subject, n) ORDER BY n";

/// Announces authorizations just revoked (ids as stored), in a stable order; returns how many.
pub async fn announce_revocations<C: Conn>(
    conn: &mut C,
    lock: &FeedLock,
    mut ids: Vec<String>,
    at: UnixTime,
) -> Result<u64, StoreError> {
    ids.sort_unstable();
    let count = ids.len() as u64;
    match C::DIALECT {
        _ if ids.is_empty() => {}
        Dialect::Sqlite => {
            for id in &ids {
                append_change(conn, lock, ChangeKind::AuthorizationRevoked, id, at).await?;
            }
        }
        Dialect::Postgres => {
            let kind = ChangeKind::AuthorizationRevoked.as_str();
            let ids = Array::Texts(ids.into_iter().map(Some).collect());
            conn.execute(APPEND_EACH, &[kind.into(), ids.into(), at.into()])
                .await
                .db()?;
            notify(conn).await?;
        }
    }
    Ok(count)
}

/// The newest change's sequence number (0 when there is none).
pub async fn change_head<C: Conn>(conn: &mut C) -> Result<i64, StoreError> {
    let (head,): (i64,) = conn
        .fetch_one("SELECT COALESCE(MAX(seq), 0) FROM changes", &[])
        .await
        .db()?;
    Ok(head)
}

/// Changes after `seq`, oldest first, at most `limit`.
pub async fn changes_since<C: Conn>(
    conn: &mut C,
    seq: i64,
    limit: u32,
) -> Result<Vec<Change>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        change_columns!(),
        " FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2"
    );
    let found: Vec<ChangeRow> = conn
        .fetch_all(SQL, &[seq.into(), i64::from(limit).into()])
        .await
        .db()?;
    Ok(found.into_iter().map(Change::from).collect())
}

/// Authorizations revoked at or after `since`, from the table and from the feed.
pub async fn authorizations_revoked_since<C: Conn>(
    conn: &mut C,
    since: UnixTime,
) -> Result<Vec<(AuthorizationId, UnixTime)>, StoreError> {
    // The feed half covers authorizations that no longer exist: deleting an app deletes its
    // authorizations, but their access tokens live on until they expire and must stay refused.
    const SQL: &str = "SELECT id, revoked_at FROM authorizations WHERE revoked_at >= $1
         UNION
         SELECT subject, at FROM changes WHERE kind = $2 AND at >= $1
         ORDER BY 2, 1";
    let kind = ChangeKind::AuthorizationRevoked.as_str();
    let found: Vec<(String, i64)> = conn
        .fetch_all(SQL, &[since.into(), Arg::from(kind)])
        .await
        .db()?;
    found
        .into_iter()
        .map(|(stored, at)| Ok((id(&stored, "revoked authorization id")?, at)))
        .collect()
}
