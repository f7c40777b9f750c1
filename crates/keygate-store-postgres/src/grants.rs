//! Authorizations and their single-use credentials: storing codes, redeeming them exactly once,
//! and rotating refresh tokens exactly once.
//!
//! Single use is one conditional `UPDATE ... WHERE used_at IS NULL RETURNING` inside the
//! transaction that also stores the successor. Under `READ COMMITTED`, concurrent updaters of the
//! row queue on its lock and re-check `used_at IS NULL` once the first commits, so of any number
//! of concurrent callers, on any number of nodes, exactly one consumes the credential, and a
//! credential is never consumed without its successor stored.

use keygate_core::clock::UnixTime;
use keygate_core::model::{CodeRecord, NewAuthorization, NewCode, NewRefreshToken, RefreshRecord};
use keygate_core::scopes::ScopeSet;
use keygate_core::secrets::TokenHash;
use keygate_core::store::ConsumeOutcome;
use keygate_core::StoreError;
use sqlx::PgConnection;

use crate::changes::{announce_revocations, lock_feed};
use crate::error::DbResultExt;
use crate::rows;
use crate::PgStore;

/// Revokes one authorization (stored id) unless it already is, announcing it if it changed.
/// Takes the feed lock, so call it before locking any row other than the app's.
pub(crate) async fn revoke_one(
    conn: &mut PgConnection,
    id: &str,
    at: UnixTime,
) -> Result<(), StoreError> {
    let feed = lock_feed(&mut *conn).await?;
    let revoked: Vec<String> = sqlx::query_scalar(
        "UPDATE authorizations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL
         RETURNING id",
    )
    .bind(at)
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    announce_revocations(conn, &feed, revoked, at).await?;
    Ok(())
}

