//! A sample web app built on `keygate-client`, doing what the hosted service's C# sample does:
//! a home page with Authorize, a callback that checks `state` and exchanges the code, a token page
//! with a live countdown and a Refresh button, and a page listing the user's projects and builds
//! through the REST API. Deny and every error end on a readable page. It serves https with a
//! self-signed certificate made at start, because the registered callback must be https.

pub mod config;
mod error;
mod pages;
mod routes;
mod sessions;
mod state;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use keygate_client::{AuthorizeOptions, OAuthClient};

pub use config::Settings;
pub use state::SESSION_COOKIE;

/// Why the app could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum WebappError {
    /// The settings do not make a usable client.
    #[error("invalid settings: {0}")]
    Settings(#[from] keygate_client::Error),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// Listening or serving failed.
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The app's routes over `settings`.
pub fn router(settings: &Settings) -> Result<axum::Router, WebappError> {
    let oauth = OAuthClient::new(settings.client_config()?)?;
    Ok(routes::router(state::AppState {
        oauth,
        sessions: Arc::new(sessions::Sessions::default()),
        authorize_options: AuthorizeOptions {
            pkce: !settings.no_pkce,
        },
        provider: if settings.azure_devops {
            "Azure DevOps"
        } else {
            "Keygate"
        },
    }))
}

/// Serves the app over https on `listener` until `handle` is told to shut down.
pub async fn serve(
    settings: &Settings,
    listener: std::net::TcpListener,
    handle: axum_server::Handle<SocketAddr>,
) -> Result<(), WebappError> {
    let app = router(settings)?;
    let tls = tls::self_signed(settings.certificate_names())?;
    axum_server::from_tcp_rustls(listener, tls)?
        .handle(handle)
        .serve(app.into_make_service())
        .await?;
    Ok(())
}
