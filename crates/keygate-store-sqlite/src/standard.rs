//! What standard OAuth adds: reading one authorization (introspection) and the authorization
//! behind client-credentials tokens.

use keygate_core::clock::UnixTime;
use keygate_core::ids::{AppId, AuthorizationId, SecretId};
use keygate_core::model::Authorization;
use keygate_core::scopes::ScopeSet;
use keygate_core::StoreError;

use crate::error::DbResultExt;
use crate::rows;
use crate::SqliteStore;

#[derive(sqlx::FromRow)]
struct AuthorizationRow {
    id: String,
    user_id: String,
    app_id: String,
    scopes: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<AuthorizationRow> for Authorization {
    type Error = StoreError;

    fn try_from(r: AuthorizationRow) -> Result<Self, StoreError> {
        Ok(Authorization {
            id: rows::id(&r.id, "authorizations.id")?,
            user_id: rows::id(&r.user_id, "authorizations.user_id")?,
            app_id: rows::id(&r.app_id, "authorizations.app_id")?,
            scopes: ScopeSet::from_stored(&r.scopes),
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        })
    }
}

pub(crate) async fn authorization_by_id(
    store: &SqliteStore,
    id: AuthorizationId,
) -> Result<Option<Authorization>, StoreError> {
    let row: Option<AuthorizationRow> = sqlx::query_as(
        "SELECT id, user_id, app_id, scopes, created_at, revoked_at FROM authorizations
         WHERE id = ?",
    )
    .bind(id.to_string())
    .fetch_optional(&store.reader)
    .await
    .db()?;
    row.map(Authorization::try_from).transpose()
}

pub(crate) async fn client_credentials_authorization(
    store: &SqliteStore,
    app: AppId,
    secret: SecretId,
    at: UnixTime,
) -> Result<AuthorizationId, StoreError> {
    // Nearly every request finds the live authorization, and finding it needs no write lock: on
    // the one writer connection every client-credentials request would queue behind every other
    // write. A secret replaced after this read revokes what it returns in the replacement's
    // transaction (and the change feed tells every node), so a token minted on it is refused.
    if let Some(id) = live_client_credentials(&store.reader, app, secret).await? {
        return Ok(id);
    }
    let mut tx = store.write().await?;
    // Checked in the same transaction as the insert: a secret replaced a moment ago must not get
    // a fresh authorization that its replacement's revocation has already passed over.
    let owner: Option<(String, String)> = sqlx::query_as(
        "SELECT a.owner_id, a.scopes FROM client_secrets s JOIN apps a ON a.id = s.app_id
         WHERE s.id = ? AND s.app_id = ?",
    )
    .bind(secret.to_string())
    .bind(app.to_string())
    .fetch_optional(&mut *tx)
    .await
    .db()?;
    let (owner, scopes) = owner.ok_or(StoreError::NotFound("client secret"))?;
    let id = match live_client_credentials(&mut *tx, app, secret).await? {
        Some(id) => id,
        None => {
            let id = AuthorizationId::new_random();
            sqlx::query(
                "INSERT INTO authorizations
                     (id, user_id, app_id, scopes, created_at, revoked_at, secret_id,
                      client_credentials)
                 VALUES (?, ?, ?, ?, ?, NULL, ?, 1)",
            )
            .bind(id.to_string())
            .bind(&owner)
            .bind(app.to_string())
            .bind(&scopes)
            .bind(at)
            .bind(secret.to_string())
            .execute(&mut *tx)
            .await
            .or_conflict("authorization")?;
            id
        }
    };
    tx.commit().await.db()?;
    Ok(id)
}

/// The newest live client-credentials authorization of one secret version.
async fn live_client_credentials<'c, E>(
    executor: E,
    app: AppId,
    secret: SecretId,
) -> Result<Option<AuthorizationId>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let live: Option<String> = sqlx::query_scalar(
        "SELECT id FROM authorizations
         WHERE app_id = ? AND secret_id = ? AND client_credentials = 1 AND revoked_at IS NULL
         ORDER BY created_at DESC, id LIMIT 1",
    )
    .bind(app.to_string())
    .bind(secret.to_string())
    .fetch_optional(executor)
    .await
    .db()?;
    live.map(|id| rows::id(&id, "authorizations.id"))
        .transpose()
}
