//! The storage contract every backend implements: use-case operations, not generic CRUD.
//!
//! A step that must be atomic (redeem a code once, rotate a refresh token, revoke what a retired
//! secret minted) is one method, and its transaction lives inside the backend.
//!
//! A change the audit log records takes its event (`audit`) and writes it in the same
//! transaction, so the change and its record commit or roll back together: a crash can lose
//! neither one alone. Where the event depends on what the change found, the method says how
//! (recorded only when something changed; ` revoked_authorizations=N` appended to its detail).

use async_trait::async_trait;

use crate::clock::UnixTime;
use crate::ids::{
    AppId, AuthorizationId, CertificateId, HookSubscriptionId, OrgId, ProjectId, SecretId, UserId,
};
use crate::model::*;
use crate::secrets::TokenHash;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the string names what already exists.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A referenced record does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The database could not be reached in time.
    #[error("the database is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else the backend reported.
    #[error("database error")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Stored data could not be read back into a record.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

/// Why a single-use credential could not be consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeOutcome {
    /// Consumed now, and the successor stored.
    Consumed,
    /// Somebody consumed it first; the authorization has been revoked as a precaution.
    AlreadyUsed,
    /// The client secret version that authenticated the request was replaced in the meantime;
    /// nothing was consumed or stored.
    SecretRetired,
}

/// Connection pool use, summed over a backend's pools.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open.
    pub connections: u32,
    /// Of those, idle (not lent out).
    pub idle: u32,
    /// The most connections the pools will open.
    pub max_connections: u32,
    /// Transactions the hot writes were committed in since the store opened (0 where the
    /// engine does not batch them).
    pub write_batches: u64,
    /// Hot writes committed in those transactions: divided by `write_batches`, how many writes
    /// share one fsync.
    pub batched_writes: u64,
}

