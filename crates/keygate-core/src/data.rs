//! The one door to what Keygate keeps: the store behind the caches that must see every read of a
//! cached record and every change to one.
//!
//! The store itself is private to this crate. Code outside it reads and writes only through the
//! use cases, which reach cached records (users, apps, client secrets, client-credentials
//! authorizations) through [`Data`]'s cached reads; so a handler or an admin command cannot read
//! such a record around its cache, and the compiler proves it.
//!
//! Use cases that need no signing key (creating accounts) run on a [`Data`] alone, so the admin
//! commands that make users, organizations and projects store no key; everything else runs on a
//! [`Keygate`](crate::Keygate), which holds a [`Data`].

use std::sync::Arc;

use crate::client_cache::ClientCache;
use crate::clock::UnixTime;
use crate::ids::{AppId, AuthorizationId, SecretId, UserId};
use crate::model::{App, Change, ClientSecret, User};
use crate::secrets::TokenHash;
use crate::store::{Store, StoreError};
use crate::user_cache::UserCache;

/// The store with its caches in front; cheap to clone (one shared allocation).
#[derive(Clone)]
pub struct Data(Arc<Inner>);

struct Inner {
    store: Arc<dyn Store>,
    clients: ClientCache,
    users: UserCache,
}

impl std::fmt::Debug for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Data")
            .field("clients", &self.0.clients)
            .field("users", &self.0.users)
            .finish_non_exhaustive()
    }
}

impl Data {
    /// `store` behind empty caches. The store is reachable from here on only through use cases.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self(Arc::new(Inner {
            store,
            clients: ClientCache::default(),
            users: UserCache::default(),
        }))
    }

    /// The store, for use cases that read or write what no cache holds.
    pub(crate) fn store(&self) -> &dyn Store {
        self.0.store.as_ref()
    }

    /// The user `id`, from the user cache.
    pub(crate) async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.0.users.user(self.store(), id).await
    }

    /// The app `id`, from the client cache.
    pub(crate) async fn app(&self, id: AppId) -> Result<Option<Arc<App>>, StoreError> {
        self.0.clients.app(self.store(), id).await
    }

    /// The secret version whose secret hashes to `hash`, from the client cache.
    pub(crate) async fn client_secret(
        &self,
        hash: TokenHash,
    ) -> Result<Option<ClientSecret>, StoreError> {
        self.0.clients.secret_by_hash(self.store(), hash).await
    }

    /// The client-credentials authorization of `secret`, from the client cache.
    pub(crate) async fn machine_authorization(
        &self,
        app: AppId,
        secret: SecretId,
        now: UnixTime,
    ) -> Result<AuthorizationId, StoreError> {
        self.0
            .clients
            .machine_authorization(self.store(), app, secret, now)
            .await
    }

    /// Drops what the caches hold about `app`: after editing it, replacing a secret or
    /// deleting it on this node (other nodes learn it from the change feed).
    pub(crate) fn forget_app(&self, app: AppId) {
        self.0.clients.forget_app(app);
    }

    /// Drops the cached client-credentials authorization `id`, after revoking it on this node.
    pub(crate) fn forget_authorization(&self, id: AuthorizationId) {
        self.0.clients.forget_authorization(id);
    }

    /// Applies a change read from the feed (made by any node or admin command) to the caches.
    pub(crate) fn apply(&self, change: &Change) {
        self.0.clients.apply(change);
    }
}
