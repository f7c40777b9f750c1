//! Where the authorization server and the REST APIs are, and who the app is.

use std::fmt;

use url::Url;

use crate::error::Error;

/// The hosted service's host for authorize, token, profile and accounts (protocol §1).
pub const HOSTED_IDENTITY_BASE: &str = "https://app.vssps.visualstudio.com";
/// The hosted service's host for organization APIs: `https://dev.azure.com/{org}/...`.
pub const HOSTED_API_BASE: &str = "https://dev.azure.com";

/// The scopes the sample web app and `keygate demo` use.
pub const DEFAULT_SCOPES: &str = "vso.profile vso.project vso.build vso.code vso.work_write";

/// Which wire shape the token endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavour {
    /// The Azure DevOps shape: `response_type=Assertion`, the secret in `client_assertion`, the
    /// code or refresh token in `assertion`, PascalCase error bodies (protocol §3, §4).
    #[default]
    Azure,
    /// Standard OAuth 2.0 (RFC 6749): `response_type=code`, `grant_type=authorization_code` and
    /// `refresh_token`, the client authenticated by HTTP Basic (`client_secret_basic`), or by
    /// `client_id` alone for a public client; RFC 6749 §5.2 error bodies. Keygate serves it at
    /// the same endpoints; the hosted service does not.
    Standard,
}

/// The URLs an app talks to. Keygate serves all of them from one base URL; the hosted service
/// splits them over two hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `GET` here to ask the user for consent.
    pub authorize: Url,
    /// `POST` here to exchange a code or refresh a token.
    pub token: Url,
    /// Base of the identity APIs: `{identity_api}/_apis/profile/profiles/me`, `/_apis/accounts`.
    pub identity_api: Url,
    /// Base of the organization APIs: `{api}/{org}/_apis/projects`, ...
    pub api: Url,
}

impl Endpoints {
    /// Every endpoint under one Keygate base URL (its `--public-url`), e.g. `http://127.0.0.1:8080`.
    pub fn keygate(base: &str) -> Result<Self, Error> {
        let base = parse_base(base)?;
        Ok(Self {
            authorize: join(&base, "oauth2/authorize")?,
            token: join(&base, "oauth2/token")?,
            identity_api: base.clone(),
            api: base,
        })
    }

    /// The hosted service: authorize and token at `https://app.vssps.visualstudio.com`, APIs at
    /// `https://dev.azure.com/{org}`.
    #[expect(
        clippy::expect_used,
        reason = "constant URLs that parse; the unit test below proves it"
    )]
    pub fn azure_devops() -> Self {
        let identity = Url::parse(HOSTED_IDENTITY_BASE).expect("a constant URL");
        Self {
            authorize: identity.join("oauth2/authorize").expect("a constant URL"),
            token: identity.join("oauth2/token").expect("a constant URL"),
            identity_api: identity,
            api: Url::parse(HOSTED_API_BASE).expect("a constant URL"),
        }
    }

    /// Custom endpoints, each given in full.
    pub fn custom(
        authorize: &str,
        token: &str,
        identity_api: &str,
        api: &str,
    ) -> Result<Self, Error> {
        Ok(Self {
            authorize: parse_url("authorize URL", authorize)?,
            token: parse_url("token URL", token)?,
            identity_api: parse_base(identity_api)?,
            api: parse_base(api)?,
        })
    }
}

