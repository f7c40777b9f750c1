//! `OAuthClient`: one app's registration plus an HTTP client; builds authorize URLs, exchanges
//! codes, refreshes, and hands out [`ApiClient`]s.

use std::sync::Arc;
use std::time::SystemTime;

use crate::api::ApiClient;
use crate::authorize::{authorize_request, AuthorizeOptions, AuthorizeRequest};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::grant::{self, TokenRequest};
use crate::http::{default_http_client, send};
use crate::token::{parse_token_response, TokenSet};

/// An app's OAuth client. Cheap to clone; share one per app.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    endpoints: Arc<crate::config::Endpoints>,
}

impl OAuthClient {
    /// A client with this SDK's HTTP defaults (timeouts, no redirects).
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        Ok(Self::with_http_client(config, default_http_client()?))
    }

    /// A client over a `reqwest::Client` the app configured itself (proxies, TLS roots, ...).
    pub fn with_http_client(config: ClientConfig, http: reqwest::Client) -> Self {
        Self {
            http,
            endpoints: Arc::new(config.endpoints.clone()),
            config: Arc::new(config),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// A fresh authorize URL with its `state` (and PKCE verifier) to keep until the callback.
    pub fn authorize_url(&self, options: AuthorizeOptions) -> AuthorizeRequest {
        authorize_request(&self.config, options)
    }

    /// Exchanges the callback's code for tokens (protocol §4). Pass the PKCE verifier if the
    /// authorize URL carried a challenge.
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: Option<&str>,
    ) -> Result<TokenSet, Error> {
        self.post_token(grant::exchange(&self.config, code, pkce_verifier))
            .await
    }

    /// Trades a refresh token for a new access token and a new refresh token; the one passed in
    /// stops working (protocol §4; RFC 6749 §6 with [`crate::Flavour::Standard`]).
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenSet, Error> {
        self.post_token(grant::refresh(&self.config, refresh_token))
            .await
    }

    /// Typed REST API calls with `access_token`.
    pub fn api(&self, access_token: &str) -> ApiClient {
        ApiClient::new(self.http.clone(), self.endpoints.clone(), access_token)
    }

    async fn post_token(&self, token_request: TokenRequest) -> Result<TokenSet, Error> {
        let mut request = self
            .http
            .post(self.config.endpoints.token.clone())
            .header("Accept", "application/json")
            .form(&token_request.form);
        if let Some(authorization) = token_request.authorization {
            request = request.header("Authorization", authorization);
        }
        let answer = send(request).await?;
        parse_token_response(answer.status, &answer.body, SystemTime::now())
    }
}
