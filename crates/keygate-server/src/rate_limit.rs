//! Rate limits answered with 429 and `Retry-After`: per client on the endpoints that
//! authenticate clients (`POST /oauth2/*` but authorize), per address on sign-in.
//!
//! A client is told apart by the SHA-256 of the credential it presents (`client_assertion`, the
//! Basic `Authorization` header, `client_secret`), else of its `client_id`, else by its address:
//! hashing is cheap and happens before any lookup, and someone who merely knows an app's id
//! cannot use up the budget of requests carrying that app's secret. The per-account sign-in
//! throttle (per account and address) lives in core (`sign_in_throttle`), counted in the
//! database; this one is in memory.
//!
//! Buckets follow the server's [`Clock`](keygate_core::Clock) (whole seconds), so tests move time
//! instead of waiting.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::error::PageError;
use crate::limits::Limits;
use crate::state::AppState;

/// Keygate's clock as a governor clock: whole seconds since the epoch, in nanoseconds.
#[derive(Clone)]
struct SecondsClock(Arc<dyn keygate_core::Clock>);

impl GovernorClock for SecondsClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let secs = u64::try_from(self.0.now()).unwrap_or(0);
        Nanos::from(Duration::from_secs(secs))
    }
}

type Keyed<K> = RateLimiter<K, DashMapStateStore<K>, SecondsClock, NoOpMiddleware<Nanos>>;

/// Past this many remembered keys, buckets that are full again are forgotten, so a flood of
/// distinct credentials cannot grow memory without bound.
const PRUNE_ABOVE: usize = 50_000;

/// The limiters, built once from [`Limits`].
pub struct RateLimits {
    clock: SecondsClock,
    token: Option<Keyed<[u8; 32]>>,
    sign_in: Option<Keyed<IpAddr>>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("token", &self.token.is_some())
            .field("sign_in", &self.sign_in.is_some())
            .finish()
    }
}

impl RateLimits {
    /// Limiters for `limits` over `clock`; a rate of 0 means no limiter.
    pub fn new(limits: &Limits, clock: Arc<dyn keygate_core::Clock>) -> Self {
        let clock = SecondsClock(clock);
        let quota = |per_minute: u32| NonZeroU32::new(per_minute).map(Quota::per_minute);
        Self {
            token: quota(limits.token_requests_per_minute)
                .map(|q| RateLimiter::dashmap_with_clock(q, clock.clone())),
            sign_in: quota(limits.sign_in_attempts_per_minute)
                .map(|q| RateLimiter::dashmap_with_clock(q, clock.clone())),
            clock,
        }
    }

    /// `Ok` when `key` may go ahead, else the whole seconds to wait (at least 1).
    fn check<K>(&self, limiter: &Keyed<K>, key: &K) -> Result<(), u64>
    where
        K: std::hash::Hash + Eq + Clone,
    {
        if limiter.len() > PRUNE_ABOVE {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs()
                .saturating_add(u64::from(wait.subsec_nanos() > 0))
                .max(1)
        })
    }
}

/// Which limit, if any, a request falls under.
enum Limited {
    Token,
    SignIn,
}

fn limited(request: &Request) -> Option<Limited> {
    if request.method() != Method::POST {
        return None;
    }
    let path = request.uri().path();
    if path == "/_signin" {
        Some(Limited::SignIn)
    } else if path.starts_with("/oauth2/") && path != "/oauth2/authorize" {
        Some(Limited::Token)
    } else {
        None
    }
}

