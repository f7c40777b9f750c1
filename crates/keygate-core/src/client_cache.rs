//! What client authentication reads on every token request, kept in memory: client secrets by
//! hash, apps by id, and the client-credentials authorization of each secret version.
//!
//! These change rarely (a secret is replaced, an app deleted, an authorization revoked) and are
//! read on every `client_credentials`, introspection and revocation request, where three database
//! reads cost more than minting the token. Entries are dropped:
//! - at once on this node, by the use case that made the change ([`ClientCache::forget_app`],
//!   [`ClientCache::forget_authorization`]);
//! - on every other node when its change-feed catch-up sees the change
//!   ([`ClientCache::apply`]: `ClientChanged` and `AuthorizationRevoked`), within the feed's
//!   latency (a PostgreSQL notification, or the poll interval).
//!
//! Only what was found is kept (an unknown secret is asked of the store every time), and a
//! secret's own expiry is checked on every use by the caller. A fill that raced with a change is
//! not kept: every change bumps a generation, and a value read from the store before the bump is
//! taken back out.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use quick_cache::sync::Cache;

use crate::clock::UnixTime;
use crate::ids::{AppId, AuthorizationId, SecretId};
use crate::model::{App, Change, ChangeKind, ClientSecret};
use crate::secrets::TokenHash;
use crate::store::{Store, StoreError};

/// Entries each map keeps at most (the least used go first).
pub(crate) const CLIENT_CACHE_ENTRIES: usize = 10_000;

/// The node's cache of client-authentication facts; see the module docs.
pub(crate) struct ClientCache {
    /// Bumped by every change, before its entries are dropped.
    generation: AtomicU64,
    /// Secret versions by the SHA-256 hash of the secret.
    secrets: Cache<TokenHash, ClientSecret>,
    /// Apps by id.
    apps: Cache<AppId, Arc<App>>,
    /// The client-credentials authorization of each (app, secret version).
    machine_authorizations: Cache<(AppId, SecretId), AuthorizationId>,
}

impl Default for ClientCache {
    fn default() -> Self {
        Self::new(CLIENT_CACHE_ENTRIES)
    }
}

impl std::fmt::Debug for ClientCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCache")
            .field("secrets", &self.secrets.len())
            .field("apps", &self.apps.len())
            .field("machine_authorizations", &self.machine_authorizations.len())
            .finish()
    }
}

impl ClientCache {
    /// An empty cache keeping at most `entries` of each kind.
    pub(crate) fn new(entries: usize) -> Self {
        Self {
            generation: AtomicU64::new(0),
            secrets: Cache::new(entries),
            apps: Cache::new(entries),
            machine_authorizations: Cache::new(entries),
        }
    }

    /// The secret version whose secret hashes to `hash`, if one is stored.
    pub(crate) async fn secret_by_hash(
        &self,
        store: &dyn Store,
        hash: TokenHash,
    ) -> Result<Option<ClientSecret>, StoreError> {
        self.found_or_load(&self.secrets, hash, store.client_secret_by_hash(hash))
            .await
    }

    /// The app `id`, if it exists.
    pub(crate) async fn app(
        &self,
        store: &dyn Store,
        id: AppId,
    ) -> Result<Option<Arc<App>>, StoreError> {
        let load = async { Ok(store.app_by_id(id).await?.map(Arc::new)) };
        self.found_or_load(&self.apps, id, load).await
    }

    /// The client-credentials authorization of `secret` (made by the store on first use); see
    /// [`Store::client_credentials_authorization`].
    pub(crate) async fn machine_authorization(
        &self,
        store: &dyn Store,
        app: AppId,
        secret: SecretId,
        now: UnixTime,
    ) -> Result<AuthorizationId, StoreError> {
        if let Some(found) = self.machine_authorizations.get(&(app, secret)) {
            return Ok(found);
        }
        let generation = self.generation();
        let found = store
            .client_credentials_authorization(app, secret, now)
            .await?;
        self.keep(
            &self.machine_authorizations,
            generation,
            (app, secret),
            found,
        );
        Ok(found)
    }

    /// Drops everything known about `app`: call it after editing its registration, replacing
    /// one of its secrets or deleting it.
    pub(crate) fn forget_app(&self, app: AppId) {
        self.bump();
        self.secrets.retain(|_, secret| secret.app_id != app);
        self.apps.remove(&app);
        self.machine_authorizations
            .retain(|(owner, _), _| *owner != app);
    }

    /// Drops the client-credentials authorization `id`, if cached: call it after revoking it.
    pub(crate) fn forget_authorization(&self, id: AuthorizationId) {
        self.bump();
        self.machine_authorizations
            .retain(|_, authorization| *authorization != id);
    }

