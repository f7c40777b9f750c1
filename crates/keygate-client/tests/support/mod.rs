//! A real Keygate in-process on port 0 over a fresh SQLite file, seeded with a user, an
//! organization, a project with a build and a work item, and a registered app; plus a
//! cookie-keeping "browser" that signs in and answers the consent page.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use std::sync::Arc;

use keygate_client::{AuthorizeRequest, ClientConfig, OAuthClient};
use keygate_core::apps::{register_app, Registration};
use keygate_core::model::{ClientKind, NewBuild, NewWorkItem};
use keygate_core::{accounts, projects, work_items, Lifetimes, ManualClock, Policy};
use keygate_server::{build_state, serve, AppState, ServerOptions};
use keygate_store_sqlite::SqliteStore;
use reqwest::redirect::Policy as RedirectPolicy;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const EMAIL: &str = "ana@example.com";
pub const PASSWORD: &str = "correct horse battery";
pub const CALLBACK: &str = "https://localhost:5001/oauth/callback";
pub const SCOPES: &str = "vso.profile vso.project vso.build_execute vso.code vso.work_write";
pub const ORG: &str = "fabrikam";
pub const PROJECT: &str = "Fabrikam-Fiber";

pub struct Keygate {
    pub base: String,
    state: AppState,
    pub app_id: String,
    pub client_secret: String,
    pub work_item: i64,
    browser: reqwest::Client,
    _shutdown: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl Keygate {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = build_state(
            Arc::new(store),
            ServerOptions {
                public_url: base.parse().unwrap(),
                lifetimes: Lifetimes::default(),
                policy: Policy::default(),
                clock: Arc::new(ManualClock::starting_now()),
            },
        )
        .await
        .unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let served = state.clone();
        tokio::spawn(async move {
            let _ = serve(listener, served, async {
                let _ = rx.await;
            })
            .await;
        });
        let (app_id, client_secret, work_item) = seed(&state).await;
        Self {
            base,
            state,
            app_id,
            client_secret,
            work_item,
            browser: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(RedirectPolicy::none())
                .build()
                .unwrap(),
            _shutdown: tx,
            _dir: dir,
        }
    }

    pub fn config(&self) -> ClientConfig {
        ClientConfig::keygate(&self.base, &self.app_id, &self.client_secret, CALLBACK)
            .unwrap()
            .with_scopes(SCOPES)
    }

    /// Registers a public app (no secret) with the same callback; returns its App ID.
    pub async fn register_public_app(&self) -> String {
        let kg = &self.state.kg;
        let owner = accounts::find_user(kg.data(), EMAIL)
            .await
            .unwrap()
            .unwrap();
        let registered = register_app(
            kg,
            owner.id,
            &Registration {
                company_name: "Fabrikam".into(),
                name: "Fiber for phones".into(),
                website: "https://fabrikam.example".into(),
                callback_url: CALLBACK.into(),
                scopes: SCOPES.into(),
                kind: Some(ClientKind::Public),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        registered.app.id.to_upper()
    }

    pub fn client(&self) -> OAuthClient {
        OAuthClient::new(self.config()).unwrap()
    }

    /// What a person does in the browser: sign in (once), open the authorize URL, press
    /// `decision` ("accept" or "deny"). Returns the query string the callback receives.
    pub async fn consent(&self, request: &AuthorizeRequest, decision: &str) -> String {
        let page = self.browser.get(request.url.clone()).send().await.unwrap();
        let page = if page.status().is_redirection() {
            self.sign_in().await;
            self.browser.get(request.url.clone()).send().await.unwrap()
        } else {
            page
        };
        assert_eq!(page.status(), 200, "the consent page is shown");
        let mut fields = hidden_fields(&page.text().await.unwrap());
        fields.push(("decision".into(), decision.into()));
        let answer = self
            .browser
            .post(format!("{}/oauth2/authorize", self.base))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 302);
        let location = answer.headers()["location"].to_str().unwrap();
        assert!(location.starts_with(CALLBACK), "{location}");
        location.split_once('?').unwrap().1.to_owned()
    }

    async fn sign_in(&self) {
        let form = self
            .browser
            .get(format!("{}/_signin", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut fields = hidden_fields(&form);
        fields.retain(|(k, _)| k == "csrf");
        fields.push(("email".into(), EMAIL.into()));
        fields.push(("password".into(), PASSWORD.into()));
        fields.push(("returnUrl".into(), "/".into()));
        let r = self
            .browser
            .post(format!("{}/_signin", self.base))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "sign-in works");
    }
}

async fn seed(state: &AppState) -> (String, String, i64) {
    let (data, clock) = (state.kg.data(), state.kg.clock.as_ref());
    let user = accounts::create_user(data, clock, EMAIL, "Ana Lima", PASSWORD)
        .await
        .unwrap();
    accounts::create_org(data, clock, ORG, EMAIL).await.unwrap();
    let project = accounts::create_project(data, clock, ORG, PROJECT, "The project")
        .await
        .unwrap();
    projects::record_build(
        &state.kg,
        NewBuild {
            id: 0,
            project_id: project.id,
            build_number: "20240101.1".into(),
            definition_name: "Fabrikam-Fiber-CI".into(),
            status: "completed".into(),
            result: "succeeded".into(),
            source_branch: "refs/heads/main".into(),
            requested_for: user.id,
            queue_time: clock.now(),
        },
    )
    .await
    .unwrap();
    let item = work_items::record_work_item(
        &state.kg,
        NewWorkItem {
            id: 0,
            project_id: project.id,
            rev: 1,
            work_item_type: "Task".into(),
            fields_json: r#"{"System.Title":"Seeded task"}"#.into(),
            created_by: user.id,
            created_at: clock.now(),
        },
    )
    .await
    .unwrap();
    let registered = register_app(
        &state.kg,
        user.id,
        &Registration {
            company_name: "Fabrikam".into(),
            name: "Fiber".into(),
            website: "https://fabrikam.example".into(),
            callback_url: CALLBACK.into(),
            scopes: SCOPES.into(),
            kind: Some(ClientKind::Confidential),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    (
        registered.app.id.to_upper(),
        registered.client_secret.unwrap(),
        item.id,
    )
}

/// Every `<input type="hidden" name=".." value="..">` of a page, HTML-unescaped.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|part| {
            let attr = |name: &str| {
                let start = part.find(&format!("{name}=\""))? + name.len() + 2;
                let end = part[start..].find('"')? + start;
                Some(unescape(&part[start..end]))
            };
            Some((attr("name")?, attr("value")?))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}
