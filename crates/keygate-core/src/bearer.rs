//! Bearer checks without a database round trip: each node keeps a snapshot of what can change
//! after a token is minted (revoked authorizations, organization policies), refreshed from the
//! store's change feed.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::RwLock;

use crate::clock::UnixTime;
use crate::credentials::{AccessClaims, BearerRejection};
use crate::data::Data;
use crate::ids::AuthorizationId;
use crate::model::ChangeKind;
use crate::store::{Store, StoreError};
use crate::Keygate;

/// What a node knows about revocations and policies, as of change `head`.
#[derive(Debug, Default)]
pub struct Snapshot {
    head: AtomicI64,
    /// This process's change-feed writes ([`Store::local_feed_writes`]) counted before the
    /// last catch-up (or the load) read the feed: every one of them is applied.
    local_seen: AtomicU64,
    /// Revoked authorizations, with when they were revoked (kept while their tokens may live).
    revoked: RwLock<HashMap<AuthorizationId, UnixTime>>,
    /// Lower-case names of organizations that disallow third-party OAuth.
    denying_orgs: RwLock<HashSet<String>>,
}

/// What happened when the snapshot caught up with the change feed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Catchup {
    /// How many changes were applied.
    pub applied: usize,
    /// Whether the signing keys changed and should be reloaded.
    pub keys_changed: bool,
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

impl Snapshot {
    /// Builds a snapshot from the store: every authorization revoked within `horizon` seconds
    /// (the access-token lifetime: older revocations cannot have live access tokens).
    pub(crate) async fn load(
        store: &dyn Store,
        now: UnixTime,
        horizon: i64,
    ) -> Result<Self, StoreError> {
        let local = store.local_feed_writes().unwrap_or(0);
        let head = store.change_head().await?;
        let revoked = store
            .authorizations_revoked_since(now - horizon)
            .await?
            .into_iter()
            .collect();
        let denying = store
            .orgs_denying_oauth()
            .await?
            .into_iter()
            .map(|n| n.to_ascii_lowercase())
            .collect();
        Ok(Self {
            head: AtomicI64::new(head),
            local_seen: AtomicU64::new(local),
            revoked: RwLock::new(revoked),
            denying_orgs: RwLock::new(denying),
        })
    }

    /// Applies every change since the last catch-up (to the caches of `data` as well); forgets
    /// revocations older than `horizon`.
    pub(crate) async fn catch_up(
        &self,
        data: &Data,
        now: UnixTime,
        horizon: i64,
    ) -> Result<Catchup, StoreError> {
        let store = data.store();
        // Counted before the feed is read: each counted write committed before its count, so
        // the reads below see it.
        let local = store.local_feed_writes().unwrap_or(0);
        let mut result = Catchup::default();
        loop {
            let head = self.head.load(Ordering::Acquire);
            let changes = store.changes_since(head, 1000).await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                break;
            };
            let mut policy_changed = false;
            {
                let mut revoked = write(&self.revoked);
                for c in &changes {
                    data.apply(c);
                    match c.kind {
                        ChangeKind::AuthorizationRevoked => {
                            if let Ok(id) = c.subject.parse() {
                                revoked.insert(id, c.at);
                            }
                        }
                        ChangeKind::OrgPolicyChanged => policy_changed = true,
                        ChangeKind::KeysChanged => result.keys_changed = true,
                        ChangeKind::ClientChanged | ChangeKind::Unknown => {}
                    }
                }
            }
            if policy_changed {
                let denying = store
                    .orgs_denying_oauth()
                    .await?
                    .into_iter()
                    .map(|n| n.to_ascii_lowercase())
                    .collect();
                *write(&self.denying_orgs) = denying;
            }
            result.applied += changes.len();
            self.head.store(last, Ordering::Release);
            if changes.len() < 1000 {
                break;
            }
        }
        write(&self.revoked).retain(|_, at| *at > now - horizon);
        self.local_seen.fetch_max(local, Ordering::AcqRel);
        Ok(result)
    }

    /// Whether every change-feed write this process has committed (`written`, from
    /// [`Store::local_feed_writes`]) is applied here. `false` when the store does not count them.
    pub(crate) fn has_every_local_change(&self, written: Option<u64>) -> bool {
        written.is_some_and(|w| self.local_seen.load(Ordering::Acquire) >= w)
    }

    /// Whether an authorization has been revoked.
    pub fn is_revoked(&self, id: &AuthorizationId) -> bool {
        read(&self.revoked).contains_key(id)
    }

    /// Whether an organization disallows third-party OAuth access.
    pub fn org_denies_oauth(&self, org_name: &str) -> bool {
        read(&self.denying_orgs).contains(&org_name.to_ascii_lowercase())
    }
}

/// Why a bearer token does not open a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// Missing, malformed, expired, of the wrong kind, or lacking the scope: the sign-in answer.
    Unusable,
    /// Valid, but its authorization is revoked or the organization forbids OAuth: TF400813
    /// naming the token's user.
    Unauthorized(crate::ids::UserId),
}

impl From<BearerRejection> for BearerError {
    fn from(_: BearerRejection) -> Self {
        BearerError::Unusable
    }
}

/// Checks a bearer token for a resource requiring `scope`, in organization `org` if any, against
/// the node's snapshot (no database round trip).
pub fn check_bearer(
    kg: &Keygate,
    token: &str,
    scope: &str,
    org: Option<&str>,
) -> Result<AccessClaims, BearerError> {
    let claims = kg.credentials.verify_access_token(token, kg.clock.now())?;
    let scopes = crate::scopes::ScopeSet::from_stored(&claims.scp);
    if !scopes.allows(scope) {
        return Err(BearerError::Unusable);
    }
    let snapshot = kg.snapshot();
    if snapshot.is_revoked(&claims.aui) || org.is_some_and(|o| snapshot.org_denies_oauth(o)) {
        return Err(BearerError::Unauthorized(claims.nameid));
    }
    Ok(claims)
}
