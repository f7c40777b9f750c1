//! The handles every use case needs, bundled once at start.

use std::sync::Arc;

use crate::audit::Origin;
use crate::client_cache::ClientCache;
use crate::clock::Clock;
use crate::config::Lifetimes;
use crate::credentials::Credentials;
use crate::keys::SigningAlgorithm;
use crate::store::Store;
use crate::user_cache::UserCache;

/// Store, clock, keys and settings: what a use case runs against.
#[derive(Clone)]
pub struct Keygate {
    /// Where everything is kept.
    pub store: Arc<dyn Store>,
    /// The source of time.
    pub clock: Arc<dyn Clock>,
    /// Mints and reads credentials.
    pub credentials: Arc<Credentials>,
    /// Client secrets, apps and client-credentials authorizations read by client
    /// authentication, kept in memory and dropped on change.
    pub clients: Arc<ClientCache>,
    /// Users by id (users never change once created).
    pub users: Arc<UserCache>,
    /// Credential lifetimes.
    pub lifetimes: Lifetimes,
    /// Protocol switches.
    pub policy: Policy,
    /// Who is acting and from where, for the audit log; see [`Keygate::acting_as`].
    pub origin: Origin,
}

impl Keygate {
    /// The same context acting for `origin`: the use cases called on it record their audit
    /// events with that actor and client address.
    pub fn acting_as(&self, origin: Origin) -> Keygate {
        Keygate {
            origin,
            ..self.clone()
        }
    }
}

/// Server-wide protocol switches.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Accept plain `http://` callback URLs at registration (development only).
    pub allow_http_callbacks: bool,
    /// Refuse authorization requests without a PKCE challenge from every client, not only from
    /// public ones (RFC 9700 §2.1.1).
    pub require_pkce: bool,
    /// The algorithm of keys this node generates (the first key, and `keygate keys rotate`).
    pub signing_algorithm: SigningAlgorithm,
    /// Seconds a `next` signing key is published before it starts signing, so that resource
    /// servers caching the JWKS learn it first.
    pub key_publish_ahead: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allow_http_callbacks: false,
            require_pkce: false,
            signing_algorithm: SigningAlgorithm::default(),
            key_publish_ahead: DEFAULT_KEY_PUBLISH_AHEAD,
        }
    }
}

/// Ten minutes: twice the `max-age` the JWKS is served with.
pub const DEFAULT_KEY_PUBLISH_AHEAD: i64 = 600;

impl std::fmt::Debug for Keygate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keygate")
            .field("lifetimes", &self.lifetimes)
            .field("policy", &self.policy)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}
