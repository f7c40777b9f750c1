//! Registered apps and their client secrets, and what replacing or deleting them revokes.

use keygate_core::clock::UnixTime;
use keygate_core::ids::{AppId, UserId};
use keygate_core::model::{
    App, ChangeKind, ClientKind, ClientSecret, NewApp, NewClientSecret, SecretSlot, SlottedSecret,
};
use keygate_core::scopes::ScopeSet;
use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;
use sqlx::SqliteConnection;

use crate::changes::{announce_revocations, append_change};
use crate::error::DbResultExt;
use crate::rows;
use crate::SqliteStore;

#[derive(sqlx::FromRow)]
struct AppRow {
    id: String,
    owner_id: String,
    name: String,
    company_name: String,
    description: String,
    website: String,
    company_website: String,
    terms_url: String,
    privacy_url: String,
    logo_url: String,
    callback_url: String,
    scopes: String,
    kind: String,
    created_at: i64,
}

impl TryFrom<AppRow> for App {
    type Error = StoreError;

    fn try_from(r: AppRow) -> Result<Self, StoreError> {
        Ok(App {
            id: rows::id(&r.id, "apps.id")?,
            owner_id: rows::id(&r.owner_id, "apps.owner_id")?,
            name: r.name,
            company_name: r.company_name,
            description: r.description,
            website: r.website,
            company_website: r.company_website,
            terms_url: r.terms_url,
            privacy_url: r.privacy_url,
            logo_url: r.logo_url,
            callback_url: r.callback_url,
            scopes: ScopeSet::from_stored(&r.scopes),
            kind: ClientKind::from_stored(&r.kind),
            created_at: r.created_at,
        })
    }
}

/// The columns of [`AppRow`].
macro_rules! app_columns {
    () => {
        "id, owner_id, name, company_name, description, website, company_website, terms_url, \
         privacy_url, logo_url, callback_url, scopes, kind, created_at"
    };
}

#[derive(sqlx::FromRow)]
struct SecretRow {
    id: String,
    app_id: String,
    created_at: i64,
    expires_at: i64,
}

impl TryFrom<SecretRow> for ClientSecret {
    type Error = StoreError;

    fn try_from(r: SecretRow) -> Result<Self, StoreError> {
        Ok(ClientSecret {
            id: rows::id(&r.id, "client_secrets.id")?,
            app_id: rows::id(&r.app_id, "client_secrets.app_id")?,
            created_at: r.created_at,
            expires_at: r.expires_at,
        })
    }
}

async fn insert_secret(
    conn: &mut SqliteConnection,
    app: AppId,
    slot: SecretSlot,
    new: &NewClientSecret,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO client_secrets (id, app_id, hash, created_at, expires_at, slot)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(new.secret.id.to_string())
    .bind(app.to_string())
    .bind(new.hash.as_bytes())
    .bind(new.secret.created_at)
    .bind(new.secret.expires_at)
    .bind(slot.as_str())
    .execute(conn)
    .await
    .or_conflict("client secret")?;
    Ok(())
}

/// Fails with `NotFound("app")` unless the app exists.
async fn require_app(conn: &mut SqliteConnection, app: AppId) -> Result<(), StoreError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM apps WHERE id = ?")
        .bind(app.to_string())
        .fetch_optional(conn)
        .await
        .db()?;
    found.map(|_| ()).ok_or(StoreError::NotFound("app"))
}

