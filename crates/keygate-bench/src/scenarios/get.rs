//! `get`: a plain GET of one path, nothing else; against `keygate-bench hello` it measures what
//! this machine's loopback and HTTP stack allow, the ceiling for `api`.

use async_trait::async_trait;

use super::{judge, Options};
use crate::conn::{Conn, Req};
use crate::runner::{Outcome, Worker};
use crate::target::Target;

struct GetWorker {
    conn: Conn,
    req: Req,
}

#[async_trait]
impl Worker for GetWorker {
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

pub(super) fn workers(
    target: &Target,
    options: &Options,
    connections: usize,
) -> Vec<Box<dyn Worker>> {
    (0..connections)
        .map(|i| {
            Box::new(GetWorker {
                conn: target.conn_for(i),
                req: Req::get(options.path.clone()),
            }) as Box<dyn Worker>
        })
        .collect()
}
