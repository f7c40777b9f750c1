//! What the web app's tests start: a real Keygate in-process (port 0, fresh SQLite file, a
//! seeded user, organization, project, build and an app registered with the web app's https
//! callback), and the web app itself on its own port.

use std::net::SocketAddr;

use keygate_core::apps::Registration;
use keygate_core::model::ClientKind;
use keygate_testkit::in_process::{register, seed_project, InProcess, Person};
use keygate_webapp::config::WireFlavour;
use keygate_webapp::Settings;

pub(crate) const EMAIL: &str = "demo@keygate.local";
pub(crate) const PASSWORD: &str = "keygate-demo";

/// Keygate and the web app, both running.
pub(crate) struct World {
    /// Keygate's base URL, `http://127.0.0.1:<port>`.
    pub keygate: String,
    /// The web app's base URL, `https://localhost:<port>`.
    pub webapp: String,
    _keygate: InProcess,
    webapp_handle: axum_server::Handle<SocketAddr>,
}

impl World {
    /// Keygate and the web app speaking the Azure flavour.
    pub(crate) async fn start() -> Self {
        Self::start_with(WireFlavour::Azure).await
    }

    /// Keygate and the web app speaking `flavour`.
    pub(crate) async fn start_with(flavour: WireFlavour) -> Self {
        let webapp_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let webapp = format!(
            "https://localhost:{}",
            webapp_listener.local_addr().unwrap().port()
        );
        let callback = format!("{webapp}/oauth/callback");

        let keygate = InProcess::start().await;
        let (app_id, client_secret) = seed(keygate.kg(), &callback).await;

        let settings = Settings {
            keygate_url: keygate.base.clone(),
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
            keygate: keygate.base.clone(),
            webapp,
            _keygate: keygate,
            webapp_handle: handle,
        }
    }

    pub(crate) fn webapp_url(&self, path: &str) -> String {
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
    let person = Person {
        email: EMAIL,
        name: "Demo User",
        password: PASSWORD,
    };
    let (user, _) = seed_project(kg, person, "The demo project").await;
    let registration = Registration {
        company_name: "Fabrikam".into(),
        company_website: "https://fabrikam.example".into(),
        name: "Fabrikam Fiber web app".into(),
        description: "The sample web app, signing you in through Keygate.".into(),
        website: "https://localhost:5001".into(),
        callback_url: callback.into(),
        scopes: keygate_client::DEFAULT_SCOPES.into(),
        ..Default::default()
    };
    let (app_id, secret) = register(kg, user.id, ClientKind::Confidential, registration).await;
    (app_id, secret.unwrap())
}
