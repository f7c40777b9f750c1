//! The one `impl Store` of both SQL backends, on [`SqlStore`]. Each method says on what it
//! runs (a read connection, a write connection, a transaction, the grouped path) and whether it
//! grew the change feed; the statements live in `sql/`.

use async_trait::async_trait;
use keygate_core::clock::UnixTime;
use keygate_core::dump::Dump;
use keygate_core::ids::{
    AppId, AuthorizationId, CertificateId, HookSubscriptionId, OrgId, ProjectId, SecretId, UserId,
};
use keygate_core::model::*;
use keygate_core::secrets::TokenHash;
use keygate_core::store::{ConsumeOutcome, PoolStats};
use keygate_core::{Store, StoreError};
use tokio::sync::broadcast;

use crate::conn::Conn;
use crate::engine::Engine;
use crate::error::DbResultExt;
use crate::hot::{CodeByHash, HotWrite, RefreshByHash};
use crate::sql::*;
use crate::sql_store::SqlStore;

/// Runs `$write`, an expression over the connection `$c`, in a write transaction of `$store`
/// and commits it; evaluates to the write's result. (A macro rather than a method taking a
/// closure, so the write may borrow the caller's arguments.)
macro_rules! transaction {
    ($store:expr, |$c:ident| $write:expr) => {
        async {
            let mut tx = $store.engine.begin().await?;
            let $c = &mut *tx;
            let done = $write.await?;
            tx.commit().await.db()?;
            Ok::<_, StoreError>(done)
        }
        .await
    };
}
pub(crate) use transaction;

/// Whether a write appended to the feed whenever it succeeded.
pub(crate) fn always<T>(_: &T) -> bool {
    true
}

