//! `code-exchange`: redeem authorization codes that were minted beforehand through the real
//! sign-in, authorize and Accept pages; each code is redeemed once.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use hyper::header::{HeaderValue, AUTHORIZATION};

use super::{judge, setup_all, Flavour, Options};
use crate::browser::{azure_exchange_fields, Browser};
use crate::conn::{Conn, Req};
use crate::fixture::Fixture;
use crate::runner::{Outcome, Worker};
use crate::target::Target;

struct CodeWorker {
    conn: Conn,
    fixture: Fixture,
    flavour: Flavour,
    basic: Option<HeaderValue>,
    token_path: String,
    /// Codes not redeemed yet, shared by every connection.
    codes: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl Worker for CodeWorker {
    async fn step(&mut self) -> Outcome {
        let next = match self.codes.lock() {
            Ok(mut codes) => codes.pop(),
            Err(poisoned) => poisoned.into_inner().pop(),
        };
        let Some(code) = next else {
            return Outcome::Exhausted;
        };
        let req = match (self.flavour, &self.basic) {
            (Flavour::Standard, Some(basic)) => Req::form(
                self.token_path.clone(),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &self.fixture.callback_url),
                ],
            )
            .header(AUTHORIZATION, basic.clone()),
            _ => Req::form(
                self.token_path.clone(),
                &azure_exchange_fields(&self.fixture, &code),
            ),
        };
        match judge(self.conn.send(&req).await) {
            Ok(_) => Outcome::Ok,
            Err(failed) => failed,
        }
    }

    fn reconnects(&self) -> u64 {
        self.conn.reconnects()
    }
}

/// Signs in `count` browsers as the fixture's user, at most `concurrency` at once.
pub(super) async fn signed_in_browsers(
    target: &Target,
    fixture: &Fixture,
    count: usize,
) -> anyhow::Result<Vec<Browser>> {
    let (target, fixture) = (target.clone(), fixture.clone());
    setup_all(count, count, move |_| {
        let (target, fixture) = (target.clone(), fixture.clone());
        async move {
            let b = Browser::new(&target)?;
            b.sign_in(&fixture).await?;
            Ok(b)
        }
    })
    .await
}

/// Mints `count` codes with a few signed-in browsers.
pub(super) async fn mint_codes(
    target: &Target,
    options: &Options,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let fixture = options.fixture()?.clone();
    let browsers = signed_in_browsers(target, &fixture, options.setup_concurrency.max(1)).await?;
    setup_all(count, options.setup_concurrency, move |i| {
        let browser = browsers[i % browsers.len()].clone();
        let fixture = fixture.clone();
        async move { browser.authorize_code(&fixture).await }
    })
    .await
}

pub(super) async fn workers(
    target: &Target,
    options: &Options,
    connections: usize,
    total: u64,
) -> anyhow::Result<Vec<Box<dyn Worker>>> {
    let fixture = options.fixture()?.clone();
    let total = usize::try_from(total)?;
    eprintln!("minting {total} authorization codes through authorize + consent ...");
    let codes = Arc::new(Mutex::new(mint_codes(target, options, total).await?));
    let basic = match options.flavour {
        Flavour::Standard => Some(options.basic_auth()?),
        Flavour::Azure => None,
    };
    Ok((0..connections)
        .map(|i| {
            Box::new(CodeWorker {
                conn: target.conn_for(i),
                fixture: fixture.clone(),
                flavour: options.flavour,
                basic: basic.clone(),
                token_path: options.token_path.clone(),
                codes: codes.clone(),
            }) as Box<dyn Worker>
        })
        .collect())
}
