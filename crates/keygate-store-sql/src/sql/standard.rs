//! What standard OAuth adds: reading one authorization (introspection) and the authorization
//! behind client-credentials tokens.

use keygate_core::clock::UnixTime;
use keygate_core::ids::{AppId, AuthorizationId, SecretId};
use keygate_core::model::Authorization;
use keygate_core::StoreError;

use crate::arg::text;
use crate::conn::{Conn, Dialect, PerDialect};
use crate::error::DbResultExt;
use crate::rows::grants::{authorization_columns, AuthorizationRow};
use crate::rows::id;
use crate::table::Table;

/// The newest live client-credentials authorization of one secret version, written so each
/// engine's partial index on live client-credentials authorizations applies.
const LIVE: PerDialect = PerDialect {
    sqlite: "SELECT id FROM authorizations
         WHERE app_id = $1 AND secret_id = $2 AND client_credentials = 1 AND revoked_at IS NULL
         ORDER BY created_at DESC, id LIMIT 1",
    postgres: "SELECT id FROM authorizations
         WHERE app_id = $1 AND secret_id = $2 AND client_credentials AND revoked_at IS NULL
         ORDER BY created_at DESC, id LIMIT 1",
};

/// The owner and registered scopes of the app a secret version belongs to. PostgreSQL holds
/// the secret's row `FOR UPDATE`, so concurrent first calls for one secret agree on a single
/// authorization.
const OWNER: PerDialect = PerDialect {
    sqlite: "SELECT a.owner_id, a.scopes FROM client_secrets s JOIN apps a ON a.id = s.app_id
         WHERE s.id = $1 AND s.app_id = $2",
    postgres: "SELECT a.owner_id, a.scopes FROM client_secrets s JOIN apps a ON a.id = s.app_id
         WHERE s.id = $1 AND s.app_id = $2 FOR UPDATE OF s",
};

/// An authorization by id, whatever its state.
pub async fn authorization_by_id<C: Conn>(
    conn: &mut C,
    id: AuthorizationId,
) -> Result<Option<Authorization>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        authorization_columns!(),
        " FROM authorizations WHERE id = $1"
    );
    let row: Option<AuthorizationRow> = conn.fetch_optional(SQL, &[text(id)]).await.db()?;
    row.map(Authorization::try_from).transpose()
}

/// The newest live client-credentials authorization of one secret version, if any.
pub async fn live_client_credentials<C: Conn>(
    conn: &mut C,
    app: AppId,
    secret: SecretId,
) -> Result<Option<AuthorizationId>, StoreError> {
    let live: Option<(String,)> = conn
        .fetch_optional(C::DIALECT.pick(&LIVE), &[text(app), text(secret)])
        .await
        .db()?;
    live.map(|(stored,)| id(&stored, "authorizations.id"))
        .transpose()
}

/// The live client-credentials authorization of a secret version, created if it has none,
/// inside the caller's transaction. `NotFound("client secret")` when the version is gone.
pub async fn client_credentials_authorization<C: Conn>(
    conn: &mut C,
    app: AppId,
    secret: SecretId,
    at: UnixTime,
) -> Result<AuthorizationId, StoreError> {
    if C::DIALECT == Dialect::Postgres {
        // The app's row held `FOR SHARE` keeps a secret replacement (which takes it `FOR
        // UPDATE`) from interleaving.
        let _: Option<(i32,)> = conn
            .fetch_optional("SELECT 1 FROM apps WHERE id = $1 FOR SHARE", &[text(app)])
            .await
            .db()?;
    }
    // Checked in the same transaction as the insert: a secret replaced a moment ago must not get
    // a fresh authorization that its replacement's revocation has already passed over.
    let owner: Option<(String, String)> = conn
        .fetch_optional(C::DIALECT.pick(&OWNER), &[text(secret), text(app)])
        .await
        .db()?;
    let (owner, scopes) = owner.ok_or(StoreError::NotFound("client secret"))?;
    if let Some(id) = live_client_credentials(conn, app, secret).await? {
        return Ok(id);
    }
    let id = AuthorizationId::new_random();
    let row = AuthorizationRow {
        id: id.to_string(),
        user_id: owner,
        app_id: app.to_string(),
        scopes,
        created_at: at,
        revoked_at: None,
        secret_id: Some(secret.to_string()),
        client_credentials: true,
    };
    conn.execute(AuthorizationRow::insert(), &row.bind())
        .await
        .or_conflict("authorization")?;
    Ok(id)
}
