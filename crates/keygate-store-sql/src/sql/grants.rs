//! Authorizations and their single-use credentials: storing codes, redeeming them exactly once,
//! and rotating refresh tokens exactly once.
//!
//! Single use is one conditional `UPDATE ... WHERE used_at IS NULL RETURNING` inside the
//! transaction that also stores the successor, so of any number of concurrent callers exactly
//! one consumes the credential, and a credential is never consumed without its successor stored.
//! On SQLite these run in the group committer, one after another on the one writer, so a second
//! consumer in the same batch finds the credential used. On PostgreSQL (`READ COMMITTED`)
//! concurrent updaters of the row queue on its lock and re-check `used_at IS NULL` once the
//! first commits, on any number of nodes.

use keygate_core::clock::UnixTime;
use keygate_core::model::{CodeRecord, NewAuthorization, NewCode, NewRefreshToken, RefreshRecord};
use keygate_core::secrets::TokenHash;
use keygate_core::store::ConsumeOutcome;
use keygate_core::StoreError;

use super::changes::{announce_revocations, lock_feed};
use super::firsts;
use crate::arg::{opt_text, text};
use crate::conn::{Conn, Dialect};
use crate::error::DbResultExt;
use crate::rows::grants::{
    AuthorizationRow, CodeLookupRow, CodeRow, RefreshLookupRow, RefreshTokenRow,
};
use crate::table::Table;

/// Holds the row of the app an authorization belongs to `FOR SHARE` (PostgreSQL), so a secret
/// replacement or app deletion (which take it `FOR UPDATE`) cannot interleave with an exchange;
/// exchanges of the same app do not wait for each other.
const SHARE_APP: &str = "SELECT 1 FROM apps p JOIN authorizations a ON a.app_id = p.id
     WHERE a.id = $1 FOR SHARE OF p";

/// Revokes one authorization (stored id) unless it already is, announcing it if it changed.
/// Takes the feed lock, so call it before locking any row other than the app's.
pub async fn revoke_one<C: Conn>(conn: &mut C, id: &str, at: UnixTime) -> Result<(), StoreError> {
    let feed = lock_feed(conn).await?;
    let revoked: Vec<(String,)> = conn
        .fetch_all(
            "UPDATE authorizations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL
             RETURNING id",
            &[at.into(), id.into()],
        )
        .await
        .db()?;
    announce_revocations(conn, &feed, firsts(revoked), at).await?;
    Ok(())
}

/// Stores a consent and its code, inside the caller's transaction.
pub async fn insert_authorization<C: Conn>(
    conn: &mut C,
    authorization: NewAuthorization,
    code: NewCode,
) -> Result<(), StoreError> {
    let code = CodeRow::new(authorization.id, code);
    let row = AuthorizationRow::from(authorization);
    conn.execute(AuthorizationRow::insert(), &row.bind())
        .await
        .or_conflict("authorization")?;
    conn.execute(CodeRow::insert(), &code.bind())
        .await
        .or_conflict("code")?;
    Ok(())
}

/// A code by its hash (`$1`) with its authorization's facts, the columns of [`CodeLookupRow`] in
/// order.
pub const CODE_LOOKUP: &str = "SELECT c.authorization_id, a.user_id, a.app_id, a.scopes,
                c.redirect_uri, c.code_challenge, c.expires_at, c.used_at, a.revoked_at
         FROM codes c JOIN authorizations a ON a.id = c.authorization_id
         WHERE c.hash = $1";

/// A refresh token by its hash (`$1`) with its authorization's facts, the columns of
/// [`RefreshLookupRow`] in order.
pub const REFRESH_LOOKUP: &str = "SELECT r.access_id, r.authorization_id, a.user_id, a.app_id,
                a.scopes, r.expires_at, r.used_at, a.revoked_at
         FROM refresh_tokens r JOIN authorizations a ON a.id = r.authorization_id
         WHERE r.hash = $1";

