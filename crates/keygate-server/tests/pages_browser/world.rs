//! The server the page test visits: the real Keygate on a random loopback port over a fresh
//! SQLite file, seeded as a person would leave it after a while: a user who owns an
//! organization and three apps, has authorized them, rotated a secret and changed the policy,
//! so every list, table and audit log has rows.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use keygate_core::apps::{register_app, rotate_secret, Registration};
use keygate_core::audit::Origin;
use keygate_core::model::{Actor, App, ClientKind, SecretSlot, User};
use keygate_core::oauth::authorize::{accept, validate, AuthorizeParams};
use keygate_core::oauth::client::Client;
use keygate_core::oauth::device::authorize_device;
use keygate_core::{accounts, Keygate, Lifetimes, ManualClock, Policy};
use keygate_server::{build_state, serve, ServerOptions};
use keygate_store_sqlite::SqliteStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub(crate) const EMAIL: &str = "demo@keygate.local";
pub(crate) const PASSWORD: &str = "keygate-demo";
pub(crate) const ORG: &str = "fabrikam";

/// The scopes the main app registers and a consent page asks for: enough to make lists long.
const MAIN_SCOPES: &str =
    "vso.profile vso.project vso.build_execute vso.code_write vso.work_write vso.packaging";
/// A realistic, long callback: long URLs are what push tables wide.
const MAIN_CALLBACK: &str = "https://fabrikam-fiber.example.com/signin-oauth/azure-devops/callback";

/// Keygate, running, and what the seed made.
pub(crate) struct World {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The main app's id (lower case, as links use it).
    pub app_id: String,
    /// The user code of a pending device request of the main app.
    pub user_code: String,
    _stop: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl World {
    pub(crate) async fn start() -> Self {
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
        let (app_id, user_code) = seed(&state.kg).await;
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = serve(listener, state, async {
                let _ = stopped.await;
            })
            .await;
        });
        Self {
            base,
            app_id,
            user_code,
            _stop: stop,
            _dir: dir,
        }
    }

    /// A page's URL: `{app}`, `{org}`, `{callback}` and `{user_code}` in `path` are the seed's.
    pub(crate) fn url(&self, path: &str) -> String {
        let path = path
            .replace("{app}", &self.app_id)
            .replace("{org}", ORG)
            .replace("{callback}", MAIN_CALLBACK)
            .replace("{user_code}", &self.user_code);
        format!("{}{path}", self.base)
    }
}

/// The consent page's query for the main app (its callback is URL-safe as it stands).
pub(crate) const CONSENT: &str = "/oauth2/authorize?client_id={app}&response_type=Assertion&state=page-test\
&scope=vso.profile%20vso.project%20vso.build_execute%20vso.code_write%20vso.work_write%20vso.packaging\
&redirect_uri={callback}";

/// The user, the organization, three apps each authorized by the user, a rotated secret and
/// two policy changes, and a device request of the main app waiting for its user code; returns
/// the main app's id and that user code.
async fn seed(kg: &Keygate) -> (String, String) {
    let (data, clock) = (kg.data(), kg.clock.as_ref());
    let user = accounts::create_user(data, clock, EMAIL, "Demo User", PASSWORD)
        .await
        .unwrap();
    let org = accounts::create_org(data, clock, ORG, EMAIL).await.unwrap();
    let as_user = kg.acting_as(Origin::new(
        Actor::User(user.id),
        Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    ));
    for allowed in [false, true] {
        accounts::set_org_oauth_policy(&as_user, &org, allowed)
            .await
            .unwrap();
    }
    let main = app(
        &as_user,
        &user,
        "Fabrikam Fiber web app",
        MAIN_CALLBACK,
        MAIN_SCOPES,
    )
    .await;
    rotate_secret(&as_user, &main, SecretSlot::Alternative, None)
        .await
        .unwrap();
    // A certificate, so the app page shows its Certificates table.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["daemon.fabrikam.example".into()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Fabrikam Fiber nightly job");
    let pem = params.self_signed(&key).unwrap().pem();
    keygate_core::apps::add_certificate(&as_user, &main, &pem, "Nightly export job")
        .await
        .unwrap();
    let others = [
        (
            "Contoso release dashboard",
            "https://dashboards.contoso.example/oauth/callback",
            "vso.release_manage vso.build vso.project vso.dashboards_manage",
        ),
        (
            "Northwind build notifier",
            "https://notify.northwind.example/callback",
            "vso.build vso.notification_write vso.profile",
        ),
    ];
    let mut apps = vec![(main.clone(), MAIN_CALLBACK, MAIN_SCOPES)];
    for (name, callback, scopes) in others {
        apps.push((
            app(&as_user, &user, name, callback, scopes).await,
            callback,
            scopes,
        ));
    }
    for (app, callback, scopes) in apps {
        let valid = validate(
            kg,
            &AuthorizeParams {
                client_id: Some(app.id.to_string()),
                response_type: Some("Assertion".into()),
                state: Some("seed".into()),
                scope: Some(scopes.into()),
                redirect_uri: Some(callback.into()),
                code_challenge: None,
                code_challenge_method: None,
                repeated: None,
                ..AuthorizeParams::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("the seed's authorize request is valid: {e:?}"));
        accept(&as_user, &valid, &user, None).await.unwrap();
    }
    let device = authorize_device(
        kg,
        &Client::Public(main.id),
        Some("vso.profile vso.work_write"),
    )
    .await
    .unwrap();
    (main.id.to_string(), device.user_code)
}

async fn app(kg: &Keygate, user: &User, name: &str, callback: &str, scopes: &str) -> App {
    register_app(
        kg,
        user.id,
        &Registration {
            company_name: "Fabrikam, Inc.".into(),
            company_website: "https://fabrikam.example".into(),
            name: name.into(),
            description: "Reads work items and builds to show the team what changed.".into(),
            website: "https://fabrikam-fiber.example.com".into(),
            callback_url: callback.into(),
            scopes: scopes.into(),
            kind: Some(ClientKind::Confidential),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap()
    .app
}
