//! Registered apps and their client secrets, and what replacing or deleting them revokes.
//!
//! On PostgreSQL, replacing a secret, editing or deleting an app first takes its row `FOR
//! UPDATE`, while code exchanges and refreshes hold it `FOR SHARE` (`grants.rs`): the two never
//! interleave, so an exchange either commits first (and the replacement revokes what it minted)
//! or finds its secret gone. SQLite's one writer orders them anyway.

use keygate_core::clock::UnixTime;
use keygate_core::ids::{AppId, UserId};
use keygate_core::model::{
    App, ChangeKind, ClientSecret, NewApp, NewClientSecret, SecretSlot, SlottedSecret,
};
use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;

use super::changes::{announce_revocations, append_change, lock_feed};
use super::{firsts, require};
use crate::arg::text;
use crate::conn::{Conn, PerDialect};
use crate::error::DbResultExt;
use crate::rows::all;
use crate::rows::apps::{app_columns, secret_columns, AppRow, SecretRow};
use crate::table::Table;

const APP_BY_ID: &str = concat!("SELECT ", app_columns!(), " FROM apps WHERE id = $1");

/// Finds the app and, on PostgreSQL, locks its row against exchanges until the transaction
/// ends. Taken before the feed lock, as every transaction does.
const LOCK_APP: PerDialect = PerDialect {
    sqlite: "SELECT 1 FROM apps WHERE id = $1",
    postgres: "SELECT 1 FROM apps WHERE id = $1 FOR UPDATE",
};

/// Revokes what one secret version minted.
const REVOKE_MINTED_BY: &str = "UPDATE authorizations SET revoked_at = $1
     WHERE app_id = $2 AND revoked_at IS NULL AND secret_id = $3
     RETURNING id";

/// Fails with `NotFound("app")` unless the app exists; locks it on PostgreSQL.
pub(crate) async fn lock_app<C: Conn>(conn: &mut C, app: AppId) -> Result<(), StoreError> {
    require(conn, C::DIALECT.pick(&LOCK_APP), &[text(app)], "app").await
}

async fn insert_secret<C: Conn>(
    conn: &mut C,
    app: AppId,
    slot: SecretSlot,
    new: &NewClientSecret,
) -> Result<(), StoreError> {
    let row = SecretRow::new(app, slot, new);
    conn.execute(SecretRow::insert(), &row.bind())
        .await
        .or_conflict("client secret")?;
    Ok(())
}

/// Registers an app with its first (primary) secret, inside the caller's transaction.
pub async fn create_app<C: Conn>(
    conn: &mut C,
    app: NewApp,
    secret: NewClientSecret,
) -> Result<App, StoreError> {
    let row = AppRow::from(app);
    conn.execute(AppRow::insert(), &row.bind())
        .await
        .or_conflict("app")?;
    let app = App::try_from(row)?;
    insert_secret(conn, app.id, SecretSlot::Primary, &secret).await?;
    Ok(app)
}

/// An app by id.
pub async fn app_by_id<C: Conn>(conn: &mut C, id: AppId) -> Result<Option<App>, StoreError> {
    let row: Option<AppRow> = conn.fetch_optional(APP_BY_ID, &[text(id)]).await.db()?;
    row.map(App::try_from).transpose()
}

/// The apps a user owns, or every app.
pub async fn list_apps<C: Conn>(
    conn: &mut C,
    owner: Option<UserId>,
) -> Result<Vec<App>, StoreError> {
    // Two statements rather than `$1 IS NULL OR owner_id = $1`, so the owner's index is used.
    const OF_OWNER: &str = concat!(
        "SELECT ",
        app_columns!(),
        " FROM apps WHERE owner_id = $1 ORDER BY created_at, name, id"
    );
    const EVERY: &str = concat!(
        "SELECT ",
        app_columns!(),
        " FROM apps ORDER BY created_at, name, id"
    );
    let found: Vec<AppRow> = match owner {
        Some(owner) => conn.fetch_all(OF_OWNER, &[text(owner)]).await,
        None => conn.fetch_all(EVERY, &[]).await,
    }
    .db()?;
    all(found)
}

/// A client secret version by the hash of the presented secret.
pub async fn client_secret_by_hash<C: Conn>(
    conn: &mut C,
    hash: TokenHash,
) -> Result<Option<ClientSecret>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        secret_columns!(),
        " FROM client_secrets WHERE hash = $1"
    );
    let row: Option<SecretRow> = conn.fetch_optional(SQL, &[(&hash).into()]).await.db()?;
    row.map(ClientSecret::try_from).transpose()
}

