//! Following the change feed: one catch-up applies every change made since the last one (by any
//! node or admin command) to every cache this node keeps.
//!
//! The caller only decides when: on a timer and whenever [`Keygate::change_notifications`]
//! wakes it. What each change means for each cache is decided here:
//! - `AuthorizationRevoked`: the snapshot refuses the authorization's access tokens, and the
//!   client cache drops it if it was a client-credentials authorization;
//! - `OrgPolicyChanged`: the snapshot reloads the organizations that disallow OAuth;
//! - `ClientChanged`: the client cache drops the app, its secrets and authorizations;
//! - `KeysChanged`: the key ring is reloaded (which also empties the verified-token cache).

use crate::bearer::Catchup;
use crate::context::Keygate;
use crate::keys::rotation::{self, RotationError};
use crate::store::StoreError;

/// Why a catch-up did not finish.
#[derive(Debug, thiserror::Error)]
pub enum CatchupError {
    /// The change feed could not be read; the next catch-up starts where this one stopped.
    #[error("could not read the change feed")]
    Feed(#[source] StoreError),
    /// The feed announced new signing keys, but they could not be reloaded.
    #[error("could not reload the signing keys")]
    Keys(#[source] RotationError),
}

impl Keygate {
    /// Applies every change since the last catch-up to the snapshot, the client cache and the
    /// key ring.
    pub async fn catch_up(&self) -> Result<Catchup, CatchupError> {
        let caught_up = self
            .snapshot()
            .catch_up(self.data(), self.clock.now(), self.lifetimes.access_token)
            .await
            .map_err(CatchupError::Feed)?;
        if caught_up.keys_changed {
            rotation::reload(self).await.map_err(CatchupError::Keys)?;
        }
        Ok(caught_up)
    }
}
