//! The UserInfo use case (OpenID Connect Core §5.3): the claims of an access token's user that
//! its scopes release.

use serde_json::{Map, Value};

use super::claims::user_claims;
use super::OPENID_SCOPE;
use crate::bearer::{check_bearer, BearerError};
use crate::context::Keygate;
use crate::scopes::ScopeSet;
use crate::store::StoreError;

/// Why UserInfo refused (RFC 6750 §3.1).
#[derive(Debug, thiserror::Error)]
pub enum UserInfoError {
    /// Malformed, expired, revoked, not an access token, or its user is gone: `invalid_token`.
    #[error("The access token is invalid, expired or revoked")]
    InvalidToken,
    /// A valid access token granted without `openid`: `insufficient_scope`.
    #[error("The access token was not granted the openid scope")]
    InsufficientScope,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The claims UserInfo returns for the bearer `token`.
pub async fn userinfo(kg: &Keygate, token: &str) -> Result<Map<String, Value>, UserInfoError> {
    let claims = match check_bearer(kg, token, OPENID_SCOPE, None) {
        Ok(claims) => claims,
        Err(BearerError::Unusable) => {
            // A token that verifies but lacks the scope is told apart (RFC 6750 §3.1).
            return Err(
                match kg.credentials.verify_access_token(token, kg.clock.now()) {
                    Ok(_) => UserInfoError::InsufficientScope,
                    Err(_) => UserInfoError::InvalidToken,
                },
            );
        }
        Err(BearerError::Unauthorized(_)) => return Err(UserInfoError::InvalidToken),
    };
    let user = kg
        .data()
        .user(claims.nameid)
        .await?
        .ok_or(UserInfoError::InvalidToken)?;
    let app = kg
        .data()
        .app(claims.appid)
        .await?
        .ok_or(UserInfoError::InvalidToken)?;
    let scopes = ScopeSet::from_stored(&claims.scp);
    Ok(user_claims(&app, &user, &scopes, &[]))
}
