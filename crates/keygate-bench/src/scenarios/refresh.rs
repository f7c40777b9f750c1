//! `refresh`: each connection rotates its own refresh-token chain, always presenting the token
//! the previous answer returned. Chains start from codes minted through the real pages, or from
//! a file of refresh tokens (for a peer server that mints them itself).

use anyhow::{bail, Context};
use async_trait::async_trait;
use hyper::header::{HeaderValue, AUTHORIZATION};
use serde::Deserialize;

use super::code_exchange::signed_in_browsers;
use super::{judge, setup_all, Flavour, Options};
use crate::browser::azure_refresh_fields;
use crate::conn::{Conn, Req};
use crate::fixture::Fixture;
use crate::runner::{Outcome, Worker};
use crate::target::Target;

#[derive(Deserialize)]
struct Rotated {
    refresh_token: String,
}

struct RefreshWorker {
    conn: Conn,
    fixture: Option<Fixture>,
    basic: Option<HeaderValue>,
    token_path: String,
    token: String,
}

#[async_trait]
impl Worker for RefreshWorker {
    async fn step(&mut self) -> Outcome {
        let req = match (&self.basic, &self.fixture) {
            (Some(basic), _) => Req::form(
                self.token_path.clone(),
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &self.token),
                ],
            )
            .header(AUTHORIZATION, basic.clone()),
            (None, Some(fixture)) => Req::form(
                self.token_path.clone(),
                &azure_refresh_fields(fixture, &self.token),
            ),
            (None, None) => return Outcome::Failed("no client credentials".into()),
        };
        match judge(self.conn.send(&req).await) {
            Ok(answer) => match serde_json::from_slice::<Rotated>(&answer.body) {
                Ok(r) => {
                    self.token = r.refresh_token;
                    Outcome::Ok
                }
                Err(_) => Outcome::Failed("no refresh_token in the answer".into()),
            },
            Err(failed) => failed,
        }
    }

    fn reconnects(&self) -> u64 {
        self.conn.reconnects()
    }
}

/// Starts one chain per connection through sign-in, authorize, Accept and the code exchange.
pub(super) async fn mint_chains(
    target: &Target,
    options: &Options,
    count: usize,
) -> anyhow::Result<Vec<crate::browser::Tokens>> {
    let fixture = options.fixture()?.clone();
    let browsers = signed_in_browsers(target, &fixture, options.setup_concurrency.max(1)).await?;
    setup_all(count, options.setup_concurrency, move |i| {
        let browser = browsers[i % browsers.len()].clone();
        let fixture = fixture.clone();
        async move {
            let code = browser.authorize_code(&fixture).await?;
            browser.exchange(&fixture, &code).await
        }
    })
    .await
}

pub(super) async fn workers(
    target: &Target,
    options: &Options,
    connections: usize,
) -> anyhow::Result<Vec<Box<dyn Worker>>> {
    let tokens: Vec<String> = match &options.refresh_tokens {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let tokens: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            if tokens.len() < connections {
                bail!(
                    "{} holds {} refresh tokens; {connections} connections need one each",
                    path.display(),
                    tokens.len()
                );
            }
            tokens
        }
        None => {
            eprintln!(
                "starting {connections} refresh-token chains through authorize + consent ..."
            );
            mint_chains(target, options, connections)
                .await?
                .into_iter()
                .map(|t| t.refresh_token)
                .collect()
        }
    };
    let basic = match options.flavour {
        Flavour::Standard => Some(options.basic_auth()?),
        Flavour::Azure => None,
    };
    Ok(tokens
        .into_iter()
        .take(connections)
        .enumerate()
        .map(|(i, token)| {
            Box::new(RefreshWorker {
                conn: target.conn_for(i),
                fixture: options.fixture.clone(),
                basic: basic.clone(),
                token_path: options.token_path.clone(),
                token,
            }) as Box<dyn Worker>
        })
        .collect())
}
