//! Account use cases: create users, organizations and projects; sign in and out.
//!
//! Creating accounts needs no signing key, so those use cases run on a [`Data`] (the admin
//! commands that make users open no key ring); signing in runs on a [`Keygate`].

use std::time::Duration;

use crate::audit::{self, Entry};
use crate::clock::{Clock, UnixTime};
use crate::context::Keygate;
use crate::data::Data;
use crate::ids::{OrgId, ProjectId, RepositoryId, UserId};
use crate::model::{AuditKind, NewProject, NewSession, NewUser, Org, Project, User};
use crate::password::{hash_password, verify_password_gated};
use crate::secrets::{random_token, TokenHash};
use crate::sign_in_throttle::{self, Decision};
use crate::store::StoreError;
use crate::validate;

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Input failed validation; the text says which field and why.
    #[error("{0}")]
    Invalid(String),
    /// The thing already exists.
    #[error("{0}")]
    Duplicate(String),
    /// A named user, organization or project does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates a user with an Argon2id password hash.
pub async fn create_user(
    data: &Data,
    clock: &dyn Clock,
    email: &str,
    display_name: &str,
    password: &str,
) -> Result<User, AccountError> {
    let email = validate::email(email).map_err(|e| AccountError::Invalid(format!("email {e}")))?;
    let display_name = validate::required_text(display_name, 128)
        .map_err(|e| AccountError::Invalid(format!("name {e}")))?;
    if password.chars().count() < 8 {
        return Err(AccountError::Invalid(
            "password must be at least 8 characters".into(),
        ));
    }
    let password_hash = hash_password(password)
        .map_err(|e| AccountError::Invalid(format!("password could not be hashed: {e}")))?;
    let alias = uuid::Uuid::new_v4().to_string();
    data.store()
        .create_user(NewUser {
            id: UserId::new_random(),
            email: email.clone(),
            display_name,
            public_alias: alias,
            password_hash,
            created_at: clock.now(),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                AccountError::Duplicate(format!("a user with email {email} already exists"))
            }
            other => other.into(),
        })
}

async fn require_user(data: &Data, email: &str) -> Result<User, AccountError> {
    let email = validate::email(email).map_err(|e| AccountError::Invalid(format!("email {e}")))?;
    data.store()
        .user_by_email(&email)
        .await?
        .ok_or_else(|| AccountError::NotFound(format!("no user with email {email}")))
}

/// The user with `email` (compared in lower case, surrounding spaces ignored), if any.
pub async fn find_user(data: &Data, email: &str) -> Result<Option<User>, StoreError> {
    data.store()
        .user_by_email(&email.trim().to_ascii_lowercase())
        .await
}

/// Finds an organization by name or says it does not exist.
pub async fn require_org(data: &Data, name: &str) -> Result<Org, AccountError> {
    data.store()
        .org_by_name(name)
        .await?
        .ok_or_else(|| AccountError::NotFound(format!("no organization named {name}")))
}

/// Names that are the first path segment of Keygate's own pages, so no organization may take them.
pub const RESERVED_ORG_NAMES: [&str; 6] =
    ["app", "profile", "oauth2", "healthz", "readyz", "metrics"];

/// Creates an organization owned (and joined) by the user with `owner_email`.
pub async fn create_org(
    data: &Data,
    clock: &dyn Clock,
    name: &str,
    owner_email: &str,
) -> Result<Org, AccountError> {
    let name = validate::path_name(name)
        .map_err(|e| AccountError::Invalid(format!("organization name {e}")))?;
    if RESERVED_ORG_NAMES.contains(&name.to_ascii_lowercase().as_str())
        || crate::entra::tenant::shadows_entra_routes(&name)
    {
        return Err(AccountError::Invalid(format!(
            "organization name {name} is reserved"
        )));
    }
    let owner = require_user(data, owner_email).await?;
    data.store()
        .create_org(Org {
            id: OrgId::new_random(),
            name: name.clone(),
            owner_id: owner.id,
            third_party_oauth_allowed: true,
            created_at: clock.now(),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                AccountError::Duplicate(format!("an organization named {name} already exists"))
            }
            other => other.into(),
        })
}

/// Adds the user with `email` to an organization.
pub async fn add_org_member(
    data: &Data,
    org_name: &str,
    email: &str,
) -> Result<(Org, User), AccountError> {
    let org = require_org(data, org_name).await?;
    let user = require_user(data, email).await?;
    data.store()
        .add_org_member(org.id, user.id)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AccountError::Duplicate(format!(
                "{} is already a member of {}",
                user.email, org.name
            )),
            other => other.into(),
        })?;
    Ok((org, user))
}

/// Adds the app `app_id` to an organization as a member (Azure DevOps: its service principal),
/// so its app-only tokens (client credentials) may read the organization's data.
pub async fn add_org_app(
    data: &Data,
    org_name: &str,
    app_id: crate::ids::AppId,
) -> Result<Org, AccountError> {
    let org = require_org(data, org_name).await?;
    if data.app(app_id).await?.is_none() {
        return Err(AccountError::NotFound(format!("no app {app_id}")));
    }
    data.store()
        .add_org_app(org.id, app_id)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                AccountError::Duplicate(format!("app {app_id} is already a member of {}", org.name))
            }
            other => other.into(),
        })?;
    Ok(org)
}

