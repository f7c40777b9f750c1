//! `TestApp`: starts the real server on port 0 over a fresh database (SQLite, or PostgreSQL when
//! `KEYGATE_TEST_POSTGRES_URL` is set: see `backend.rs`), with helpers named after the requests
//! they make.

use std::sync::Arc;

use keygate_core::apps::{register_app, Registration};
use keygate_core::model::{ClientKind, User};
use keygate_core::{accounts, Lifetimes, ManualClock, Policy};
use keygate_server::{build_state, serve, AppState, ServerOptions};
use reqwest::redirect::Policy as RedirectPolicy;
use reqwest::{Client, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::backend::{fresh_db, DbGuard, TestDb};

pub(crate) const PASSWORD: &str = "correct horse battery";
pub(crate) const CALLBACK: &str = "https://localhost:5001/oauth/callback";
pub(crate) const SCOPES: &str = "vso.profile vso.project vso.build vso.code vso.work_write";
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(crate) struct TestApp {
    pub base: String,
    pub client: Client,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    /// The database, to start a second server on (`spawn_on`).
    pub db_path: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<DbGuard>,
}

/// A registered app and its secret.
pub(crate) struct TestClient {
    pub app_id: String,
    pub secret: String,
}

/// Snapshot files named after the snapshot alone, so the SQLite (`http`) and PostgreSQL
/// (`http_postgres`) binaries of this suite check their answers against the same files. Hold the
/// guard while asserting.
pub(crate) fn shared_snapshots() -> insta::internals::SettingsBindDropGuard {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind_to_scope()
}

pub(crate) fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(RedirectPolicy::none())
        .build()
        .unwrap()
}

impl TestApp {
    pub(crate) async fn spawn() -> Self {
        let (db, guard) = fresh_db().await;
        let mut app = Self::spawn_on(&db, browser(), Arc::new(ManualClock::starting_now())).await;
        app._dir = Some(guard);
        app
    }

    /// Starts a server on an existing database (for restart tests, and a second server).
    pub(crate) async fn spawn_on(
        db: impl Into<TestDb>,
        client: Client,
        clock: Arc<ManualClock>,
    ) -> Self {
        Self::spawn_with(db, client, clock, Policy::default()).await
    }

    /// Starts a server with protocol switches other than the defaults, on a fresh database.
    pub(crate) async fn spawn_with_policy(policy: Policy) -> Self {
        let (db, guard) = fresh_db().await;
        let clock = Arc::new(ManualClock::starting_now());
        let mut app = Self::spawn_with(&db, browser(), clock, policy).await;
        app._dir = Some(guard);
        app
    }

    /// Starts a server with `policy` on an existing database.
    pub(crate) async fn spawn_with(
        db: impl Into<TestDb>,
        client: Client,
        clock: Arc<ManualClock>,
        policy: Policy,
    ) -> Self {
        Self::spawn_adjusted_on(db, client, clock, policy, |state| state).await
    }

    /// Starts a server on a fresh database whose state `adjust` changes first (emulator mode,
    /// metrics off the public listener).
    pub(crate) async fn spawn_adjusted(adjust: impl FnOnce(AppState) -> AppState) -> Self {
        let (db, guard) = fresh_db().await;
        let clock = Arc::new(ManualClock::starting_now());
        let mut app =
            Self::spawn_adjusted_on(&db, browser(), clock, Policy::default(), adjust).await;
        app._dir = Some(guard);
        app
    }

