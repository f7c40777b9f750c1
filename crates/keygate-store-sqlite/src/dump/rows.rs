//! Every table's row as stored, and its conversion into the dump's records.

use keygate_core::dump::*;
use keygate_core::model::{
    AdminToken, App, Build, ClientKind, ClientSecret, Org, Project, Repository, SecretSlot,
    SigningKeyRecord, User, WorkItem,
};
use keygate_core::scopes::ScopeSet;
use keygate_core::StoreError;

use super::hash;
use crate::rows::id;

/// Parses an optional stored id.
fn opt_id<T: std::str::FromStr>(v: Option<String>, column: &str) -> Result<Option<T>, StoreError> {
    v.map(|s| id(&s, column)).transpose()
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: String,
    email: String,
    display_name: String,
    public_alias: String,
    password_hash: String,
    created_at: i64,
}

impl TryFrom<UserRow> for DumpedUser {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(DumpedUser {
            user: User {
                id: id(&r.id, "users.id")?,
                email: r.email,
                display_name: r.display_name,
                public_alias: r.public_alias,
                created_at: r.created_at,
            },
            password_hash: r.password_hash,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct OrgRow {
    id: String,
    name: String,
    owner_id: String,
    third_party_oauth_allowed: bool,
    created_at: i64,
}

impl TryFrom<OrgRow> for Org {
    type Error = StoreError;

    fn try_from(r: OrgRow) -> Result<Self, StoreError> {
        Ok(Org {
            id: id(&r.id, "orgs.id")?,
            name: r.name,
            owner_id: id(&r.owner_id, "orgs.owner_id")?,
            third_party_oauth_allowed: r.third_party_oauth_allowed,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ProjectRow {
    id: String,
    org_id: String,
    name: String,
    description: String,
    created_at: i64,
}

impl TryFrom<ProjectRow> for Project {
    type Error = StoreError;

    fn try_from(r: ProjectRow) -> Result<Self, StoreError> {
        Ok(Project {
            id: id(&r.id, "projects.id")?,
            org_id: id(&r.org_id, "projects.org_id")?,
            name: r.name,
            description: r.description,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RepositoryRow {
    id: String,
    project_id: String,
    name: String,
    default_branch: String,
}

impl TryFrom<RepositoryRow> for Repository {
    type Error = StoreError;

    fn try_from(r: RepositoryRow) -> Result<Self, StoreError> {
        Ok(Repository {
            id: id(&r.id, "repositories.id")?,
            project_id: id(&r.project_id, "repositories.project_id")?,
            name: r.name,
            default_branch: r.default_branch,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SessionRow {
    hash: Vec<u8>,
    user_id: String,
    created_at: i64,
    expires_at: i64,
}

impl TryFrom<SessionRow> for DumpedSession {
    type Error = StoreError;

    fn try_from(r: SessionRow) -> Result<Self, StoreError> {
        Ok(DumpedSession {
            hash: hash(&r.hash, "sessions.hash")?,
            user_id: id(&r.user_id, "sessions.user_id")?,
            created_at: r.created_at,
            expires_at: r.expires_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SigningKeyRow {
    kid: String,
    algorithm: String,
    private_der: Vec<u8>,
    state: String,
    created_at: i64,
    retired_at: Option<i64>,
}

impl From<SigningKeyRow> for SigningKeyRecord {
    fn from(r: SigningKeyRow) -> Self {
        SigningKeyRecord {
            kid: r.kid,
            algorithm: r.algorithm,
            private_der: r.private_der,
            state: r.state,
            created_at: r.created_at,
            retired_at: r.retired_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AppRow {
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
            id: id(&r.id, "apps.id")?,
            owner_id: id(&r.owner_id, "apps.owner_id")?,
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

#[derive(sqlx::FromRow)]
pub(super) struct SecretRow {
    id: String,
    app_id: String,
    hash: Vec<u8>,
    created_at: i64,
    expires_at: i64,
    slot: String,
}

impl TryFrom<SecretRow> for DumpedSecret {
    type Error = StoreError;

    fn try_from(r: SecretRow) -> Result<Self, StoreError> {
        Ok(DumpedSecret {
            secret: ClientSecret {
                id: id(&r.id, "client_secrets.id")?,
                app_id: id(&r.app_id, "client_secrets.app_id")?,
                created_at: r.created_at,
                expires_at: r.expires_at,
            },
            slot: SecretSlot::parse(&r.slot)
                .ok_or_else(|| StoreError::Corrupt(format!("client_secrets.slot is {}", r.slot)))?,
            hash: hash(&r.hash, "client_secrets.hash")?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuthorizationRow {
    id: String,
    user_id: String,
    app_id: String,
    scopes: String,
    created_at: i64,
    revoked_at: Option<i64>,
    secret_id: Option<String>,
    client_credentials: bool,
}

impl TryFrom<AuthorizationRow> for DumpedAuthorization {
    type Error = StoreError;

    fn try_from(r: AuthorizationRow) -> Result<Self, StoreError> {
        Ok(DumpedAuthorization {
            id: id(&r.id, "authorizations.id")?,
            user_id: id(&r.user_id, "authorizations.user_id")?,
            app_id: id(&r.app_id, "authorizations.app_id")?,
            scopes: ScopeSet::from_stored(&r.scopes),
            created_at: r.created_at,
            revoked_at: r.revoked_at,
            secret_id: opt_id(r.secret_id, "authorizations.secret_id")?,
            client_credentials: r.client_credentials,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct CodeRow {
    hash: Vec<u8>,
    authorization_id: String,
    redirect_uri: String,
    code_challenge: Option<String>,
    expires_at: i64,
    used_at: Option<i64>,
}

impl TryFrom<CodeRow> for DumpedCode {
    type Error = StoreError;

    fn try_from(r: CodeRow) -> Result<Self, StoreError> {
        Ok(DumpedCode {
            hash: hash(&r.hash, "codes.hash")?,
            authorization_id: id(&r.authorization_id, "codes.authorization_id")?,
            redirect_uri: r.redirect_uri,
            code_challenge: r.code_challenge,
            expires_at: r.expires_at,
            used_at: r.used_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RefreshRow {
    hash: Vec<u8>,
    access_id: String,
    authorization_id: String,
    parent_hash: Option<Vec<u8>>,
    secret_id: Option<String>,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

impl TryFrom<RefreshRow> for DumpedRefreshToken {
    type Error = StoreError;

    fn try_from(r: RefreshRow) -> Result<Self, StoreError> {
        Ok(DumpedRefreshToken {
            hash: hash(&r.hash, "refresh_tokens.hash")?,
            access_id: id(&r.access_id, "refresh_tokens.access_id")?,
            authorization_id: id(&r.authorization_id, "refresh_tokens.authorization_id")?,
            parent_hash: r
                .parent_hash
                .map(|p| hash(&p, "refresh_tokens.parent_hash"))
                .transpose()?,
            secret_id: opt_id(r.secret_id, "refresh_tokens.secret_id")?,
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct BuildRow {
    id: i64,
    project_id: String,
    build_number: String,
    definition_name: String,
    status: String,
    result: String,
    source_branch: String,
    requested_for: String,
    queue_time: i64,
}

impl TryFrom<BuildRow> for Build {
    type Error = StoreError;

    fn try_from(r: BuildRow) -> Result<Self, StoreError> {
        Ok(Build {
            id: r.id,
            project_id: id(&r.project_id, "builds.project_id")?,
            build_number: r.build_number,
            definition_name: r.definition_name,
            status: r.status,
            result: r.result,
            source_branch: r.source_branch,
            requested_for: id(&r.requested_for, "builds.requested_for")?,
            queue_time: r.queue_time,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct WorkItemRow {
    id: i64,
    project_id: String,
    rev: i64,
    work_item_type: String,
    fields_json: String,
    created_by: String,
    created_at: i64,
}

impl TryFrom<WorkItemRow> for WorkItem {
    type Error = StoreError;

    fn try_from(r: WorkItemRow) -> Result<Self, StoreError> {
        Ok(WorkItem {
            id: r.id,
            project_id: id(&r.project_id, "work_items.project_id")?,
            rev: r.rev,
            work_item_type: r.work_item_type,
            fields_json: r.fields_json,
            created_by: id(&r.created_by, "work_items.created_by")?,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
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

impl From<AuditRow> for DumpedAuditEvent {
    fn from(r: AuditRow) -> Self {
        DumpedAuditEvent {
            id: r.id,
            at: r.at,
            kind: r.kind,
            actor: r.actor,
            target: r.target,
            app_id: r.app_id,
            org_id: r.org_id,
            client_addr: r.client_addr,
            detail: r.detail,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AdminTokenRow {
    id: String,
    name: String,
    hash: Vec<u8>,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<AdminTokenRow> for DumpedAdminToken {
    type Error = StoreError;

    fn try_from(r: AdminTokenRow) -> Result<Self, StoreError> {
        Ok(DumpedAdminToken {
            hash: hash(&r.hash, "admin_tokens.hash")?,
            token: AdminToken {
                id: r.id,
                name: r.name,
                created_at: r.created_at,
                revoked_at: r.revoked_at,
            },
        })
    }
}

/// A pair of stored ids: an organization and a member.
pub(super) fn member((org, user): (String, String)) -> Result<OrgMember, StoreError> {
    Ok(OrgMember {
        org_id: id(&org, "org_members.org_id")?,
        user_id: id(&user, "org_members.user_id")?,
    })
}
