//! Real records for the suite: users, orgs, apps and authorizations made through the store itself.

use keygate_core::clock::UnixTime;
use keygate_core::ids::{AccessId, AppId, AuthorizationId, OrgId, SecretId, UserId};
use keygate_core::model::*;
use keygate_core::scopes::ScopeSet;
use keygate_core::secrets::TokenHash;
use keygate_core::Store;

/// The time every test starts at.
pub const NOW: UnixTime = 1_700_000_000;
/// How long a code lives in these tests.
pub const CODE_LIFETIME: i64 = 300;
/// How long a refresh token lives in these tests.
pub const REFRESH_LIFETIME: i64 = 90 * 24 * 3600;

/// An audit event of `kind` at `at` about `app` and `org`, by the command line from 127.0.0.1.
pub fn audit_event(
    kind: keygate_core::model::AuditKind,
    at: UnixTime,
    app: Option<AppId>,
    org: Option<keygate_core::ids::OrgId>,
) -> keygate_core::model::NewAuditEvent {
    keygate_core::model::NewAuditEvent {
        at,
        kind,
        actor: keygate_core::model::Actor::Cli,
        target: "app:x".into(),
        app_id: app,
        org_id: org,
        client_addr: Some("127.0.0.1".parse().expect("an address")),
        detail: "detail".into(),
    }
}

/// An audit event to hand a write that records one (what it says does not matter to the test
/// that uses it; `audit` tests check their own).
pub fn audit() -> keygate_core::model::NewAuditEvent {
    keygate_core::model::NewAuditEvent {
        at: 0,
        kind: keygate_core::model::AuditKind::Other("conformance".into()),
        actor: keygate_core::model::Actor::System,
        target: "test".into(),
        app_id: None,
        org_id: None,
        client_addr: None,
        detail: String::new(),
    }
}

/// A scope set every catalogue has.
pub fn scopes(raw: &str) -> ScopeSet {
    ScopeSet::parse(raw).expect("known scopes")
}

/// A user to create, with the given lower-case email.
pub fn new_user(email: &str) -> NewUser {
    NewUser {
        id: UserId::new_random(),
        email: email.to_owned(),
        display_name: format!("User {email}"),
        public_alias: format!("alias-{email}"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        created_at: NOW,
    }
}

/// Creates a user.
pub async fn user(store: &dyn Store, email: &str) -> User {
    store
        .create_user(new_user(email))
        .await
        .expect("create user")
}

/// An organization to create, owned by `owner`.
pub fn new_org(owner: UserId, name: &str) -> Org {
    Org {
        id: OrgId::new_random(),
        name: name.to_owned(),
        owner_id: owner,
        third_party_oauth_allowed: true,
        created_at: NOW,
    }
}

/// Creates an organization.
pub async fn org(store: &dyn Store, owner: UserId, name: &str) -> Org {
    store
        .create_org(new_org(owner, name))
        .await
        .expect("create org")
}

/// An app to register, owned by `owner`.
pub fn new_app(owner: UserId, name: &str, created_at: UnixTime) -> NewApp {
    App {
        id: AppId::new_random(),
        owner_id: owner,
        name: name.to_owned(),
        company_name: format!("{name} Ltd"),
        description: "Reads work items".to_owned(),
        website: "https://example.com".to_owned(),
        company_website: String::new(),
        terms_url: String::new(),
        privacy_url: String::new(),
        logo_url: String::new(),
        callback_url: "https://example.com/callback".to_owned(),
        scopes: scopes("vso.work vso.code"),
        kind: ClientKind::Confidential,
        created_at,
        may_introspect: false,
        post_logout_redirect_uris: vec!["https://example.com/signed-out".to_owned()],
        pairwise_subject: true,
    }
}

/// A client secret version for `app`, with the hash of `value`.
pub fn new_secret(app: AppId, value: &str) -> NewClientSecret {
    NewClientSecret {
        secret: ClientSecret {
            id: SecretId::new_random(),
            app_id: app,
            created_at: NOW,
            expires_at: NOW + 365 * 24 * 3600,
        },
        hash: TokenHash::of(value),
    }
}

/// A registered app and the secret version it was registered with.
#[derive(Debug)]
pub struct RegisteredApp {
    /// The app.
    pub app: App,
    /// Its current secret version.
    pub secret: ClientSecret,
    /// The hash of the secret string.
    pub secret_hash: TokenHash,
}

/// Registers an app with a fresh secret.
pub async fn app(store: &dyn Store, owner: UserId, name: &str) -> RegisteredApp {
    let new = new_app(owner, name, NOW);
    let secret = new_secret(new.id, &format!("secret of {} {}", name, new.id));
    let app = store
        .create_app(new, secret.clone(), crate::fixtures::audit())
        .await
        .expect("create app");
    RegisteredApp {
        app,
        secret: secret.secret,
        secret_hash: secret.hash,
    }
}

/// An authorization with the code that carries it.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    /// The authorization.
    pub id: AuthorizationId,
    /// The hash of its code.
    pub code: TokenHash,
}

