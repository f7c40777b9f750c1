//! The web app's settings: flags, each also readable from a `WEBAPP_*` environment variable.

use clap::{Parser, ValueEnum};
use keygate_client::{ClientConfig, Endpoints, Flavour, DEFAULT_SCOPES};

/// A sample web app that signs users in through Keygate (or the hosted Azure DevOps service) and
/// shows their token, projects and builds.
#[derive(Debug, Clone, Parser)]
#[command(name = "keygate-webapp", version, about)]
pub struct Settings {
    /// Keygate's base URL (its `--public-url`).
    #[arg(
        long,
        env = "WEBAPP_KEYGATE_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub keygate_url: String,
    /// Talk to the hosted service (app.vssps.visualstudio.com and dev.azure.com) instead of Keygate.
    #[arg(long, env = "WEBAPP_AZURE_DEVOPS")]
    pub azure_devops: bool,
    /// The App ID of the registered app (`keygate demo` prints it).
    #[arg(long, env = "WEBAPP_APP_ID")]
    pub app_id: String,
    /// The Client Secret of the registered app (prefer the environment variable: a flag shows in
    /// the process list).
    #[arg(long, env = "WEBAPP_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// The registered authorization callback URL; this app serves its path.
    #[arg(
        long,
        env = "WEBAPP_CALLBACK_URL",
        default_value = "https://localhost:5001/oauth/callback"
    )]
    pub callback_url: String,
    /// Address to serve https on.
    #[arg(long, env = "WEBAPP_LISTEN", default_value = "127.0.0.1:5001")]
    pub listen: String,
    /// Scopes to ask for, space separated (the Azure flavour needs exactly the registered set).
    #[arg(long, env = "WEBAPP_SCOPES", default_value = DEFAULT_SCOPES)]
    pub scopes: String,
    /// Do not send a PKCE challenge.
    #[arg(long, env = "WEBAPP_NO_PKCE")]
    pub no_pkce: bool,
    /// The token endpoint's wire flavour: `azure` (the hosted service's) or `standard` (RFC 6749,
    /// which Keygate also serves).
    #[arg(long, env = "WEBAPP_FLAVOUR", value_enum, default_value_t = WireFlavour::Azure)]
    pub flavour: WireFlavour,
}

/// `--flavour`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WireFlavour {
    /// `response_type=Assertion`, `client_assertion`, PascalCase errors.
    Azure,
    /// `response_type=code`, HTTP Basic client authentication, RFC 6749 errors.
    Standard,
}

impl Settings {
    /// The SDK configuration these settings describe.
    pub fn client_config(&self) -> Result<ClientConfig, keygate_client::Error> {
        let endpoints = if self.azure_devops {
            Endpoints::azure_devops()
        } else {
            Endpoints::keygate(&self.keygate_url)?
        };
        Ok(ClientConfig::new(
            endpoints,
            &self.app_id,
            &self.client_secret,
            &self.callback_url,
        )?
        .with_scopes(&self.scopes)
        .with_flavour(match self.flavour {
            WireFlavour::Azure => Flavour::Azure,
            WireFlavour::Standard => Flavour::Standard,
        }))
    }

    /// The host names the self-signed certificate must cover: the callback's host, and the
    /// loopback names a browser may use for it.
    pub fn certificate_names(&self) -> Vec<String> {
        let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        if let Some(host) = url::Url::parse(&self.callback_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
        {
            if !names.contains(&host) {
                names.push(host);
            }
        }
        names
    }
}
