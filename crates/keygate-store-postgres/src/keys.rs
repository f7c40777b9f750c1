//! Server-wide settings and signing keys, both settled by the first node to write them.

use keygate_core::model::{ChangeKind, SigningKeyRecord};
use keygate_core::StoreError;
use sqlx::PgConnection;

use crate::changes::{append_change, lock_feed};
use crate::error::DbResultExt;
use crate::PgStore;

pub(crate) async fn setting_or_insert(
    store: &PgStore,
    name: &str,
    candidate: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let mut tx = store.write().await?;
    // A concurrent first writer makes this insert wait for its commit and then do nothing, so
    // the select below always sees the winner's value.
    sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(candidate)
        .execute(&mut *tx)
        .await
        .db()?;
    let value: Vec<u8> = sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *tx)
        .await
        .db()?;
    tx.commit().await.db()?;
    Ok(value)
}

#[derive(sqlx::FromRow)]
pub(crate) struct SigningKeyRow {
    kid: String,
    algorithm: String,
    private_der: Vec<u8>,
    state: String,
    created_at: i64,
    retired_at: Option<i64>,
}

impl From<SigningKeyRow> for SigningKeyRecord {
    fn from(r: SigningKeyRow) -> Self {
        SigningKeyRecord {
            kid: r.kid,
            algorithm: r.algorithm,
            private_der: r.private_der,
            state: r.state,
            created_at: r.created_at,
            retired_at: r.retired_at,
        }
    }
}

pub(crate) const SELECT_KEYS: &str =
    "SELECT kid, algorithm, private_der, state, created_at, retired_at FROM signing_keys
     ORDER BY created_at, kid";

async fn all_keys(conn: &mut PgConnection) -> Result<Vec<SigningKeyRecord>, StoreError> {
    let found: Vec<SigningKeyRow> = sqlx::query_as(SELECT_KEYS).fetch_all(conn).await.db()?;
    Ok(found.into_iter().map(SigningKeyRecord::from).collect())
}

pub(crate) async fn ensure_signing_key(
    store: &PgStore,
    candidate: SigningKeyRecord,
) -> Result<Vec<SigningKeyRecord>, StoreError> {
    let mut tx = store.write().await?;
    // The feed lock also serialises nodes starting at once on an empty database: the second
    // sees the first's key once it may insert, instead of racing it for the one active slot.
    let feed = lock_feed(&mut tx).await?;
    // Stored as the active key whatever state the candidate says: that is what it is for.
    let inserted = sqlx::query(
        "INSERT INTO signing_keys (kid, algorithm, private_der, state, created_at, retired_at)
         SELECT $1, $2, $3, 'active', $4, NULL
         WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE state = 'active')",
    )
    .bind(&candidate.kid)
    .bind(&candidate.algorithm)
    .bind(&candidate.private_der)
    .bind(candidate.created_at)
    .execute(&mut *tx)
    .await
    .or_conflict("signing key")?;
    if inserted.rows_affected() > 0 {
        // Nodes already running must learn the new key, or they would refuse its tokens.
        append_change(
            &mut tx,
            &feed,
            ChangeKind::KeysChanged,
            &candidate.kid,
            candidate.created_at,
        )
        .await?;
    }
    let keys = all_keys(&mut tx).await?;
    tx.commit().await.db()?;
    Ok(keys)
}

pub(crate) async fn signing_keys(store: &PgStore) -> Result<Vec<SigningKeyRecord>, StoreError> {
    let found: Vec<SigningKeyRow> = sqlx::query_as(SELECT_KEYS)
        .fetch_all(&store.pool)
        .await
        .db()?;
    Ok(found.into_iter().map(SigningKeyRecord::from).collect())
}

pub(crate) async fn add_next_signing_key(
    store: &PgStore,
    key: SigningKeyRecord,
) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    // The feed lock serialises key changes, so two nodes cannot both see "no next key" and
    // both add one.
    let feed = lock_feed(&mut tx).await?;
    let inserted = sqlx::query(
        "INSERT INTO signing_keys (kid, algorithm, private_der, state, created_at, retired_at)
         SELECT $1, $2, $3, 'next', $4, NULL
         WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE state = 'next')",
    )
    .bind(&key.kid)
    .bind(&key.algorithm)
    .bind(&key.private_der)
    .bind(key.created_at)
    .execute(&mut *tx)
    .await
    .or_conflict("signing key")?;
    if inserted.rows_affected() == 0 {
        return Err(StoreError::Conflict("next signing key"));
    }
    // Published at once: every node reloads its ring and serves the key in its JWKS.
    append_change(
        &mut tx,
        &feed,
        ChangeKind::KeysChanged,
        &key.kid,
        key.created_at,
    )
    .await?;
    tx.commit().await.db()
}

pub(crate) async fn promote_next_signing_key(store: &PgStore, at: i64) -> Result<bool, StoreError> {
    let mut tx = store.write().await?;
    let feed = lock_feed(&mut tx).await?;
    let next: Option<String> =
        sqlx::query_scalar("SELECT kid FROM signing_keys WHERE state = 'next'")
            .fetch_optional(&mut *tx)
            .await
            .db()?;
    let Some(kid) = next else {
        return Ok(false);
    };
    // Retire first: the unique index allows one active key at a time.
    sqlx::query(
        "UPDATE signing_keys SET state = 'retired', retired_at = $1 WHERE state = 'active'",
    )
    .bind(at)
    .execute(&mut *tx)
    .await
    .db()?;
    sqlx::query("UPDATE signing_keys SET state = 'active' WHERE kid = $1")
        .bind(&kid)
        .execute(&mut *tx)
        .await
        .db()?;
    append_change(&mut tx, &feed, ChangeKind::KeysChanged, &kid, at).await?;
    tx.commit().await.db()?;
    Ok(true)
}

pub(crate) async fn delete_retired_signing_keys(
    store: &PgStore,
    cutoff: i64,
    at: i64,
) -> Result<u64, StoreError> {
    let mut tx = store.write().await?;
    let feed = lock_feed(&mut tx).await?;
    let mut deleted: Vec<String> = sqlx::query_scalar(
        "DELETE FROM signing_keys WHERE state = 'retired' AND retired_at <= $1 RETURNING kid",
    )
    .bind(cutoff)
    .fetch_all(&mut *tx)
    .await
    .db()?;
    deleted.sort_unstable();
    for kid in &deleted {
        append_change(&mut tx, &feed, ChangeKind::KeysChanged, kid, at).await?;
    }
    tx.commit().await.db()?;
    Ok(deleted.len() as u64)
}
