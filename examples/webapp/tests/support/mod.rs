//! What the web app's tests start: a real Keygate in-process (port 0, fresh SQLite file, a
//! seeded user, organization, project, build and an app registered with the web app's https
//! callback), and the web app itself on its own port.

use std::net::SocketAddr;
use std::sync::Arc;

use keygate_core::apps::{register_app, Registration};
use keygate_core::model::{ClientKind, NewBuild};
use keygate_core::{accounts, projects, Lifetimes, ManualClock, Policy};
use keygate_server::{build_state, serve, ServerOptions};
use keygate_store_sqlite::SqliteStore;
use keygate_webapp::config::WireFlavour;
use keygate_webapp::Settings;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const EMAIL: &str = "demo@keygate.local";
pub const PASSWORD: &str = "keygate-demo";
pub const ORG: &str = "fabrikam";
pub const PROJECT: &str = "Fabrikam-Fiber";
pub const BUILD_NUMBER: &str = "20240101.1";

/// Keygate and the web app, both running.
pub struct World {
    /// Keygate's base URL, `http://127.0.0.1:<port>`.
    pub keygate: String,
    /// The web app's base URL, `https://localhost:<port>`.
    pub webapp: String,
    _keygate_stop: oneshot::Sender<()>,
    webapp_handle: axum_server::Handle<SocketAddr>,
    _dir: tempfile::TempDir,
}

impl World {
    /// Keygate and the web app speaking the Azure flavour.
    pub async fn start() -> Self {
        Self::start_with(WireFlavour::Azure).await
    }

    /// Keygate and the web app speaking `flavour`.
    pub async fn start_with(flavour: WireFlavour) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let webapp_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let webapp = format!(
            "https://localhost:{}",
            webapp_listener.local_addr().unwrap().port()
        );
        let callback = format!("{webapp}/oauth/callback");

        let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let keygate = format!("http://{}", listener.local_addr().unwrap());
        let state = build_state(
            Arc::new(store),
            ServerOptions {
                public_url: keygate.parse().unwrap(),
                lifetimes: Lifetimes::default(),
                policy: Policy::default(),
                clock: Arc::new(ManualClock::starting_now()),
            },
        )
        .await
        .unwrap();
        let (app_id, client_secret) = seed(&state.kg, &callback).await;
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = serve(listener, state, async {
                let _ = stopped.await;
            })
            .await;
        });

        let settings = Settings {
            keygate_url: keygate.clone(),
            azure_devops: false,
            app_id,
            client_secret,
            callback_url: callback,
            listen: webapp_listener.local_addr().unwrap().to_string(),
            scopes: keygate_client::DEFAULT_SCOPES.into(),
            no_pkce: false,
            flavour,
        };
        let handle = axum_server::Handle::new();
        let served = handle.clone();
        tokio::spawn(async move {
            keygate_webapp::serve(&settings, webapp_listener, served)
                .await
                .unwrap();
        });
        handle.listening().await.expect("the web app listens");
        Self {
            keygate,
            webapp,
            _keygate_stop: stop,
            webapp_handle: handle,
            _dir: dir,
        }
    }

    pub fn webapp_url(&self, path: &str) -> String {
        format!("{}{path}", self.webapp)
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.webapp_handle.shutdown();
    }
}

/// The demo's data, with the app registered for this run's callback.
async fn seed(kg: &keygate_core::Keygate, callback: &str) -> (String, String) {
    let (data, clock) = (kg.data(), kg.clock.as_ref());
    let user = accounts::create_user(data, clock, EMAIL, "Demo User", PASSWORD)
        .await
        .unwrap();
    accounts::create_org(data, clock, ORG, EMAIL).await.unwrap();
    let project = accounts::create_project(data, clock, ORG, PROJECT, "The demo project")
        .await
        .unwrap();
    projects::record_build(
        kg,
        NewBuild {
            id: 0,
            project_id: project.id,
            build_number: BUILD_NUMBER.into(),
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
    let registered = register_app(
        kg,
        user.id,
        &Registration {
            company_name: "Fabrikam".into(),
            company_website: "https://fabrikam.example".into(),
            name: "Fabrikam Fiber web app".into(),
            description: "The sample web app, signing you in through Keygate.".into(),
            website: "https://localhost:5001".into(),
            callback_url: callback.into(),
            scopes: keygate_client::DEFAULT_SCOPES.into(),
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
    )
}
