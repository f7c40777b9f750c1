//! The handles every use case needs, bundled once at start: [`Keygate`], the one handle to the
//! data, the keys and the settings, which owns every cache this node keeps.

use std::sync::Arc;

use crate::audit::Origin;
use crate::bearer::Snapshot;
use crate::clock::Clock;
use crate::config::Lifetimes;
use crate::credentials::Credentials;
use crate::data::Data;
use crate::entra::Tenant;
use crate::keys::{at_rest, generate, generate_id_token_key, KeyError, KeyRing, SigningAlgorithm};
use crate::model::{SigningKeyRecord, KEY_PURPOSE_ACCESS, KEY_PURPOSE_ID_TOKEN};
use crate::secrets::random_token;
use crate::store::{PoolStats, Store, StoreError};

/// Data, clock, keys and settings: what a use case runs against.
///
/// It owns every cache of the node: the client and user caches (in [`Data`]), the verified-token
/// cache and key ring (in [`Credentials`]) and the revocation and policy [`Snapshot`]; one
/// catch-up with the change feed ([`Keygate::catch_up`]) keeps them all current.
#[derive(Clone)]
pub struct Keygate {
    /// The store behind its caches; the raw store never leaves this crate.
    data: Data,
    /// Revocations and organization policies as of the last catch-up.
    snapshot: Arc<Snapshot>,
    /// The source of time.
    pub clock: Arc<dyn Clock>,
    /// Mints and reads credentials (and caches verified access tokens).
    pub credentials: Arc<Credentials>,
    /// Credential lifetimes.
    pub lifetimes: Lifetimes,
    /// Protocol switches.
    pub policy: Policy,
    /// Who is acting and from where, for the audit log; see [`Keygate::acting_as`].
    pub origin: Origin,
    /// The Entra ID tenant this deployment is.
    pub tenant: Arc<Tenant>,
}

/// What [`Keygate::open`] needs besides the store.
#[derive(Clone)]
pub struct Settings {
    /// The public host name, used as the `iss` and `aud` of every credential.
    pub issuer: String,
    /// The source of time.
    pub clock: Arc<dyn Clock>,
    /// Credential lifetimes.
    pub lifetimes: Lifetimes,
    /// Protocol switches.
    pub policy: Policy,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("issuer", &self.issuer)
            .field("lifetimes", &self.lifetimes)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Why Keygate could not open on a store.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored signing keys are unusable (or a first one could not be made).
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// Keys stored in the clear could not be sealed with the master key.
    #[error(transparent)]
    Seal(#[from] at_rest::SealError),
}

impl Keygate {
    /// Opens Keygate on `store`: loads the signing keys (storing a first active key of the
    /// policy's algorithm when there is none, and an RS256 key for ID tokens) and the revocation snapshot, behind empty caches.
    pub async fn open(store: Arc<dyn Store>, settings: Settings) -> Result<Keygate, OpenError> {
        let now = settings.clock.now();
        let mut keys = store.signing_keys().await?;
        let has_active = |keys: &[SigningKeyRecord], purpose: &str| {
            keys.iter()
                .any(|k| k.state == "active" && k.purpose == purpose)
        };
        if !has_active(&keys, KEY_PURPOSE_ACCESS) {
            let first = generate(settings.policy.signing_algorithm, "active", now)?;
            keys = store.ensure_signing_key(first).await?;
        }
        // OpenID Connect ID tokens are signed RS256 whatever signs access tokens; a database
        // from before ID tokens gets its key on the first start after the upgrade.
        if !has_active(&keys, KEY_PURPOSE_ID_TOKEN) {
            keys = store
                .ensure_signing_key(generate_id_token_key("active", now)?)
                .await?;
        }
        // Keys stored before a master key was configured are sealed now.
        if at_rest::seal_clear_keys(store.as_ref(), &keys).await? > 0 {
            keys = store.signing_keys().await?;
        }
        let ring = KeyRing::load(&keys)?;
        let snapshot = Snapshot::load(store.as_ref(), now, settings.lifetimes.access_token).await?;
        let tenant = tenant(store.as_ref(), &settings.policy).await?;
        let credentials =
            Credentials::new(settings.issuer, ring).accepting_entra(tenant.v1_issuer());
        Ok(Keygate {
            data: Data::new(store),
            snapshot: Arc::new(snapshot),
            clock: settings.clock,
            tenant: Arc::new(tenant),
            credentials: Arc::new(credentials),
            lifetimes: settings.lifetimes,
            policy: settings.policy,
            origin: Origin::default(),
        })
    }

    /// The store behind its caches, for the use cases that run on [`Data`] alone.
    pub fn data(&self) -> &Data {
        &self.data
    }

    /// The raw store, for use cases in this crate.
    pub(crate) fn store(&self) -> &dyn Store {
        self.data.store()
    }

