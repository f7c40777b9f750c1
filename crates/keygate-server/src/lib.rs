//! Keygate's HTTP server: the Azure DevOps OAuth wire protocol, standard OAuth beside it, the
//! sign-in, registration and consent pages, and the bearer-protected REST API.
//!
//! The server takes an `Arc<dyn Store>` and never names a backend; the binary picks one.

mod address_slots;
mod audit_view;
mod connections;
mod consumer_addresses;
mod csrf;
pub mod device_throttle;
pub mod emulator;
mod error;
pub mod forms;
mod forwarded;
mod headers;
mod hook_delivery;
pub mod limits;
pub mod metrics;
mod middleware;
mod origin;
mod pages;
pub mod rate_limit;
mod routes;
mod session;
mod startup;
mod state;
pub mod tls;

pub use limits::Limits;
pub use metrics::serve_metrics_listener as serve_metrics;
pub use startup::{build_state, serve, serve_tls, ServerOptions, StartError};
pub use state::AppState;

/// The full route table over a built state.
pub fn router(state: AppState) -> axum::Router {
    routes::router(state)
}
