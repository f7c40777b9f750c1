//! A Keygate on a fresh SQLite file, and the records the tests start from.

use std::sync::Arc;

use keygate_core::apps::{self, Registration};
use keygate_core::model::{App, User};
use keygate_core::{accounts, Keygate, Lifetimes, ManualClock, Policy, Settings, Store};
use keygate_store_sqlite::SqliteStore;

/// The time every test starts at.
pub(crate) const NOW: i64 = 1_700_000_000;

/// A Keygate on its own database file, which lives as long as the value.
pub(crate) struct World {
    pub kg: Keygate,
    pub clock: Arc<ManualClock>,
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl World {
    pub(crate) async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
        let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
        let clock = Arc::new(ManualClock::at(NOW));
        let kg = open(store.clone(), clock.clone()).await;
        Self {
            kg,
            clock,
            store,
            _dir: dir,
        }
    }

    /// Another node on the same database: its own caches and snapshot.
    pub(crate) async fn another_node(&self) -> Keygate {
        open(self.store.clone(), self.clock.clone()).await
    }

    pub(crate) async fn user(&self, email: &str) -> User {
        self.user_named(email, "Test User").await
    }

    pub(crate) async fn user_named(&self, email: &str, name: &str) -> User {
        let clock = self.clock.as_ref();
        accounts::create_user(self.kg.data(), clock, email, name, "long enough")
            .await
            .unwrap()
    }

    pub(crate) async fn app(&self, owner: &User) -> App {
        apps::register_app(&self.kg, owner.id, &registration(), None)
            .await
            .unwrap()
            .app
    }
}

async fn open(store: Arc<dyn Store>, clock: Arc<ManualClock>) -> Keygate {
    let settings = Settings {
        issuer: "keygate.test".into(),
        clock,
        lifetimes: Lifetimes::default(),
        policy: Policy::default(),
    };
    Keygate::open(store, settings).await.unwrap()
}

pub(crate) fn registration() -> Registration {
    Registration {
        company_name: "Fabrikam".into(),
        name: "Fiber app".into(),
        website: "https://fabrikam.example".into(),
        callback_url: "https://fabrikam.example/callback".into(),
        scopes: "vso.work vso.code".into(),
        ..Default::default()
    }
}
