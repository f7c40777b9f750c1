//! Authorizations and their single-use credentials: storing codes, redeeming them exactly once,
//! and rotating refresh tokens exactly once.
//!
//! Single use is one conditional `UPDATE ... WHERE used_at IS NULL RETURNING` inside the write
//! transaction that also stores the successor, so of any number of concurrent callers exactly one
//! consumes the credential, and a credential is never consumed without its successor stored.
//! These writes go through the group committer (`group_commit.rs`): each runs in its own savepoint
//! of a transaction it may share with other callers, in order, so a second consumer in the same
//! batch finds the credential already used.

use keygate_core::clock::UnixTime;
use keygate_core::model::{CodeRecord, NewAuthorization, NewCode, NewRefreshToken, RefreshRecord};
use keygate_core::scopes::ScopeSet;
use keygate_core::secrets::TokenHash;
use keygate_core::store::ConsumeOutcome;
use keygate_core::StoreError;
use sqlx::SqliteConnection;

use crate::changes::announce_revocations;
use crate::error::DbResultExt;
use crate::rows;
use crate::SqliteStore;

/// Revokes one authorization (stored id) unless it already is, announcing it if it changed.
pub(crate) async fn revoke_one(
    conn: &mut SqliteConnection,
    id: &str,
    at: UnixTime,
) -> Result<(), StoreError> {
    let revoked: Vec<String> = sqlx::query_scalar(
        "UPDATE authorizations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
    )
    .bind(at)
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    announce_revocations(conn, revoked, at).await?;
    Ok(())
}

pub(crate) async fn create_authorization(
    store: &SqliteStore,
    authorization: NewAuthorization,
    code: NewCode,
) -> Result<(), StoreError> {
    store
        .group
        .run(move |conn| Box::pin(insert_authorization(conn, authorization, code)))
        .await
}

/// Stores a consent and its code, inside the caller's transaction.
async fn insert_authorization(
    conn: &mut SqliteConnection,
    authorization: NewAuthorization,
    code: NewCode,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO authorizations (id, user_id, app_id, scopes, created_at, revoked_at, secret_id)
         VALUES (?, ?, ?, ?, ?, NULL, NULL)",
    )
    .bind(authorization.id.to_string())
    .bind(authorization.user_id.to_string())
    .bind(authorization.app_id.to_string())
    .bind(authorization.scopes.to_string())
    .bind(authorization.created_at)
    .execute(&mut *conn)
    .await
    .or_conflict("authorization")?;
    sqlx::query(
        "INSERT INTO codes (hash, authorization_id, redirect_uri, code_challenge, expires_at, used_at)
         VALUES (?, ?, ?, ?, ?, NULL)",
    )
    .bind(code.hash.as_bytes())
    .bind(authorization.id.to_string())
    .bind(&code.redirect_uri)
    .bind(&code.code_challenge)
    .bind(code.expires_at)
    .execute(&mut *conn)
    .await
    .or_conflict("code")?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    authorization_id: String,
    user_id: String,
    app_id: String,
    scopes: String,
    redirect_uri: String,
    code_challenge: Option<String>,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<CodeRow> for CodeRecord {
    type Error = StoreError;

    fn try_from(r: CodeRow) -> Result<Self, StoreError> {
        Ok(CodeRecord {
            authorization_id: rows::id(&r.authorization_id, "codes.authorization_id")?,
            user_id: rows::id(&r.user_id, "authorizations.user_id")?,
            app_id: rows::id(&r.app_id, "authorizations.app_id")?,
            scopes: ScopeSet::from_stored(&r.scopes),
            redirect_uri: r.redirect_uri,
            code_challenge: r.code_challenge,
            expires_at: r.expires_at,
            used_at: r.used_at,
            revoked_at: r.revoked_at,
        })
    }
}

pub(crate) async fn code_by_hash(
    store: &SqliteStore,
    hash: TokenHash,
) -> Result<Option<CodeRecord>, StoreError> {
    let row: Option<CodeRow> = sqlx::query_as(
        "SELECT c.authorization_id, a.user_id, a.app_id, a.scopes, c.redirect_uri,
                c.code_challenge, c.expires_at, c.used_at, a.revoked_at
         FROM codes c JOIN authorizations a ON a.id = c.authorization_id
         WHERE c.hash = ?",
    )
    .bind(hash.as_bytes())
    .fetch_optional(&store.reader)
    .await
    .db()?;
    row.map(CodeRecord::try_from).transpose()
}

/// Refuses (and so rolls back) a successor that would hang off another authorization than the
/// credential it replaces: a chain never crosses authorizations.
fn same_authorization(consumed: &str, successor: &NewRefreshToken) -> Result<(), StoreError> {
    if consumed == successor.authorization_id.to_string() {
        Ok(())
    } else {
        Err(StoreError::Backend(
            "the successor refresh token names another authorization".into(),
        ))
    }
}

async fn insert_refresh(
    conn: &mut SqliteConnection,
    token: &NewRefreshToken,
    parent: Option<TokenHash>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (hash, access_id, authorization_id, parent_hash, secret_id,
             created_at, expires_at, used_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
    )
    .bind(token.hash.as_bytes())
    .bind(token.access_id.to_string())
    .bind(token.authorization_id.to_string())
    .bind(parent.as_ref().map(TokenHash::as_bytes))
    .bind(token.secret_id.map(|s| s.to_string()))
    .bind(token.created_at)
    .bind(token.expires_at)
    .execute(conn)
    .await
    .or_conflict("refresh token")?;
    Ok(())
}