/// The secret versions an app holds, primary first.
pub async fn client_secrets_of_app<C: Conn>(
    conn: &mut C,
    app: AppId,
) -> Result<Vec<SlottedSecret>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        secret_columns!(),
        " FROM client_secrets WHERE app_id = $1 ORDER BY slot = 'alternative', created_at"
    );
    let found: Vec<SecretRow> = conn.fetch_all(SQL, &[text(app)]).await.db()?;
    all(found)
}

/// Puts `secret` in `slot`, revoking what the version it displaces minted, inside the caller's
/// transaction; returns how many authorizations were revoked.
pub async fn replace_client_secret<C: Conn>(
    conn: &mut C,
    app: AppId,
    slot: SecretSlot,
    secret: NewClientSecret,
    at: UnixTime,
) -> Result<u64, StoreError> {
    // From here until commit no exchange of this app runs: one that started earlier has
    // committed (so the update below sees its secret_id), one that starts later will find its
    // secret gone.
    lock_app(conn, app).await?;
    let feed = lock_feed(conn).await?;
    let retired: Option<(String,)> = conn
        .fetch_optional(
            "DELETE FROM client_secrets WHERE app_id = $1 AND slot = $2 RETURNING id",
            &[text(app), slot.as_str().into()],
        )
        .await
        .db()?;
    let mut count = 0;
    if let Some((retired,)) = retired {
        // An authorization gets its secret_id when its code is exchanged (or, for client
        // credentials, when it is made): what the retired version minted goes with it, and what
        // the other slot's version minted stays.
        let revoked: Vec<(String,)> = conn
            .fetch_all(REVOKE_MINTED_BY, &[at.into(), text(app), retired.into()])
            .await
            .db()?;
        count = announce_revocations(conn, &feed, firsts(revoked), at).await?;
    }
    insert_secret(conn, app, slot, &secret).await?;
    let subject = app.to_string();
    append_change(conn, &feed, ChangeKind::ClientChanged, &subject, at).await?;
    Ok(count)
}

/// Changes an app's registration details and announces it, inside the caller's transaction.
pub async fn update_app<C: Conn>(conn: &mut C, app: &App, at: UnixTime) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE apps SET name = $1, company_name = $2, description = $3,
             website = $4, company_website = $5, terms_url = $6, privacy_url = $7,
             logo_url = $8, callback_url = $9, may_introspect = $10
         WHERE id = $11";
    lock_app(conn, app.id).await?;
    let feed = lock_feed(conn).await?;
    let args = [
        (&app.name).into(),
        (&app.company_name).into(),
        (&app.description).into(),
        (&app.website).into(),
        (&app.company_website).into(),
        (&app.terms_url).into(),
        (&app.privacy_url).into(),
        (&app.logo_url).into(),
        (&app.callback_url).into(),
        app.may_introspect.into(),
        text(app.id),
    ];
    if conn.execute(SQL, &args).await.db()? == 0 {
        return Err(StoreError::NotFound("app"));
    }
    let subject = app.id.to_string();
    append_change(conn, &feed, ChangeKind::ClientChanged, &subject, at).await
}

/// Deletes an app, revoking every authorization it had, inside the caller's transaction.
pub async fn delete_app<C: Conn>(conn: &mut C, app: AppId, at: UnixTime) -> Result<(), StoreError> {
    lock_app(conn, app).await?;
    let feed = lock_feed(conn).await?;
    let revoked: Vec<(String,)> = conn
        .fetch_all(
            "UPDATE authorizations SET revoked_at = $1 WHERE app_id = $2 AND revoked_at IS NULL
             RETURNING id",
            &[at.into(), text(app)],
        )
        .await
        .db()?;
    announce_revocations(conn, &feed, firsts(revoked), at).await?;
    let subject = app.to_string();
    append_change(conn, &feed, ChangeKind::ClientChanged, &subject, at).await?;
    // Secrets, authorizations, codes and refresh tokens go with it (ON DELETE CASCADE); the
    // changes just appended stay, since the feed has no foreign keys.
    conn.execute("DELETE FROM apps WHERE id = $1", &[text(app)])
        .await
        .db()?;
    Ok(())
}
