//! `client-credentials`: `grant_type=client_credentials` with `client_secret_basic` (RFC 6749
//! §4.4), the shared scenario of the comparison with node-oidc-provider.

use async_trait::async_trait;
use hyper::header::AUTHORIZATION;
use serde::Deserialize;

use super::{judge, Options};
use crate::conn::{Conn, Req};
use crate::runner::{Outcome, Worker};
use crate::target::Target;

#[derive(Deserialize)]
pub(super) struct Issued {
    pub(super) access_token: String,
}

struct CredentialsWorker {
    conn: Conn,
    req: Req,
}

#[async_trait]
impl Worker for CredentialsWorker {
    async fn step(&mut self) -> Outcome {
        match judge(self.conn.send(&self.req).await) {
            Ok(answer) => match serde_json::from_slice::<Issued>(&answer.body) {
                Ok(_) => Outcome::Ok,
                Err(_) => Outcome::Failed("no access_token in the answer".into()),
            },
            Err(failed) => failed,
        }
    }

    fn reconnects(&self) -> u64 {
        self.conn.reconnects()
    }
}

/// The client-credentials token request.
pub(super) fn request(options: &Options) -> anyhow::Result<Req> {
    let mut fields = vec![("grant_type", "client_credentials")];
    if let Some(scope) = &options.scope {
        fields.push(("scope", scope));
    }
    if let Some(resource) = &options.resource {
        fields.push(("resource", resource));
    }
    Ok(Req::form(options.token_path.clone(), &fields).header(AUTHORIZATION, options.basic_auth()?))
}

pub(super) fn workers(
    target: &Target,
    options: &Options,
    connections: usize,
) -> anyhow::Result<Vec<Box<dyn Worker>>> {
    let req = request(options)?;
    Ok((0..connections)
        .map(|i| {
            Box::new(CredentialsWorker {
                conn: target.conn_for(i),
                req: req.clone(),
            }) as Box<dyn Worker>
        })
        .collect())
}
