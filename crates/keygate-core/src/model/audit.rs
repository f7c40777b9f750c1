//! The audit log: security events with who did them, when, to what, and from which address.
//!
//! An event never carries a secret, token, code, password or cookie: targets are ids, and the
//! detail is a short fixed-shape text the use case writes (a slot name, a count, a scope list).

use std::fmt;
use std::net::IpAddr;

use crate::clock::UnixTime;
use crate::ids::{AppId, OrgId, UserId};

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditKind {
    /// An app was registered.
    AppRegistered,
    /// An app's registration details were changed.
    AppUpdated,
    /// One of an app's client secrets was created or regenerated.
    SecretRegenerated,
    /// An app was deleted.
    AppDeleted,
    /// A user accepted an app's authorization request.
    AuthorizationGranted,
    /// A user revoked an app's authorization.
    AuthorizationRevoked,
    /// A spent refresh token was presented again; its authorization was revoked.
    RefreshTokenReuseDetected,
    /// A redeemed authorization code was presented again; its authorization was revoked.
    CodeReuseDetected,
    /// An organization's third-party OAuth policy changed.
    PolicyChanged,
    /// A sign-in was refused.
    SignInFailed,
    /// A sign-in attempt was refused unchecked or delayed by throttling (the detail says which).
    SignInThrottled,
    /// An admin token was created.
    AdminTokenCreated,
    /// An admin token was revoked.
    AdminTokenRevoked,
    /// A user denied a device's request (RFC 8628).
    DeviceCodeDenied,
    /// A user code that matches no pending device request was entered.
    DeviceCodeRejected,
    /// User-code entries were refused for coming too often from one address or session.
    DeviceCodeThrottled,
    /// A service hooks subscription was created.
    HookSubscriptionCreated,
    /// A service hooks subscription was replaced.
    HookSubscriptionReplaced,
    /// A service hooks subscription was deleted.
    HookSubscriptionDeleted,
    /// A certificate was registered on an app.
    CertificateAdded,
    /// A certificate was removed from an app.
    CertificateRemoved,
    /// Written by a newer Keygate; the stored spelling is kept.
    Other(String),
}

impl AuditKind {
    /// The stored spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::AppRegistered => "app_registered",
            Self::AppUpdated => "app_updated",
            Self::SecretRegenerated => "secret_regenerated",
            Self::AppDeleted => "app_deleted",
            Self::AuthorizationGranted => "authorization_granted",
            Self::AuthorizationRevoked => "authorization_revoked",
            Self::RefreshTokenReuseDetected => "refresh_token_reuse_detected",
            Self::CodeReuseDetected => "code_reuse_detected",
            Self::PolicyChanged => "policy_changed",
            Self::SignInFailed => "sign_in_failed",
            Self::SignInThrottled => "sign_in_throttled",
            Self::AdminTokenCreated => "admin_token_created",
            Self::AdminTokenRevoked => "admin_token_revoked",
            Self::DeviceCodeDenied => "device_code_denied",
            Self::DeviceCodeRejected => "device_code_rejected",
            Self::DeviceCodeThrottled => "device_code_throttled",
            Self::HookSubscriptionCreated => "hook_subscription_created",
            Self::HookSubscriptionReplaced => "hook_subscription_replaced",
            Self::HookSubscriptionDeleted => "hook_subscription_deleted",
            Self::CertificateAdded => "certificate_added",
            Self::CertificateRemoved => "certificate_removed",
            Self::Other(s) => s,
        }
    }

    /// Parses the stored spelling; an unknown one is kept as [`Self::Other`].
    pub fn from_stored(s: &str) -> Self {
        match s {
            "app_registered" => Self::AppRegistered,
            "app_updated" => Self::AppUpdated,
            "secret_regenerated" => Self::SecretRegenerated,
            "app_deleted" => Self::AppDeleted,
            "authorization_granted" => Self::AuthorizationGranted,
            "authorization_revoked" => Self::AuthorizationRevoked,
            "refresh_token_reuse_detected" => Self::RefreshTokenReuseDetected,
            "code_reuse_detected" => Self::CodeReuseDetected,
            "policy_changed" => Self::PolicyChanged,
            "sign_in_failed" => Self::SignInFailed,
            "sign_in_throttled" => Self::SignInThrottled,
            "admin_token_created" => Self::AdminTokenCreated,
            "admin_token_revoked" => Self::AdminTokenRevoked,
            "device_code_denied" => Self::DeviceCodeDenied,
            "device_code_rejected" => Self::DeviceCodeRejected,
            "device_code_throttled" => Self::DeviceCodeThrottled,
            "hook_subscription_created" => Self::HookSubscriptionCreated,
            "hook_subscription_replaced" => Self::HookSubscriptionReplaced,
            "hook_subscription_deleted" => Self::HookSubscriptionDeleted,
            "certificate_added" => Self::CertificateAdded,
            "certificate_removed" => Self::CertificateRemoved,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user, or the user behind an OAuth access token.
    User(UserId),
    /// An app, authenticated at the token endpoint.
    App(AppId),
    /// The holder of an admin token (by the token's id, never its value).
    AdminToken(String),
    /// An operator at the command line.
    Cli,
    /// Keygate itself (seeding at start).
    System,
    /// Nobody known yet (a sign-in attempt).
    Anonymous,
}

impl Actor {
    /// The stored spelling: `user:<id>`, `app:<id>`, `admin-token:<id>`, `cli`, `system`,
    /// `anonymous`.
    pub fn to_stored(&self) -> String {
        match self {
            Self::User(id) => format!("user:{id}"),
            Self::App(id) => format!("app:{id}"),
            Self::AdminToken(id) => format!("admin-token:{id}"),
            Self::Cli => "cli".into(),
            Self::System => "system".into(),
            Self::Anonymous => "anonymous".into(),
        }
    }

    /// Parses the stored spelling; anything unreadable is [`Self::Anonymous`].
    pub fn from_stored(s: &str) -> Self {
        let parsed = match s.split_once(':') {
            Some(("user", id)) => id.parse().ok().map(Self::User),
            Some(("app", id)) => id.parse().ok().map(Self::App),
            Some(("admin-token", id)) => Some(Self::AdminToken(id.to_owned())),
            _ => match s {
                "cli" => Some(Self::Cli),
                "system" => Some(Self::System),
                _ => None,
            },
        };
        parsed.unwrap_or(Self::Anonymous)
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_stored())
    }
}

