//! `OAuthClient`: one app's registration plus an HTTP client; builds authorize URLs, exchanges
//! codes, refreshes, and hands out [`ApiClient`]s.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::api::ApiClient;
use crate::authorize::{authorize_request, AuthorizeOptions, AuthorizeRequest};
use crate::config::ClientConfig;
use crate::device::{self, DeviceAuthorization};
use crate::error::Error;
use crate::grant::{self, TokenRequest};
use crate::http::{default_http_client, send, Answer};
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

    /// Starts the device authorization grant (RFC 8628 §3.1) for the configured scopes: show the
    /// returned user code and verification URI to the person, then call
    /// [`Self::wait_for_device_token`]. Standard OAuth: a confidential client authenticates with
    /// HTTP Basic, a public one sends its `client_id`. The endpoint is `devicecode` beside the
    /// token endpoint (Keygate's `/oauth2/devicecode`).
    pub async fn start_device_authorization(&self) -> Result<DeviceAuthorization, Error> {
        let endpoint = crate::config::join(&self.config.endpoints.token, "devicecode")?;
        let answer = self
            .send_form(endpoint, device::device_authorization_request(&self.config))
            .await?;
        device::parse_device_authorization(answer.status, &answer.body)
    }

    /// Polls the token endpoint (RFC 8628 §3.4-§3.5) until the person approves (tokens), denies
    /// (`access_denied`) or the codes expire (`expired_token`): waits the interval before each
    /// poll, and 5 seconds longer from each `slow_down` on.
    pub async fn wait_for_device_token(
        &self,
        device_authorization: &DeviceAuthorization,
    ) -> Result<TokenSet, Error> {
        let mut interval = device_authorization.poll_interval();
        loop {
            tokio::time::sleep(interval).await;
            let request =
                device::device_token_request(&self.config, &device_authorization.device_code);
            match self.post_token(request).await {
                Err(Error::OAuth(e)) => match device::classify(&e) {
                    device::PollAnswer::Pending => {}
                    device::PollAnswer::SlowDown => interval = device::slowed(interval),
                    device::PollAnswer::Final => return Err(Error::OAuth(e)),
                },
                other => return other,
            }
            if Instant::now() >= device_authorization.expires_at() + interval {
                // The server says `expired_token` once the code is past its lifetime; a server
                // that keeps saying pending is not waited for forever.
                return Err(Error::UnexpectedResponse {
                    status: 400,
                    detail: "the device code expired before the user decided".into(),
                });
            }
        }
    }

    /// Typed REST API calls with `access_token`.
    pub fn api(&self, access_token: &str) -> ApiClient {
        ApiClient::new(self.http.clone(), self.endpoints.clone(), access_token)
    }

    async fn post_token(&self, token_request: TokenRequest) -> Result<TokenSet, Error> {
        let answer = self
            .send_form(self.config.endpoints.token.clone(), token_request)
            .await?;
        parse_token_response(answer.status, &answer.body, SystemTime::now())
    }

    async fn send_form(&self, url: url::Url, form: TokenRequest) -> Result<Answer, Error> {
        let mut request = self
            .http
            .post(url)
            .header("Accept", "application/json")
            .form(&form.form);
        if let Some(authorization) = form.authorization {
            request = request.header("Authorization", authorization);
        }
        send(request).await
    }
}