fn parse_url(what: &str, s: &str) -> Result<Url, Error> {
    let url = Url::parse(s.trim()).map_err(|e| Error::Config(format!("{what} {s:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!("{what} {s:?} is not http(s)")));
    }
    Ok(url)
}

/// A base URL with a trailing slash, so `join` appends rather than replaces the last segment.
fn parse_base(s: &str) -> Result<Url, Error> {
    let mut url = parse_url("base URL", s)?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

pub(crate) fn join(base: &Url, path: &str) -> Result<Url, Error> {
    base.join(path)
        .map_err(|e| Error::Config(format!("cannot join {path:?} to {base}: {e}")))
}

/// Who the app is: its registration and where it is.
#[derive(Clone)]
pub struct ClientConfig {
    /// The App ID shown at registration (a GUID).
    pub app_id: String,
    /// The Client Secret shown at registration.
    pub client_secret: String,
    /// The registered authorization callback URL, byte for byte.
    pub redirect_uri: Url,
    /// The scopes to ask for, space separated; with the Azure flavour they must equal the
    /// registered set.
    pub scopes: String,
    /// Where the servers are.
    pub endpoints: Endpoints,
    /// Which wire shape to speak.
    pub flavour: Flavour,
}

impl ClientConfig {
    /// A configuration for an app registered on the Keygate at `keygate_base`.
    pub fn keygate(
        keygate_base: &str,
        app_id: &str,
        client_secret: &str,
        redirect_uri: &str,
    ) -> Result<Self, Error> {
        Self::new(
            Endpoints::keygate(keygate_base)?,
            app_id,
            client_secret,
            redirect_uri,
        )
    }

    /// A configuration for an app registered on the hosted service.
    pub fn azure_devops(
        app_id: &str,
        client_secret: &str,
        redirect_uri: &str,
    ) -> Result<Self, Error> {
        Self::new(
            Endpoints::azure_devops(),
            app_id,
            client_secret,
            redirect_uri,
        )
    }

    /// A configuration with explicit endpoints and the default scopes ([`DEFAULT_SCOPES`]).
    pub fn new(
        endpoints: Endpoints,
        app_id: &str,
        client_secret: &str,
        redirect_uri: &str,
    ) -> Result<Self, Error> {
        let app_id = app_id.trim();
        if app_id.is_empty() {
            return Err(Error::Config("the App ID is empty".into()));
        }
        let client_secret = client_secret.trim();
        if client_secret.is_empty() {
            return Err(Error::Config("the Client Secret is empty".into()));
        }
        Ok(Self {
            app_id: app_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uri: parse_url("redirect URI", redirect_uri)?,
            scopes: DEFAULT_SCOPES.to_owned(),
            endpoints,
            flavour: Flavour::Azure,
        })
    }

    /// A public client (no secret; PKCE protects its codes) of a server speaking standard OAuth.
    pub fn public(endpoints: Endpoints, app_id: &str, redirect_uri: &str) -> Result<Self, Error> {
        let app_id = app_id.trim();
        if app_id.is_empty() {
            return Err(Error::Config("the App ID is empty".into()));
        }
        Ok(Self {
            app_id: app_id.to_owned(),
            client_secret: String::new(),
            redirect_uri: parse_url("redirect URI", redirect_uri)?,
            scopes: DEFAULT_SCOPES.to_owned(),
            endpoints,
            flavour: Flavour::Standard,
        })
    }

    /// A command-line tool or device using the device flow (RFC 8628) of a server speaking
    /// standard OAuth: public without `client_secret`, confidential (HTTP Basic) with one. A
    /// device receives no redirect, so its `redirect_uri` is the token endpoint, never used.
    pub fn device(
        endpoints: Endpoints,
        app_id: &str,
        client_secret: Option<&str>,
    ) -> Result<Self, Error> {
        let redirect_uri = endpoints.token.to_string();
        match client_secret.map(str::trim).filter(|s| !s.is_empty()) {
            Some(secret) => Ok(Self::new(endpoints, app_id, secret, &redirect_uri)?
                .with_flavour(Flavour::Standard)),
            None => Self::public(endpoints, app_id, &redirect_uri),
        }
    }

    /// Whether this is a public client (no secret).
    pub fn is_public(&self) -> bool {
        self.client_secret.is_empty()
    }

    /// The same configuration speaking `flavour`.
    pub fn with_flavour(mut self, flavour: Flavour) -> Self {
        self.flavour = flavour;
        self
    }

    /// The same configuration asking for `scopes` (space separated).
    pub fn with_scopes(mut self, scopes: &str) -> Self {
        self.scopes = scopes.split_whitespace().collect::<Vec<_>>().join(" ");
        self
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("app_id", &self.app_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("scopes", &self.scopes)
            .field("endpoints", &self.endpoints)
            .field("flavour", &self.flavour)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn keygate_endpoints_hang_off_one_base_with_or_without_a_trailing_slash() {
        for base in ["http://127.0.0.1:8080", "http://127.0.0.1:8080/"] {
            let e = Endpoints::keygate(base).unwrap();
            assert_eq!(
                e.authorize.as_str(),
                "http://127.0.0.1:8080/oauth2/authorize"
            );
            assert_eq!(e.token.as_str(), "http://127.0.0.1:8080/oauth2/token");
            assert_eq!(e.api.as_str(), "http://127.0.0.1:8080/");
        }
        let e = Endpoints::keygate("https://example.com/keygate").unwrap();
        assert_eq!(e.token.as_str(), "https://example.com/keygate/oauth2/token");
    }

    #[test]
    fn the_hosted_service_splits_identity_and_organization_apis_over_two_hosts() {
        let e = Endpoints::azure_devops();
        assert_eq!(
            e.authorize.as_str(),
            "https://app.vssps.visualstudio.com/oauth2/authorize"
        );
        assert_eq!(
            e.token.as_str(),
            "https://app.vssps.visualstudio.com/oauth2/token"
        );
        assert_eq!(
            e.identity_api.as_str(),
            "https://app.vssps.visualstudio.com/"
        );
        assert_eq!(e.api.as_str(), "https://dev.azure.com/");
    }

    #[test]
    fn a_configuration_refuses_empty_credentials_and_non_http_urls() {
        assert!(ClientConfig::keygate("http://h", "", "s", "https://localhost/cb").is_err());
        assert!(ClientConfig::keygate("http://h", "a", " ", "https://localhost/cb").is_err());
        assert!(ClientConfig::keygate("ftp://h", "a", "s", "https://localhost/cb").is_err());
        assert!(ClientConfig::keygate("http://h", "a", "s", "not a url").is_err());
    }

    #[test]
    fn debug_output_never_shows_the_client_secret() {
        let c = ClientConfig::keygate("http://h", "a", "hunter2", "https://localhost/cb").unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
