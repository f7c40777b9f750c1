//! Revoking a user's authorizations, and the per-app summary of what a user has authorized.

use std::collections::BTreeMap;

use keygate_core::clock::UnixTime;
use keygate_core::ids::{AppId, UserId};
use keygate_core::model::AuthorizationSummary;
use keygate_core::scopes::ScopeSet;
use keygate_core::StoreError;

use super::changes::{announce_revocations, lock_feed};
use super::firsts;
use crate::arg::text;
use crate::conn::Conn;
use crate::error::DbResultExt;
use crate::rows::id;

/// Revokes every live consent a user gave, to one app or to all, inside the caller's
/// transaction; an app's own client-credentials authorizations are not the user's to revoke.
pub async fn revoke_user_authorizations<C: Conn>(
    conn: &mut C,
    user: UserId,
    app: Option<AppId>,
    at: UnixTime,
) -> Result<u64, StoreError> {
    const OF_APP: &str = "UPDATE authorizations SET revoked_at = $1
         WHERE user_id = $2 AND app_id = $3 AND revoked_at IS NULL AND NOT client_credentials
         RETURNING id";
    const OF_EVERY_APP: &str = "UPDATE authorizations SET revoked_at = $1
         WHERE user_id = $2 AND revoked_at IS NULL AND NOT client_credentials
         RETURNING id";
    let feed = lock_feed(conn).await?;
    let revoked: Vec<(String,)> = match app {
        Some(app) => {
            conn.fetch_all(OF_APP, &[at.into(), text(user), text(app)])
                .await
        }
        None => conn.fetch_all(OF_EVERY_APP, &[at.into(), text(user)]).await,
    }
    .db()?;
    announce_revocations(conn, &feed, firsts(revoked), at).await
}

/// One live authorization with its app and the expiry of its newest usable credential.
#[derive(sqlx::FromRow)]
struct LiveRow {
    app_id: String,
    app_name: String,
    company_name: String,
    scopes: String,
    created_at: i64,
    expires_at: i64,
}

/// The apps a user has live authorizations for, by name.
pub async fn authorizations_of_user<C: Conn>(
    conn: &mut C,
    user: UserId,
    now: UnixTime,
) -> Result<Vec<AuthorizationSummary>, StoreError> {
    // One row per live authorization that still has a usable credential: an unspent, unexpired
    // refresh token (the live end of its chain) or an unredeemed, unexpired code.
    const SQL: &str = "SELECT a.app_id, p.name AS app_name, p.company_name, a.scopes,
                a.created_at, l.expires_at
         FROM authorizations a
         JOIN apps p ON p.id = a.app_id
         JOIN (SELECT authorization_id, MAX(expires_at) AS expires_at FROM (
                   SELECT authorization_id, expires_at FROM refresh_tokens
                   WHERE used_at IS NULL AND expires_at > $1
                   UNION ALL
                   SELECT authorization_id, expires_at FROM codes
                   WHERE used_at IS NULL AND expires_at > $1) AS credentials
               GROUP BY authorization_id) l ON l.authorization_id = a.id
         WHERE a.user_id = $2 AND a.revoked_at IS NULL";
    let found: Vec<LiveRow> = conn.fetch_all(SQL, &[now.into(), text(user)]).await.db()?;

    let mut by_app: BTreeMap<String, (AuthorizationSummary, String)> = BTreeMap::new();
    for r in found {
        match by_app.get_mut(&r.app_id) {
            Some((summary, scopes)) => {
                scopes.push(' ');
                scopes.push_str(&r.scopes);
                summary.issued_at = summary.issued_at.min(r.created_at);
                summary.expires_at = summary.expires_at.max(r.expires_at);
            }
            None => {
                let summary = AuthorizationSummary {
                    app_id: id(&r.app_id, "authorizations.app_id")?,
                    app_name: r.app_name,
                    company_name: r.company_name,
                    scopes: ScopeSet::default(),
                    issued_at: r.created_at,
                    expires_at: r.expires_at,
                };
                by_app.insert(r.app_id, (summary, r.scopes));
            }
        }
    }
    let mut summaries: Vec<AuthorizationSummary> = by_app
        .into_values()
        .map(|(mut summary, scopes)| {
            // Stored scopes are canonical and space-separated, so the union of several is their
            // concatenation read back as one set.
            summary.scopes = ScopeSet::from_stored(&scopes);
            summary
        })
        .collect();
    summaries.sort_by(|a, b| (a.app_name.as_str(), a.app_id).cmp(&(b.app_name.as_str(), b.app_id)));
    Ok(summaries)
}
