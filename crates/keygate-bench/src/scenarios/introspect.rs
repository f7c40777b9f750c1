//! `introspect`: RFC 7662 introspection of a live access token (got through client credentials
//! beforehand), authenticated with `client_secret_basic`. An answer must say `"active": true`.

use anyhow::{bail, Context};
use async_trait::async_trait;
use hyper::header::AUTHORIZATION;
use serde::Deserialize;

use super::client_credentials::{request, Issued};
use super::{judge, Options};
use crate::conn::{Conn, Req};
use crate::runner::{Outcome, Worker};
use crate::target::Target;

#[derive(Deserialize)]
struct Introspection {
    active: bool,
}

struct IntrospectWorker {
    conn: Conn,
    req: Req,
}

#[async_trait]
impl Worker for IntrospectWorker {
    async fn step(&mut self) -> Outcome {
        match judge(self.conn.send(&self.req).await) {
            Ok(answer) => match serde_json::from_slice::<Introspection>(&answer.body) {
                Ok(i) if i.active => Outcome::Ok,
                Ok(_) => Outcome::Failed("token reported inactive".into()),
                Err(_) => Outcome::Failed("not an introspection answer".into()),
            },
            Err(failed) => failed,
        }
    }

    fn reconnects(&self) -> u64 {
        self.conn.reconnects()
    }
}

pub(super) async fn workers(
    target: &Target,
    options: &Options,
    connections: usize,
) -> anyhow::Result<Vec<Box<dyn Worker>>> {
    let mint = request(options)?;
    let basic = options.basic_auth()?;
    let mut workers: Vec<Box<dyn Worker>> = Vec::with_capacity(connections);
    for i in 0..connections {
        // Each token is minted on the node that will introspect it, like a resource server
        // that introspects with the node it got its token from.
        let mut conn = target.conn_for(i);
        let answer = conn.send(&mint).await.context("client credentials")?;
        if !answer.status.is_success() {
            bail!("the client credentials request answered {}", answer.status);
        }
        let issued: Issued = serde_json::from_slice(&answer.body)
            .context("the client credentials answer has no access_token")?;
        let req = Req::form(
            options.introspect_path.clone(),
            &[("token", issued.access_token.as_str())],
        )
        .header(AUTHORIZATION, basic.clone());
        workers.push(Box::new(IntrospectWorker { conn, req }));
    }
    Ok(workers)
}
