//! Rotating signing keys without a moment where a token cannot be verified: a new key is
//! published as `next` first, signs only once resource servers caching the JWKS have had time
//! to fetch it, and the key it replaces stays published until every access token it signed has
//! expired.

use super::{generate, generate_id_token_key, KeyError, KeyRing, SigningAlgorithm};
use crate::context::Keygate;
use crate::model::SigningKeyRecord;
use crate::store::StoreError;

/// Seconds a retired key stays published beyond the access-token lifetime, for nodes that
/// learned of the rotation a moment late and clocks that disagree a little.
pub const RETIRED_KEY_MARGIN: i64 = 60;

/// Why a rotation step failed.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    /// A key could not be made or a stored one parsed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The store failed (`Conflict` when a `next` key is already waiting).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Generates a key of `algorithm` and publishes it as `next`: every node serves it in its JWKS
/// from its next change-feed poll, and it starts signing after the publish-ahead delay.
pub async fn publish_next_key(
    kg: &Keygate,
    algorithm: SigningAlgorithm,
) -> Result<SigningKeyRecord, RotationError> {
    let key = generate(algorithm, "next", kg.clock.now())?;
    kg.store().add_next_signing_key(key.clone()).await?;
    tracing::info!(kid = %key.kid, algorithm = %algorithm, "signing key published as next");
    Ok(key)
}

/// Generates a fresh RS256 ID-token key and publishes it as `next`, like [`publish_next_key`]
/// (`keygate keys rotate` rotates both purposes).
pub async fn publish_next_id_token_key(kg: &Keygate) -> Result<SigningKeyRecord, RotationError> {
    let key = generate_id_token_key("next", kg.clock.now())?;
    kg.store().add_next_signing_key(key.clone()).await?;
    tracing::info!(kid = %key.kid, "ID token signing key published as next");
    Ok(key)
}

/// Makes the `next` keys sign now instead of after the publish-ahead delay (`keygate keys rotate
/// --immediately`), announcing it to every node; `false` when no key is waiting.
pub async fn promote_next_key(kg: &Keygate) -> Result<bool, StoreError> {
    kg.store().promote_next_signing_key(kg.clock.now()).await
}

/// Every stored signing key, whatever its state (`keygate keys list`).
pub async fn stored_keys(kg: &Keygate) -> Result<Vec<SigningKeyRecord>, StoreError> {
    kg.store().signing_keys().await
}

/// Reloads this node's key ring from the store.
pub(crate) async fn reload(kg: &Keygate) -> Result<(), RotationError> {
    let keys = kg.store().signing_keys().await?;
    kg.credentials.replace_keys(KeyRing::load(&keys)?);
    Ok(())
}

/// One upkeep step, run by every node on every change-feed tick; cheap when nothing is due
/// (it consults only the ring in memory). Promotes a `next` key that has been published long
/// enough and unpublishes retired keys whose tokens have all expired. Nodes racing on the same
/// step are harmless: the store performs each change once. Returns whether anything changed.
pub async fn upkeep(kg: &Keygate) -> Result<bool, RotationError> {
    let now = kg.clock.now();
    let ring = kg.credentials.keys();
    let mut changed = false;
    if ring.next_key_due(now, kg.policy.key_publish_ahead) {
        changed |= kg.store().promote_next_signing_key(now).await?;
    }
    let cutoff = now - kg.lifetimes.access_token - RETIRED_KEY_MARGIN;
    if ring.retired_key_expired(cutoff) {
        changed |= kg.store().delete_retired_signing_keys(cutoff, now).await? > 0;
    }
    if changed {
        tracing::info!("signing keys rotated");
        reload(kg).await?;
    }
    Ok(changed)
}
