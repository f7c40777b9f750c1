//! Reading every table, each ordered by its key, in one consistent snapshot.

use keygate_core::dump::*;
use keygate_core::model::{
    AdminToken, App, Build, ClientSecret, Org, Project, Repository, SecretSlot, SigningKeyRecord,
    User, WorkItem,
};
use keygate_core::scopes::ScopeSet;
use keygate_core::StoreError;
use sqlx::PgConnection;

use super::hash;
use crate::accounts::UserRow;
use crate::apps::{AppRow, SecretRow};
use crate::error::DbResultExt;
use crate::keys::SigningKeyRow;
use crate::orgs::OrgRow;
use crate::projects::{ProjectRow, RepositoryRow};
use crate::rows;
use crate::work::{BuildRow, WorkItemRow};
use crate::PgStore;

#[derive(sqlx::FromRow)]
struct DumpedUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    hash: Vec<u8>,
    user_id: String,
    created_at: i64,
    expires_at: i64,
}

#[derive(sqlx::FromRow)]
struct SecretWithHashRow {
    #[sqlx(flatten)]
    secret: SecretRow,
    hash: Vec<u8>,
    slot: String,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    kind: String,
    actor: String,
    target: String,
    app_id: Option<String>,
    org_id: Option<String>,
    client_addr: Option<String>,
    detail: String,
}

