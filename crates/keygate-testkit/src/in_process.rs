//! Keygate served from the test's own process (port 0, a fresh SQLite file, a manual clock) for
//! the tests of the SDK and the sample web app, with the account, organization, project and build
//! they read back.

use std::sync::Arc;

use keygate_core::apps::{register_app, Registration};
use keygate_core::ids::UserId;
use keygate_core::model::{ClientKind, NewBuild, Project, User};
use keygate_core::{accounts, Keygate, Lifetimes, ManualClock, Policy};
use keygate_server::{build_state, serve, AppState, ServerOptions};
use keygate_store_sqlite::SqliteStore;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::{ORG, PROJECT};

/// The build number of the build [`seed_project`] queues.
pub const BUILD_NUMBER: &str = "20240101.1";

/// A Keygate serving from this process until dropped.
#[derive(Debug)]
pub struct InProcess {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The server's state: the use-case context and store, for seeding.
    pub state: AppState,
    _stop: oneshot::Sender<()>,
    _dir: TempDir,
}

impl InProcess {
    /// Starts Keygate on a free port over a fresh SQLite file, with default lifetimes and policy.
    pub async fn start() -> InProcess {
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
        let (stop, stopped) = oneshot::channel::<()>();
        let served = state.clone();
        tokio::spawn(async move {
            let _ = serve(listener, served, async {
                let _ = stopped.await;
            })
            .await;
        });
        InProcess {
            base,
            state,
            _stop: stop,
            _dir: dir,
        }
    }

    /// The use-case context the server runs on.
    pub fn kg(&self) -> &Keygate {
        &self.state.kg
    }
}

/// Who [`seed_project`] creates.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    /// Email address.
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Password.
    pub password: &'a str,
}

/// Creates `person`, the organization [`ORG`] they own, its project [`PROJECT`] (described as
/// `description`) and one completed build [`BUILD_NUMBER`] of it.
pub async fn seed_project(kg: &Keygate, person: Person<'_>, description: &str) -> (User, Project) {
    let (data, clock) = (kg.data(), kg.clock.as_ref());
    let user = accounts::create_user(data, clock, person.email, person.name, person.password)
        .await
        .unwrap();
    accounts::create_org(data, clock, ORG, person.email)
        .await
        .unwrap();
    let project = accounts::create_project(data, clock, ORG, PROJECT, description)
        .await
        .unwrap();
    keygate_core::projects::record_build(
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
    (user, project)
}

/// Registers `registration` for `owner` as a `kind` client: its App ID (upper case, as Keygate
/// prints it) and its client secret (none for a public client).
pub async fn register(
    kg: &Keygate,
    owner: UserId,
    kind: ClientKind,
    registration: Registration,
) -> (String, Option<String>) {
    let registered = register_app(
        kg,
        owner,
        &Registration {
            kind: Some(kind),
            ..registration
        },
        None,
    )
    .await
    .unwrap();
    (registered.app.id.to_upper(), registered.client_secret)
}