/// Stores an authorization of `user` to `app` for `raw_scopes`, given at `at`, with its code.
pub async fn grant_at(
    store: &dyn Store,
    user: UserId,
    app: AppId,
    raw_scopes: &str,
    at: UnixTime,
) -> Grant {
    let id = AuthorizationId::new_random();
    let code = TokenHash::of(&format!("code of {id}"));
    store
        .create_authorization(
            NewAuthorization {
                id,
                user_id: user,
                app_id: app,
                scopes: scopes(raw_scopes),
                created_at: at,
            },
            NewCode {
                hash: code,
                redirect_uri: "https://example.com/callback".to_owned(),
                code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned()),
                expires_at: at + CODE_LIFETIME,
            },
            crate::fixtures::audit(),
        )
        .await
        .expect("create authorization");
    Grant { id, code }
}

/// Stores an authorization for `vso.work` given at [`NOW`].
pub async fn grant(store: &dyn Store, user: UserId, app: AppId) -> Grant {
    grant_at(store, user, app, "vso.work", NOW).await
}

/// A refresh token of `authorization`, minted under `secret`, its hash derived from `label`.
pub fn refresh_token(
    authorization: AuthorizationId,
    secret: Option<SecretId>,
    label: &str,
    created_at: UnixTime,
) -> NewRefreshToken {
    NewRefreshToken {
        hash: TokenHash::of(&format!("refresh {label} of {authorization}")),
        access_id: AccessId::new_random(),
        authorization_id: authorization,
        secret_id: secret,
        created_at,
        expires_at: created_at + REFRESH_LIFETIME,
    }
}

/// Stores an authorization and exchanges its code under `secret`; returns the grant and the hash
/// of the first refresh token.
pub async fn exchanged_grant(
    store: &dyn Store,
    user: UserId,
    app: AppId,
    secret: SecretId,
) -> (Grant, TokenHash) {
    let grant = grant(store, user, app).await;
    let refresh = refresh_token(grant.id, Some(secret), "first", NOW + 1);
    let hash = refresh.hash;
    let outcome = store
        .redeem_code(grant.code, refresh, NOW + 1, crate::fixtures::audit())
        .await
        .expect("redeem code");
    assert_eq!(outcome, keygate_core::store::ConsumeOutcome::Consumed);
    (grant, hash)
}

/// Every change after `seq`, in feed order.
pub async fn changes_after(store: &dyn Store, seq: i64) -> Vec<Change> {
    store.changes_since(seq, 1000).await.expect("changes since")
}

/// The event a work item change queues for service hooks: a fresh id, at [`NOW`].
pub fn change() -> HookEventDraft {
    change_at(NOW)
}

/// The event a work item change queues for service hooks: a fresh id, at `at`.
pub fn change_at(at: UnixTime) -> HookEventDraft {
    HookEventDraft {
        event_id: keygate_core::ids::HookSubscriptionId::new_random().to_string(),
        at,
    }
}