pub(crate) async fn create_authorization(
    store: &PgStore,
    authorization: NewAuthorization,
    code: NewCode,
) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO authorizations (id, user_id, app_id, scopes, created_at, revoked_at, secret_id)
         VALUES ($1, $2, $3, $4, $5, NULL, NULL)",
    )
    .bind(authorization.id.to_string())
    .bind(authorization.user_id.to_string())
    .bind(authorization.app_id.to_string())
    .bind(authorization.scopes.to_string())
    .bind(authorization.created_at)
    .execute(&mut *tx)
    .await
    .or_conflict("authorization")?;
    sqlx::query(
        "INSERT INTO codes (hash, authorization_id, redirect_uri, code_challenge, expires_at, used_at)
         VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(code.hash.as_bytes())
    .bind(authorization.id.to_string())
    .bind(&code.redirect_uri)
    .bind(&code.code_challenge)
    .bind(code.expires_at)
    .execute(&mut *tx)
    .await
    .or_conflict("code")?;
    tx.commit().await.db()?;
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
    store: &PgStore,
    hash: TokenHash,
) -> Result<Option<CodeRecord>, StoreError> {
    let row: Option<CodeRow> = sqlx::query_as(
        "SELECT c.authorization_id, a.user_id, a.app_id, a.scopes, c.redirect_uri,
                c.code_challenge, c.expires_at, c.used_at, a.revoked_at
         FROM codes c JOIN authorizations a ON a.id = c.authorization_id
         WHERE c.hash = $1",
    )
    .bind(hash.as_bytes())
    .fetch_optional(&store.pool)
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

/// Holds the row of the app `successor` belongs to `FOR SHARE` until the transaction ends, so a
/// secret replacement or app deletion (which take it `FOR UPDATE`) cannot interleave with this
/// exchange; exchanges of the same app do not wait for each other.
async fn share_app(conn: &mut PgConnection, successor: &NewRefreshToken) -> Result<(), StoreError> {
    sqlx::query(
        "SELECT 1 FROM apps p JOIN authorizations a ON a.app_id = p.id
         WHERE a.id = $1 FOR SHARE OF p",
    )
    .bind(successor.authorization_id.to_string())
    .fetch_optional(conn)
    .await
    .db()?;
    Ok(())
}

/// Whether the secret version that minted `token` is still stored (public clients have none).
async fn secret_still_exists(
    conn: &mut PgConnection,
    token: &NewRefreshToken,
) -> Result<bool, StoreError> {
    let Some(secret) = token.secret_id else {
        return Ok(true);
    };
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM client_secrets WHERE id = $1")
        .bind(secret.to_string())
        .fetch_optional(conn)
        .await
        .db()?;
    Ok(found.is_some())
}

async fn insert_refresh(
    conn: &mut PgConnection,
    token: &NewRefreshToken,
    parent: Option<TokenHash>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (hash, access_id, authorization_id, parent_hash, secret_id,
             created_at, expires_at, used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
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
    store: &PgStore,
    code: TokenHash,
    refresh: NewRefreshToken,
    now: UnixTime,
) -> Result<ConsumeOutcome, StoreError> {
    let mut tx = store.write().await?;
    share_app(&mut tx, &refresh).await?;
    if !secret_still_exists(&mut tx, &refresh).await? {
        // The secret that authenticated this request was replaced after the check; whatever it
        // would mint now would escape the replacement's revocation.
        return Ok(ConsumeOutcome::SecretRetired);
    }
    let consumed: Option<String> = sqlx::query_scalar(
        "UPDATE codes SET used_at = $1 WHERE hash = $2 AND used_at IS NULL
         RETURNING authorization_id",
    )
    .bind(now)
    .bind(code.as_bytes())
    .fetch_optional(&mut *tx)
    .await
    .db()?;
    let outcome = match consumed {
        Some(authorization) => {
            same_authorization(&authorization, &refresh)?;
            // Remember which secret version exchanged the code: replacing that secret must
            // revoke what it minted.
            sqlx::query("UPDATE authorizations SET secret_id = $1 WHERE id = $2")
                .bind(refresh.secret_id.map(|s| s.to_string()))
                .bind(&authorization)
                .execute(&mut *tx)
                .await
                .db()?;
            insert_refresh(&mut tx, &refresh, None).await?;
            ConsumeOutcome::Consumed
        }
        None => {
            let authorization: String =
                sqlx::query_scalar("SELECT authorization_id FROM codes WHERE hash = $1")
                    .bind(code.as_bytes())
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound("code"))?;
            revoke_one(&mut tx, &authorization, now).await?;
            ConsumeOutcome::AlreadyUsed
        }
    };
    tx.commit().await.db()?;
    Ok(outcome)
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
    store: &PgStore,
    hash: TokenHash,
) -> Result<Option<RefreshRecord>, StoreError> {
    let row: Option<RefreshRow> = sqlx::query_as(
        "SELECT r.access_id, r.authorization_id, a.user_id, a.app_id, a.scopes, r.expires_at,
                r.used_at, a.revoked_at
         FROM refresh_tokens r JOIN authorizations a ON a.id = r.authorization_id
         WHERE r.hash = $1",
    )
    .bind(hash.as_bytes())
    .fetch_optional(&store.pool)
    .await
    .db()?;
    row.map(RefreshRecord::try_from).transpose()
}

pub(crate) async fn rotate_refresh(
    store: &PgStore,
    old: TokenHash,
    successor: NewRefreshToken,
    now: UnixTime,
) -> Result<ConsumeOutcome, StoreError> {
    let mut tx = store.write().await?;
    share_app(&mut tx, &successor).await?;
    if !secret_still_exists(&mut tx, &successor).await? {
        // The secret that authenticated this request was replaced after the check; whatever it
        // would mint now would escape the replacement's revocation.
        return Ok(ConsumeOutcome::SecretRetired);
    }
    let consumed: Option<String> = sqlx::query_scalar(
        "UPDATE refresh_tokens SET used_at = $1 WHERE hash = $2 AND used_at IS NULL
         RETURNING authorization_id",
    )
    .bind(now)
    .bind(old.as_bytes())
    .fetch_optional(&mut *tx)
    .await
    .db()?;
    let outcome = match consumed {
        Some(authorization) => {
            same_authorization(&authorization, &successor)?;
            insert_refresh(&mut tx, &successor, Some(old)).await?;
            ConsumeOutcome::Consumed
        }
        None => {
            let authorization: String =
                sqlx::query_scalar("SELECT authorization_id FROM refresh_tokens WHERE hash = $1")
                    .bind(old.as_bytes())
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound("refresh token"))?;
            // RFC 9700 §4.14.2: a spent token presented again means a copy is out there; end
            // the whole chain by revoking the authorization it hangs off.
            revoke_one(&mut tx, &authorization, now).await?;
            ConsumeOutcome::AlreadyUsed
        }
    };
    tx.commit().await.db()?;
    Ok(outcome)
}
