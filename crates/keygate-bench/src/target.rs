//! The server under test: its base URL, resolved once to a socket address.

use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::{bail, Context};
use hyper::header::HeaderValue;
use url::Url;

use crate::conn::Conn;

/// Where the load goes.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The base URL, without a trailing slash.
    pub base: String,
    addr: SocketAddr,
    host: HeaderValue,
}

impl Target {
    /// Parses a plain-http base URL (`http://127.0.0.1:8080`) and resolves its address.
    pub(crate) fn parse(base: &str) -> anyhow::Result<Self> {
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

    /// A fresh (not yet opened) connection to the target.
    pub(crate) fn conn(&self) -> Conn {
        Conn::new(self.addr, self.host.clone())
    }

    /// An absolute URL for `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}
