//! The load scenarios: what each connection sends, what it needs minted beforehand, and when an
//! answer counts as a success (a 2xx carrying what the next step needs; anything else is an error).

mod api;
mod client_credentials;
mod code_exchange;
mod full_flow;
mod get;
mod introspect;
mod refresh;

use std::path::PathBuf;

use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use clap::ValueEnum;
use hyper::header::HeaderValue;

use crate::conn::{Answer, ConnError};
use crate::fixture::Fixture;
use crate::runner::{Outcome, Worker};
use crate::target::Target;

/// A load scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Scenario {
    /// Redeem authorization codes minted beforehand through authorize + consent.
    CodeExchange,
    /// Refresh, each connection rotating its own chain.
    Refresh,
    /// Bearer calls to `/_apis/profile/profiles/me`.
    Api,
    /// `grant_type=client_credentials` (standard OAuth).
    ClientCredentials,
    /// RFC 7662 introspection of a live access token.
    Introspect,
    /// Sign-in, authorize, consent, exchange, API call and refresh, as one step.
    FullFlow,
    /// A plain GET of `--path` (the ceiling, against `keygate-bench hello`).
    Get,
}

impl Scenario {
    /// The name used on the command line and in reports.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Scenario::CodeExchange => "code-exchange",
            Scenario::Refresh => "refresh",
            Scenario::Api => "api",
            Scenario::ClientCredentials => "client-credentials",
            Scenario::Introspect => "introspect",
            Scenario::FullFlow => "full-flow",
            Scenario::Get => "get",
        }
    }
}

/// The wire flavour of token requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Flavour {
    /// Azure DevOps: `client_assertion`, the refresh token in `assertion`, `redirect_uri`.
    Azure,
    /// RFC 6749: `client_secret_basic`, `refresh_token`.
    Standard,
}

/// Everything a scenario may need besides the target.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The bench user and app (from `seed --fixture`).
    pub fixture: Option<Fixture>,
    /// Token request flavour for `refresh` and `code-exchange`.
    pub flavour: Flavour,
    /// Client id for standard requests (default: the fixture's App ID).
    pub client_id: Option<String>,
    /// Client secret for standard requests (default: the fixture's secret).
    pub client_secret: Option<String>,
    /// Token endpoint path.
    pub token_path: String,
    /// Introspection endpoint path.
    pub introspect_path: String,
    /// Starting refresh tokens, one a line, instead of minting chains through the flow (peers).
    pub refresh_tokens: Option<PathBuf>,
    /// Extra `scope` for client credentials.
    pub scope: Option<String>,
    /// Extra `resource` for client credentials (RFC 8707; makes node-oidc-provider issue JWTs).
    pub resource: Option<String>,
    /// Path for `get`.
    pub path: String,
    /// Codes to mint beforehand for `code-exchange` when the run is time-bound.
    pub codes: u64,
    /// Concurrent browsers minting codes and chains beforehand.
    pub setup_concurrency: usize,
}

impl Options {
    fn fixture(&self) -> anyhow::Result<&Fixture> {
        self.fixture
            .as_ref()
            .context("this scenario needs --fixture (written by `keygate-bench seed`)")
    }

    /// The standard flavour's client credentials as a Basic `Authorization` value (RFC 6749
    /// §2.3.1: each half form-encoded first).
    fn basic_auth(&self) -> anyhow::Result<HeaderValue> {
        let id = match (&self.client_id, &self.fixture) {
            (Some(id), _) => id.clone(),
            (None, Some(f)) => f.app_id.clone(),
            (None, None) => anyhow::bail!("give --client-id or --fixture"),
        };
        let secret = match (&self.client_secret, &self.fixture) {
            (Some(s), _) => s.clone(),
            (None, Some(f)) => f.client_secret.clone(),
            (None, None) => anyhow::bail!("give --client-secret or --fixture"),
        };
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let value = format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", enc(&id), enc(&secret)))
        );
        Ok(HeaderValue::from_str(&value)?)
    }
}

/// Builds one worker per connection, minting beforehand what the scenario consumes.
pub(crate) async fn workers(
    scenario: Scenario,
    target: &Target,
    options: &Options,
    connections: usize,
    steps: Option<u64>,
) -> anyhow::Result<Vec<Box<dyn Worker>>> {
    match scenario {
        Scenario::CodeExchange => {
            code_exchange::workers(target, options, connections, steps.unwrap_or(options.codes))
                .await
        }
        Scenario::Refresh => refresh::workers(target, options, connections).await,
        Scenario::Api => api::workers(target, options, connections).await,
        Scenario::ClientCredentials => client_credentials::workers(target, options, connections),
        Scenario::Introspect => introspect::workers(target, options, connections).await,
        Scenario::FullFlow => full_flow::workers(target, options, connections),
        Scenario::Get => Ok(get::workers(target, options, connections)),
    }
}

/// A 2xx answer is a success; anything else an error named by its status.
fn judge(answer: Result<Answer, ConnError>) -> Result<Answer, Outcome> {
    match answer {
        Ok(a) if a.status.is_success() => Ok(a),
        Ok(a) => Err(Outcome::Failed(format!("HTTP {}", a.status.as_u16()))),
        Err(e) => Err(Outcome::Failed(e.label().to_owned())),
    }
}

/// Runs `make` for every item with at most `concurrency` at once, keeping the order.
async fn setup_all<T, F, Fut>(count: usize, concurrency: usize, make: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    let mut out: Vec<Option<T>> = (0..count).map(|_| None).collect();
    let mut next = 0;
    while next < count || !set.is_empty() {
        while next < count && set.len() < concurrency.max(1) {
            let fut = make(next);
            let i = next;
            set.spawn(async move { (i, fut.await) });
            next += 1;
        }
        if let Some(joined) = set.join_next().await {
            let (i, result) = joined.context("a setup task panicked")?;
            out[i] = Some(result?);
        }
    }
    Ok(out.into_iter().flatten().collect())
}
