//! A user's own decisions about the apps they authorized: revoke one app, or all (protocol §8).

use crate::audit::{self, Entry};
use crate::context::Keygate;
use crate::ids::{AppId, UserId};
use crate::model::{AuditKind, AuthorizationSummary};
use crate::store::StoreError;

/// Revokes every live authorization `user` gave to `app`, or to every app with `None`; the
/// tokens stop working on every node within the change feed's propagation bound. Returns how
/// many authorizations were revoked.
pub async fn revoke_user_authorizations(
    kg: &Keygate,
    user: UserId,
    app: Option<AppId>,
) -> Result<u64, StoreError> {
    let entry = match app {
        Some(app) => Entry::new(AuditKind::AuthorizationRevoked, format!("app:{app}")).app(app),
        None => Entry::new(AuditKind::AuthorizationRevoked, "all-apps"),
    };
    let event = audit::event(kg, entry.detail(format!("user={user}")));
    kg.store()
        .revoke_user_authorizations(user, app, kg.clock.now(), event)
        .await
}

/// The apps `user` has live authorizations for (their authorizations page); client-credentials
/// authorizations are not theirs to see.
pub async fn of_user(kg: &Keygate, user: UserId) -> Result<Vec<AuthorizationSummary>, StoreError> {
    kg.store()
        .authorizations_of_user(user, kg.clock.now())
        .await
}
