//! Admin tokens: long-lived bearer credentials an operator makes with `keygate admin-token create`
//! for automating app registration over the REST API. Only their SHA-256 hash is stored.

use crate::audit::{self, Entry};
use crate::context::Keygate;
use crate::model::{AdminToken, AuditKind, NewAdminToken};
use crate::secrets::{random_token, TokenHash};
use crate::store::StoreError;

/// Every admin token starts with this, so the bearer check tells it from a JWT access token at a
/// glance and secret scanners can recognise a leaked one.
pub const ADMIN_TOKEN_PREFIX: &str = "kgat_";

/// A new admin token: the record, and the value shown once.
pub struct CreatedAdminToken {
    /// The stored record.
    pub token: AdminToken,
    /// The bearer value; only its hash is kept.
    pub value: String,
}

impl std::fmt::Debug for CreatedAdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedAdminToken")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// Makes an admin token called `name`.
pub async fn create_admin_token(kg: &Keygate, name: &str) -> Result<CreatedAdminToken, StoreError> {
    let value = format!("{ADMIN_TOKEN_PREFIX}{}", random_token());
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let token = AdminToken {
        id: id.clone(),
        name: name.trim().chars().take(128).collect(),
        created_at: kg.clock.now(),
        revoked_at: None,
    };
    let event = audit::event(
        kg,
        Entry::new(AuditKind::AdminTokenCreated, format!("admin-token:{id}")),
    );
    kg.store()
        .create_admin_token(
            NewAdminToken {
                token: token.clone(),
                hash: TokenHash::of(&value),
            },
            event,
        )
        .await?;
    Ok(CreatedAdminToken { token, value })
}

/// The live admin token whose value is `presented`, if any.
pub async fn verify_admin_token(
    kg: &Keygate,
    presented: &str,
) -> Result<Option<AdminToken>, StoreError> {
    if !presented.starts_with(ADMIN_TOKEN_PREFIX) {
        return Ok(None);
    }
    kg.store()
        .admin_token_by_hash(TokenHash::of(presented))
        .await
}

/// Every admin token, live and revoked, oldest first (never their values: only hashes are kept).
pub async fn admin_tokens(kg: &Keygate) -> Result<Vec<AdminToken>, StoreError> {
    kg.store().admin_tokens().await
}

/// Revokes the admin token `id`; `false` when no live token has that id.
pub async fn revoke_admin_token(kg: &Keygate, id: &str) -> Result<bool, StoreError> {
    let event = audit::event(
        kg,
        Entry::new(AuditKind::AdminTokenRevoked, format!("admin-token:{id}")),
    );
    kg.store()
        .revoke_admin_token(id, kg.clock.now(), event)
        .await
}