fn remote_ip(request: &Request) -> IpAddr {
    crate::forwarded::of_request(request.extensions()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The bucket of a token request: the hash of the credential it presents, else of its
/// `client_id`, else of its address. `body` is the URL-encoded form.
pub fn client_key(authorization: Option<&[u8]>, body: &[u8], remote: IpAddr) -> [u8; 32] {
    let (mut assertion, mut secret, mut client_id) = (None, None, None);
    for (k, v) in form_urlencoded::parse(body) {
        let slot = match k.as_ref() {
            "client_assertion" => &mut assertion,
            "client_secret" => &mut secret,
            "client_id" => &mut client_id,
            _ => continue,
        };
        if slot.is_none() && !v.is_empty() {
            *slot = Some(v);
        }
    }
    let mut h = Sha256::new();
    if let Some(a) = assertion {
        h.update(b"assertion\0");
        h.update(a.as_bytes());
    } else if let Some(basic) =
        authorization.filter(|v| v.len() > 6 && v[..6].eq_ignore_ascii_case(b"basic "))
    {
        h.update(b"basic\0");
        h.update(basic[6..].trim_ascii());
    } else if let Some(s) = secret {
        h.update(b"secret\0");
        h.update(s.as_bytes());
    } else if let Some(id) = client_id {
        h.update(b"client_id\0");
        h.update(id.to_ascii_lowercase().as_bytes());
    } else {
        h.update(b"address\0");
        h.update(remote.to_string().as_bytes());
    }
    h.finalize().into()
}

/// The 429 of the token endpoints: JSON in the RFC 6749 shape.
fn token_too_many(retry_after: u64) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(serde_json::json!({
            "error": "temporarily_unavailable",
            "error_description": format!("Too many requests; retry after {retry_after} seconds"),
        })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// Middleware: answers 429 when the request's bucket is empty, else passes it on.
pub(crate) async fn enforce(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limits = &state.rate_limits;
    match limited(&request) {
        Some(Limited::SignIn) => {
            let Some(limiter) = &limits.sign_in else {
                return next.run(request).await;
            };
            let ip = remote_ip(&request);
            if let Err(retry_after) = limits.check(limiter, &ip) {
                tracing::info!(
                    retry_after,
                    "sign-in refused: too many attempts from one address"
                );
                return PageError::TooManyRequests {
                    retry_after: i64::try_from(retry_after).unwrap_or(i64::MAX),
                }
                .into_response();
            }
            next.run(request).await
        }
        Some(Limited::Token) => {
            let Some(limiter) = &limits.token else {
                return next.run(request).await;
            };
            let ip = remote_ip(&request);
            let (parts, body) = request.into_parts();
            let bytes = match to_bytes(body, state.limits.max_body_bytes).await {
                Ok(b) => b,
                Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
            };
            let authorization = parts
                .headers
                .get(header::AUTHORIZATION)
                .map(HeaderValue::as_bytes);
            let key = client_key(authorization, &bytes, ip);
            if let Err(retry_after) = limits.check(limiter, &key) {
                tracing::info!(
                    retry_after,
                    "token request refused: client over its rate limit"
                );
                return token_too_many(retry_after);
            }
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn the_presented_credential_decides_the_bucket_before_the_client_id() {
        let a = client_key(None, b"client_id=X&client_assertion=s1", HOME);
        let b = client_key(None, b"client_id=X&client_assertion=s2", HOME);
        let c = client_key(None, b"client_assertion=s1&client_id=Y", HOME);
        assert_ne!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn basic_credentials_and_a_posted_secret_are_buckets_of_their_own() {
        let basic = client_key(Some(b"Basic YTpi"), b"client_id=a", HOME);
        let basic_again = client_key(Some(b"basic  YTpi "), b"", HOME);
        let posted = client_key(None, b"client_id=a&client_secret=b", HOME);
        let id_only = client_key(None, b"client_id=A", HOME);
        assert_eq!(basic, basic_again);
        assert_ne!(basic, posted);
        assert_ne!(posted, id_only);
        assert_eq!(id_only, client_key(None, b"client_id=a", HOME));
    }

    #[test]
    fn requests_without_any_client_fall_back_to_their_address() {
        let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(
            client_key(None, b"grant_type=x", HOME),
            client_key(None, b"", HOME)
        );
        assert_ne!(client_key(None, b"", HOME), client_key(None, b"", other));
    }
}
