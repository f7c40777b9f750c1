//! Reading every table, each ordered by its key, in one read transaction (one snapshot).

use keygate_core::dump::*;
use keygate_core::StoreError;
use sqlx::sqlite::SqliteRow;
use sqlx::SqliteConnection;

use super::rows::*;
use crate::error::DbResultExt;
use crate::SqliteStore;

/// Every row of a table in the order of `sql`, converted.
async fn all<R, T>(conn: &mut SqliteConnection, sql: &'static str) -> Result<Vec<T>, StoreError>
where
    R: for<'r> sqlx::FromRow<'r, SqliteRow> + Send + Unpin,
    T: TryFrom<R, Error = StoreError>,
{
    let found: Vec<R> = sqlx::query_as(sql).fetch_all(conn).await.db()?;
    found.into_iter().map(T::try_from).collect()
}

pub(crate) async fn export_dump(store: &SqliteStore) -> Result<Dump, StoreError> {
    // In WAL mode a read transaction sees the database as of its first read, throughout.
    let mut tx = store.reader.begin().await.db()?;
    let users = all::<UserRow, _>(
        &mut tx,
        "SELECT id, email, display_name, public_alias, password_hash, created_at FROM users
         ORDER BY id",
    )
    .await?;
    let failures: Vec<(String, i64)> =
        sqlx::query_as("SELECT email, at FROM sign_in_failures ORDER BY email, at")
            .fetch_all(&mut *tx)
            .await
            .db()?;
    let orgs = all::<OrgRow, _>(
        &mut tx,
        "SELECT id, name, owner_id, third_party_oauth_allowed, created_at FROM orgs ORDER BY id",
    )
    .await?;
    let members: Vec<(String, String)> =
        sqlx::query_as("SELECT org_id, user_id FROM org_members ORDER BY org_id, user_id")
            .fetch_all(&mut *tx)
            .await
            .db()?;
    let projects = all::<ProjectRow, _>(
        &mut tx,
        "SELECT id, org_id, name, description, created_at FROM projects ORDER BY id",
    )
    .await?;
    let repositories = all::<RepositoryRow, _>(
        &mut tx,
        "SELECT id, project_id, name, default_branch FROM repositories ORDER BY id",
    )
    .await?;
    let sessions = all::<SessionRow, _>(
        &mut tx,
        "SELECT hash, user_id, created_at, expires_at FROM sessions ORDER BY hash",
    )
    .await?;
    let settings: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT name, value FROM settings ORDER BY name")
            .fetch_all(&mut *tx)
            .await
            .db()?;
    let keys: Vec<SigningKeyRow> = sqlx::query_as(
        "SELECT kid, algorithm, private_der, state, created_at, retired_at FROM signing_keys
         ORDER BY kid",
    )
    .fetch_all(&mut *tx)
    .await
    .db()?;
    let apps = all::<AppRow, _>(
        &mut tx,
        "SELECT id, owner_id, name, company_name, description, website, company_website,
                terms_url, privacy_url, logo_url, callback_url, scopes, kind, created_at
         FROM apps ORDER BY id",
    )
    .await?;
    let client_secrets = all::<SecretRow, _>(
        &mut tx,
        "SELECT id, app_id, hash, created_at, expires_at, slot FROM client_secrets ORDER BY id",
    )
    .await?;
    let authorizations = all::<AuthorizationRow, _>(
        &mut tx,
        "SELECT id, user_id, app_id, scopes, created_at, revoked_at, secret_id,
                client_credentials
         FROM authorizations ORDER BY id",
    )
    .await?;
    let codes = all::<CodeRow, _>(
        &mut tx,
        "SELECT hash, authorization_id, redirect_uri, code_challenge, expires_at, used_at
         FROM codes ORDER BY hash",
    )
    .await?;
    let refresh_tokens = all::<RefreshRow, _>(
        &mut tx,
        "SELECT hash, access_id, authorization_id, parent_hash, secret_id, created_at,
                expires_at, used_at
         FROM refresh_tokens ORDER BY hash",
    )
    .await?;
    let changes: Vec<(i64, String, String, i64)> =
        sqlx::query_as("SELECT seq, kind, subject, at FROM changes ORDER BY seq")
            .fetch_all(&mut *tx)
            .await
            .db()?;
    let builds = all::<BuildRow, _>(
        &mut tx,
        "SELECT id, project_id, build_number, definition_name, status, result, source_branch,
                requested_for, queue_time
         FROM builds ORDER BY id",
    )
    .await?;
    let work_items = all::<WorkItemRow, _>(
        &mut tx,
        "SELECT id, project_id, rev, work_item_type, fields_json, created_by, created_at
         FROM work_items ORDER BY id",
    )
    .await?;
    let audit_events: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, at, kind, actor, target, app_id, org_id, client_addr, detail
         FROM audit_events ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await
    .db()?;
    let admin_tokens = all::<AdminTokenRow, _>(
        &mut tx,
        "SELECT id, name, hash, created_at, revoked_at FROM admin_tokens ORDER BY id",
    )
    .await?;
    tx.commit().await.db()?;

    Ok(Dump {
        users,
        sign_in_failures: failures
            .into_iter()
            .map(|(email, at)| SignInFailure { email, at })
            .collect(),
        orgs,
        org_members: members.into_iter().map(member).collect::<Result<_, _>>()?,
        projects,
        repositories,
        sessions,
        settings: settings
            .into_iter()
            .map(|(name, value)| DumpedSetting { name, value })
            .collect(),
        signing_keys: keys.into_iter().map(Into::into).collect(),
        apps,
        client_secrets,
        authorizations,
        codes,
        refresh_tokens,
        changes: changes
            .into_iter()
            .map(|(seq, kind, subject, at)| DumpedChange {
                seq,
                kind,
                subject,
                at,
            })
            .collect(),
        builds,
        work_items,
        audit_events: audit_events.into_iter().map(Into::into).collect(),
        admin_tokens,
    })
}
