//! A server started with chosen [`Limits`] and public URL, for the limit, header and rate-limit
//! tests; plus a raw TCP client for what `reqwest` will not do (half a request head, a slow body).

use std::sync::Arc;
use std::time::Duration;

use keygate_core::{Lifetimes, ManualClock, Policy};
use keygate_server::{build_state, serve, Limits, ServerOptions};
use keygate_store_sqlite::SqliteStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::helpers::browser;

pub(crate) struct LimitedApp {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl LimitedApp {
    /// Serves on a random loopback port; `public_url` defaults to that address over http.
    pub(crate) async fn spawn(limits: Limits, public_url: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keygate.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let clock = Arc::new(ManualClock::starting_now());
        let state = build_state(
            Arc::new(store),
            ServerOptions {
                public_url: public_url.unwrap_or(&base).parse().unwrap(),
                lifetimes: Lifetimes::default(),
                policy: Policy::default(),
                clock: clock.clone(),
            },
        )
        .await
        .unwrap()
        .with_limits(limits);
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            base,
            addr,
            client: browser(),
            clock,
            shutdown: Some(tx),
            _dir: dir,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A raw connection to the server.
    pub(crate) async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.unwrap()
    }
}

impl Drop for LimitedApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Reads until the server closes the connection (or `deadline` passes, which fails the test);
/// returns what was read.
pub(crate) async fn read_until_closed(stream: &mut TcpStream, deadline: Duration) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(deadline, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server kept the connection open past {deadline:?}; read: {}",
        String::from_utf8_lossy(&out)
    );
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends a complete request and reads one response head and its `Content-Length` body,
/// leaving the connection open.
pub(crate) async fn request_on(stream: &mut TcpStream, raw: &str) -> String {
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed before a full response");
        out.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&out).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if out.len() >= end + 4 + length {
                return text;
            }
        }
    }
}
