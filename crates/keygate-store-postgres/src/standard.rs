//! What standard OAuth adds: reading one authorization (introspection) and the authorization
//! behind client-credentials tokens.

use keygate_core::clock::UnixTime;
use keygate_core::ids::{AppId, AuthorizationId, SecretId};
use keygate_core::model::Authorization;
use keygate_core::scopes::ScopeSet;
use keygate_core::StoreError;

use crate::error::DbResultExt;
use crate::rows;
use crate::PgStore;

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
    store: &PgStore,
    id: AuthorizationId,
) -> Result<Option<Authorization>, StoreError> {
    let row: Option<AuthorizationRow> = sqlx::query_as(
        "SELECT id, user_id, app_id, scopes, created_at, revoked_at FROM authorizations
         WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&store.pool)
    .await
    .db()?;
    row.map(Authorization::try_from).transpose()
}

pub(crate) async fn client_credentials_authorization(
    store: &PgStore,
    app: AppId,
    secret: SecretId,
    at: UnixTime,
) -> Result<AuthorizationId, StoreError> {
    let mut tx = store.write().await?;
    // The app's row held `FOR SHARE` keeps a secret replacement (which takes it `FOR UPDATE`)
    // from interleaving: a secret replaced a moment ago must not get a fresh authorization that
    // its replacement's revocation has already passed over. The secret's row held `FOR UPDATE`
    // makes concurrent first calls for one secret agree on a single authorization.
    sqlx::query("SELECT 1 FROM apps WHERE id = $1 FOR SHARE")
        .bind(app.to_string())
        .fetch_optional(&mut *tx)
        .await
        .db()?;
    let owner: Option<(String, String)> = sqlx::query_as(
        "SELECT a.owner_id, a.scopes FROM client_secrets s JOIN apps a ON a.id = s.app_id
         WHERE s.id = $1 AND s.app_id = $2 FOR UPDATE OF s",
    )
    .bind(secret.to_string())
    .bind(app.to_string())
    .fetch_optional(&mut *tx)
    .await
    .db()?;
    let (owner, scopes) = owner.ok_or(StoreError::NotFound("client secret"))?;
    let live: Option<String> = sqlx::query_scalar(
        "SELECT id FROM authorizations
         WHERE app_id = $1 AND secret_id = $2 AND client_credentials AND revoked_at IS NULL
         ORDER BY created_at DESC, id LIMIT 1",
    )
    .bind(app.to_string())
    .bind(secret.to_string())
    .fetch_optional(&mut *tx)
    .await
    .db()?;
    let id = match live {
        Some(id) => rows::id(&id, "authorizations.id")?,
        None => {
            let id = AuthorizationId::new_random();
            sqlx::query(
                "INSERT INTO authorizations
                     (id, user_id, app_id, scopes, created_at, revoked_at, secret_id,
                      client_credentials)
                 VALUES ($1, $2, $3, $4, $5, NULL, $6, TRUE)",
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