pub(crate) async fn redeem_code(
    store: &SqliteStore,
    code: TokenHash,
    refresh: NewRefreshToken,
    now: UnixTime,
) -> Result<ConsumeOutcome, StoreError> {
    store
        .group
        .run(move |conn| Box::pin(redeem(conn, code, refresh, now)))
        .await
}

/// Consumes a code and stores the first refresh token, inside the caller's transaction.
async fn redeem(
    conn: &mut SqliteConnection,
    code: TokenHash,
    refresh: NewRefreshToken,
    now: UnixTime,
) -> Result<ConsumeOutcome, StoreError> {
    if !secret_still_exists(conn, &refresh).await? {
        // The secret that authenticated this request was replaced after the check; whatever it
        // would mint now would escape the replacement's revocation.
        return Ok(ConsumeOutcome::SecretRetired);
    }
    let consumed: Option<String> = sqlx::query_scalar(
        "UPDATE codes SET used_at = ? WHERE hash = ? AND used_at IS NULL
         RETURNING authorization_id",
    )
    .bind(now)
    .bind(code.as_bytes())
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    let outcome = match consumed {
        Some(authorization) => {
            same_authorization(&authorization, &refresh)?;
            // Remember which secret version exchanged the code: replacing that secret must
            // revoke what it minted.
            sqlx::query("UPDATE authorizations SET secret_id = ? WHERE id = ?")
                .bind(refresh.secret_id.map(|s| s.to_string()))
                .bind(&authorization)
                .execute(&mut *conn)
                .await
                .db()?;
            insert_refresh(conn, &refresh, None).await?;
            ConsumeOutcome::Consumed
        }
        None => {
            let authorization: String =
                sqlx::query_scalar("SELECT authorization_id FROM codes WHERE hash = ?")
                    .bind(code.as_bytes())
                    .fetch_optional(&mut *conn)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound("code"))?;
            revoke_one(conn, &authorization, now).await?;
            ConsumeOutcome::AlreadyUsed
        }
    };
    Ok(outcome)
}

/// Whether the secret version that minted `token` is still stored (public clients have none).
async fn secret_still_exists(
    conn: &mut SqliteConnection,
    token: &NewRefreshToken,
) -> Result<bool, StoreError> {
    let Some(secret) = token.secret_id else {
        return Ok(true);
    };
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM client_secrets WHERE id = ?")
        .bind(secret.to_string())
        .fetch_optional(conn)
        .await
        .db()?;
    Ok(found.is_some())
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    access_id: String,
    authorization_id: String,
    user_id: String,
    app_id: String,
    scopes: String,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<RefreshRow> for RefreshRecord {
    type Error = StoreError;

    fn try_from(r: RefreshRow) -> Result<Self, StoreError> {
        Ok(RefreshRecord {
            access_id: rows::id(&r.access_id, "refresh_tokens.access_id")?,
            authorization_id: rows::id(&r.authorization_id, "refresh_tokens.authorization_id")?,
            user_id: rows::id(&r.user_id, "authorizations.user_id")?,
            app_id: rows::id(&r.app_id, "authorizations.app_id")?,
            scopes: ScopeSet::from_stored(&r.scopes),
            expires_at: r.expires_at,
            used_at: r.used_at,
            revoked_at: r.revoked_at,
        })
    }
}

pub(crate) async fn refresh_by_hash(
    store: &SqliteStore,
    hash: TokenHash,
) -> Result<Option<RefreshRecord>, StoreError> {
    let row: Option<RefreshRow> = sqlx::query_as(
        "SELECT r.access_id, r.authorization_id, a.user_id, a.app_id, a.scopes, r.expires_at,
                r.used_at, a.revoked_at
         FROM refresh_tokens r JOIN authorizations a ON a.id = r.authorization_id
         WHERE r.hash = ?",
    )
    .bind(hash.as_bytes())
    .fetch_optional(&store.reader)
    .await
    .db()?;
    row.map(RefreshRecord::try_from).transpose()
}

pub(crate) async fn rotate_refresh(
    store: &SqliteStore,
    old: TokenHash,
    successor: NewRefreshToken,
    now: UnixTime,
) -> Result<ConsumeOutcome, StoreError> {
    store
        .group
        .run(move |conn| Box::pin(rotate(conn, old, successor, now)))
        .await
}

/// Consumes a refresh token and stores its successor, inside the caller's transaction.
pub(crate) async fn rotate(
    conn: &mut SqliteConnection,
    old: TokenHash,
    successor: NewRefreshToken,
    now: UnixTime,
) -> Result<ConsumeOutcome, StoreError> {
    if !secret_still_exists(conn, &successor).await? {
        // The secret that authenticated this request was replaced after the check; whatever it
        // would mint now would escape the replacement's revocation.
        return Ok(ConsumeOutcome::SecretRetired);
    }
    let consumed: Option<String> = sqlx::query_scalar(
        "UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL
         RETURNING authorization_id",
    )
    .bind(now)
    .bind(old.as_bytes())
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    let outcome = match consumed {
        Some(authorization) => {
            same_authorization(&authorization, &successor)?;
            insert_refresh(conn, &successor, Some(old)).await?;
            ConsumeOutcome::Consumed
        }
        None => {
            let authorization: String =
                sqlx::query_scalar("SELECT authorization_id FROM refresh_tokens WHERE hash = ?")
                    .bind(old.as_bytes())
                    .fetch_optional(&mut *conn)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound("refresh token"))?;
            // RFC 9700 §4.14.2: a spent token presented again means a copy is out there; end
            // the whole chain by revoking the authorization it hangs off.
            revoke_one(conn, &authorization, now).await?;
            ConsumeOutcome::AlreadyUsed
        }
    };
    Ok(outcome)
}
