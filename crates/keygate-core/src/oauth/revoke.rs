//! Token revocation (RFC 7009): an app ends an access or refresh token it holds, and with it
//! the authorization behind it, so the whole refresh chain and every access token minted from it
//! stop working.

use crate::context::Keygate;
use crate::credentials::{looks_like_jwt, BearerRejection};
use crate::ids::{AppId, AuthorizationId};
use crate::oauth::client::Client;
use crate::oauth::TokenError;
use crate::secrets::TokenHash;

/// `token_type_hint` (RFC 7009 §2.1): which kind to look for first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenHint {
    /// `access_token`.
    AccessToken,
    /// `refresh_token`.
    RefreshToken,
}

impl TokenHint {
    /// Parses the hint; an unknown or absent hint means "look everywhere" (RFC 7009 §2.1).
    pub fn parse(raw: Option<&str>) -> Option<Self> {
        match raw.map(str::trim) {
            Some("access_token") => Some(Self::AccessToken),
            Some("refresh_token") => Some(Self::RefreshToken),
            _ => None,
        }
    }
}

/// What a presented token turned out to be.
pub(crate) enum Found {
    /// A token this server issued, with its app and authorization.
    Token {
        app: AppId,
        authorization: AuthorizationId,
    },
    /// Not a token of ours, or one that has expired.
    Nothing,
}

/// Finds the authorization behind an access token (by its signature) or a refresh token (by
/// its hash), trying the hinted kind first.
pub(crate) async fn find(
    kg: &Keygate,
    token: &str,
    hint: Option<TokenHint>,
) -> Result<Found, TokenError> {
    let order = match hint {
        Some(TokenHint::RefreshToken) => [TokenHint::RefreshToken, TokenHint::AccessToken],
        _ => [TokenHint::AccessToken, TokenHint::RefreshToken],
    };
    for kind in order {
        match kind {
            TokenHint::AccessToken => {
                match kg.credentials.verify_access_token(token, kg.clock.now()) {
                    Ok(claims) => {
                        return Ok(Found::Token {
                            app: claims.appid,
                            authorization: claims.aui,
                        })
                    }
                    Err(BearerRejection::Expired) => return Ok(Found::Nothing),
                    Err(_) => {}
                }
            }
            TokenHint::RefreshToken => {
                if !looks_like_jwt(token) {
                    continue;
                }
                if let Some(r) = kg.store().refresh_by_hash(TokenHash::of(token)).await? {
                    return Ok(Found::Token {
                        app: r.app_id,
                        authorization: r.authorization_id,
                    });
                }
            }
        }
    }
    Ok(Found::Nothing)
}

/// RFC 7009 §2.1: revokes `token` if it is ours and was issued to `client`. An unknown,
/// malformed or expired token is not an error (§2.2).
pub async fn revoke(
    kg: &Keygate,
    client: &Client,
    token: Option<&str>,
    hint: Option<TokenHint>,
) -> Result<(), TokenError> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or(TokenError::TokenMissing)?;
    match find(kg, token, hint).await? {
        Found::Nothing => Ok(()),
        Found::Token { app, .. } if app != client.app_id() => Err(TokenError::TokenOfAnotherClient),
        Found::Token { authorization, .. } => {
            // RFC 7009 revocation ends the whole authorization: a security event for its owner.
            let event = crate::audit::event(
                kg,
                crate::audit::Entry::new(
                    crate::model::AuditKind::AuthorizationRevoked,
                    format!("authorization:{authorization}"),
                )
                .app(client.app_id())
                .by(crate::model::Actor::App(client.app_id()))
                .detail("revoked by the app (RFC 7009)"),
            );
            let revoked = kg
                .store()
                .revoke_authorization(authorization, kg.clock.now(), event)
                .await;
            kg.data().forget_authorization(authorization);
            revoked?;
            tracing::info!(app.id = %client.app_id(), aui = %authorization, "token revoked; authorization ended");
            Ok(())
        }
    }
}
