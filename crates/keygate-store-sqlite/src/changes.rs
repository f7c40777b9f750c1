//! The change feed: appended to inside the writing transaction, read by every node.

use keygate_core::clock::UnixTime;
use keygate_core::ids::AuthorizationId;
use keygate_core::model::{Change, ChangeKind};
use keygate_core::StoreError;
use sqlx::SqliteConnection;

use crate::error::DbResultExt;
use crate::rows;
use crate::SqliteStore;

/// Appends a change; call it inside the transaction that made the change, so the feed can
/// neither miss it nor announce one that rolled back. Sequence numbers follow commit order
/// because every write goes through the one writer connection.
pub(crate) async fn append_change(
    conn: &mut SqliteConnection,
    kind: ChangeKind,
    subject: &str,
    at: UnixTime,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO changes (kind, subject, at) VALUES (?, ?, ?)")
        .bind(kind.as_str())
        .bind(subject)
        .bind(at)
        .execute(conn)
        .await
        .db()?;
    Ok(())
}

/// Announces authorizations just revoked (ids as stored), in a stable order.
pub(crate) async fn announce_revocations(
    conn: &mut SqliteConnection,
    mut ids: Vec<String>,
    at: UnixTime,
) -> Result<u64, StoreError> {
    ids.sort_unstable();
    for id in &ids {
        append_change(conn, ChangeKind::AuthorizationRevoked, id, at).await?;
    }
    Ok(ids.len() as u64)
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    seq: i64,
    kind: String,
    subject: String,
    at: i64,
}

pub(crate) async fn change_head(store: &SqliteStore) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM changes")
        .fetch_one(&store.reader)
        .await
        .db()
}

pub(crate) async fn changes_since(
    store: &SqliteStore,
    seq: i64,
    limit: u32,
) -> Result<Vec<Change>, StoreError> {
    let found: Vec<ChangeRow> = sqlx::query_as(
        "SELECT seq, kind, subject, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
    )
    .bind(seq)
    .bind(i64::from(limit))
    .fetch_all(&store.reader)
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
    store: &SqliteStore,
    since: UnixTime,
) -> Result<Vec<(AuthorizationId, UnixTime)>, StoreError> {
    // The feed half covers authorizations that no longer exist: deleting an app deletes its
    // authorizations, but their access tokens live on until they expire and must stay refused.
    let found: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, revoked_at FROM authorizations WHERE revoked_at >= ?1
         UNION
         SELECT subject, at FROM changes WHERE kind = ?2 AND at >= ?1
         ORDER BY 2, 1",
    )
    .bind(since)
    .bind(ChangeKind::AuthorizationRevoked.as_str())
    .fetch_all(&store.reader)
    .await
    .db()?;
    found
        .into_iter()
        .map(|(id, at)| Ok((rows::id(&id, "revoked authorization id")?, at)))
        .collect()
}
