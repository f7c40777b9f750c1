//! A backend-neutral copy of everything a store holds, for moving a deployment from one backend to
//! another (`keygate db copy`) with every registration and live credential intact.
//!
//! A [`Dump`] is read by [`Store::export_dump`](crate::Store::export_dump) in one consistent
//! snapshot and written by [`Store::import_dump`](crate::Store::import_dump) into an empty store
//! in one transaction. It carries stored values exactly as stored: credential hashes (never the
//! credentials, which no store has), password hashes, revocation times, feed sequence numbers and
//! store-assigned build and work item numbers, so tokens minted before the copy keep working after
//! it and every node of the new deployment starts from the same change feed.
//!
//! Each list is ordered by its table's key, so two dumps of equal databases compare equal.

mod copy;

pub use copy::{read_all, write_all, CopyError};

use crate::clock::UnixTime;
use crate::ids::{AccessId, AppId, AuthorizationId, OrgId, SecretId, UserId};
use crate::model::{
    AdminToken, App, AppCertificate, Build, ClientSecret, HookOutboxRecord, HookSubscription, Org,
    Project, Repository, SecretSlot, SigningKeyRecord, UsedClientAssertion, User, WorkItem,
};
use crate::scopes::ScopeSet;
use crate::secrets::TokenHash;

/// Every row of every table. Tables are listed parents first; rows within a table by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dump {
    /// Users with their password hashes, by id.
    pub users: Vec<DumpedUser>,
    /// Failed sign-ins, by email then time.
    pub sign_in_failures: Vec<SignInFailure>,
    /// Organizations, by id.
    pub orgs: Vec<Org>,
    /// Organization memberships, by organization then user.
    pub org_members: Vec<OrgMember>,
    /// Projects, by id.
    pub projects: Vec<Project>,
    /// Git repositories, by id.
    pub repositories: Vec<Repository>,
    /// Browser sessions, by hash.
    pub sessions: Vec<DumpedSession>,
    /// Server-wide settings (the CSRF key among them), by name.
    pub settings: Vec<DumpedSetting>,
    /// Signing keys with their private keys, by kid.
    pub signing_keys: Vec<SigningKeyRecord>,
    /// Registered apps, by id.
    pub apps: Vec<App>,
    /// Client secret versions with their hashes, by id.
    pub client_secrets: Vec<DumpedSecret>,
    /// Apps added to organizations as members, by organization then app.
    pub org_apps: Vec<OrgApp>,
    /// Authorizations, live and revoked, by id.
    pub authorizations: Vec<DumpedAuthorization>,
    /// Authorization codes, by hash.
    pub codes: Vec<DumpedCode>,
    /// Refresh tokens, spent and live, by hash (each names its parent).
    pub refresh_tokens: Vec<DumpedRefreshToken>,
    /// The change feed, by sequence number.
    pub changes: Vec<DumpedChange>,
    /// Builds, by id.
    pub builds: Vec<Build>,
    /// Work items, by id.
    pub work_items: Vec<WorkItem>,
    /// The audit log, by id.
    pub audit_events: Vec<DumpedAuditEvent>,
    /// Admin tokens with their hashes, by id.
    pub admin_tokens: Vec<DumpedAdminToken>,
    /// Device codes of the device authorization grant, by hash.
    pub device_codes: Vec<DumpedDeviceCode>,
    /// Service hooks subscriptions, by id.
    pub hook_subscriptions: Vec<HookSubscription>,
    /// Service hooks events, delivered and queued, by number.
    pub hook_outbox: Vec<HookOutboxRecord>,
    /// Certificates registered on apps, by id.
    pub app_certificates: Vec<AppCertificate>,
    /// Client assertions already used, by app and `jti` hash.
    pub client_assertion_jtis: Vec<UsedClientAssertion>,
}

impl Dump {
    /// How many rows the dump holds, over every table.
    pub fn row_count(&self) -> usize {
        // One list of tables: the counts.
        self.counts().iter().map(|(_, n)| n).sum()
    }

    /// Whether the dump holds no row at all.
    pub fn is_empty(&self) -> bool {
        self.row_count() == 0
    }

    /// Row counts per table, in insertion order, for reports.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("users", self.users.len()),
            ("sign_in_failures", self.sign_in_failures.len()),
            ("orgs", self.orgs.len()),
            ("org_members", self.org_members.len()),
            ("projects", self.projects.len()),
            ("repositories", self.repositories.len()),
            ("sessions", self.sessions.len()),
            ("settings", self.settings.len()),
            ("signing_keys", self.signing_keys.len()),
            ("apps", self.apps.len()),
            ("client_secrets", self.client_secrets.len()),
            ("org_apps", self.org_apps.len()),
            ("authorizations", self.authorizations.len()),
            ("codes", self.codes.len()),
            ("refresh_tokens", self.refresh_tokens.len()),
            ("changes", self.changes.len()),
            ("builds", self.builds.len()),
            ("work_items", self.work_items.len()),
            ("audit_events", self.audit_events.len()),
            ("admin_tokens", self.admin_tokens.len()),
            ("device_codes", self.device_codes.len()),
            ("hook_subscriptions", self.hook_subscriptions.len()),
            ("hook_outbox", self.hook_outbox.len()),
            ("app_certificates", self.app_certificates.len()),
            ("client_assertion_jtis", self.client_assertion_jtis.len()),
        ]
    }
}

/// A user with the Argon2id hash of their password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedUser {
    /// The user.
    pub user: User,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// One failed sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInFailure {
    /// The email typed (known or not).
    pub email: String,
    /// When.
    pub at: UnixTime,
    /// The address it came from (see [`crate::sign_in_throttle::address_key`]); `None` for
    /// failures recorded before addresses were kept.
    pub address: Option<String>,
}