#[derive(sqlx::FromRow)]
struct AdminTokenRow {
    id: String,
    name: String,
    hash: Vec<u8>,
    created_at: i64,
    revoked_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct AuthorizationRow {
    id: String,
    user_id: String,
    app_id: String,
    scopes: String,
    created_at: i64,
    revoked_at: Option<i64>,
    secret_id: Option<String>,
    client_credentials: bool,
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    hash: Vec<u8>,
    authorization_id: String,
    redirect_uri: String,
    code_challenge: Option<String>,
    expires_at: i64,
    used_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    hash: Vec<u8>,
    access_id: String,
    authorization_id: String,
    parent_hash: Option<Vec<u8>>,
    secret_id: Option<String>,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

/// Every row of a table, in the order of the query.
async fn all<R>(conn: &mut PgConnection, sql: &'static str) -> Result<Vec<R>, StoreError>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as(sql).fetch_all(conn).await.db()
}

/// Parses an optional stored id.
fn opt_id<T: std::str::FromStr>(v: Option<String>, column: &str) -> Result<Option<T>, StoreError> {
    v.map(|s| rows::id(&s, column)).transpose()
}

pub(crate) async fn export_dump(store: &PgStore) -> Result<Dump, StoreError> {
    let mut tx = store
        .pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .db()?;
    let users: Vec<DumpedUserRow> = all(
        &mut tx,
        "SELECT u.id, u.email, u.display_name, u.public_alias, u.created_at, u.password_hash
         FROM users u ORDER BY u.id",
    )
    .await?;
    let failures: Vec<(String, i64)> = all(
        &mut tx,
        "SELECT email, at FROM sign_in_failures ORDER BY email, at",
    )
    .await?;
    let orgs: Vec<OrgRow> = all(
        &mut tx,
        "SELECT id, name, owner_id, third_party_oauth_allowed, created_at FROM orgs ORDER BY id",
    )
    .await?;
    let members: Vec<(String, String)> = all(
        &mut tx,
        "SELECT org_id, user_id FROM org_members ORDER BY org_id, user_id",
    )
    .await?;
    let projects: Vec<ProjectRow> = all(
        &mut tx,
        "SELECT id, org_id, name, description, created_at FROM projects ORDER BY id",
    )
    .await?;
    let repositories: Vec<RepositoryRow> = all(
        &mut tx,
        "SELECT id, project_id, name, default_branch FROM repositories ORDER BY id",
    )
    .await?;
    let sessions: Vec<SessionRow> = all(
        &mut tx,
        "SELECT hash, user_id, created_at, expires_at FROM sessions ORDER BY hash",
    )
    .await?;
    let settings: Vec<(String, Vec<u8>)> =
        all(&mut tx, "SELECT name, value FROM settings ORDER BY name").await?;
    let keys: Vec<SigningKeyRow> = all(
        &mut tx,
        "SELECT kid, algorithm, private_der, state, created_at, retired_at FROM signing_keys
         ORDER BY kid",
    )
    .await?;
    let apps: Vec<AppRow> = all(
        &mut tx,
        "SELECT id, owner_id, name, company_name, description, website, company_website,
                terms_url, privacy_url, logo_url, callback_url, scopes, kind, created_at
         FROM apps ORDER BY id",
    )
    .await?;
    let secrets: Vec<SecretWithHashRow> = all(
        &mut tx,
        "SELECT id, app_id, created_at, expires_at, hash, slot FROM client_secrets ORDER BY id",
    )
    .await?;
    let authorizations: Vec<AuthorizationRow> = all(
        &mut tx,
        "SELECT id, user_id, app_id, scopes, created_at, revoked_at, secret_id,
                client_credentials
         FROM authorizations ORDER BY id",
    )
    .await?;
    let codes: Vec<CodeRow> = all(
        &mut tx,
        "SELECT hash, authorization_id, redirect_uri, code_challenge, expires_at, used_at
         FROM codes ORDER BY hash",
    )
    .await?;
    let refresh: Vec<RefreshRow> = all(
        &mut tx,
        "SELECT hash, access_id, authorization_id, parent_hash, secret_id, created_at,
                expires_at, used_at
         FROM refresh_tokens ORDER BY hash",
    )
    .await?;
    let changes: Vec<(i64, String, String, i64)> = all(
        &mut tx,
        "SELECT seq, kind, subject, at FROM changes ORDER BY seq",
    )
    .await?;
    let builds: Vec<BuildRow> = all(
        &mut tx,
        "SELECT id, project_id, build_number, definition_name, status, result, source_branch,
                requested_for, queue_time
         FROM builds ORDER BY id",
    )
    .await?;
    let work_items: Vec<WorkItemRow> = all(
        &mut tx,
        "SELECT id, project_id, rev, work_item_type, fields_json, created_by, created_at
         FROM work_items ORDER BY id",
    )
    .await?;
    let audit_events: Vec<AuditRow> = all(
        &mut tx,
        "SELECT id, at, kind, actor, target, app_id, org_id, client_addr, detail
         FROM audit_events ORDER BY id",
    )
    .await?;
    let admin_tokens: Vec<AdminTokenRow> = all(
        &mut tx,
        "SELECT id, name, hash, created_at, revoked_at FROM admin_tokens ORDER BY id",
    )
    .await?;
    tx.commit().await.db()?;

    Ok(Dump {
        users: users
            .into_iter()
            .map(|r| {
                Ok(DumpedUser {
                    user: User::try_from(r.user)?,
                    password_hash: r.password_hash,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        sign_in_failures: failures
            .into_iter()
            .map(|(email, at)| SignInFailure { email, at })
            .collect(),
        orgs: rows::all::<_, Org>(orgs)?,
        org_members: members
            .into_iter()
            .map(|(org, user)| {
                Ok(OrgMember {
                    org_id: rows::id(&org, "org_members.org_id")?,
                    user_id: rows::id(&user, "org_members.user_id")?,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        projects: rows::all::<_, Project>(projects)?,
        repositories: rows::all::<_, Repository>(repositories)?,
        sessions: sessions
            .into_iter()
            .map(|r| {
                Ok(DumpedSession {
                    hash: hash(&r.hash, "sessions.hash")?,
                    user_id: rows::id(&r.user_id, "sessions.user_id")?,
                    created_at: r.created_at,
                    expires_at: r.expires_at,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        settings: settings
            .into_iter()
            .map(|(name, value)| DumpedSetting { name, value })
            .collect(),
        signing_keys: keys.into_iter().map(SigningKeyRecord::from).collect(),
        apps: rows::all::<_, App>(apps)?,
        client_secrets: secrets
            .into_iter()
            .map(|r| {
                Ok(DumpedSecret {
                    secret: ClientSecret::try_from(r.secret)?,
                    slot: SecretSlot::parse(&r.slot).ok_or_else(|| {
                        StoreError::Corrupt(format!("client_secrets.slot is {}", r.slot))
                    })?,
                    hash: hash(&r.hash, "client_secrets.hash")?,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        authorizations: authorizations
            .into_iter()
            .map(|r| {
                Ok(DumpedAuthorization {
                    id: rows::id(&r.id, "authorizations.id")?,
                    user_id: rows::id(&r.user_id, "authorizations.user_id")?,
                    app_id: rows::id(&r.app_id, "authorizations.app_id")?,
                    scopes: ScopeSet::from_stored(&r.scopes),
                    created_at: r.created_at,
                    revoked_at: r.revoked_at,
                    secret_id: opt_id(r.secret_id, "authorizations.secret_id")?,
                    client_credentials: r.client_credentials,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        codes: codes
            .into_iter()
            .map(|r| {
                Ok(DumpedCode {
                    hash: hash(&r.hash, "codes.hash")?,
                    authorization_id: rows::id(&r.authorization_id, "codes.authorization_id")?,
                    redirect_uri: r.redirect_uri,
                    code_challenge: r.code_challenge,
                    expires_at: r.expires_at,
                    used_at: r.used_at,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        refresh_tokens: refresh
            .into_iter()
            .map(|r| {
                Ok(DumpedRefreshToken {
                    hash: hash(&r.hash, "refresh_tokens.hash")?,
                    access_id: rows::id(&r.access_id, "refresh_tokens.access_id")?,
                    authorization_id: rows::id(
                        &r.authorization_id,
                        "refresh_tokens.authorization_id",
                    )?,
                    parent_hash: r
                        .parent_hash
                        .map(|p| hash(&p, "refresh_tokens.parent_hash"))
                        .transpose()?,
                    secret_id: opt_id(r.secret_id, "refresh_tokens.secret_id")?,
                    created_at: r.created_at,
                    expires_at: r.expires_at,
                    used_at: r.used_at,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        changes: changes
            .into_iter()
            .map(|(seq, kind, subject, at)| DumpedChange {
                seq,
                kind,
                subject,
                at,
            })
            .collect(),
        builds: rows::all::<_, Build>(builds)?,
        work_items: rows::all::<_, WorkItem>(work_items)?,
        audit_events: audit_events
            .into_iter()
            .map(|r| DumpedAuditEvent {
                id: r.id,
                at: r.at,
                kind: r.kind,
                actor: r.actor,
                target: r.target,
                app_id: r.app_id,
                org_id: r.org_id,
                client_addr: r.client_addr,
                detail: r.detail,
            })
            .collect(),
        admin_tokens: admin_tokens
            .into_iter()
            .map(|r| {
                Ok(DumpedAdminToken {
                    hash: hash(&r.hash, "admin_tokens.hash")?,
                    token: AdminToken {
                        id: r.id,
                        name: r.name,
                        created_at: r.created_at,
                        revoked_at: r.revoked_at,
                    },
                })
            })
            .collect::<Result<_, StoreError>>()?,
    })
}
