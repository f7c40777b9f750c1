//! `impl Store for PgStore`: each method hands over to the module that owns its tables.

use async_trait::async_trait;
use keygate_core::clock::UnixTime;
use keygate_core::dump::Dump;
use keygate_core::ids::{AppId, AuthorizationId, OrgId, ProjectId, SecretId, UserId};
use keygate_core::model::*;
use keygate_core::secrets::TokenHash;
use keygate_core::store::{ConsumeOutcome, PoolStats};
use keygate_core::{Store, StoreError};

use crate::error::DbResultExt;
use crate::PgStore;
use crate::{
    accounts, apps, audit, changes, dump, grants, keys, orgs, projects, standard, user_grants, work,
};

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.db()?;
        Ok(())
    }

    async fn create_user(&self, user: NewUser) -> Result<User, StoreError> {
        accounts::create_user(self, user).await
    }

    async fn user_credentials(&self, email: &str) -> Result<Option<UserCredentials>, StoreError> {
        accounts::user_credentials(self, email).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        accounts::user_by_email(self, email).await
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        accounts::user_by_id(self, id).await
    }

    async fn record_sign_in_failure(&self, email: &str, at: UnixTime) -> Result<(), StoreError> {
        accounts::record_sign_in_failure(self, email, at).await
    }

    async fn sign_in_failures_since(
        &self,
        email: &str,
        since: UnixTime,
    ) -> Result<u32, StoreError> {
        accounts::sign_in_failures_since(self, email, since).await
    }

    async fn create_org(&self, org: Org) -> Result<Org, StoreError> {
        orgs::create_org(self, org).await
    }

    async fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError> {
        orgs::org_by_name(self, name).await
    }

    async fn add_org_member(&self, org: OrgId, user: UserId) -> Result<(), StoreError> {
        orgs::add_org_member(self, org, user).await
    }

    async fn is_org_member(&self, org: OrgId, user: UserId) -> Result<bool, StoreError> {
        orgs::is_org_member(self, org, user).await
    }

    async fn orgs_of_user(&self, user: UserId) -> Result<Vec<Org>, StoreError> {
        orgs::orgs_of_user(self, user).await
    }

    async fn set_org_oauth_policy(
        &self,
        org: OrgId,
        allowed: bool,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        orgs::set_org_oauth_policy(self, org, allowed, at).await
    }

    async fn orgs_denying_oauth(&self) -> Result<Vec<String>, StoreError> {
        orgs::orgs_denying_oauth(self).await
    }

    async fn create_project(&self, project: NewProject) -> Result<Project, StoreError> {
        projects::create_project(self, project).await
    }

    async fn projects_of_org(&self, org: OrgId) -> Result<Vec<Project>, StoreError> {
        projects::projects_of_org(self, org).await
    }

    async fn project_by_name(&self, org: OrgId, name: &str) -> Result<Option<Project>, StoreError> {
        projects::project_by_name(self, org, name).await
    }

    async fn repositories_of_project(
        &self,
        project: ProjectId,
    ) -> Result<Vec<Repository>, StoreError> {
        projects::repositories_of_project(self, project).await
    }

    async fn queue_build(&self, build: NewBuild) -> Result<Build, StoreError> {
        work::queue_build(self, build).await
    }

    async fn builds_of_project(&self, project: ProjectId) -> Result<Vec<Build>, StoreError> {
        work::builds_of_project(self, project).await
    }

    async fn create_work_item(&self, item: NewWorkItem) -> Result<WorkItem, StoreError> {
        work::create_work_item(self, item).await
    }

    async fn work_item(&self, project: ProjectId, id: i64) -> Result<Option<WorkItem>, StoreError> {
        work::work_item(self, project, id).await
    }

    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        accounts::create_session(self, session).await
    }

    async fn session_user(
        &self,
        hash: TokenHash,
        now: UnixTime,
    ) -> Result<Option<User>, StoreError> {
        accounts::session_user(self, hash, now).await
    }

    async fn delete_session(&self, hash: TokenHash) -> Result<(), StoreError> {
        accounts::delete_session(self, hash).await
    }

    async fn setting_or_insert(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
        keys::setting_or_insert(self, name, candidate).await
    }

    async fn ensure_signing_key(
        &self,
        candidate: SigningKeyRecord,
    ) -> Result<Vec<SigningKeyRecord>, StoreError> {
        keys::ensure_signing_key(self, candidate).await
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        keys::signing_keys(self).await
    }

    async fn create_app(&self, app: NewApp, secret: NewClientSecret) -> Result<App, StoreError> {
        apps::create_app(self, app, secret).await
    }

    async fn app_by_id(&self, id: AppId) -> Result<Option<App>, StoreError> {
        apps::app_by_id(self, id).await
    }

    async fn list_apps(&self, owner: Option<UserId>) -> Result<Vec<App>, StoreError> {
        apps::list_apps(self, owner).await
    }

    async fn replace_client_secret(
        &self,
        app: AppId,
        slot: SecretSlot,
        secret: NewClientSecret,
        at: UnixTime,
    ) -> Result<u64, StoreError> {
        apps::replace_client_secret(self, app, slot, secret, at).await
    }

    async fn client_secrets_of_app(&self, app: AppId) -> Result<Vec<SlottedSecret>, StoreError> {
        apps::client_secrets_of_app(self, app).await
    }

    async fn update_app(&self, app: App, at: UnixTime) -> Result<App, StoreError> {
        apps::update_app(self, app, at).await
    }

    async fn delete_app(&self, app: AppId, at: UnixTime) -> Result<(), StoreError> {
        apps::delete_app(self, app, at).await
    }

    async fn client_secret_by_hash(
        &self,
        hash: TokenHash,
    ) -> Result<Option<ClientSecret>, StoreError> {
        apps::client_secret_by_hash(self, hash).await
    }

    async fn create_authorization(
        &self,
        authorization: NewAuthorization,
        code: NewCode,
    ) -> Result<(), StoreError> {
        grants::create_authorization(self, authorization, code).await
    }

    async fn code_by_hash(&self, hash: TokenHash) -> Result<Option<CodeRecord>, StoreError> {
        grants::code_by_hash(self, hash).await
    }

    async fn redeem_code(
        &self,
        code: TokenHash,
        refresh: NewRefreshToken,
        now: UnixTime,
    ) -> Result<ConsumeOutcome, StoreError> {
        grants::redeem_code(self, code, refresh, now).await
    }

    async fn refresh_by_hash(&self, hash: TokenHash) -> Result<Option<RefreshRecord>, StoreError> {
        grants::refresh_by_hash(self, hash).await
    }

    async fn rotate_refresh(
        &self,
        old: TokenHash,
        successor: NewRefreshToken,
        now: UnixTime,
    ) -> Result<ConsumeOutcome, StoreError> {
        grants::rotate_refresh(self, old, successor, now).await
    }

    async fn revoke_authorization(
        &self,
        id: AuthorizationId,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        user_grants::revoke_authorization(self, id, at).await
    }

    async fn revoke_user_authorizations(
        &self,
        user: UserId,
        app: Option<AppId>,
        at: UnixTime,
    ) -> Result<u64, StoreError> {
        user_grants::revoke_user_authorizations(self, user, app, at).await
    }

    async fn authorizations_of_user(
        &self,
        user: UserId,
        now: UnixTime,
    ) -> Result<Vec<AuthorizationSummary>, StoreError> {
        user_grants::authorizations_of_user(self, user, now).await
    }

    async fn change_head(&self) -> Result<i64, StoreError> {
        changes::change_head(self).await
    }

    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<Change>, StoreError> {
        changes::changes_since(self, seq, limit).await
    }

    async fn authorizations_revoked_since(
        &self,
        since: UnixTime,
    ) -> Result<Vec<(AuthorizationId, UnixTime)>, StoreError> {
        changes::authorizations_revoked_since(self, since).await
    }

    async fn authorization_by_id(
        &self,
        id: AuthorizationId,
    ) -> Result<Option<Authorization>, StoreError> {
        standard::authorization_by_id(self, id).await
    }

    async fn client_credentials_authorization(
        &self,
        app: AppId,
        secret: SecretId,
        at: UnixTime,
    ) -> Result<AuthorizationId, StoreError> {
        standard::client_credentials_authorization(self, app, secret, at).await
    }

    async fn add_next_signing_key(&self, key: SigningKeyRecord) -> Result<(), StoreError> {
        keys::add_next_signing_key(self, key).await
    }

    async fn promote_next_signing_key(&self, at: UnixTime) -> Result<bool, StoreError> {
        keys::promote_next_signing_key(self, at).await
    }

    async fn delete_retired_signing_keys(
        &self,
        cutoff: UnixTime,
        at: UnixTime,
    ) -> Result<u64, StoreError> {
        keys::delete_retired_signing_keys(self, cutoff, at).await
    }

    async fn record_audit_event(&self, event: NewAuditEvent) -> Result<(), StoreError> {
        audit::record_audit_event(self, event).await
    }

    async fn audit_events(&self, query: AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        audit::audit_events(self, query).await
    }

    async fn create_admin_token(&self, token: NewAdminToken) -> Result<(), StoreError> {
        audit::create_admin_token(self, token).await
    }

    async fn admin_token_by_hash(&self, hash: TokenHash) -> Result<Option<AdminToken>, StoreError> {
        audit::admin_token_by_hash(self, hash).await
    }

    async fn admin_tokens(&self) -> Result<Vec<AdminToken>, StoreError> {
        audit::admin_tokens(self).await
    }

    async fn revoke_admin_token(&self, id: &str, at: UnixTime) -> Result<bool, StoreError> {
        audit::revoke_admin_token(self, id, at).await
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        Some(PoolStats {
            connections: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max_connections: self.pool.options().get_max_connections(),
        })
    }

    fn change_notifications(&self) -> Option<tokio::sync::broadcast::Receiver<()>> {
        Some(self.notifier.subscribe())
    }

    async fn export_dump(&self) -> Result<Dump, StoreError> {
        dump::export_dump(self).await
    }

    async fn import_dump(&self, dump: Dump) -> Result<(), StoreError> {
        dump::import_dump(self, dump).await
    }
}