pub(crate) async fn create_app(
    store: &SqliteStore,
    app: NewApp,
    secret: NewClientSecret,
) -> Result<App, StoreError> {
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO apps (id, owner_id, name, company_name, description, website,
             company_website, terms_url, privacy_url, logo_url, callback_url, scopes, kind,
             created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(app.id.to_string())
    .bind(app.owner_id.to_string())
    .bind(&app.name)
    .bind(&app.company_name)
    .bind(&app.description)
    .bind(&app.website)
    .bind(&app.company_website)
    .bind(&app.terms_url)
    .bind(&app.privacy_url)
    .bind(&app.logo_url)
    .bind(&app.callback_url)
    .bind(app.scopes.to_string())
    .bind(app.kind.as_str())
    .bind(app.created_at)
    .execute(&mut *tx)
    .await
    .or_conflict("app")?;
    insert_secret(&mut tx, app.id, SecretSlot::Primary, &secret).await?;
    tx.commit().await.db()?;
    Ok(app)
}

pub(crate) async fn app_by_id(store: &SqliteStore, id: AppId) -> Result<Option<App>, StoreError> {
    let row: Option<AppRow> = sqlx::query_as(concat!(
        "SELECT ",
        app_columns!(),
        " FROM apps WHERE id = ?"
    ))
    .bind(id.to_string())
    .fetch_optional(&store.reader)
    .await
    .db()?;
    row.map(App::try_from).transpose()
}

pub(crate) async fn list_apps(
    store: &SqliteStore,
    owner: Option<UserId>,
) -> Result<Vec<App>, StoreError> {
    // Two statements rather than `?1 IS NULL OR owner_id = ?1`, so the owner's index is used.
    let found: Vec<AppRow> = match owner {
        Some(owner) => {
            sqlx::query_as(concat!(
                "SELECT ",
                app_columns!(),
                " FROM apps WHERE owner_id = ? ORDER BY created_at, name, id"
            ))
            .bind(owner.to_string())
            .fetch_all(&store.reader)
            .await
        }
        None => {
            sqlx::query_as(concat!(
                "SELECT ",
                app_columns!(),
                " FROM apps ORDER BY created_at, name, id"
            ))
            .fetch_all(&store.reader)
            .await
        }
    }
    .db()?;
    rows::all(found)
}

pub(crate) async fn client_secret_by_hash(
    store: &SqliteStore,
    hash: TokenHash,
) -> Result<Option<ClientSecret>, StoreError> {
    let row: Option<SecretRow> = sqlx::query_as(
        "SELECT id, app_id, created_at, expires_at FROM client_secrets WHERE hash = ?",
    )
    .bind(hash.as_bytes())
    .fetch_optional(&store.reader)
    .await
    .db()?;
    row.map(ClientSecret::try_from).transpose()
}

pub(crate) async fn replace_client_secret(
    store: &SqliteStore,
    app: AppId,
    slot: SecretSlot,
    secret: NewClientSecret,
    at: UnixTime,
) -> Result<u64, StoreError> {
    let mut tx = store.write().await?;
    require_app(&mut tx, app).await?;
    let retired: Option<String> =
        sqlx::query_scalar("DELETE FROM client_secrets WHERE app_id = ? AND slot = ? RETURNING id")
            .bind(app.to_string())
            .bind(slot.as_str())
            .fetch_optional(&mut *tx)
            .await
            .db()?;
    let mut count = 0;
    if let Some(retired) = retired {
        // An authorization gets its secret_id when its code is exchanged (or, for client
        // credentials, when it is made): what the retired version minted goes with it, and what
        // the other slot's version minted stays.
        let revoked: Vec<String> = sqlx::query_scalar(
            "UPDATE authorizations SET revoked_at = ?
             WHERE app_id = ? AND revoked_at IS NULL AND secret_id = ?
             RETURNING id",
        )
        .bind(at)
        .bind(app.to_string())
        .bind(&retired)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        count = announce_revocations(&mut tx, revoked, at).await?;
    }
    insert_secret(&mut tx, app, slot, &secret).await?;
    append_change(&mut tx, ChangeKind::ClientChanged, &app.to_string(), at).await?;
    tx.commit().await.db()?;
    Ok(count)
}

pub(crate) async fn client_secrets_of_app(
    store: &SqliteStore,
    app: AppId,
) -> Result<Vec<SlottedSecret>, StoreError> {
    let found: Vec<SlottedRow> = sqlx::query_as(
        "SELECT slot, id, app_id, created_at, expires_at FROM client_secrets
         WHERE app_id = ? ORDER BY slot = 'alternative', created_at",
    )
    .bind(app.to_string())
    .fetch_all(&store.reader)
    .await
    .db()?;
    found
        .into_iter()
        .map(|r| {
            Ok(SlottedSecret {
                slot: SecretSlot::parse(&r.slot).ok_or_else(|| {
                    StoreError::Corrupt(format!("client_secrets.slot is {}", r.slot))
                })?,
                secret: ClientSecret::try_from(r.secret)?,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct SlottedRow {
    slot: String,
    #[sqlx(flatten)]
    secret: SecretRow,
}

pub(crate) async fn update_app(
    store: &SqliteStore,
    app: App,
    at: UnixTime,
) -> Result<App, StoreError> {
    let mut tx = store.write().await?;
    let updated = sqlx::query(
        "UPDATE apps SET name = ?, company_name = ?, description = ?, website = ?,
             company_website = ?, terms_url = ?, privacy_url = ?, logo_url = ?, callback_url = ?
         WHERE id = ?",
    )
    .bind(&app.name)
    .bind(&app.company_name)
    .bind(&app.description)
    .bind(&app.website)
    .bind(&app.company_website)
    .bind(&app.terms_url)
    .bind(&app.privacy_url)
    .bind(&app.logo_url)
    .bind(&app.callback_url)
    .bind(app.id.to_string())
    .execute(&mut *tx)
    .await
    .db()?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound("app"));
    }
    append_change(&mut tx, ChangeKind::ClientChanged, &app.id.to_string(), at).await?;
    tx.commit().await.db()?;
    app_by_id(store, app.id)
        .await?
        .ok_or(StoreError::NotFound("app"))
}

pub(crate) async fn delete_app(
    store: &SqliteStore,
    app: AppId,
    at: UnixTime,
) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    require_app(&mut tx, app).await?;
    let revoked: Vec<String> = sqlx::query_scalar(
        "UPDATE authorizations SET revoked_at = ? WHERE app_id = ? AND revoked_at IS NULL
         RETURNING id",
    )
    .bind(at)
    .bind(app.to_string())
    .fetch_all(&mut *tx)
    .await
    .db()?;
    announce_revocations(&mut tx, revoked, at).await?;
    append_change(&mut tx, ChangeKind::ClientChanged, &app.to_string(), at).await?;
    // Secrets, authorizations, codes and refresh tokens go with it (ON DELETE CASCADE); the
    // changes just appended stay, since the feed has no foreign keys.
    sqlx::query("DELETE FROM apps WHERE id = ?")
        .bind(app.to_string())
        .execute(&mut *tx)
        .await
        .db()?;
    tx.commit().await.db()?;
    Ok(())
}