#[async_trait]
impl<E: Engine> Store for SqlStore<E> {
    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.engine.read().await?;
        conn.execute("SELECT 1", &[]).await.db()?;
        Ok(())
    }

    async fn create_user(&self, user: NewUser) -> Result<User, StoreError> {
        accounts::create_user(&mut *self.engine.write().await?, user).await
    }

    async fn user_credentials(&self, email: &str) -> Result<Option<UserCredentials>, StoreError> {
        accounts::user_credentials(&mut *self.engine.read().await?, email).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        accounts::user_by_email(&mut *self.engine.read().await?, email).await
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        accounts::user_by_id(&mut *self.engine.read().await?, id).await
    }

    async fn record_sign_in_failure(
        &self,
        email: &str,
        address: &str,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        self.record_sign_in_failure_audited(email, address, at, event)
            .await
    }

    async fn sign_in_failures_since(
        &self,
        email: &str,
        address: &str,
        since: UnixTime,
    ) -> Result<SignInFailures, StoreError> {
        let mut conn = self.engine.read().await?;
        accounts::sign_in_failures_since(&mut *conn, email, address, since).await
    }

    async fn create_org(&self, org: Org) -> Result<Org, StoreError> {
        transaction!(self, |c| orgs::create_org(c, org))
    }

    async fn org_by_id(&self, id: OrgId) -> Result<Option<Org>, StoreError> {
        orgs::org_by_id(&mut *self.engine.read().await?, id).await
    }

    async fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError> {
        orgs::org_by_name(&mut *self.engine.read().await?, name).await
    }

    async fn add_org_member(&self, org: OrgId, user: UserId) -> Result<(), StoreError> {
        orgs::add_org_member(&mut *self.engine.write().await?, org, user).await
    }

    async fn is_org_member(&self, org: OrgId, user: UserId) -> Result<bool, StoreError> {
        orgs::is_org_member(&mut *self.engine.read().await?, org, user).await
    }

    async fn add_org_app(&self, org: OrgId, app: AppId) -> Result<(), StoreError> {
        orgs::add_org_app(&mut *self.engine.write().await?, org, app).await
    }

    async fn is_org_app(&self, org: OrgId, app: AppId) -> Result<bool, StoreError> {
        orgs::is_org_app(&mut *self.engine.read().await?, org, app).await
    }

    async fn orgs_of_user(&self, user: UserId) -> Result<Vec<Org>, StoreError> {
        orgs::orgs_of_user(&mut *self.engine.read().await?, user).await
    }

    async fn set_org_oauth_policy(
        &self,
        org: OrgId,
        allowed: bool,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        self.set_org_oauth_policy_audited(org, allowed, at, event)
            .await
    }

    async fn orgs_denying_oauth(&self) -> Result<Vec<String>, StoreError> {
        orgs::orgs_denying_oauth(&mut *self.engine.read().await?).await
    }

    async fn create_project(&self, project: NewProject) -> Result<Project, StoreError> {
        transaction!(self, |c| projects::create_project(c, project))
    }

    async fn projects_of_org(&self, org: OrgId) -> Result<Vec<Project>, StoreError> {
        projects::projects_of_org(&mut *self.engine.read().await?, org).await
    }

    async fn project_by_name(&self, org: OrgId, name: &str) -> Result<Option<Project>, StoreError> {
        projects::project_by_name(&mut *self.engine.read().await?, org, name).await
    }

    async fn repositories_of_project(
        &self,
        project: ProjectId,
    ) -> Result<Vec<Repository>, StoreError> {
        projects::repositories_of_project(&mut *self.engine.read().await?, project).await
    }

    async fn queue_build(&self, build: NewBuild) -> Result<Build, StoreError> {
        work::queue_build(&mut *self.engine.write().await?, build).await
    }

    async fn builds_of_project(&self, project: ProjectId) -> Result<Vec<Build>, StoreError> {
        work::builds_of_project(&mut *self.engine.read().await?, project).await
    }

    async fn create_work_item(
        &self,
        item: NewWorkItem,
        event: &HookEventDraft,
    ) -> Result<WorkItem, StoreError> {
        transaction!(self, |c| work::create_work_item(c, item, event))
    }

    async fn work_item(&self, project: ProjectId, id: i64) -> Result<Option<WorkItem>, StoreError> {
        work::work_item(&mut *self.engine.read().await?, project, id).await
    }

    async fn update_work_item(
        &self,
        item: &WorkItem,
        expected_rev: i64,
        event: &HookEventDraft,
    ) -> Result<bool, StoreError> {
        transaction!(self, |c| work::update_work_item(
            c,
            item,
            expected_rev,
            event
        ))
    }

    async fn work_items_of_project(&self, project: ProjectId) -> Result<Vec<WorkItem>, StoreError> {
        work::work_items_of_project(&mut *self.engine.read().await?, project).await
    }

    async fn work_items_in_org(
        &self,
        org: OrgId,
        ids: &[i64],
    ) -> Result<Vec<WorkItem>, StoreError> {
        work::work_items_in_org(&mut *self.engine.read().await?, org, ids).await
    }

    async fn create_hook_subscription(
        &self,
        sub: &HookSubscription,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        transaction!(self, |c| async {
            hooks::create_subscription(&mut *c, sub).await?;
            audit::record_audit_event(c, event).await
        })
    }

    async fn hook_subscription(
        &self,
        org: OrgId,
        id: HookSubscriptionId,
    ) -> Result<Option<HookSubscription>, StoreError> {
        hooks::subscription(&mut *self.engine.read().await?, org, id).await
    }

    async fn hook_subscriptions_of_org(
        &self,
        org: OrgId,
    ) -> Result<Vec<HookSubscription>, StoreError> {
        hooks::subscriptions_of_org(&mut *self.engine.read().await?, org).await
    }

    async fn replace_hook_subscription(
        &self,
        sub: &HookSubscription,
        event: NewAuditEvent,
    ) -> Result<bool, StoreError> {
        transaction!(self, |c| async {
            let found = hooks::replace_subscription(&mut *c, sub).await?;
            if found {
                audit::record_audit_event(c, event).await?;
            }
            Ok::<_, StoreError>(found)
        })
    }

    async fn delete_hook_subscription(
        &self,
        org: OrgId,
        id: HookSubscriptionId,
        event: NewAuditEvent,
    ) -> Result<bool, StoreError> {
        transaction!(self, |c| async {
            let found = hooks::delete_subscription(&mut *c, org, id).await?;
            if found {
                audit::record_audit_event(c, event).await?;
            }
            Ok::<_, StoreError>(found)
        })
    }

    async fn claim_hook_deliveries(
        &self,
        owner: &str,
        now: UnixTime,
        lease_until: UnixTime,
        limit: i64,
    ) -> Result<Vec<HookDelivery>, StoreError> {
        hooks::claim(
            &mut *self.engine.write().await?,
            owner,
            now,
            lease_until,
            limit,
        )
        .await
    }

    async fn hook_delivered(&self, id: i64, owner: &str, at: UnixTime) -> Result<bool, StoreError> {
        transaction!(self, |c| hooks::delivered(c, id, owner, at))
    }

    async fn hook_failed(
        &self,
        id: i64,
        owner: &str,
        failure: &HookFailure,
    ) -> Result<bool, StoreError> {
        transaction!(self, |c| hooks::failed(c, id, owner, failure))
    }

    async fn purge_delivered_hooks(&self, before: UnixTime) -> Result<u64, StoreError> {
        hooks::purge_delivered(&mut *self.engine.write().await?, before).await
    }

    async fn hook_outbox_of(
        &self,
        sub: HookSubscriptionId,
    ) -> Result<Vec<HookOutboxRecord>, StoreError> {
        hooks::outbox_of(&mut *self.engine.read().await?, sub).await
    }

    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        if E::SINGLE_WRITER {
            // Every sign-in writes one: grouped with the token grants, it shares their fsync.
            if E::HOT_PATHS
                && self
                    .engine
                    .write_hot(HotWrite::Session(session.clone()))
                    .await?
            {
                return Ok(());
            }
            self.engine
                .grouped(move |c| Box::pin(accounts::create_session(c, session.clone())))
                .await
        } else {
            accounts::create_session(&mut *self.engine.write().await?, session).await
        }
    }

    async fn session_user(
        &self,
        hash: TokenHash,
        now: UnixTime,
    ) -> Result<Option<User>, StoreError> {
        accounts::session_user(&mut *self.engine.read().await?, hash, now).await
    }

    async fn session_started(
        &self,
        hash: TokenHash,
        now: UnixTime,
    ) -> Result<Option<UnixTime>, StoreError> {
        accounts::session_started(&mut *self.engine.read().await?, hash, now).await
    }

    async fn delete_session(&self, hash: TokenHash) -> Result<(), StoreError> {
        accounts::delete_session(&mut *self.engine.write().await?, hash).await
    }

    async fn setting_or_insert(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
        transaction!(self, |c| keys::setting_or_insert(c, name, candidate))
    }

    async fn ensure_signing_key(
        &self,
        candidate: SigningKeyRecord,
    ) -> Result<Vec<SigningKeyRecord>, StoreError> {
        transaction!(self, |c| keys::ensure_signing_key(c, candidate))
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        keys::signing_keys(&mut *self.engine.read().await?).await
    }

    async fn create_app(
        &self,
        app: NewApp,
        secret: NewClientSecret,
        event: NewAuditEvent,
    ) -> Result<App, StoreError> {
        self.create_app_audited(app, secret, event).await
    }

    async fn app_by_id(&self, id: AppId) -> Result<Option<App>, StoreError> {
        apps::app_by_id(&mut *self.engine.read().await?, id).await
    }

    async fn list_apps(&self, owner: Option<UserId>) -> Result<Vec<App>, StoreError> {
        apps::list_apps(&mut *self.engine.read().await?, owner).await
    }

    async fn replace_client_secret(
        &self,
        app: AppId,
        slot: SecretSlot,
        secret: NewClientSecret,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<u64, StoreError> {
        self.replace_client_secret_audited(app, slot, secret, at, event)
            .await
    }

    async fn client_secrets_of_app(&self, app: AppId) -> Result<Vec<SlottedSecret>, StoreError> {
        apps::client_secrets_of_app(&mut *self.engine.read().await?, app).await
    }

    async fn update_app(
        &self,
        app: App,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<App, StoreError> {
        self.update_app_audited(app, at, event).await
    }

    async fn delete_app(
        &self,
        app: AppId,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        self.delete_app_audited(app, at, event).await
    }

    async fn client_secret_by_hash(
        &self,
        hash: TokenHash,
    ) -> Result<Option<ClientSecret>, StoreError> {
        apps::client_secret_by_hash(&mut *self.engine.read().await?, hash).await
    }

    async fn create_authorization(
        &self,
        authorization: NewAuthorization,
        code: NewCode,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        self.create_authorization_audited(authorization, code, event)
            .await
    }

    async fn code_by_hash(&self, hash: TokenHash) -> Result<Option<CodeRecord>, StoreError> {
        if E::HOT_PATHS {
            if let Some(found) = self.engine.read_hot(CodeByHash(hash)).await? {
                return Ok(found);
            }
        }
        grants::code_by_hash(&mut *self.engine.read().await?, hash).await
    }

    async fn redeem_code(
        &self,
        code: TokenHash,
        refresh: NewRefreshToken,
        now: UnixTime,
        on_reuse: NewAuditEvent,
    ) -> Result<ConsumeOutcome, StoreError> {
        self.redeem_code_audited(code, refresh, now, on_reuse).await
    }

    async fn refresh_by_hash(&self, hash: TokenHash) -> Result<Option<RefreshRecord>, StoreError> {
        if E::HOT_PATHS {
            if let Some(found) = self.engine.read_hot(RefreshByHash(hash)).await? {
                return Ok(found);
            }
        }
        grants::refresh_by_hash(&mut *self.engine.read().await?, hash).await
    }

    async fn rotate_refresh(
        &self,
        old: TokenHash,
        successor: NewRefreshToken,
        now: UnixTime,
        on_reuse: NewAuditEvent,
    ) -> Result<ConsumeOutcome, StoreError> {
        self.rotate_refresh_audited(old, successor, now, on_reuse)
            .await
    }

    async fn revoke_authorization(
        &self,
        id: AuthorizationId,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        self.revoke_authorization_audited(id, at, event).await
    }

    async fn revoke_user_authorizations(
        &self,
        user: UserId,
        app: Option<AppId>,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<u64, StoreError> {
        self.revoke_user_authorizations_audited(user, app, at, event)
            .await
    }

    async fn authorizations_of_user(
        &self,
        user: UserId,
        now: UnixTime,
    ) -> Result<Vec<AuthorizationSummary>, StoreError> {
        user_grants::authorizations_of_user(&mut *self.engine.read().await?, user, now).await
    }

    async fn change_head(&self) -> Result<i64, StoreError> {
        changes::change_head(&mut *self.engine.read().await?).await
    }

    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<Change>, StoreError> {
        changes::changes_since(&mut *self.engine.read().await?, seq, limit).await
    }

    async fn authorizations_revoked_since(
        &self,
        since: UnixTime,
    ) -> Result<Vec<(AuthorizationId, UnixTime)>, StoreError> {
        changes::authorizations_revoked_since(&mut *self.engine.read().await?, since).await
    }

    fn change_notifications(&self) -> Option<broadcast::Receiver<()>> {
        self.engine.change_notifications()
    }

    fn local_feed_writes(&self) -> Option<u64> {
        Some(self.feed_writes())
    }

    async fn authorization_by_id(
        &self,
        id: AuthorizationId,
    ) -> Result<Option<Authorization>, StoreError> {
        standard::authorization_by_id(&mut *self.engine.read().await?, id).await
    }

    async fn client_credentials_authorization(
        &self,
        app: AppId,
        secret: SecretId,
        at: UnixTime,
    ) -> Result<AuthorizationId, StoreError> {
        if E::SINGLE_WRITER {
            // Nearly every request finds the live authorization, and finding it needs no write
            // lock: on the one writer every client-credentials request would queue behind every
            // other write. A secret replaced after this read revokes what it returns in the
            // replacement's transaction (and the feed tells every node), so its tokens are
            // refused.
            let mut conn = self.engine.read().await?;
            if let Some(id) = standard::live_client_credentials(&mut *conn, app, secret).await? {
                return Ok(id);
            }
        }
        transaction!(self, |c| standard::client_credentials_authorization(
            c, app, secret, at
        ))
    }

    async fn add_next_signing_key(&self, key: SigningKeyRecord) -> Result<(), StoreError> {
        let added = transaction!(self, |c| keys::add_next_signing_key(c, key));
        self.announce_if(added, always)
    }

    async fn promote_next_signing_key(&self, at: UnixTime) -> Result<bool, StoreError> {
        let promoted = transaction!(self, |c| keys::promote_next_signing_key(c, at));
        self.announce_if(promoted, |promoted| *promoted)
    }

    async fn reseal_signing_keys(&self, keys: Vec<ResealedKey>) -> Result<u64, StoreError> {
        transaction!(self, |c| keys::reseal_signing_keys(c, keys))
    }

    async fn delete_retired_signing_keys(
        &self,
        cutoff: UnixTime,
        at: UnixTime,
    ) -> Result<u64, StoreError> {
        let deleted = transaction!(self, |c| keys::delete_retired_signing_keys(c, cutoff, at));
        self.announce_if(deleted, always)
    }

    async fn record_audit_event(&self, event: NewAuditEvent) -> Result<(), StoreError> {
        audit::record_audit_event(&mut *self.engine.write().await?, event).await
    }

    async fn audit_events(&self, query: AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        audit::audit_events(&mut *self.engine.read().await?, query).await
    }

    async fn create_admin_token(
        &self,
        token: NewAdminToken,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        self.create_admin_token_audited(token, event).await
    }

    async fn admin_token_by_hash(&self, hash: TokenHash) -> Result<Option<AdminToken>, StoreError> {
        audit::admin_token_by_hash(&mut *self.engine.read().await?, hash).await
    }

    async fn admin_tokens(&self) -> Result<Vec<AdminToken>, StoreError> {
        audit::admin_tokens(&mut *self.engine.read().await?).await
    }

    async fn revoke_admin_token(
        &self,
        id: &str,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<bool, StoreError> {
        self.revoke_admin_token_audited(id, at, event).await
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        Some(self.engine.pool_stats())
    }

    async fn add_app_certificate(
        &self,
        certificate: AppCertificate,
        event: NewAuditEvent,
    ) -> Result<AddedCertificate, StoreError> {
        self.add_app_certificate_audited(certificate, event).await
    }

    async fn app_certificates(&self, app: AppId) -> Result<Vec<AppCertificate>, StoreError> {
        certificates::app_certificates(&mut *self.engine.read().await?, app).await
    }

    async fn remove_app_certificate(
        &self,
        app: AppId,
        id: CertificateId,
        event: NewAuditEvent,
    ) -> Result<bool, StoreError> {
        self.remove_app_certificate_audited(app, id, event).await
    }

    async fn use_client_assertion(
        &self,
        used: UsedClientAssertion,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        transaction!(self, |c| certificates::use_client_assertion(c, used, now))
    }

    async fn create_device_code(&self, code: NewDeviceCode) -> Result<(), StoreError> {
        transaction!(self, |c| device::create_device_code(c, code))
    }

    async fn claim_device_code(
        &self,
        user_code_hash: TokenHash,
        user: UserId,
        now: UnixTime,
    ) -> Result<Option<DeviceCodeRecord>, StoreError> {
        device::claim_device_code(&mut *self.engine.write().await?, user_code_hash, user, now).await
    }

    async fn decide_device_code(
        &self,
        user_code_hash: TokenHash,
        user: UserId,
        decision: DeviceDecision,
        now: UnixTime,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        transaction!(self, |c| async {
            device::decide_device_code(&mut *c, user_code_hash, user, decision, now).await?;
            audit::record_audit_event(c, event).await
        })
    }

    async fn poll_device_code(
        &self,
        hash: TokenHash,
        now: UnixTime,
    ) -> Result<Option<DevicePoll>, StoreError> {
        transaction!(self, |c| device::poll_device_code(c, hash, now))
    }

    async fn redeem_device_code(
        &self,
        hash: TokenHash,
        refresh: NewRefreshToken,
        now: UnixTime,
    ) -> Result<ConsumeOutcome, StoreError> {
        transaction!(self, |c| device::redeem_device_code(c, hash, refresh, now))
    }

    async fn export_dump(&self) -> Result<Dump, StoreError> {
        let mut tx = self.engine.snapshot().await?;
        let dump = crate::dump::export_dump(&mut *tx).await?;
        tx.commit().await.db()?;
        Ok(dump)
    }

    async fn import_dump(&self, dump: Dump) -> Result<(), StoreError> {
        let imported = transaction!(self, |c| crate::dump::import_dump(c, dump));
        self.announce_if(imported, always)
    }
}
