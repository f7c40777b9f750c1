//! Registered apps and their client secrets.

use crate::clock::UnixTime;
use crate::ids::{AppId, SecretId, UserId};
use crate::scopes::ScopeSet;
use crate::secrets::TokenHash;

/// Whether an app can keep a secret (RFC 6749 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// A server-side app with a client secret.
    Confidential,
    /// A native or browser app with no secret; PKCE is mandatory.
    Public,
}

impl ClientKind {
    /// The stored spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Confidential => "confidential",
            Self::Public => "public",
        }
    }

    /// Parses the stored spelling; anything unknown is treated as confidential (the stricter kind).
    pub fn from_stored(s: &str) -> Self {
        if s == "public" {
            Self::Public
        } else {
            Self::Confidential
        }
    }
}

/// A registered app, as protocol §2 describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// The App ID.
    pub id: AppId,
    /// The user who registered it; only they see or change it.
    pub owner_id: UserId,
    /// Application name.
    pub name: String,
    /// Company name.
    pub company_name: String,
    /// Description shown on the consent page.
    pub description: String,
    /// Application website.
    pub website: String,
    /// Company website (optional, may be empty).
    pub company_website: String,
    /// Terms of service URL (optional).
    pub terms_url: String,
    /// Privacy statement URL (optional).
    pub privacy_url: String,
    /// Logo URL (optional, https).
    pub logo_url: String,
    /// The one registered callback URL.
    pub callback_url: String,
    /// Registered scopes; fixed after creation.
    pub scopes: ScopeSet,
    /// Confidential or public.
    pub kind: ClientKind,
    /// Creation time.
    pub created_at: UnixTime,
    /// A resource server: may introspect tokens minted for other apps (RFC 7662 §4). Only an
    /// administrator sets it; otherwise an app introspects only its own tokens.
    pub may_introspect: bool,
    /// Where RP-initiated logout may send the browser afterwards (OpenID Connect RP-Initiated
    /// Logout §3): exact URIs, validated like the callback URL.
    pub post_logout_redirect_uris: Vec<String>,
    /// Whether the app's ID tokens and UserInfo name users by a pairwise `sub` of its own
    /// (OpenID Connect Core §8.1) instead of their id.
    pub pairwise_subject: bool,
}

/// An app to register.
pub type NewApp = App;

/// A client secret version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSecret {
    /// The secret version id (`csi`).
    pub id: SecretId,
    /// The app it authenticates.
    pub app_id: AppId,
    /// When it was made.
    pub created_at: UnixTime,
    /// When it stops working on its own.
    pub expires_at: UnixTime,
}

/// A secret version to store: the record plus the hash of the secret shown once to the owner.
#[derive(Debug, Clone)]
pub struct NewClientSecret {
    /// The record.
    pub secret: ClientSecret,
    /// SHA-256 of the secret string.
    pub hash: TokenHash,
}

/// Which of an app's two client secrets (protocol §2): both verify until one is regenerated or
/// expires, so a team rotates without downtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretSlot {
    /// The secret made at registration.
    Primary,
    /// The second secret, made on request.
    Alternative,
}

impl SecretSlot {
    /// The stored (and wire) spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Alternative => "alternative",
        }
    }

    /// Parses the stored spelling, in any case; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("primary") {
            Some(Self::Primary)
        } else if s.eq_ignore_ascii_case("alternative") {
            Some(Self::Alternative)
        } else {
            None
        }
    }
}

impl std::fmt::Display for SecretSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client secret version with the slot it occupies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlottedSecret {
    /// Primary or alternative.
    pub slot: SecretSlot,
    /// The version.
    pub secret: ClientSecret,
}