    /// Starts a server with `policy` on an existing database, its state changed by `adjust`.
    pub(crate) async fn spawn_adjusted_on(
        db: impl Into<TestDb>,
        client: Client,
        clock: Arc<ManualClock>,
        policy: Policy,
        adjust: impl FnOnce(AppState) -> AppState,
    ) -> Self {
        let db = db.into();
        let store = super::backend::open(&db).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let state = build_state(
            store,
            ServerOptions {
                public_url: base.parse().unwrap(),
                lifetimes: Lifetimes::default(),
                policy,
                clock: clock.clone(),
            },
        )
        .await
        .unwrap();
        let state = adjust(state);
        let (tx, rx) = oneshot::channel::<()>();
        let served = state.clone();
        let handle = tokio::spawn(async move {
            serve(listener, served, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            base,
            client,
            clock,
            state,
            db_path: db,
            shutdown: Some(tx),
            handle: Some(handle),
            _dir: None,
        }
    }

    /// Stops the server and waits for it; the database file stays.
    pub(crate) async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn create_user(&self, email: &str) -> User {
        accounts::create_user(
            self.state.kg.data(),
            self.state.kg.clock.as_ref(),
            email,
            "Test User",
            PASSWORD,
        )
        .await
        .unwrap()
    }

    pub(crate) async fn register_client(&self, owner: &User) -> TestClient {
        self.register_client_with(owner, SCOPES, CALLBACK).await
    }

    pub(crate) async fn register_client_with(
        &self,
        owner: &User,
        scopes: &str,
        callback: &str,
    ) -> TestClient {
        let r = register_app(
            &self.state.kg,
            owner.id,
            &Registration {
                company_name: "Fabrikam".into(),
                name: "Fiber".into(),
                description: "A test app".into(),
                website: "https://fabrikam.example".into(),
                callback_url: callback.into(),
                scopes: scopes.into(),
                kind: Some(ClientKind::Confidential),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        TestClient {
            app_id: r.app.id.to_upper(),
            secret: r.client_secret.unwrap(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GETs a page and returns the CSRF token its form carries.
    pub(crate) async fn csrf_from(&self, path: &str) -> String {
        let html = self.get(path).await.text().await.unwrap();
        csrf_in(&html)
    }

    pub(crate) async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn post_sign_in(
        &self,
        email: &str,
        password: &str,
        return_url: &str,
    ) -> Response {
        let csrf = self.csrf_from("/_signin").await;
        self.post_form(
            "/_signin",
            &[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", password),
                ("returnUrl", return_url),
            ],
        )
        .await
    }

    /// Posts the sign-in form as a new browser whose connections come from `source` (a
    /// loopback address other than 127.0.0.1 stands for another client address).
    pub(crate) async fn post_sign_in_from(
        &self,
        source: &str,
        email: &str,
        password: &str,
    ) -> Response {
        let client = Client::builder()
            .cookie_store(true)
            .redirect(RedirectPolicy::none())
            .local_address(source.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap();
        let html = client.get(self.url("/_signin")).send().await.unwrap();
        let csrf = csrf_in(&html.text().await.unwrap());
        client
            .post(self.url("/_signin"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", password),
                ("returnUrl", "/"),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Signs in and asserts it worked.
    pub(crate) async fn sign_in(&self, email: &str) {
        let r = self.post_sign_in(email, PASSWORD, "/").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in failed");
    }

    pub(crate) async fn get_authorize(&self, query: &str) -> Response {
        self.get(&format!("/oauth2/authorize?{query}")).await
    }

    /// The standard Azure authorize query for a client.
    pub(crate) fn authorize_query(client: &TestClient, state: &str) -> String {
        format!(
            "client_id={}&response_type=Assertion&state={state}&scope={}&redirect_uri={}",
            client.app_id,
            SCOPES.replace(' ', "+"),
            enc(CALLBACK)
        )
    }

    /// Shows the consent page for `query` and submits `decision` with every carried field.
    pub(crate) async fn post_consent(&self, query: &str, decision: &str) -> Response {
        let page = self.get_authorize(query).await;
        assert_eq!(page.status(), StatusCode::OK, "consent page not shown");
        let html = page.text().await.unwrap();
        let mut fields = hidden_fields(&html);
        fields.push(("decision".into(), decision.into()));
        self.client
            .post(self.url("/oauth2/authorize"))
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    /// Runs authorize + Accept for a signed-in browser and returns the code.
    pub(crate) async fn authorize_code(&self, client: &TestClient) -> String {
        let r = self
            .post_consent(&Self::authorize_query(client, "xyz"), "accept")
            .await;
        assert_eq!(r.status(), StatusCode::FOUND);
        query_param(location(&r).as_str(), "code").expect("no code in redirect")
    }

    pub(crate) async fn post_token(&self, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url("/oauth2/token"))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// The Azure code exchange.
    pub(crate) async fn exchange(&self, client: &TestClient, code: &str) -> Response {
        self.post_token(&[
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &client.secret),
            ("grant_type", JWT_BEARER),
            ("assertion", code),
            ("redirect_uri", CALLBACK),
        ])
        .await
    }

    /// The Azure refresh.
    pub(crate) async fn refresh(&self, client: &TestClient, refresh_token: &str) -> Response {
        self.post_token(&[
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &client.secret),
            ("grant_type", "refresh_token"),
            ("assertion", refresh_token),
            ("redirect_uri", CALLBACK),
        ])
        .await
    }

    /// Runs authorize + Accept for `scopes` (the app's registered set) and returns the code.
    pub(crate) async fn authorize_code_for(&self, client: &TestClient, scopes: &str) -> String {
        let query = format!(
            "client_id={}&response_type=Assertion&state=s&scope={}&redirect_uri={}",
            client.app_id,
            enc(scopes),
            enc(CALLBACK)
        );
        let r = self.post_consent(&query, "accept").await;
        assert_eq!(r.status(), StatusCode::FOUND);
        query_param(&location(&r), "code").expect("no code in redirect")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub(crate) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(crate) fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .expect("no Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(crate) fn csrf_in(html: &str) -> String {
    hidden_fields(html)
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
        .expect("no csrf field on the page")
}

/// The opening tag of the element with `id` in a page.
pub(crate) fn tag_with_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!(" id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

/// Every `<input type="hidden" name=".." value="..">` of a page, unescaped.
pub(crate) fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split("<input type=\"hidden\" ").skip(1) {
        let attr = |name: &str| {
            let start = part.find(&format!("{name}=\""))? + name.len() + 2;
            let end = part[start..].find('"')? + start;
            Some(unescape(&part[start..end]))
        };
        if let (Some(k), Some(v)) = (attr("name"), attr("value")) {
            out.push((k, v));
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&#43;", "+")
        .replace("&#x2b;", "+")
        .replace("&#47;", "/")
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
