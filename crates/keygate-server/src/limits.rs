//! Request limits: how big a body may be, how long a request may take, how many connections are
//! served at once, and how often a client or an address may knock. Every number is a setting.

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// The server's limits; [`Limits::default`] holds the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted on any endpoint, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Time a connection may take to send a complete request head, including the wait for the
    /// next request on an idle keep-alive connection; the connection is closed after it.
    pub header_timeout: Duration,
    /// Time a request may take from its head to its response, body upload included (408 after).
    pub request_timeout: Duration,
    /// Time a TLS client may take to complete its handshake.
    pub tls_handshake_timeout: Duration,
    /// Connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// Connections one client address (an IPv6 /64) may hold at once; a connection past it is
    /// closed as soon as it is accepted. 0 turns the cap off. Trusted proxies are not counted.
    pub max_connections_per_address: usize,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the client address
    /// (for rate limits and the audit log); from any other peer those headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Requests per minute (and burst) one client may make to the token, introspection and
    /// revocation endpoints; 0 turns the limit off.
    pub token_requests_per_minute: u32,
    /// Sign-in attempts per minute (and burst) from one address; 0 turns the limit off.
    pub sign_in_attempts_per_minute: u32,
}

/// 256 KiB: a token or sign-in form is under 10 KiB, a work item a few KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;
/// 10 seconds to send a request head.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// 30 seconds for a whole request.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// 10 seconds for a TLS handshake.
pub const DEFAULT_TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// 512 connections: well inside the common 1024 open-file limit, with room for the database.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// 64 connections per address: a browser opens about six, a busy API client a few dozen, and
/// eight addresses at the cap still leave most of the 512 slots to everybody else.
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 64;
/// 3000 token requests a minute per client (50 a second sustained, bursts of 3000).
pub const DEFAULT_TOKEN_REQUESTS_PER_MINUTE: u32 = 3000;
/// 30 sign-in attempts a minute per address.
pub const DEFAULT_SIGN_IN_ATTEMPTS_PER_MINUTE: u32 = 30;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            tls_handshake_timeout: DEFAULT_TLS_HANDSHAKE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            trusted_proxies: Vec::new(),
            token_requests_per_minute: DEFAULT_TOKEN_REQUESTS_PER_MINUTE,
            sign_in_attempts_per_minute: DEFAULT_SIGN_IN_ATTEMPTS_PER_MINUTE,
        }
    }
}

/// The body limit: 413 from `Content-Length` before a byte is read, and a longer chunked body
/// cut off.
pub(crate) fn body_limit(limits: &Limits) -> RequestBodyLimitLayer {
    RequestBodyLimitLayer::new(limits.max_body_bytes)
}

/// The same limit for axum's body extractors, which otherwise keep their own 2 MB default.
pub(crate) fn extractor_body_limit(limits: &Limits) -> DefaultBodyLimit {
    DefaultBodyLimit::max(limits.max_body_bytes)
}

/// The request deadline: 408 when reading the body (by the handler or any middleware inside
/// this layer) and answering outlast `request_timeout`.
pub(crate) fn deadline(limits: &Limits) -> TimeoutLayer {
    TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout)
}