/// An event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// When.
    pub at: UnixTime,
    /// What happened.
    pub kind: AuditKind,
    /// Who did it.
    pub actor: Actor,
    /// What it happened to, as `kind:id` (`app:<id>`, `authorization:<id>`, `org:<id>`,
    /// `user:<id>`, `admin-token:<id>`), or `unknown`.
    pub target: String,
    /// The app it concerns, so its owner sees it on the app's page.
    pub app_id: Option<AppId>,
    /// The organization it concerns, so its owner sees it on the policy page.
    pub org_id: Option<OrgId>,
    /// The client's address, when the event came over the network.
    pub client_addr: Option<IpAddr>,
    /// A short fixed-shape description (never a credential).
    pub detail: String,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Increasing id, in the order events were recorded.
    pub id: i64,
    /// The event.
    pub event: NewAuditEvent,
}

/// Which events to list, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events about this app.
    pub app: Option<AppId>,
    /// Only events about this organization.
    pub org: Option<OrgId>,
    /// Only events at or after this time.
    pub since: Option<UnixTime>,
    /// At most this many.
    pub limit: u32,
}

impl Default for AuditQuery {
    fn default() -> Self {
        Self {
            app: None,
            org: None,
            since: None,
            limit: 100,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_actors_round_trip_through_their_stored_spelling() {
        for kind in [
            AuditKind::AppRegistered,
            AuditKind::SecretRegenerated,
            AuditKind::RefreshTokenReuseDetected,
            AuditKind::SignInFailed,
            AuditKind::SignInThrottled,
            AuditKind::CertificateAdded,
            AuditKind::CertificateRemoved,
            AuditKind::Other("from_the_future".into()),
        ] {
            assert_eq!(AuditKind::from_stored(kind.as_str()), kind);
        }
        for actor in [
            Actor::User(UserId::new_random()),
            Actor::App(AppId::new_random()),
            Actor::AdminToken("abc".into()),
            Actor::Cli,
            Actor::System,
            Actor::Anonymous,
        ] {
            assert_eq!(Actor::from_stored(&actor.to_stored()), actor);
        }
        assert_eq!(Actor::from_stored("user:not-a-guid"), Actor::Anonymous);
    }
}
