//! The handles every use case needs, bundled once at start.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Lifetimes;
use crate::credentials::Credentials;
use crate::store::Store;

/// Store, clock, keys and settings: what a use case runs against.
#[derive(Clone)]
pub struct Keygate {
    /// Where everything is kept.
    pub store: Arc<dyn Store>,
    /// The source of time.
    pub clock: Arc<dyn Clock>,
    /// Mints and reads credentials.
    pub credentials: Arc<Credentials>,
    /// Credential lifetimes.
    pub lifetimes: Lifetimes,
    /// Protocol switches.
    pub policy: Policy,
}

/// Server-wide protocol switches.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Accept plain `http://` callback URLs at registration (development only).
    pub allow_http_callbacks: bool,
}

impl std::fmt::Debug for Keygate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keygate")
            .field("lifetimes", &self.lifetimes)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}
