//! The state every handler shares.

use std::sync::Arc;

use keygate_core::Keygate;
use url::Url;

/// Shared by every request: the use-case context (which holds every cache) and page settings.
///
/// Handlers and middleware clone the state for every request, so it is one reference-counted
/// pointer to [`Shared`]; its fields read through `Deref` (`state.kg`, `state.limits`, ...).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] points to.
#[derive(Clone, Debug)]
pub struct Shared {
    /// Data, clock, credentials, lifetimes, policy, and the caches in front of the data.
    pub kg: Keygate,
    /// Key for CSRF tokens, shared by every node through the store.
    pub csrf_key: Arc<Vec<u8>>,
    /// The public base URL (no trailing slash in `base`).
    pub public_url: Url,
    /// Whether cookies carry `Secure` (public URL is https).
    pub secure_cookies: bool,
    /// Sign-in and consent pages mention these in the footer.
    pub product_name: &'static str,
    /// Body size, timeouts, connection cap and rate limits.
    pub limits: Arc<crate::limits::Limits>,
    /// The rate limiters built from `limits`.
    pub rate_limits: Arc<crate::rate_limit::RateLimits>,
    /// Prometheus metrics of this server.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Whether `/metrics` is served on the public listener (only when asked for).
    pub metrics_public: bool,
    /// Test-emulator switches, only when started with `--emulator`.
    pub emulator: Option<Arc<crate::emulator::Emulator>>,
    /// Counts wrong user codes on the device verification page.
    pub device_throttle: Arc<crate::device_throttle::DeviceThrottle>,
}

impl AppState {
    /// The state made of `shared`.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// The same state serving under `limits` (fresh rate-limit buckets).
    pub fn with_limits(mut self, limits: crate::limits::Limits) -> Self {
        let shared = Arc::make_mut(&mut self.0);
        shared.rate_limits = Arc::new(crate::rate_limit::RateLimits::new(
            &limits,
            shared.kg.clock.clone(),
        ));
        shared.limits = Arc::new(limits);
        self
    }

    /// The same state serving `/metrics` on the public listener too (off by default).
    pub fn with_public_metrics(mut self) -> Self {
        Arc::make_mut(&mut self.0).metrics_public = true;
        self
    }

    /// The same state in test-emulator mode.
    pub fn with_emulator(mut self, emulator: crate::emulator::Emulator) -> Self {
        Arc::make_mut(&mut self.0).emulator = Some(Arc::new(emulator));
        self
    }

    /// The public base URL without a trailing slash, for building links.
    pub fn base(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }
}