/// A code by hash, whatever its state.
pub async fn code_by_hash<C: Conn>(
    conn: &mut C,
    hash: TokenHash,
) -> Result<Option<CodeRecord>, StoreError> {
    let row: Option<CodeLookupRow> = conn
        .fetch_optional(CODE_LOOKUP, &[(&hash).into()])
        .await
        .db()?;
    row.map(CodeRecord::try_from).transpose()
}

/// A refresh token by hash, whatever its state.
pub async fn refresh_by_hash<C: Conn>(
    conn: &mut C,
    hash: TokenHash,
) -> Result<Option<RefreshRecord>, StoreError> {
    let row: Option<RefreshLookupRow> = conn
        .fetch_optional(REFRESH_LOOKUP, &[(&hash).into()])
        .await
        .db()?;
    row.map(RefreshRecord::try_from).transpose()
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

/// Takes the app row `FOR SHARE` (PostgreSQL), then says whether the secret version that
/// authenticated the request for `token` is still stored (public clients have none). When it
/// is not, the secret was replaced after the request's check, and whatever it would mint now
/// would escape the replacement's revocation.
pub(crate) async fn secret_still_exists<C: Conn>(
    conn: &mut C,
    token: &NewRefreshToken,
) -> Result<bool, StoreError> {
    share_app(conn, token).await?;
    secret_exists(conn, token).await
}

/// Takes the row of the app `token` is minted for `FOR SHARE` (PostgreSQL; SQLite has one
/// writer, so nothing can interleave).
async fn share_app<C: Conn>(conn: &mut C, token: &NewRefreshToken) -> Result<(), StoreError> {
    if C::DIALECT == Dialect::Postgres {
        let _: Option<(i32,)> = conn
            .fetch_optional(SHARE_APP, &[text(token.authorization_id)])
            .await
            .db()?;
    }
    Ok(())
}

/// Whether the secret version that authenticated the request for `token` is still stored
/// (public clients have none).
async fn secret_exists<C: Conn>(conn: &mut C, token: &NewRefreshToken) -> Result<bool, StoreError> {
    let Some(secret) = token.secret_id else {
        return Ok(true);
    };
    let found: Option<(i32,)> = conn
        .fetch_optional(
            "SELECT 1 FROM client_secrets WHERE id = $1",
            &[text(secret)],
        )
        .await
        .db()?;
    Ok(found.is_some())
}

pub(crate) async fn insert_refresh<C: Conn>(
    conn: &mut C,
    token: &NewRefreshToken,
    parent: Option<&TokenHash>,
) -> Result<(), StoreError> {
    let row = RefreshTokenRow::new(token, parent);
    conn.execute(RefreshTokenRow::insert(), &row.bind())
        .await
        .or_conflict("refresh token")?;
    Ok(())
}

/// The statements that spend one kind of single-use credential.
struct Credential {
    /// Marks it used unless it already was or the secret version named by `$3` (when not
    /// NULL) is gone, returning its authorization: the secret check folded into the one
    /// statement the hot path needs.
    spend: &'static str,
    /// Its authorization, whatever its state.
    owner: &'static str,
    /// What it is called in `NotFound`.
    what: &'static str,
}

/// Spends a code: `$1` now, `$2` its hash, `$3` the secret version that must still exist (or
/// NULL); returns its authorization when this statement spent it.
pub const CODE_SPEND: &str = "UPDATE codes SET used_at = $1 WHERE hash = $2 AND used_at IS NULL
            AND (CAST($3 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM client_secrets WHERE id = $3))
            RETURNING authorization_id";

/// Spends a refresh token, as [`CODE_SPEND`] spends a code.
pub const REFRESH_SPEND: &str = "UPDATE refresh_tokens SET used_at = $1
            WHERE hash = $2 AND used_at IS NULL
            AND (CAST($3 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM client_secrets WHERE id = $3))
            RETURNING authorization_id";

/// Remembers which secret version (`$1`) exchanged the code of authorization `$2`.
pub const SET_EXCHANGING_SECRET: &str = "UPDATE authorizations SET secret_id = $1 WHERE id = $2";

const CODE: Credential = Credential {
    spend: CODE_SPEND,
    owner: "SELECT authorization_id FROM codes WHERE hash = $1",
    what: "code",
};

const REFRESH_TOKEN: Credential = Credential {
    spend: REFRESH_SPEND,
    owner: "SELECT authorization_id FROM refresh_tokens WHERE hash = $1",
    what: "refresh token",
};

/// What spending a credential came to.
enum Spent {
    /// This call consumed it; its authorization (stored id).
    Consumed(String),
    /// Somebody had already; its authorization is now revoked.
    AlreadyUsed,
    /// The secret version the successor would be minted under is gone; nothing changed.
    SecretRetired,
}

/// Spends a credential for `successor`. One statement on the hot path: the conditional update
/// also checks that the secret version that authenticated the request still exists. Only when
/// it changes nothing are the causes told apart: a retired secret first (nothing is touched,
/// as if the request had failed its client check), otherwise somebody had spent the credential
/// already and its authorization is revoked: a spent credential presented again means a copy
/// is out there (RFC 6749 §4.1.2, RFC 9700 §4.14.2), and revoking the authorization ends the
/// whole chain.
async fn spend<C: Conn>(
    conn: &mut C,
    credential: &Credential,
    hash: &TokenHash,
    successor: &NewRefreshToken,
    now: UnixTime,
) -> Result<Spent, StoreError> {
    share_app(conn, successor).await?;
    let consumed: Option<(String,)> = conn
        .fetch_optional(
            credential.spend,
            &[now.into(), hash.into(), opt_text(successor.secret_id)],
        )
        .await
        .db()?;
    if let Some((authorization,)) = consumed {
        same_authorization(&authorization, successor)?;
        return Ok(Spent::Consumed(authorization));
    }
    if !secret_exists(conn, successor).await? {
        return Ok(Spent::SecretRetired);
    }
    let (authorization,): (String,) = conn
        .fetch_optional(credential.owner, &[hash.into()])
        .await
        .db()?
        .ok_or(StoreError::NotFound(credential.what))?;
    revoke_one(conn, &authorization, now).await?;
    Ok(Spent::AlreadyUsed)
}

/// Consumes a code and stores the first refresh token, inside the caller's transaction. When
/// the code was already used, revokes its authorization instead.
pub async fn redeem<C: Conn>(
    conn: &mut C,
    code: TokenHash,
    refresh: NewRefreshToken,
    now: UnixTime,
) -> Result<ConsumeOutcome, StoreError> {
    let authorization = match spend(conn, &CODE, &code, &refresh, now).await? {
        Spent::Consumed(authorization) => authorization,
        Spent::AlreadyUsed => return Ok(ConsumeOutcome::AlreadyUsed),
        Spent::SecretRetired => return Ok(ConsumeOutcome::SecretRetired),
    };
    // Remember which secret version exchanged the code: replacing that secret must revoke what
    // it minted.
    conn.execute(
        SET_EXCHANGING_SECRET,
        &[opt_text(refresh.secret_id), authorization.into()],
    )
    .await
    .db()?;
    insert_refresh(conn, &refresh, None).await?;
    Ok(ConsumeOutcome::Consumed)
}

/// Consumes a refresh token and stores its successor, inside the caller's transaction. When it
/// was already used, revokes its authorization instead.
pub async fn rotate<C: Conn>(
    conn: &mut C,
    old: TokenHash,
    successor: NewRefreshToken,
    now: UnixTime,
) -> Result<ConsumeOutcome, StoreError> {
    match spend(conn, &REFRESH_TOKEN, &old, &successor, now).await? {
        Spent::Consumed(_) => {}
        Spent::AlreadyUsed => return Ok(ConsumeOutcome::AlreadyUsed),
        Spent::SecretRetired => return Ok(ConsumeOutcome::SecretRetired),
    }
    insert_refresh(conn, &successor, Some(&old)).await?;
    Ok(ConsumeOutcome::Consumed)
}
