//! `full-flow`: one step is what a new user of an app does: sign in, authorize, Accept, exchange
//! the code, call the API and refresh, each from a fresh browser (empty cookie jar).

use async_trait::async_trait;

use super::api::PROFILE_PATH;
use super::Options;
use crate::browser::Browser;
use crate::fixture::Fixture;
use crate::runner::{Outcome, Worker};
use crate::target::Target;

/// Requests one flow sends: GET and POST sign-in, GET and POST authorize, exchange, API, refresh.
const REQUESTS_PER_FLOW: u64 = 7;

struct FlowWorker {
    target: Target,
    fixture: Fixture,
}

impl FlowWorker {
    async fn flow(&self) -> anyhow::Result<()> {
        let browser = Browser::new(&self.target)?;
        browser.sign_in(&self.fixture).await?;
        let code = browser.authorize_code(&self.fixture).await?;
        let tokens = browser.exchange(&self.fixture, &code).await?;
        let r = browser
            .client()
            .get(self.target.url(PROFILE_PATH))
            .bearer_auth(&tokens.access_token)
            .header("X-TFS-FedAuthRedirect", "Suppress")
            .send()
            .await?;
        if !r.status().is_success() {
            anyhow::bail!("GET {PROFILE_PATH} answered {}", r.status());
        }
        browser
            .refresh(&self.fixture, &tokens.refresh_token)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Worker for FlowWorker {
    async fn step(&mut self) -> Outcome {
        match self.flow().await {
            Ok(()) => Outcome::Ok,
            // The message names the step and the status ("POST /_signin answered 429 ...").
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    fn requests_per_step(&self) -> u64 {
        REQUESTS_PER_FLOW
    }
}

pub(super) fn workers(
    target: &Target,
    options: &Options,
    connections: usize,
) -> anyhow::Result<Vec<Box<dyn Worker>>> {
    let fixture = options.fixture()?.clone();
    Ok((0..connections)
        .map(|i| {
            Box::new(FlowWorker {
                target: target.node(i),
                fixture: fixture.clone(),
            }) as Box<dyn Worker>
        })
        .collect())
}
