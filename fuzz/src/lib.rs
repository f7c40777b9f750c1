//! Shared set-up for the fuzz targets that drive the real router in-process: a SQLite store in a
//! temporary directory, one user and one registered app, rate limits off, and a runtime to
//! block on. Inputs may name the app with `{app}`, its secret with `{secret}` and its callback
//! with `{callback}`, so the fuzzer reaches past the client lookup.

use std::sync::{Arc, OnceLock};

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use keygate_core::apps::{register_app, Registration};
use keygate_core::model::ClientKind;
use keygate_core::{accounts, Lifetimes, Policy, SystemClock};
use keygate_server::{build_state, Limits, ServerOptions};
use keygate_store_sqlite::SqliteStore;
use tower::ServiceExt;

/// The registered app's callback URL.
pub const CALLBACK: &str = "https://localhost:5001/oauth/callback";

/// A built router and the credentials of its one app.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    /// App ID, upper case.
    pub app_id: String,
    /// Client secret.
    pub secret: String,
    _dir: tempfile::TempDir,
}

/// The process-wide harness, built on first use.
pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(build)
}

fn build() -> Harness {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
    let (router, app_id, secret) = rt.block_on(async move {
        let store = SqliteStore::connect(&url).await.expect("store");
        let state = build_state(
            Arc::new(store),
            ServerOptions {
                public_url: "https://keygate.fuzz".parse().expect("url"),
                lifetimes: Lifetimes::default(),
                policy: Policy::default(),
                clock: Arc::new(SystemClock),
            },
        )
        .await
        .expect("state")
        .with_limits(Limits {
            token_requests_per_minute: 0,
            sign_in_attempts_per_minute: 0,
            ..Limits::default()
        });
        let kg = &state.kg;
        let user = accounts::create_user(
            kg.data(),
            kg.clock.as_ref(),
            "fuzz@keygate.fuzz",
            "Fuzz",
            "fuzz-password",
        )
        .await
        .expect("user");
        let registered = register_app(
            kg,
            user.id,
            &Registration {
                company_name: "Fuzz".into(),
                name: "Fuzz app".into(),
                website: "https://fuzz.example".into(),
                callback_url: CALLBACK.into(),
                scopes: "vso.profile vso.code vso.work_write".into(),
                kind: Some(ClientKind::Confidential),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("app");
        let app_id = registered.app.id.to_upper();
        let secret = registered.client_secret.expect("secret");
        (keygate_server::router(state), app_id, secret)
    });
    Harness {
        rt,
        router,
        app_id,
        secret,
        _dir: dir,
    }
}

impl Harness {
    /// Replaces the `{app}`, `{secret}` and `{callback}` placeholders.
    pub fn fill(&self, input: &str) -> String {
        input
            .replace("{app}", &self.app_id)
            .replace("{secret}", &self.secret)
            .replace("{callback}", CALLBACK)
    }

    /// Sends one request through the router and returns the status, `Location` and body.
    pub fn send(&self, request: Request<Body>) -> (StatusCode, Option<String>, Vec<u8>) {
        self.rt.block_on(async {
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .expect("the router is infallible");
            let status = response.status();
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = to_bytes(response.into_body(), usize::MAX)
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            (status, location, body)
        })
    }
}

/// Percent-encodes every byte that may not appear raw in a URI query, so any input becomes a
/// request the HTTP layer accepts and the query parser sees.
pub fn as_query(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_graphic() && b != b'#' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