    /// Applies a change another node (or an admin command) made, read from the change feed.
    pub(crate) fn apply(&self, change: &Change) {
        match change.kind {
            ChangeKind::ClientChanged => match change.subject.parse() {
                Ok(app) => self.forget_app(app),
                // Not an app id this build can read: forget everything rather than guess.
                Err(_) => self.forget_everything(),
            },
            ChangeKind::AuthorizationRevoked => {
                if let Ok(id) = change.subject.parse() {
                    self.forget_authorization(id);
                }
            }
            ChangeKind::OrgPolicyChanged | ChangeKind::KeysChanged | ChangeKind::Unknown => {}
        }
    }

    /// Drops every entry.
    pub(crate) fn forget_everything(&self) {
        self.bump();
        self.secrets.clear();
        self.apps.clear();
        self.machine_authorizations.clear();
    }

    /// The cached value of `key`, or what `load` finds (kept if found). `load` runs only on a
    /// miss, after the generation was read.
    async fn found_or_load<K, V>(
        &self,
        cache: &Cache<K, V>,
        key: K,
        load: impl std::future::Future<Output = Result<Option<V>, StoreError>>,
    ) -> Result<Option<V>, StoreError>
    where
        K: Eq + Hash + Clone,
        V: Clone,
    {
        if let Some(found) = cache.get(&key) {
            return Ok(Some(found));
        }
        let generation = self.generation();
        let found = load.await?;
        if let Some(value) = &found {
            self.keep(cache, generation, key, value.clone());
        }
        Ok(found)
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Keeps `value`, read from the store when the generation was `read_at`, unless a change
    /// happened since: either the change's own sweep removes it, or this check does.
    fn keep<K, V>(&self, cache: &Cache<K, V>, read_at: u64, key: K, value: V)
    where
        K: Eq + Hash + Clone,
        V: Clone,
    {
        cache.insert(key.clone(), value);
        if self.generation() != read_at {
            cache.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(app: AppId) -> ClientSecret {
        ClientSecret {
            id: SecretId::new_random(),
            app_id: app,
            created_at: 0,
            expires_at: 100,
        }
    }

    #[test]
    fn forgetting_an_app_drops_its_secrets_and_authorizations_only() {
        let cache = ClientCache::new(100);
        let (ours, theirs) = (AppId::new_random(), AppId::new_random());
        let (a, b) = (secret(ours), secret(theirs));
        let (ha, hb) = (TokenHash::of("a"), TokenHash::of("b"));
        cache.keep(&cache.secrets, 0, ha, a.clone());
        cache.keep(&cache.secrets, 0, hb, b.clone());
        let (aa, ab) = (AuthorizationId::new_random(), AuthorizationId::new_random());
        cache.keep(&cache.machine_authorizations, 0, (ours, a.id), aa);
        cache.keep(&cache.machine_authorizations, 0, (theirs, b.id), ab);

        cache.forget_app(ours);

        assert_eq!(cache.secrets.get(&ha), None);
        assert_eq!(cache.secrets.get(&hb), Some(b.clone()));
        assert_eq!(cache.machine_authorizations.get(&(ours, a.id)), None);
        assert_eq!(cache.machine_authorizations.get(&(theirs, b.id)), Some(ab));

        cache.apply(&Change {
            seq: 1,
            kind: ChangeKind::AuthorizationRevoked,
            subject: ab.to_string(),
            at: 5,
        });
        assert_eq!(cache.machine_authorizations.get(&(theirs, b.id)), None);
        assert_eq!(cache.secrets.get(&hb), Some(b));
    }

    #[test]
    fn a_value_read_before_a_change_is_not_kept() {
        let cache = ClientCache::new(100);
        let app = AppId::new_random();
        let read_at = cache.generation();
        cache.forget_app(app);
        cache.keep(&cache.secrets, read_at, TokenHash::of("stale"), secret(app));
        assert_eq!(cache.secrets.get(&TokenHash::of("stale")), None);
    }

    #[test]
    fn a_client_change_from_the_feed_drops_the_app() {
        let cache = ClientCache::new(100);
        let app = AppId::new_random();
        cache.keep(&cache.secrets, 0, TokenHash::of("s"), secret(app));
        cache.apply(&Change {
            seq: 1,
            kind: ChangeKind::ClientChanged,
            subject: app.to_string(),
            at: 5,
        });
        assert_eq!(cache.secrets.get(&TokenHash::of("s")), None);
    }
}
