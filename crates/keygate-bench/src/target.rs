//! The server under test: one or more nodes, each a base URL resolved once to a socket address.
//! With several nodes (say two Keygate nodes on one PostgreSQL database), connection `i` goes to
//! node `i % n`, and the setup a scenario does beforehand (sign-ins, codes, chains) goes to the
//! first node: the nodes share one database, so what one minted the others accept.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use anyhow::{bail, Context};
use hyper::header::HeaderValue;
use url::Url;

use crate::conn::Conn;

/// One node: its base URL and address.
#[derive(Debug, Clone)]
struct Node {
    /// The base URL, without a trailing slash.
    base: String,
    addr: SocketAddr,
    host: HeaderValue,
}

impl Node {
    /// Parses a plain-http base URL (`http://127.0.0.1:8080`) and resolves its address.
    fn parse(base: &str) -> anyhow::Result<Self> {
        let url = Url::parse(base).with_context(|| format!("{base} is not a URL"))?;
        if url.scheme() != "http" {
            bail!("only http:// targets are supported (load stays on loopback)");
        }
        let host = url.host_str().context("the URL has no host")?;
        let port = url.port_or_known_default().unwrap_or(80);
        let addr = (host, port)
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {host}"))?
            .next()
            .with_context(|| format!("{host} resolves to no address"))?;
        let host_header = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        Ok(Self {
            base: url.as_str().trim_end_matches('/').to_owned(),
            addr,
            host: HeaderValue::from_str(&host_header).context("host header")?,
        })
    }
}

/// Where the load goes: one node or several serving the same database.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The base URLs, comma separated (for reports).
    pub base: String,
    nodes: Arc<[Node]>,
}

impl Target {
    /// Parses one or more plain-http base URLs and resolves their addresses.
    pub(crate) fn parse(bases: &[String]) -> anyhow::Result<Self> {
        if bases.is_empty() {
            bail!("give at least one --url");
        }
        let nodes = bases
            .iter()
            .map(|b| Node::parse(b))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            base: nodes
                .iter()
                .map(|n| n.base.as_str())
                .collect::<Vec<_>>()
                .join(","),
            nodes: nodes.into(),
        })
    }

    fn first(&self) -> &Node {
        // `parse` refuses an empty list, so there is always a first node.
        &self.nodes[0]
    }

    /// A fresh (not yet opened) connection for load connection `i`: to node `i % n`.
    pub(crate) fn conn_for(&self, i: usize) -> Conn {
        let node = &self.nodes[i % self.nodes.len()];
        Conn::new(node.addr, node.host.clone())
    }

    /// The target made of node `i % n` alone (for a worker that builds its own clients).
    pub(crate) fn node(&self, i: usize) -> Target {
        let n = self.nodes.len();
        let node = &self.nodes[i % n];
        Target {
            base: node.base.clone(),
            nodes: Arc::from(vec![node.clone()]),
        }
    }

    /// An absolute URL for `path` on the first node.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.first().base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_go_round_robin_over_the_nodes() {
        let target = Target::parse(&[
            "http://127.0.0.1:18080".to_owned(),
            "http://127.0.0.1:18081/".to_owned(),
        ])
        .expect("two nodes");
        assert_eq!(target.base, "http://127.0.0.1:18080,http://127.0.0.1:18081");
        assert_eq!(target.node(0).base, "http://127.0.0.1:18080");
        assert_eq!(target.node(1).base, "http://127.0.0.1:18081");
        assert_eq!(target.node(2).base, "http://127.0.0.1:18080");
        assert_eq!(target.url("/x"), "http://127.0.0.1:18080/x");
        assert!(Target::parse(&[]).is_err());
        assert!(Target::parse(&["https://127.0.0.1:1".to_owned()]).is_err());
    }
}