/// Everything Keygate keeps. Implemented by each backend crate.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the database answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    // --- accounts ---
    /// Creates a user; `Conflict` when the email is taken.
    async fn create_user(&self, user: NewUser) -> Result<User, StoreError>;
    /// A user with their password hash, by lower-case email.
    async fn user_credentials(&self, email: &str) -> Result<Option<UserCredentials>, StoreError>;
    /// A user by email.
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    /// A user by id.
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// Records a failed sign-in for an email (known or not) from an address key
    /// (`sign_in_throttle::address_key`).
    async fn record_sign_in_failure(
        &self,
        email: &str,
        address: &str,
        at: UnixTime,
        audit: NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// The failed sign-ins since `since` for the email, from the address key, and for both.
    async fn sign_in_failures_since(
        &self,
        email: &str,
        address: &str,
        since: UnixTime,
    ) -> Result<SignInFailures, StoreError>;

    /// Creates an organization with its owner as first member; `Conflict` when the name is taken.
    async fn create_org(&self, org: Org) -> Result<Org, StoreError>;
    /// An organization by name (case-insensitive).
    async fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError>;
    /// An organization by id.
    async fn org_by_id(&self, id: OrgId) -> Result<Option<Org>, StoreError>;
    /// Adds a member; `Conflict` when already a member.
    async fn add_org_member(&self, org: OrgId, user: UserId) -> Result<(), StoreError>;
    /// Whether a user belongs to an organization.
    async fn is_org_member(&self, org: OrgId, user: UserId) -> Result<bool, StoreError>;
    /// Adds an app to an organization as a member; `Conflict` when it is one already.
    async fn add_org_app(&self, org: OrgId, app: AppId) -> Result<(), StoreError>;
    /// Whether an app was added to an organization.
    async fn is_org_app(&self, org: OrgId, app: AppId) -> Result<bool, StoreError>;
    /// The organizations a user belongs to, by name.
    async fn orgs_of_user(&self, user: UserId) -> Result<Vec<Org>, StoreError>;
    /// Sets an organization's third-party OAuth policy and announces it on the change feed.
    async fn set_org_oauth_policy(
        &self,
        org: OrgId,
        allowed: bool,
        at: UnixTime,
        audit: NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Names of every organization that currently disallows third-party OAuth.
    async fn orgs_denying_oauth(&self) -> Result<Vec<String>, StoreError>;

    /// Creates a project and its default repository; `Conflict` when the name is taken in the org.
    async fn create_project(&self, project: NewProject) -> Result<Project, StoreError>;
    /// An organization's projects, by name.
    async fn projects_of_org(&self, org: OrgId) -> Result<Vec<Project>, StoreError>;

    /// A project by name inside an organization (case-insensitive).
    async fn project_by_name(&self, org: OrgId, name: &str) -> Result<Option<Project>, StoreError>;
    /// A project's git repositories, by name.
    async fn repositories_of_project(
        &self,
        project: ProjectId,
    ) -> Result<Vec<Repository>, StoreError>;
    /// Queues a build; the store assigns its id.
    async fn queue_build(&self, build: NewBuild) -> Result<Build, StoreError>;
    /// A project's builds, newest first.
    async fn builds_of_project(&self, project: ProjectId) -> Result<Vec<Build>, StoreError>;
    /// Creates a work item; the store assigns its id. In the same transaction it queues a
    /// `workitem.created` outbox row for every enabled subscription that follows the item's
    /// project (a subscription whose queue holds [`HOOK_QUEUE_CAP`] undelivered rows is disabled
    /// instead).
    async fn create_work_item(
        &self,
        item: NewWorkItem,
        event: &HookEventDraft,
    ) -> Result<WorkItem, StoreError>;
    /// A work item by id, only if it belongs to `project`.
    async fn work_item(&self, project: ProjectId, id: i64) -> Result<Option<WorkItem>, StoreError>;
    /// Replaces a work item's `rev` and `fields_json` with `item`'s, only if its stored revision is
    /// still `expected_rev` (and it belongs to `item.project_id`); `false` when it is not (changed
    /// meanwhile or gone), and then nothing is written. A landed update queues `workitem.updated`
    /// outbox rows in the same transaction, as [`Store::create_work_item`] does.
    async fn update_work_item(
        &self,
        item: &WorkItem,
        expected_rev: i64,
        event: &HookEventDraft,
    ) -> Result<bool, StoreError>;
    /// A project's work items, by id.
    async fn work_items_of_project(&self, project: ProjectId) -> Result<Vec<WorkItem>, StoreError>;
    /// The work items among `ids` that belong to a project of `org`, in the order of `ids`
    /// (unknown ids and other organizations' items left out).
    async fn work_items_in_org(&self, org: OrgId, ids: &[i64])
        -> Result<Vec<WorkItem>, StoreError>;

    // --- service hooks ---
    /// Stores a new subscription, with its audit event.
    async fn create_hook_subscription(
        &self,
        sub: &HookSubscription,
        event: NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// A subscription of `org` by id.
    async fn hook_subscription(
        &self,
        org: OrgId,
        id: HookSubscriptionId,
    ) -> Result<Option<HookSubscription>, StoreError>;
    /// An organization's subscriptions, by id.
    async fn hook_subscriptions_of_org(
        &self,
        org: OrgId,
    ) -> Result<Vec<HookSubscription>, StoreError>;
    /// Replaces a subscription of `sub.org_id` (its id, organization, creator and creation time
    /// kept; failures and status as `sub` says), with its audit event; `false` (and no event)
    /// if there is none.
    async fn replace_hook_subscription(
        &self,
        sub: &HookSubscription,
        event: NewAuditEvent,
    ) -> Result<bool, StoreError>;
    /// Deletes a subscription of `org` with its events, with its audit event; `false` (and no
    /// event) if there is none.
    async fn delete_hook_subscription(
        &self,
        org: OrgId,
        id: HookSubscriptionId,
        event: NewAuditEvent,
    ) -> Result<bool, StoreError>;
    /// Leases up to `limit` due, undelivered outbox rows of enabled subscriptions to `owner`
    /// until `lease_until`, oldest first, counting an attempt on each. A row leased to a worker
    /// is not claimed again until its lease ends; a delivered row never.
    async fn claim_hook_deliveries(
        &self,
        owner: &str,
        now: UnixTime,
        lease_until: UnixTime,
        limit: i64,
    ) -> Result<Vec<HookDelivery>, StoreError>;
    /// Marks a row leased to `owner` delivered at `at` and clears its subscription's failures;
    /// `false` if the lease was lost.
    async fn hook_delivered(&self, id: i64, owner: &str, at: UnixTime) -> Result<bool, StoreError>;
    /// Records a failed attempt of a row leased to `owner`: retried at `failure.next_attempt_at`,
    /// and its subscription's failure count grows (disabled at `failure.disable_after`);
    /// `false` if the lease was lost.
    async fn hook_failed(
        &self,
        id: i64,
        owner: &str,
        failure: &HookFailure,
    ) -> Result<bool, StoreError>;
    /// Deletes outbox rows delivered before `before`; how many went.
    async fn purge_delivered_hooks(&self, before: UnixTime) -> Result<u64, StoreError>;
    /// A subscription's outbox rows, oldest first (for tests and operators).
    async fn hook_outbox_of(
        &self,
        sub: HookSubscriptionId,
    ) -> Result<Vec<HookOutboxRecord>, StoreError>;

    // --- sessions ---
    /// Stores a browser session.
    async fn create_session(&self, session: NewSession) -> Result<(), StoreError>;
    /// The user of a live session.
    async fn session_user(
        &self,
        hash: TokenHash,
        now: UnixTime,
    ) -> Result<Option<User>, StoreError>;
    /// When a live session began (OpenID Connect `auth_time`), if it is live.
    async fn session_started(
        &self,
        hash: TokenHash,
        now: UnixTime,
    ) -> Result<Option<UnixTime>, StoreError>;
    /// Ends a session.
    async fn delete_session(&self, hash: TokenHash) -> Result<(), StoreError>;

    // --- server-wide settings and keys ---
    /// Returns the setting `name`, storing `candidate` first if it has none (first writer wins).
    async fn setting_or_insert(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>, StoreError>;
    /// Stores `candidate` as the active signing key of its purpose unless one is active; returns
    /// all keys.
    async fn ensure_signing_key(
        &self,
        candidate: SigningKeyRecord,
    ) -> Result<Vec<SigningKeyRecord>, StoreError>;
    /// Every stored signing key.
    async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError>;

    // --- apps ---
    /// Registers an app with its first client secret.
    async fn create_app(
        &self,
        app: NewApp,
        secret: NewClientSecret,
        audit: NewAuditEvent,
    ) -> Result<App, StoreError>;
    /// An app by id.
    async fn app_by_id(&self, id: AppId) -> Result<Option<App>, StoreError>;
    /// The apps a user owns, or every app when `owner` is `None`.
    async fn list_apps(&self, owner: Option<UserId>) -> Result<Vec<App>, StoreError>;
    /// Puts `secret` in one of the app's two secret slots. The version that held the slot (if
    /// any) stops verifying and every authorization whose code it redeemed is revoked, in one
    /// transaction; the other slot is untouched. Returns how many were revoked; the audit event
    /// gets ` revoked_authorizations=N` appended to its detail.
    async fn replace_client_secret(
        &self,
        app: AppId,
        slot: SecretSlot,
        secret: NewClientSecret,
        at: UnixTime,
        audit: NewAuditEvent,
    ) -> Result<u64, StoreError>;
    /// The secret versions an app holds, primary first (registration stores the primary).
    async fn client_secrets_of_app(&self, app: AppId) -> Result<Vec<SlottedSecret>, StoreError>;
    /// Changes an app's registration details (names, description, links, callback URL); its id,
    /// owner, scopes, kind and creation time stay. Announces `ClientChanged` at `at` in the same
    /// transaction (nodes cache apps). `NotFound("app")` when it does not exist.
    async fn update_app(
        &self,
        app: App,
        at: UnixTime,
        audit: NewAuditEvent,
    ) -> Result<App, StoreError>;
    /// Deletes an app, revoking every authorization it had, in one transaction.
    async fn delete_app(
        &self,
        app: AppId,
        at: UnixTime,
        audit: NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// A client secret version by the hash of the presented secret.
    async fn client_secret_by_hash(
        &self,
        hash: TokenHash,
    ) -> Result<Option<ClientSecret>, StoreError>;

    // --- app certificates and client assertions (`private_key_jwt`) ---
    /// Registers a certificate on its app, with its audit event, unless the app already holds
    /// [`CERTIFICATES_PER_APP`] (then `Full`, and nothing is written). `Conflict("certificate")`
    /// when the app already holds the same certificate; `NotFound("app")` when there is no app.
    async fn add_app_certificate(
        &self,
        certificate: AppCertificate,
        audit: NewAuditEvent,
    ) -> Result<AddedCertificate, StoreError>;
    /// An app's certificates, oldest first.
    async fn app_certificates(&self, app: AppId) -> Result<Vec<AppCertificate>, StoreError>;
    /// Removes a certificate of `app`, with its audit event; `false` (and no event) when the app
    /// holds no certificate with that id.
    async fn remove_app_certificate(
        &self,
        app: AppId,
        id: CertificateId,
        audit: NewAuditEvent,
    ) -> Result<bool, StoreError>;
    /// Records the use of a client assertion: `true` the first time, `false` when its app and
    /// `jti` were recorded before (a replay), decided atomically (of concurrent callers exactly
    /// one gets `true`). Forgets used assertions that expired before `now`.
    async fn use_client_assertion(
        &self,
        used: UsedClientAssertion,
        now: UnixTime,
    ) -> Result<bool, StoreError>;

    // --- authorizations and credentials ---
    /// Stores an authorization given on Accept and the code that carries it.
    async fn create_authorization(
        &self,
        authorization: NewAuthorization,
        code: NewCode,
        audit: NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// A code by hash, whatever its state.
    async fn code_by_hash(&self, hash: TokenHash) -> Result<Option<CodeRecord>, StoreError>;
    /// Marks a code used and stores the first refresh token of its chain, atomically. When the code
    /// was already used, revokes its authorization instead (RFC 6749 §4.1.2) and records
    /// `on_reuse`; otherwise `on_reuse` is dropped.
    async fn redeem_code(
        &self,
        code: TokenHash,
        refresh: NewRefreshToken,
        now: UnixTime,
        on_reuse: NewAuditEvent,
    ) -> Result<ConsumeOutcome, StoreError>;
    /// A refresh token by hash, whatever its state.
    async fn refresh_by_hash(&self, hash: TokenHash) -> Result<Option<RefreshRecord>, StoreError>;
    /// Marks a refresh token used and stores its successor, atomically. When it was already used,
    /// revokes its authorization instead (RFC 9700 §4.14.2) and records `on_reuse`; otherwise
    /// `on_reuse` is dropped.
    async fn rotate_refresh(
        &self,
        old: TokenHash,
        successor: NewRefreshToken,
        now: UnixTime,
        on_reuse: NewAuditEvent,
    ) -> Result<ConsumeOutcome, StoreError>;
    /// Revokes one authorization (if it is not already) and records `audit` either way.
    async fn revoke_authorization(
        &self,
        id: AuthorizationId,
        at: UnixTime,
        audit: NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Revokes every live authorization a user gave, to one app or (with `None`) to all apps.
    /// Returns how many were revoked; when there were any, records `audit` with
    /// ` revoked_authorizations=N` appended to its detail.
    async fn revoke_user_authorizations(
        &self,
        user: UserId,
        app: Option<AppId>,
        at: UnixTime,
        audit: NewAuditEvent,
    ) -> Result<u64, StoreError>;
    /// The apps a user has live authorizations for.
    async fn authorizations_of_user(
        &self,
        user: UserId,
        now: UnixTime,
    ) -> Result<Vec<AuthorizationSummary>, StoreError>;

    // --- change feed ---
    /// The newest change's sequence number (0 when there is none).
    async fn change_head(&self) -> Result<i64, StoreError>;
    /// Changes after `seq`, oldest first, at most `limit`.
    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<Change>, StoreError>;
    /// Authorizations revoked at or after `since` (for building a node's snapshot at start).
    async fn authorizations_revoked_since(
        &self,
        since: UnixTime,
    ) -> Result<Vec<(AuthorizationId, UnixTime)>, StoreError>;

    /// Wakes (with `()`) soon after any process appended to the change feed, for backends that
    /// can tell (PostgreSQL's LISTEN/NOTIFY), so a node catches up at once instead of at its next
    /// poll. `None` means the backend cannot tell and nodes rely on polling alone; a lagged or
    /// closed receiver only means "catch up now".
    fn change_notifications(&self) -> Option<tokio::sync::broadcast::Receiver<()>> {
        None
    }

    /// How many writes of this process that appended to the change feed have committed so far,
    /// counted after each COMMIT and before the write's caller is answered; `None` when the
    /// store does not count them. A snapshot that caught up after reading this count has seen
    /// every change this process made until then, which is what lets introspection answer from
    /// the snapshot and still see this node's own revocations at once.
    fn local_feed_writes(&self) -> Option<u64> {
        None
    }

    // --- standard OAuth: client credentials, introspection, key rotation ---
    /// An authorization by id, whatever its state; `None` when it does not exist (or its app was
    /// deleted).
    async fn authorization_by_id(
        &self,
        id: AuthorizationId,
    ) -> Result<Option<Authorization>, StoreError>;
    /// The live client-credentials authorization of an app's secret version, created (for the
    /// app's registered scopes, under the app's owner) if it has none, so that replacing the
    /// secret or deleting the app revokes the tokens minted under it. It is not a consent: it is
    /// neither listed among nor revoked with the owner's own authorizations.
    /// `NotFound("client secret")` when the version no longer exists.
    async fn client_credentials_authorization(
        &self,
        app: AppId,
        secret: SecretId,
        at: UnixTime,
    ) -> Result<AuthorizationId, StoreError>;
    /// Stores a `next` signing key (published, not yet signing) and announces it;
    /// `Conflict("next signing key")` when one of the same purpose is already waiting.
    async fn add_next_signing_key(&self, key: SigningKeyRecord) -> Result<(), StoreError>;
    /// Makes every `next` key active and retires the active key of its purpose (`retired_at =
    /// at`), announcing it; `false` when no key is waiting.
    async fn promote_next_signing_key(&self, at: UnixTime) -> Result<bool, StoreError>;
    /// Deletes the retired keys retired at or before `cutoff` and announces it if any went;
    /// returns how many.
    async fn delete_retired_signing_keys(
        &self,
        cutoff: UnixTime,
        at: UnixTime,
    ) -> Result<u64, StoreError>;
    /// Replaces the stored private key material of signing keys (sealing keys stored in the
    /// clear, or resealing them under a new master key) in one transaction, all or nothing:
    /// `Conflict` when a key no longer holds the material it was read with (another process
    /// resealed or deleted it meanwhile). Returns how many were replaced.
    async fn reseal_signing_keys(&self, keys: Vec<ResealedKey>) -> Result<u64, StoreError>;

    // --- operations: audit log, admin tokens, pool use ---
    /// Appends an event that records no other change (a throttled sign-in, say) to the audit log.
    async fn record_audit_event(&self, event: NewAuditEvent) -> Result<(), StoreError>;
    /// The audit events `query` selects, newest first.
    async fn audit_events(&self, query: AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;
    /// Stores an admin token (its hash only); `Conflict("admin token")` when the id is taken.
    async fn create_admin_token(
        &self,
        token: NewAdminToken,
        audit: NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// A live (unrevoked) admin token by the hash of its value.
    async fn admin_token_by_hash(&self, hash: TokenHash) -> Result<Option<AdminToken>, StoreError>;
    /// Every admin token, live and revoked, oldest first.
    async fn admin_tokens(&self) -> Result<Vec<AdminToken>, StoreError>;
    /// Revokes an admin token and records `audit`; `false` (and nothing recorded) when there is
    /// no live token with that id.
    async fn revoke_admin_token(
        &self,
        id: &str,
        at: UnixTime,
        audit: NewAuditEvent,
    ) -> Result<bool, StoreError>;
    /// How busy the backend's connection pools are, for `/metrics`; `None` when it cannot tell.
    fn pool_stats(&self) -> Option<PoolStats> {
        None
    }

    // --- device authorization grant (RFC 8628) ---
    /// Stores a device authorization request; `Conflict("user code")` when its user code is
    /// taken (the caller draws another). Forgets device codes expired for a day.
    async fn create_device_code(&self, code: NewDeviceCode) -> Result<(), StoreError>;
    /// The pending, unexpired device code of a user code, claimed for `user`: the first user to
    /// enter a user code is the only one who may see and decide on it. `None` when there is no
    /// such code, it was decided, it expired, or another user claimed it.
    async fn claim_device_code(
        &self,
        user_code_hash: TokenHash,
        user: UserId,
        now: UnixTime,
    ) -> Result<Option<DeviceCodeRecord>, StoreError>;
    /// Records the decision of the user who claimed a pending, unexpired device code, with its
    /// audit event, in one transaction (an approval stores its authorization too).
    /// `NotFound("device code")`, with nothing written, when the code is no longer pending for
    /// that user.
    async fn decide_device_code(
        &self,
        user_code_hash: TokenHash,
        user: UserId,
        decision: DeviceDecision,
        now: UnixTime,
        audit: NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Records a poll of a device code at `now` and returns where it stands. A poll of a pending
    /// code sooner than its interval after the previous one grows the interval by 5 seconds
    /// (RFC 8628 §3.5 `slow_down`). `None` for an unknown code.
    async fn poll_device_code(
        &self,
        hash: TokenHash,
        now: UnixTime,
    ) -> Result<Option<DevicePoll>, StoreError>;
    /// Marks an approved device code used and stores the first refresh token of its
    /// authorization, atomically: of concurrent callers exactly one gets `Consumed`; the others
    /// get `AlreadyUsed` (nothing is revoked). `SecretRetired` as for [`Store::redeem_code`].
    async fn redeem_device_code(
        &self,
        hash: TokenHash,
        refresh: NewRefreshToken,
        now: UnixTime,
    ) -> Result<ConsumeOutcome, StoreError>;

    // --- moving between backends ---
    /// Every row, read in one consistent snapshot (`keygate db copy`).
    async fn export_dump(&self) -> Result<crate::dump::Dump, StoreError>;
    /// Writes every row of `dump` in one transaction, keeping sequence numbers and store-assigned
    /// ids, so the store continues numbering after them. `Conflict("data")` when the store already
    /// holds any row: a copy never merges into a live database.
    async fn import_dump(&self, dump: crate::dump::Dump) -> Result<(), StoreError>;
}
