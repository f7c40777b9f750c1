//! The state every handler shares.

use std::sync::Arc;

use keygate_core::bearer::Snapshot;
use keygate_core::Keygate;
use url::Url;

/// Shared by every request: the use-case context, the revocation snapshot, and page settings.
#[derive(Clone)]
pub struct AppState {
    /// Store, clock, credentials, lifetimes, policy.
    pub kg: Keygate,
    /// Revocations and org policies as of the last change-feed catch-up.
    pub snapshot: Arc<Snapshot>,
    /// Key for CSRF tokens, shared by every node through the store.
    pub csrf_key: Arc<Vec<u8>>,
    /// The public base URL (no trailing slash in `base`).
    pub public_url: Url,
    /// Whether cookies carry `Secure` (public URL is https).
    pub secure_cookies: bool,
    /// Sign-in and consent pages mention these in the footer.
    pub product_name: &'static str,
}

impl AppState {
    /// The public base URL without a trailing slash, for building links.
    pub fn base(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }
}
