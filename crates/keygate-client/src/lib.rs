//! `keygate-client`: the Rust SDK for apps that sign users in with Keygate, or with the hosted
//! Azure DevOps OAuth service it mirrors, and then call the REST APIs with the user's token.
//!
//! It builds the authorize URL (with a random `state`, and PKCE if asked), reads the callback,
//! exchanges the code, refreshes, and makes typed calls for the profile, organizations, projects,
//! builds, repositories and work items. Failures are one typed [`Error`]: an OAuth refusal is an
//! [`OAuthError`] that carries the error as the server spelled it (PascalCase `InvalidScope` from
//! the hosted service, or `invalid_request`), its RFC 6749 [`ErrorCode`], and the row of the
//! token error table ([`TokenFailure`]) recognised from the description. No answer from a server,
//! however malformed, makes it panic.
//!
//! It depends on no server crate: point it at Keygate with [`ClientConfig::keygate`] or at the
//! hosted service with [`ClientConfig::azure_devops`]. It speaks the Azure flavour of the token
//! endpoint by default; `config.with_flavour(Flavour::Standard)` switches to standard OAuth 2.0
//! (RFC 6749: `response_type=code`, HTTP Basic client authentication), and
//! [`ClientConfig::public`] makes a public client that relies on PKCE. Keygate serves both
//! flavours at the same endpoints. Command-line tools without a browser use the device flow
//! (RFC 8628): [`ClientConfig::device`], [`OAuthClient::start_device_authorization`] and
//! [`OAuthClient::wait_for_device_token`] (`examples/device-cli` is a complete one).
//!
//! # Example
//!
//! The whole flow of a web app (`examples/webapp` in the repository is a complete one; the
//! integration test `documentation_example` runs this same code against a real Keygate):
//!
//! ```no_run
//! use keygate_client::{AuthorizeOptions, Callback, ClientConfig, OAuthClient};
//!
//! # async fn run() -> Result<(), keygate_client::Error> {
//! let client = OAuthClient::new(ClientConfig::keygate(
//!     "http://127.0.0.1:8080",                 // Keygate's base URL
//!     "3F2504E0-4F89-11D3-9A0C-0305E82C3301",  // App ID
//!     "eyJ0eXAiOi...",                          // Client Secret
//!     "https://localhost:5001/oauth/callback",  // the registered callback URL
//! )?)?;
//!
//! // 1. Send the user's browser to the authorize URL. Keep `state` and the PKCE verifier
//! //    server-side (for example keyed by a session cookie) until the callback.
//! let request = client.authorize_url(AuthorizeOptions { pkce: true });
//! println!("redirect to {}", request.url);
//!
//! // 2. The user comes back to the callback with `?code=...&state=...` (or `?error=...`).
//! let query = "code=...&state=...";
//! let code = Callback::parse(query).into_code(&request.state)?;
//! let tokens = client
//!     .exchange_code(&code, request.pkce_verifier.as_deref())
//!     .await?;
//!
//! // 3. Call the REST APIs with the access token.
//! let api = client.api(&tokens.access_token);
//! let me = api.profile().await?;
//! for org in api.accounts(&me.id).await? {
//!     for project in api.projects(&org.account_name).await? {
//!         let builds = api.builds(&org.account_name, &project.name).await?;
//!         println!("{}/{}: {} builds", org.account_name, project.name, builds.len());
//!     }
//! }
//!
//! // 4. Refresh before `tokens.expires_at()`; the old refresh token stops working.
//! if let Some(refresh_token) = &tokens.refresh_token {
//!     let fresh = client.refresh(refresh_token).await?;
//!     println!("new token valid for {:?}", fresh.expires_in);
//! }
//! # Ok(())
//! # }
//! ```

pub mod api;
mod authorize;
mod client;
mod config;
mod device;
mod error;
mod grant;
mod http;
mod token;
mod token_failure;

pub use api::ApiClient;
pub use authorize::{pkce_challenge, AuthorizeOptions, AuthorizeRequest, Callback};
pub use client::OAuthClient;
pub use config::{
    ClientConfig, Endpoints, Flavour, DEFAULT_SCOPES, HOSTED_API_BASE, HOSTED_IDENTITY_BASE,
};
pub use device::DeviceAuthorization;
pub use error::{ApiError, Error, ErrorCode, ErrorShape, OAuthError, TokenFailure};
pub use token::TokenSet;