/// Creates a project and its default git repository, named after it.
pub async fn create_project(
    data: &Data,
    clock: &dyn Clock,
    org_name: &str,
    name: &str,
    description: &str,
) -> Result<Project, AccountError> {
    let org = require_org(data, org_name).await?;
    let name = validate::path_name(name)
        .map_err(|e| AccountError::Invalid(format!("project name {e}")))?;
    let description = validate::optional_text(description, 1024)
        .map_err(|e| AccountError::Invalid(format!("description {e}")))?;
    data.store()
        .create_project(NewProject {
            project: Project {
                id: ProjectId::new_random(),
                org_id: org.id,
                name: name.clone(),
                description,
                created_at: clock.now(),
            },
            repository_id: RepositoryId::new_random(),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AccountError::Duplicate(format!(
                "a project named {name} already exists in {}",
                org.name
            )),
            other => other.into(),
        })
}

/// The outcome of a sign-in attempt.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the session cookie value (shown once) and the user.
    SignedIn {
        /// The cookie value.
        session: String,
        /// Who.
        user: User,
    },
    /// Wrong email or password; one message for both.
    Refused,
    /// Too many recent failures from this address (for this account or for any); try again
    /// after the given seconds. Other addresses are not affected.
    Throttled {
        /// Seconds until the window clears.
        retry_after: i64,
    },
}

/// Checks credentials and starts a session, throttled as `sign_in_throttle` describes (the
/// address is `kg.origin`'s). Unknown email and wrong password take the same work. A refusal
/// and every throttle decision are recorded in the audit log, naming the account only when it
/// exists (what was typed as an email may be a mistyped password).
pub async fn sign_in(kg: &Keygate, email: &str, password: &str) -> Result<SignIn, StoreError> {
    let now = kg.clock.now();
    let email = email.trim().to_ascii_lowercase();
    let address = sign_in_throttle::address_key(kg.origin.client_addr);
    let store = kg.store();
    let failures = store
        .sign_in_failures_since(&email, &address, now - sign_in_throttle::WINDOW)
        .await?;
    let creds = store.user_credentials(&email).await?;
    let target = creds
        .as_ref()
        .map(|c| format!("user:{}", c.user.id))
        .unwrap_or_else(|| "unknown".into());
    let decision = sign_in_throttle::decide(failures);
    if let Some(detail) = decision.audit_detail() {
        let entry = Entry::new(AuditKind::SignInThrottled, target.clone()).detail(detail);
        audit::record(kg, entry).await;
    }
    match decision {
        Decision::RefusePair | Decision::RefuseAddress => {
            return Ok(SignIn::Throttled {
                retry_after: sign_in_throttle::WINDOW,
            })
        }
        Decision::Delay(secs) => tokio::time::sleep(Duration::from_secs(secs)).await,
        Decision::Allow => {}
    }
    let hash = creds.as_ref().map(|c| c.password_hash.clone());
    // Argon2id is deliberately slow and memory-hard: off the async workers, one at a time.
    let ok = verify_password_gated(password.to_owned(), hash).await;
    match creds {
        Some(c) if ok => {
            let session = start_session(kg, &c.user).await?;
            Ok(SignIn::SignedIn {
                session,
                user: c.user,
            })
        }
        _ => {
            let event = audit::event(kg, Entry::new(AuditKind::SignInFailed, target));
            store
                .record_sign_in_failure(&email, &address, kg.clock.now(), event)
                .await?;
            Ok(SignIn::Refused)
        }
    }
}

/// Starts a browser session for `user` and returns the cookie value (shown once).
pub async fn start_session(kg: &Keygate, user: &User) -> Result<String, StoreError> {
    let now = kg.clock.now();
    let session = random_token();
    kg.store()
        .create_session(NewSession {
            hash: TokenHash::of(&session),
            user_id: user.id,
            created_at: now,
            expires_at: now + kg.lifetimes.session,
        })
        .await?;
    Ok(session)
}

/// The user of the live session whose cookie value is `session`, if any.
pub async fn session_user(kg: &Keygate, session: &str) -> Result<Option<User>, StoreError> {
    kg.store()
        .session_user(TokenHash::of(session), kg.clock.now())
        .await
}

/// A live browser session as OpenID Connect sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// When the user signed in (`auth_time`).
    pub auth_time: UnixTime,
    /// The session's public id (`sid`): derived from the cookie's hash, so it names the
    /// session without revealing anything that opens it.
    pub sid: String,
}

/// The sign-in time and public id of the live session whose cookie value is `session`.
pub async fn session_info(kg: &Keygate, session: &str) -> Result<Option<SessionInfo>, StoreError> {
    let hash = TokenHash::of(session);
    let started = kg.store().session_started(hash, kg.clock.now()).await?;
    Ok(started.map(|auth_time| SessionInfo {
        auth_time,
        sid: session_id(session),
    }))
}

/// The public id (`sid`) of the session whose cookie value is `session`.
pub fn session_id(session: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(b"keygate-sid:");
    hasher.update(TokenHash::of(session).as_bytes());
    let digest = hasher.finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..18])
}

/// Ends the session whose cookie value is `session` (signing out).
pub async fn end_session(kg: &Keygate, session: &str) -> Result<(), StoreError> {
    kg.store().delete_session(TokenHash::of(session)).await
}

/// Sets an organization's third-party OAuth policy (protocol §7), announced to every node and
/// recorded in the audit log.
pub async fn set_org_oauth_policy(
    kg: &Keygate,
    org: &Org,
    allowed: bool,
) -> Result<(), StoreError> {
    let event = audit::event(
        kg,
        Entry::new(AuditKind::PolicyChanged, format!("org:{}", org.id))
            .org(org.id)
            .detail(format!(
                "third_party_oauth={}",
                if allowed { "allow" } else { "deny" }
            )),
    );
    kg.store()
        .set_org_oauth_policy(org.id, allowed, kg.clock.now(), event)
        .await
}
