//! One kept-alive HTTP/1.1 connection per load worker, on hyper's connection-level client.
//!
//! A load tool measures the server, so each worker owns exactly one TCP connection (like `wrk`):
//! no pool to wait on, no connection shared between workers, and a new connection only when the
//! server closed the old one (which is then counted as a reconnect).

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Why a request got no HTTP answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnError {
    /// The TCP connection could not be opened.
    #[error("connect: {0}")]
    Connect(#[source] std::io::Error),
    /// The HTTP exchange failed (connection reset, malformed answer, ...).
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    /// The request could not be built (a header value with forbidden bytes).
    #[error("request: {0}")]
    Build(#[from] hyper::http::Error),
}

impl ConnError {
    /// A short, stable label for error tables.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            ConnError::Connect(_) => "connect error",
            ConnError::Http(_) => "transport error",
            ConnError::Build(_) => "request build error",
        }
    }
}

/// A request as a scenario describes it; the connection adds `Host` and `Content-Length`.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    /// GET, POST, ...
    pub method: Method,
    /// Path and query, e.g. `/oauth2/token`.
    pub path: String,
    /// Extra headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body (empty for GET).
    pub body: Bytes,
}

impl Req {
    /// A GET of `path`.
    pub(crate) fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// A POST of a URL-encoded form.
    pub(crate) fn form(path: impl Into<String>, fields: &[(&str, &str)]) -> Self {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        Self {
            method: Method::POST,
            path: path.into(),
            headers: vec![(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )],
            body: Bytes::from(body),
        }
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// The answer: status and the whole body.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// The body, read to the end.
    pub body: Bytes,
}

/// One kept-alive connection to the server under test.
pub(crate) struct Conn {
    addr: SocketAddr,
    host: HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
    reconnects: u64,
}

impl Conn {
    /// A connection to `addr`, opened lazily on the first request; `host` is sent as `Host`.
    pub(crate) fn new(addr: SocketAddr, host: HeaderValue) -> Self {
        Self {
            addr,
            host,
            sender: None,
            reconnects: 0,
        }
    }

    /// How many times the connection had to be opened again after the first time.
    pub(crate) fn reconnects(&self) -> u64 {
        self.reconnects
    }

    async fn connect(&mut self) -> Result<SendRequest<Full<Bytes>>, ConnError> {
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(ConnError::Connect)?;
        stream.set_nodelay(true).map_err(ConnError::Connect)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // The connection ends when the server closes it or the sender is dropped; the next
            // request notices and reconnects.
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends `req` and reads the whole answer.
    pub(crate) async fn send(&mut self, req: &Req) -> Result<Answer, ConnError> {
        let mut sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            previous => {
                if previous.is_some() {
                    self.reconnects += 1;
                }
                self.connect().await?
            }
        };
        sender.ready().await?;
        let mut builder = Request::builder()
            .method(req.method.clone())
            .uri(req.path.as_str())
            .header(HOST, self.host.clone());
        if !req.body.is_empty() || req.method == Method::POST {
            builder = builder.header(CONTENT_LENGTH, req.body.len());
        }
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let request = builder.body(Full::new(req.body.clone()))?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        self.sender = Some(sender);
        Ok(Answer { status, body })
    }
}
