//! Token introspection (RFC 7662): a confidential client asks whether a token is active now.
//!
//! A confidential client learns about its own tokens only: a token issued to another app is
//! simply inactive to it (RFC 7662 §4 asks to limit who may probe tokens; revocation already
//! refuses other apps' tokens). An app an administrator registered as a resource server
//! (`App::may_introspect`) may introspect access tokens issued to any app, to check the tokens
//! presented to it. A refresh token is only ever described to the app it was issued to.
//!
//! Whether an access token's authorization still stands is read from the node's revocation
//! snapshot or from the store, as [`IntrospectionMode`] says (see `stands`); a refresh token
//! is always looked up in the store.

use crate::clock::UnixTime;
use crate::context::{IntrospectionMode, Keygate};
use crate::credentials::{looks_like_jwt, AccessClaims};
use crate::ids::{AppId, UserId};
use crate::oauth::client::Client;
use crate::oauth::revoke::TokenHint;
use crate::oauth::TokenError;
use crate::scopes::ScopeSet;
use crate::secrets::TokenHash;

/// Which kind of token was found active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveKind {
    /// An access token (`token_type: Bearer`).
    Access,
    /// A refresh token.
    Refresh,
}

/// What an active token says (RFC 7662 §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveToken {
    /// Access or refresh token.
    pub kind: ActiveKind,
    /// Granted scopes.
    pub scopes: ScopeSet,
    /// The app it was issued to.
    pub client_id: AppId,
    /// The user (for client credentials: the app itself).
    pub subject: UserId,
    /// Expiry.
    pub expires_at: UnixTime,
    /// Issue time, when the token carries it.
    pub issued_at: Option<UnixTime>,
}

/// The answer: active with its facts, or inactive with nothing more said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Introspection {
    /// The token is ours, unexpired, and its authorization stands.
    Active(ActiveToken),
    /// Anything else.
    Inactive,
}

/// RFC 7662 §2.1: describes `token` to `client`, which must be confidential.
pub async fn introspect(
    kg: &Keygate,
    client: &Client,
    token: Option<&str>,
    hint: Option<TokenHint>,
) -> Result<Introspection, TokenError> {
    if client.is_public() {
        return Err(TokenError::ClientSecretMissing);
    }
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or(TokenError::TokenMissing)?;
    let order = match hint {
        Some(TokenHint::RefreshToken) => [TokenHint::RefreshToken, TokenHint::AccessToken],
        _ => [TokenHint::AccessToken, TokenHint::RefreshToken],
    };
    for kind in order {
        let found = match kind {
            TokenHint::AccessToken => access(kg, client, token).await?,
            TokenHint::RefreshToken => refresh(kg, client, token).await?,
        };
        if let Some(found) = found {
            return Ok(found);
        }
    }
    Ok(Introspection::Inactive)
}

/// Whether `client` may learn about access tokens issued to `issued_to`.
async fn may_see(kg: &Keygate, client: &Client, issued_to: AppId) -> Result<bool, TokenError> {
    if client.app_id() == issued_to {
        return Ok(true);
    }
    let app = kg.data().app(client.app_id()).await?;
    Ok(app.is_some_and(|app| app.may_introspect))
}

/// `None` when `token` is not an access token of ours at all.
async fn access(
    kg: &Keygate,
    client: &Client,
    token: &str,
) -> Result<Option<Introspection>, TokenError> {
    let now = kg.clock.now();
    let claims = match kg.credentials.verify_access_token(token, now) {
        Ok(claims) => claims,
        Err(crate::credentials::BearerRejection::Expired) => {
            return Ok(Some(Introspection::Inactive))
        }
        Err(_) => return Ok(None),
    };
    if !may_see(kg, client, claims.appid).await? {
        return Ok(Some(Introspection::Inactive));
    }
    if !stands(kg, &claims).await? {
        return Ok(Some(Introspection::Inactive));
    }
    Ok(Some(Introspection::Active(ActiveToken {
        kind: ActiveKind::Access,
        scopes: ScopeSet::from_stored(&claims.scp),
        client_id: claims.appid,
        subject: claims.nameid,
        expires_at: claims.exp,
        issued_at: Some(claims.nbf),
    })))
}

/// Whether the authorization an access token was minted under still stands, asked where
/// [`IntrospectionMode`] says.
///
/// The snapshot answers only when it has applied every change-feed write this node has
/// committed: a revocation made through this node a moment ago then counts already, as it does
/// in the store. Otherwise (a write of this node not caught up with yet, or a store that does
/// not count its writes) the store answers, exactly as in `Exact` mode. Deleting an app or
/// retiring a secret version revokes through the change feed too, so the snapshot refuses those
/// tokens as well.
async fn stands(kg: &Keygate, claims: &AccessClaims) -> Result<bool, TokenError> {
    if kg.policy.introspection == IntrospectionMode::Snapshot {
        let snapshot = kg.snapshot();
        if snapshot.has_every_local_change(kg.store().local_feed_writes()) {
            return Ok(!snapshot.is_revoked(&claims.aui));
        }
    }
    Ok(kg
        .store()
        .authorization_by_id(claims.aui)
        .await?
        .is_some_and(|a| a.revoked_at.is_none() && a.app_id == claims.appid))
}

/// `None` when `token` is not a refresh token of ours at all.
async fn refresh(
    kg: &Keygate,
    client: &Client,
    token: &str,
) -> Result<Option<Introspection>, TokenError> {
    if !looks_like_jwt(token) {
        return Ok(None);
    }
    let Some(r) = kg.store().refresh_by_hash(TokenHash::of(token)).await? else {
        return Ok(None);
    };
    let live = r.used_at.is_none() && r.revoked_at.is_none() && kg.clock.now() < r.expires_at;
    if !live || r.app_id != client.app_id() {
        return Ok(Some(Introspection::Inactive));
    }
    Ok(Some(Introspection::Active(ActiveToken {
        kind: ActiveKind::Refresh,
        scopes: r.scopes,
        client_id: r.app_id,
        subject: r.user_id,
        expires_at: r.expires_at,
        issued_at: None,
    })))
}
