//! Prometheus metrics: requests by route template and status, latency, tokens issued by grant,
//! token errors by code, sign-in failures and database pool use, served as text at `/metrics`.
//!
//! Each server state has its own registry, so two servers in one process (tests) never mix
//! their numbers. With `--metrics-listen` the endpoint moves to its own listener.

use std::future::Future;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use tokio::net::TcpListener;

use crate::state::AppState;

/// The route label of a request that matched no route (so a scan cannot blow up the label set).
const UNMATCHED: &str = "unmatched";

/// Latency buckets, seconds: a token request takes about a millisecond, a sign-in (Argon2id)
/// tens of milliseconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The metrics of one server.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    tokens_issued: IntCounterVec,
    token_errors: IntCounterVec,
    sign_in_failures: IntCounter,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    write_batches: IntGauge,
    batched_writes: IntGauge,
    pool_max: IntGauge,
    audit_write_failures: IntGauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Why the metrics could not be set up: a name or label is malformed or registered twice.
#[derive(Debug, thiserror::Error)]
#[error("could not register a metric: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

impl Metrics {
    /// A fresh registry with every Keygate metric at zero.
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new_custom(Some("keygate".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route template and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer an HTTP request, by route template",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["method", "route"],
        )?;
        let tokens_issued = IntCounterVec::new(
            Opts::new(
                "tokens_issued_total",
                "Token responses issued, by grant type",
            ),
            &["grant"],
        )?;
        let token_errors = IntCounterVec::new(
            Opts::new(
                "token_errors_total",
                "Token requests refused, by error code",
            ),
            &["error"],
        )?;
        let sign_in_failures = IntCounter::new(
            "sign_in_failures_total",
            "Sign-ins refused for a wrong email or password",
        )?;
        let pool_connections = IntGauge::new("db_pool_connections", "Database connections open")?;
        let pool_idle = IntGauge::new("db_pool_idle_connections", "Database connections idle")?;
        let pool_max = IntGauge::new(
            "db_pool_max_connections",
            "Most database connections the pools will open",
        )?;
        let write_batches = IntGauge::new(
            "db_write_batches",
            "Transactions the hot writes (consents, exchanges, rotations, sessions) were \
             committed in since the start (SQLite; 0 on PostgreSQL)",
        )?;
        let batched_writes = IntGauge::new(
            "db_batched_writes",
            "Hot writes committed in those transactions: over db_write_batches, the writes \
             sharing one fsync",
        )?;
        let audit_write_failures = IntGauge::new(
            "audit_write_failures",
            "Audit events that could not be written since the process started",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(tokens_issued.clone()))?;
        registry.register(Box::new(token_errors.clone()))?;
        registry.register(Box::new(sign_in_failures.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_idle.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        registry.register(Box::new(write_batches.clone()))?;
        registry.register(Box::new(batched_writes.clone()))?;
        registry.register(Box::new(audit_write_failures.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            tokens_issued,
            token_errors,
            sign_in_failures,
            pool_connections,
            pool_idle,
            pool_max,
            write_batches,
            batched_writes,
            audit_write_failures,
        })
    }

    /// Counts a refused sign-in.
    pub fn sign_in_failed(&self) {
        self.sign_in_failures.inc();
    }

    /// Counts a token response for `grant_type` as sent (folded to a small fixed set).
    pub fn token_issued(&self, grant_type: Option<&str>) {
        self.tokens_issued
            .with_label_values(&[grant_label(grant_type)])
            .inc();
    }

    /// Counts a refused token request by its error code (folded to a small fixed set).
    pub fn token_refused(&self, error: &str) {
        self.token_errors
            .with_label_values(&[error_label(error)])
            .inc();
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        self.requests
            .with_label_values(&[method, route, status.as_str()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// The text exposition of every metric, with the pool gauges read now.
    pub fn render(&self, state: &AppState) -> String {
        if let Some(pool) = state.kg.pool_stats() {
            self.pool_connections.set(i64::from(pool.connections));
            self.pool_idle.set(i64::from(pool.idle));
            self.pool_max.set(i64::from(pool.max_connections));
            self.write_batches
                .set(i64::try_from(pool.write_batches).unwrap_or(i64::MAX));
            self.batched_writes
                .set(i64::try_from(pool.batched_writes).unwrap_or(i64::MAX));
        }
        self.audit_write_failures
            .set(i64::try_from(keygate_core::audit::failed_writes()).unwrap_or(i64::MAX));
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "could not encode metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The grant label: the grant types Keygate serves, and `other` for anything else.
fn grant_label(grant_type: Option<&str>) -> &'static str {
    match grant_type.map(str::trim) {
        Some(g) if g.eq_ignore_ascii_case("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
            "jwt-bearer"
        }
        Some("authorization_code") => "authorization_code",
        Some("refresh_token") => "refresh_token",
        Some("client_credentials") => "client_credentials",
        _ => "other",
    }
}

/// The error label: the codes of both token flavours, and `other` for anything else.
fn error_label(error: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
    ];
    KNOWN
        .iter()
        .find(|k| **k == error)
        .copied()
        .unwrap_or("other")
}

/// Middleware: counts and times every request under its route template (never the raw path,
/// which would carry ids and credentials), and counts token endpoint outcomes.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let response = if route == TOKEN_ROUTE {
        run_token_request(&state, request, next).await
    } else {
        next.run(request).await
    };
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

const TOKEN_ROUTE: &str = "/oauth2/token";

/// Runs a token request, reading its `grant_type` on the way in and, on the way out, whether a
/// token was issued or which error code refused it. Both bodies are small forms and JSON
/// documents held in memory anyway; the request is read no further than the body limit.
async fn run_token_request(state: &AppState, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, state.limits.max_body_bytes).await else {
        state.metrics.token_refused("invalid_request");
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let grant = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.into_owned());
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_TOKEN_RESPONSE).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if parts.status.is_success() {
        state.metrics.token_issued(grant.as_deref());
    } else {
        // The Azure flavour names the code `Error`, the standard one `error`.
        let code = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|json| {
                json.get("Error")
                    .or_else(|| json.get("error"))
                    .and_then(|v| v.as_str().map(str::to_owned))
            });
        state
            .metrics
            .token_refused(code.as_deref().unwrap_or("other"));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A token response is a few kilobytes of JSON.
const MAX_TOKEN_RESPONSE: usize = 256 * 1024;

async fn serve_metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&state),
    )
        .into_response()
}

/// `GET /metrics` on the public listener, unless the metrics have a listener of their own.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    if state.metrics_public {
        Router::new().route("/metrics", get(serve_metrics))
    } else {
        Router::new()
    }
}

/// Serves `GET /metrics` (and nothing else) on `listener` until `shutdown` resolves.
pub async fn serve_metrics_listener(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(serve_metrics))
        .with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fold_unknown_values_into_other() {
        assert_eq!(
            grant_label(Some("urn:ietf:params:oauth:grant-type:jwt-bearer")),
            "jwt-bearer"
        );
        assert_eq!(grant_label(Some("refresh_token")), "refresh_token");
        assert_eq!(grant_label(Some("password")), "other");
        assert_eq!(grant_label(None), "other");
        assert_eq!(error_label("invalid_grant"), "invalid_grant");
        assert_eq!(error_label("<script>"), "other");
    }
}
