//! Building the shared state from a store, and serving it until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use keygate_core::follow::CatchupError;
use keygate_core::keys::rotation::{self, RotationError};
use keygate_core::keys::KeyError;
use keygate_core::{Clock, Keygate, Lifetimes, OpenError, Policy, Settings, Store, StoreError};
use tokio::net::TcpListener;
use url::Url;

use crate::state::{AppState, Shared};

/// How often each node catches up with the change feed; the propagation bound is this plus a query.
/// Backends with change notifications wake the node sooner.
pub(crate) const CHANGE_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// What the server needs besides a store.
#[derive(Clone)]
pub struct ServerOptions {
    /// The URL users and clients reach this server at.
    pub public_url: Url,
    /// Credential lifetimes.
    pub lifetimes: Lifetimes,
    /// Protocol switches.
    pub policy: Policy,
    /// The source of time.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("public_url", &self.public_url.as_str())
            .field("lifetimes", &self.lifetimes)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store failed.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// The signing keys are unusable.
    #[error("signing keys: {0}")]
    Keys(#[from] KeyError),
    /// Keys stored in the clear could not be sealed with the master key.
    #[error("sealing the signing keys: {0}")]
    Seal(#[from] keygate_core::keys::at_rest::SealError),
    /// The public URL has no host.
    #[error("the public URL {0} has no host name")]
    PublicUrl(String),
    /// The metrics registry could not be built.
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
}

impl From<OpenError> for StartError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Store(e) => StartError::Store(e),
            OpenError::Keys(e) => StartError::Keys(e),
            OpenError::Seal(e) => StartError::Seal(e),
        }
    }
}

/// Opens Keygate on `store` (loading, or on first start creating, the signing key and the
/// revocation snapshot) and loads the CSRF key.
pub async fn build_state(
    store: Arc<dyn Store>,
    options: ServerOptions,
) -> Result<AppState, StartError> {
    let host = options
        .public_url
        .host_str()
        .ok_or_else(|| StartError::PublicUrl(options.public_url.to_string()))?
        .to_owned();
    let kg = Keygate::open(
        store,
        Settings {
            issuer: host,
            clock: options.clock.clone(),
            lifetimes: options.lifetimes,
            policy: options.policy,
        },
    )
    .await?;
    let csrf_key = kg.shared_key("csrf_key").await?;
    let secure_cookies = options.public_url.scheme() == "https";
    let limits = crate::limits::Limits::default();
    let rate_limits = crate::rate_limit::RateLimits::new(&limits, options.clock.clone());
    Ok(AppState::new(Shared {
        kg,
        csrf_key: Arc::new(csrf_key),
        public_url: options.public_url,
        secure_cookies,
        product_name: "Keygate",
        limits: Arc::new(limits),
        rate_limits: Arc::new(rate_limits),
        metrics: Arc::new(crate::metrics::Metrics::new()?),
        // Metrics describe the server to its operators, not to the internet: off the public
        // listener unless asked for (`AppState::with_public_metrics`).
        metrics_public: false,
        emulator: None,
        device_throttle: Arc::new(crate::device_throttle::DeviceThrottle::new(
            options.clock.clone(),
        )),
    }))
}

/// Waits for the next poll tick, or for the store's notification that the feed grew, whichever
/// comes first. A closed notification channel falls back to polling alone.
async fn next_wake(
    ticker: &mut tokio::time::Interval,
    notifications: &mut Option<tokio::sync::broadcast::Receiver<()>>,
) {
    let Some(rx) = notifications.as_mut() else {
        ticker.tick().await;
        return;
    };
    tokio::select! {
        _ = ticker.tick() => {}
        received = rx.recv() => {
            if let Err(tokio::sync::broadcast::error::RecvError::Closed) = received {
                *notifications = None;
            }
            // A lagged receiver means several notifications at once: one catch-up covers them.
        }
    }
}

/// Keeps every cache of the node current with the change feed until the task is dropped: on
/// every poll tick, and at once when the store reports that the feed grew. What a change means
/// for each cache is core's business ([`Keygate::catch_up`]); this only decides when.
async fn follow_changes(kg: Keygate) {
    let mut ticker = tokio::time::interval(CHANGE_POLL_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut notifications = kg.change_notifications();
    loop {
        next_wake(&mut ticker, &mut notifications).await;
        match kg.catch_up().await {
            Ok(_) => {}
            Err(CatchupError::Keys(RotationError::Key(e))) => {
                tracing::error!(error = %e, "reloaded signing keys are unusable")
            }
            Err(e) => tracing::warn!(error = %e, "could not catch up with the change feed"),
        }
        if let Err(e) = rotation::upkeep(&kg).await {
            tracing::warn!(error = %e, "could not rotate signing keys");
        }
    }
}

/// Serves plain HTTP until `shutdown` resolves, then lets in-flight requests finish.
/// The connection limits are the state's ([`AppState::with_limits`]).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, None, state, shutdown).await
}

/// Serves HTTPS with `tls` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<crate::tls::ServerConfig>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, Some(tls), state, shutdown).await
}

async fn serve_with(
    listener: TcpListener,
    tls: Option<Arc<crate::tls::ServerConfig>>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let follower = tokio::spawn(follow_changes(state.kg.clone()));
    let hooks = tokio::spawn(crate::hook_delivery::deliver_hooks(
        state.kg.clone(),
        state.base(),
        state.emulator.is_some(),
    ));
    let limits = state.limits.clone();
    let app = crate::router(state);
    let result = crate::connections::serve_connections(listener, tls, app, &limits, shutdown).await;
    follower.abort();
    hooks.abort();
    result
}
