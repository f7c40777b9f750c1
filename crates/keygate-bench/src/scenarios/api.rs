//! `api`: bearer calls to `GET /_apis/profile/profiles/me`, each connection reusing the access
//! token its own authorization got (as a client does for the token's hour).
//!
//! `X-TFS-FedAuthRedirect: Suppress` makes a refused token answer 401 rather than the 203
//! sign-in page, so a refusal is never mistaken for a 2xx success.

use async_trait::async_trait;
use hyper::header::{HeaderName, HeaderValue, AUTHORIZATION};

use super::refresh::mint_chains;
use super::{judge, Options};
use crate::conn::{Conn, Req};
use crate::runner::{Outcome, Worker};
use crate::target::Target;

/// The identity call clients make right after sign-in (protocol §7).
pub(super) const PROFILE_PATH: &str = "/_apis/profile/profiles/me";

struct ApiWorker {
    conn: Conn,
    req: Req,
}

#[async_trait]
impl Worker for ApiWorker {
    async fn step(&mut self) -> Outcome {
        match judge(self.conn.send(&self.req).await) {
            Ok(_) => Outcome::Ok,
            Err(failed) => failed,
        }
    }

    fn reconnects(&self) -> u64 {
        self.conn.reconnects()
    }
}

/// The profile request with a bearer token.
pub(super) fn profile_request(access_token: &str) -> anyhow::Result<Req> {
    Ok(Req::get(PROFILE_PATH)
        .header(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {access_token}"))?,
        )
        .header(
            HeaderName::from_static("x-tfs-fedauthredirect"),
            HeaderValue::from_static("Suppress"),
        ))
}

pub(super) async fn workers(
    target: &Target,
    options: &Options,
    connections: usize,
) -> anyhow::Result<Vec<Box<dyn Worker>>> {
    eprintln!("getting {connections} access tokens through authorize + consent ...");
    let tokens = mint_chains(target, options, connections).await?;
    tokens
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            Ok(Box::new(ApiWorker {
                conn: target.conn_for(i),
                req: profile_request(&t.access_token)?,
            }) as Box<dyn Worker>)
        })
        .collect()
}