/// One membership of a user in an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgMember {
    /// The organization.
    pub org_id: OrgId,
    /// The member.
    pub user_id: UserId,
}

/// An app added to an organization as a member (its app-only tokens read the organization).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgApp {
    /// The organization.
    pub org_id: OrgId,
    /// The app.
    pub app_id: crate::ids::AppId,
}

/// A browser session as stored: the hash of its cookie value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedSession {
    /// SHA-256 of the cookie value.
    pub hash: TokenHash,
    /// Who signed in.
    pub user_id: UserId,
    /// When.
    pub created_at: UnixTime,
    /// When it stops working.
    pub expires_at: UnixTime,
}

/// A server-wide setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedSetting {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Vec<u8>,
}

/// A client secret version with the hash of the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedSecret {
    /// The version.
    pub secret: ClientSecret,
    /// The slot it occupies.
    pub slot: SecretSlot,
    /// SHA-256 of the secret string.
    pub hash: TokenHash,
}

/// An authorization with its lifecycle columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedAuthorization {
    /// The `aui`.
    pub id: AuthorizationId,
    /// Who consented.
    pub user_id: UserId,
    /// To which app.
    pub app_id: AppId,
    /// For which scopes.
    pub scopes: ScopeSet,
    /// When.
    pub created_at: UnixTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
    /// The client secret version that exchanged its code, if it was exchanged by a confidential
    /// client (or, for a client-credentials authorization, the version it belongs to).
    pub secret_id: Option<SecretId>,
    /// Whether this is an app's own client-credentials authorization rather than a consent.
    pub client_credentials: bool,
}

/// An authorization code as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedCode {
    /// SHA-256 of the code.
    pub hash: TokenHash,
    /// Its authorization.
    pub authorization_id: AuthorizationId,
    /// The redirect URI used at authorize.
    pub redirect_uri: String,
    /// PKCE challenge, if any.
    pub code_challenge: Option<String>,
    /// Expiry.
    pub expires_at: UnixTime,
    /// When it was redeemed, if it was.
    pub used_at: Option<UnixTime>,
}

/// A refresh token as stored, with its place in the rotation chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedRefreshToken {
    /// SHA-256 of the token.
    pub hash: TokenHash,
    /// Its access id (`aci`).
    pub access_id: AccessId,
    /// Its authorization.
    pub authorization_id: AuthorizationId,
    /// The token it replaced, if any.
    pub parent_hash: Option<TokenHash>,
    /// The secret version that minted it (none for public clients).
    pub secret_id: Option<SecretId>,
    /// Issue time.
    pub created_at: UnixTime,
    /// Expiry.
    pub expires_at: UnixTime,
    /// When it was exchanged for a successor, if it was.
    pub used_at: Option<UnixTime>,
}

/// A change feed entry exactly as stored, including kinds this build does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedChange {
    /// Sequence number; kept, so nodes of the new deployment agree on the feed.
    pub seq: i64,
    /// The stored kind.
    pub kind: String,
    /// The id it concerns.
    pub subject: String,
    /// When.
    pub at: UnixTime,
}

/// An audit event exactly as stored (kinds and actors of newer builds included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedAuditEvent {
    /// Its id; kept, so the log's order survives the copy.
    pub id: i64,
    /// When.
    pub at: UnixTime,
    /// The stored kind.
    pub kind: String,
    /// The stored actor.
    pub actor: String,
    /// The stored target.
    pub target: String,
    /// The app it concerns, as stored.
    pub app_id: Option<String>,
    /// The organization it concerns, as stored.
    pub org_id: Option<String>,
    /// The client's address, as stored.
    pub client_addr: Option<String>,
    /// The stored detail.
    pub detail: String,
}

/// An admin token with the hash of its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedAdminToken {
    /// The token's record.
    pub token: AdminToken,
    /// SHA-256 of its value.
    pub hash: TokenHash,
}

/// A device code as stored (RFC 8628).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedDeviceCode {
    /// SHA-256 of the device code.
    pub hash: TokenHash,
    /// SHA-256 of the normalized user code.
    pub user_code_hash: TokenHash,
    /// The app that asked.
    pub app_id: AppId,
    /// The scopes asked for.
    pub scopes: ScopeSet,
    /// When.
    pub created_at: UnixTime,
    /// Expiry.
    pub expires_at: UnixTime,
    /// Seconds between polls.
    pub interval: i64,
    /// The last poll, if any.
    pub last_polled_at: Option<UnixTime>,
    /// Where it stands.
    pub status: crate::model::DeviceCodeStatus,
    /// The user who claimed it, if any.
    pub user_id: Option<UserId>,
    /// The authorization an approval created.
    pub authorization_id: Option<AuthorizationId>,
    /// When the user decided, if they did.
    pub decided_at: Option<UnixTime>,
    /// When the device redeemed it, if it did.
    pub used_at: Option<UnixTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_dump_counts_no_rows_in_any_table() {
        let dump = Dump::default();
        assert!(dump.is_empty());
        assert_eq!(dump.counts().len(), 25);
        assert!(dump.counts().iter().all(|(_, n)| *n == 0));
    }

    #[test]
    fn row_count_adds_up_every_table() {
        let dump = Dump {
            sign_in_failures: vec![SignInFailure {
                email: "a@example.com".into(),
                at: 1,
                address: None,
            }],
            settings: vec![DumpedSetting {
                name: "csrf_key".into(),
                value: vec![1],
            }],
            ..Dump::default()
        };
        assert_eq!(dump.row_count(), 2);
        assert_eq!(
            dump.counts().iter().map(|(_, n)| n).sum::<usize>(),
            dump.row_count()
        );
    }
}