    /// The revocation and policy snapshot.
    pub(crate) fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.store().ping().await
    }

    /// How busy the store's connection pools are (for `/metrics`); `None` when it cannot tell.
    pub fn pool_stats(&self) -> Option<PoolStats> {
        self.store().pool_stats()
    }

    /// Wakes soon after any process appended to the change feed, when the store can tell (see
    /// [`Store::change_notifications`]); whoever drives [`Keygate::catch_up`] waits on it.
    pub fn change_notifications(&self) -> Option<tokio::sync::broadcast::Receiver<()>> {
        self.store().change_notifications()
    }

    /// The random key called `name` that every node shares through the store, made by the
    /// first node that asks (the CSRF key, say).
    pub async fn shared_key(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        self.store()
            .setting_or_insert(name, random_token().as_bytes())
            .await
    }

    /// The same context acting for `origin`: the use cases called on it record their audit
    /// events with that actor and client address.
    pub fn acting_as(&self, origin: Origin) -> Keygate {
        Keygate {
            origin,
            ..self.clone()
        }
    }
}

/// The Entra tenant: the configured id, or the one the first node made and stored for all.
async fn tenant(store: &dyn Store, policy: &Policy) -> Result<Tenant, StoreError> {
    let id = match policy.tenant_id {
        Some(id) => id,
        None => {
            let candidate = uuid::Uuid::new_v4().to_string();
            let stored = store
                .setting_or_insert("entra_tenant_id", candidate.as_bytes())
                .await?;
            std::str::from_utf8(&stored)
                .ok()
                .and_then(|s| uuid::Uuid::parse_str(s).ok())
                .ok_or_else(|| StoreError::Corrupt("the stored tenant id is not a GUID".into()))?
        }
    };
    Ok(Tenant::new(id, policy.tenant_domain.as_deref()))
}

/// Server-wide protocol switches.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Accept plain `http://` callback URLs at registration (development only).
    pub allow_http_callbacks: bool,
    /// Refuse authorization requests without a PKCE challenge from every client, not only from
    /// public ones (RFC 9700 §2.1.1).
    pub require_pkce: bool,
    /// The algorithm of keys this node generates (the first key, and `keygate keys rotate`).
    pub signing_algorithm: SigningAlgorithm,
    /// Seconds a `next` signing key is published before it starts signing, so that resource
    /// servers caching the JWKS learn it first.
    pub key_publish_ahead: i64,
    /// The Entra tenant id; made on first start (and shared through the store) when unset.
    pub tenant_id: Option<uuid::Uuid>,
    /// The Entra tenant's domain name; made from the tenant id when unset.
    pub tenant_domain: Option<String>,
    /// Where introspection learns whether an access token's authorization still stands.
    pub introspection: IntrospectionMode,
}

/// Where token introspection (RFC 7662) learns whether an access token's authorization still
/// stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntrospectionMode {
    /// From the node's revocation snapshot, without a database read: a revocation made through
    /// this node counts at once (the snapshot is caught up first when this node has written to
    /// the change feed since its last catch-up), one made through another node or an admin
    /// command once this node has caught up with the change feed (at once on PostgreSQL's
    /// NOTIFY, otherwise within the poll interval).
    #[default]
    Snapshot,
    /// From the store on every call: a revocation made anywhere counts as soon as it committed.
    Exact,
}

impl IntrospectionMode {
    /// The setting's name: `snapshot` or `exact`.
    pub const fn as_str(self) -> &'static str {
        match self {
            IntrospectionMode::Snapshot => "snapshot",
            IntrospectionMode::Exact => "exact",
        }
    }
}

/// An introspection mode name that is neither `snapshot` nor `exact`.
#[derive(Debug, thiserror::Error)]
#[error("unknown introspection mode {0:?} (expected snapshot or exact)")]
pub struct UnknownIntrospectionMode(String);

impl std::str::FromStr for IntrospectionMode {
    type Err = UnknownIntrospectionMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "snapshot" => Ok(IntrospectionMode::Snapshot),
            "exact" => Ok(IntrospectionMode::Exact),
            _ => Err(UnknownIntrospectionMode(s.to_owned())),
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allow_http_callbacks: false,
            require_pkce: false,
            signing_algorithm: SigningAlgorithm::default(),
            key_publish_ahead: DEFAULT_KEY_PUBLISH_AHEAD,
            tenant_id: None,
            tenant_domain: None,
            introspection: IntrospectionMode::default(),
        }
    }
}

/// Ten minutes: twice the `max-age` the JWKS is served with.
pub const DEFAULT_KEY_PUBLISH_AHEAD: i64 = 600;

impl std::fmt::Debug for Keygate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keygate")
            .field("lifetimes", &self.lifetimes)
            .field("policy", &self.policy)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}
