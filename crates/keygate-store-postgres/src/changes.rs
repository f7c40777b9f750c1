//! The change feed: appended to inside the writing transaction, read by every node.
//!
//! PostgreSQL hands out identity values when a row is inserted, not when its transaction commits,
//! so two concurrent writers could make `seq = 8` visible before `seq = 7`, and a node that had
//! read up to 8 would never see 7. Every appending transaction therefore first takes one
//! transaction-scoped advisory lock ([`lock_feed`]) and holds it until it commits: the next
//! writer can only draw a number after the previous one is visible, so sequence order is commit
//! order. Revoking writes are rare (a user revoking, a secret replaced, an app deleted, a policy
//! changed), so serialising them costs nothing measurable. Every transaction takes its locks in
//! one order (its app's row if it needs one, then the feed lock, then any other row), so no two
//! can wait on each other in a cycle.

use keygate_core::clock::UnixTime;
use keygate_core::ids::AuthorizationId;
use keygate_core::model::{Change, ChangeKind};
use keygate_core::StoreError;
use sqlx::PgConnection;

use crate::error::DbResultExt;
use crate::rows;
use crate::PgStore;

/// The channel every appending transaction notifies on commit.
pub(crate) const CHANNEL: &str = "keygate_changes";

/// The advisory lock that orders feed appends: class "KG" (0x4b47), object 1.
const FEED_LOCK: (i32, i32) = (0x4b47, 1);

/// Proof that the current transaction holds the feed lock; [`append_change`] asks for it.
pub(crate) struct FeedLock(());

/// Takes the feed lock until the transaction ends. Call it before taking any row lock other than
/// the app row's.
pub(crate) async fn lock_feed(conn: &mut PgConnection) -> Result<FeedLock, StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(FEED_LOCK.0)
        .bind(FEED_LOCK.1)
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(FeedLock(()))
}

/// Asks PostgreSQL to wake every listening node when this transaction commits (notifications of
/// a transaction that rolls back are never sent; several in one transaction arrive as one).
async fn notify(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(conn)
        .await
        .db()?;
    Ok(())
}

/// Appends a change; call it inside the transaction that made the change, so the feed can
/// neither miss it nor announce one that rolled back.
pub(crate) async fn append_change(
    conn: &mut PgConnection,
    _lock: &FeedLock,
    kind: ChangeKind,
    subject: &str,
    at: UnixTime,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO changes (kind, subject, at) VALUES ($1, $2, $3)")
        .bind(kind.as_str())
        .bind(subject)
        .bind(at)
        .execute(&mut *conn)
        .await
        .db()?;
    notify(conn).await
}

/// Announces authorizations just revoked (ids as stored), in a stable order, with one statement.
pub(crate) async fn announce_revocations(
    conn: &mut PgConnection,
    _lock: &FeedLock,
    mut ids: Vec<String>,
    at: UnixTime,
) -> Result<u64, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    ids.sort_unstable();
    sqlx::query(
        "INSERT INTO changes (kind, subject, at)
         SELECT $1, subject, $3 FROM unnest($2::text[]) WITH ORDINALITY AS s (subject, n)
         ORDER BY n",
    )
    .bind(ChangeKind::AuthorizationRevoked.as_str())
    .bind(&ids)
    .bind(at)
    .execute(&mut *conn)
    .await
    .db()?;
    notify(conn).await?;
    Ok(ids.len() as u64)
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    seq: i64,
    kind: String,
    subject: String,
    at: i64,
}

pub(crate) async fn change_head(store: &PgStore) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM changes")
        .fetch_one(&store.pool)
        .await
        .db()
}

pub(crate) async fn changes_since(
    store: &PgStore,
    seq: i64,
    limit: u32,
) -> Result<Vec<Change>, StoreError> {
    let found: Vec<ChangeRow> = sqlx::query_as(
        "SELECT seq, kind, subject, at FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(seq)
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await
    .db()?;
    // A kind this build does not know (written by a newer one) comes back as `Unknown`, so the
    // reader still advances past it during a rolling upgrade.
    Ok(found
        .into_iter()
        .map(|r| Change {
            seq: r.seq,
            kind: ChangeKind::from_stored(&r.kind),
            subject: r.subject,
            at: r.at,
        })
        .collect())
}

pub(crate) async fn authorizations_revoked_since(
    store: &PgStore,
    since: UnixTime,
) -> Result<Vec<(AuthorizationId, UnixTime)>, StoreError> {
    // The feed half covers authorizations that no longer exist: deleting an app deletes its
    // authorizations, but their access tokens live on until they expire and must stay refused.
    let found: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, revoked_at FROM authorizations WHERE revoked_at >= $1
         UNION
         SELECT subject, at FROM changes WHERE kind = $2 AND at >= $1
         ORDER BY 2, 1",
    )
    .bind(since)
    .bind(ChangeKind::AuthorizationRevoked.as_str())
    .fetch_all(&store.pool)
    .await
    .db()?;
    found
        .into_iter()
        .map(|(id, at)| Ok((rows::id(&id, "revoked authorization id")?, at)))
        .collect()
}
