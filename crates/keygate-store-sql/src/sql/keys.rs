//! Server-wide settings and signing keys, both settled by the first node to write them. On
//! PostgreSQL every key change takes the feed lock first, which also serialises nodes changing
//! keys at once: two cannot both see "no active key" (or "no next key") and both add one.

use keygate_core::model::{ChangeKind, ResealedKey, SigningKeyRecord};
use keygate_core::StoreError;

use super::changes::{append_change, lock_feed};
use super::firsts;
use crate::conn::Conn;
use crate::error::DbResultExt;
use crate::rows::settings::{signing_key_columns, SigningKeyRow};

const ALL_KEYS: &str = concat!(
    "SELECT ",
    signing_key_columns!(),
    " FROM signing_keys ORDER BY created_at, kid"
);

/// Inserts a key in the state its row says unless a key of its purpose is already in that state.
const INSERT_UNLESS_ONE_IS: &str = concat!(
    "INSERT INTO signing_keys (",
    signing_key_columns!(),
    ") SELECT $1, $2, $3, $4, $5, $6, $7
     WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE state = $4 AND purpose = $7)"
);

/// Returns the setting `name`, storing `candidate` first if it has none, inside the caller's
/// transaction.
pub async fn setting_or_insert<C: Conn>(
    conn: &mut C,
    name: &str,
    candidate: &[u8],
) -> Result<Vec<u8>, StoreError> {
    // A concurrent first writer (PostgreSQL) makes this insert wait for its commit and then do
    // nothing, so the select below always sees the winner's value.
    conn.execute(
        "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        &[name.into(), candidate.into()],
    )
    .await
    .db()?;
    let (value,): (Vec<u8>,) = conn
        .fetch_one("SELECT value FROM settings WHERE name = $1", &[name.into()])
        .await
        .db()?;
    Ok(value)
}

/// Every stored signing key.
pub async fn signing_keys<C: Conn>(conn: &mut C) -> Result<Vec<SigningKeyRecord>, StoreError> {
    let found: Vec<SigningKeyRow> = conn.fetch_all(ALL_KEYS, &[]).await.db()?;
    Ok(found.into_iter().map(SigningKeyRecord::from).collect())
}

/// Stores `key` in `state` unless a key of its purpose is in that state already, announcing
/// it; whether it was stored.
async fn insert_unless_one_is<C: Conn>(
    conn: &mut C,
    key: SigningKeyRecord,
    state: &str,
) -> Result<bool, StoreError> {
    let feed = lock_feed(conn).await?;
    let row = SigningKeyRow {
        state: state.to_owned(),
        retired_at: None,
        ..SigningKeyRow::from(key)
    };
    let inserted = conn
        .execute(INSERT_UNLESS_ONE_IS, &row.bind())
        .await
        .or_conflict("signing key")?;
    if inserted > 0 {
        // Every node reloads its ring and serves the key in its JWKS (and verifies its tokens).
        append_change(
            conn,
            &feed,
            ChangeKind::KeysChanged,
            &row.kid,
            row.created_at,
        )
        .await?;
    }
    Ok(inserted > 0)
}

/// Stores `candidate` as the active key of its purpose unless one is active; returns every key.
/// Inside the caller's transaction.
pub async fn ensure_signing_key<C: Conn>(
    conn: &mut C,
    candidate: SigningKeyRecord,
) -> Result<Vec<SigningKeyRecord>, StoreError> {
    // Stored as the active key whatever state the candidate says: that is what it is for.
    insert_unless_one_is(conn, candidate, "active").await?;
    signing_keys(conn).await
}

/// Stores a `next` key; `Conflict("next signing key")` when one of its purpose is already
/// waiting.
pub async fn add_next_signing_key<C: Conn>(
    conn: &mut C,
    key: SigningKeyRecord,
) -> Result<(), StoreError> {
    if insert_unless_one_is(conn, key, "next").await? {
        Ok(())
    } else {
        Err(StoreError::Conflict("next signing key"))
    }
}

/// Makes each `next` key active, retiring the active key of its purpose; `false` when none is
/// waiting.
pub async fn promote_next_signing_key<C: Conn>(conn: &mut C, at: i64) -> Result<bool, StoreError> {
    let feed = lock_feed(conn).await?;
    let next: Vec<(String, String)> = conn
        .fetch_all(
            "SELECT kid, purpose FROM signing_keys WHERE state = 'next' ORDER BY purpose",
            &[],
        )
        .await
        .db()?;
    for (kid, purpose) in &next {
        // Retire first: the unique index allows one active key per purpose at a time.
        conn.execute(
            "UPDATE signing_keys SET state = 'retired', retired_at = $1
             WHERE state = 'active' AND purpose = $2",
            &[at.into(), purpose.into()],
        )
        .await
        .db()?;
        conn.execute(
            "UPDATE signing_keys SET state = 'active' WHERE kid = $1",
            &[kid.into()],
        )
        .await
        .db()?;
        append_change(conn, &feed, ChangeKind::KeysChanged, kid, at).await?;
    }
    Ok(!next.is_empty())
}

/// Deletes the keys retired at or before `cutoff`, announcing each; returns how many.
pub async fn delete_retired_signing_keys<C: Conn>(
    conn: &mut C,
    cutoff: i64,
    at: i64,
) -> Result<u64, StoreError> {
    let feed = lock_feed(conn).await?;
    let deleted: Vec<(String,)> = conn
        .fetch_all(
            "DELETE FROM signing_keys WHERE state = 'retired' AND retired_at <= $1 RETURNING kid",
            &[cutoff.into()],
        )
        .await
        .db()?;
    let mut deleted = firsts(deleted);
    deleted.sort_unstable();
    for kid in &deleted {
        append_change(conn, &feed, ChangeKind::KeysChanged, kid, at).await?;
    }
    Ok(deleted.len() as u64)
}

/// Replaces the private key material of each key, all or nothing: `Conflict` (and the caller's
/// transaction rolls back) when a key no longer holds the material it was read with.
pub async fn reseal_signing_keys<C: Conn>(
    conn: &mut C,
    keys: Vec<ResealedKey>,
) -> Result<u64, StoreError> {
    for key in &keys {
        let replaced = conn
            .execute(
                "UPDATE signing_keys SET private_der = $1 WHERE kid = $2 AND private_der = $3",
                &[
                    key.resealed.as_slice().into(),
                    (&key.kid).into(),
                    key.stored.as_slice().into(),
                ],
            )
            .await
            .db()?;
        if replaced == 0 {
            return Err(StoreError::Conflict("signing key"));
        }
    }
    Ok(keys.len() as u64)
}
