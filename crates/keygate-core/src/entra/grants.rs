//! The grants of Entra's token endpoint, run on the shared use cases (`crate::oauth`) and
//! answered with Entra's tokens: authorization code with PKCE, refresh (only for grants that
//! carried `offline_access`), client credentials (`{resource}/.default` only) and device code.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::errors::EntraErrorKind;
use super::scopes::{EntraScopeError, EntraScopes};
use super::tokens::{self, ClientProof, EntraTokens};
use crate::context::Keygate;
use crate::credentials::OidcContext;
use crate::oauth::client::Client;
use crate::oauth::client_credentials::client_credentials;
use crate::oauth::token::{self, CodeGrant, RedirectRule, RefreshGrant};
use crate::oauth::{device, TokenError};

/// The grant a token request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntraGrant {
    /// `authorization_code`.
    AuthorizationCode,
    /// `refresh_token`.
    RefreshToken,
    /// `client_credentials`.
    ClientCredentials,
    /// The device code grant, spelled as RFC 8628 does or as msal-node does (`device_code`).
    DeviceCode,
}

impl EntraGrant {
    /// The grant `grant_type` names.
    pub fn parse(grant_type: Option<&str>) -> Result<Self, EntraErrorKind> {
        match grant_type.map(str::trim) {
            None | Some("") => Err(EntraErrorKind::MissingParameter("grant_type")),
            Some("authorization_code") => Ok(Self::AuthorizationCode),
            Some("refresh_token") => Ok(Self::RefreshToken),
            Some("client_credentials") => Ok(Self::ClientCredentials),
            Some("device_code") => Ok(Self::DeviceCode),
            Some(g) if g == device::DEVICE_CODE_GRANT => Ok(Self::DeviceCode),
            Some(_) => Err(EntraErrorKind::UnsupportedGrantType),
        }
    }
}

/// The fields of an Entra token request, whichever grant.
#[derive(Debug, Clone, Copy, Default)]
pub struct EntraTokenRequest<'a> {
    /// `code`.
    pub code: Option<&'a str>,
    /// `redirect_uri`.
    pub redirect_uri: Option<&'a str>,
    /// `code_verifier`.
    pub code_verifier: Option<&'a str>,
    /// `refresh_token`.
    pub refresh_token: Option<&'a str>,
    /// `scope`.
    pub scope: Option<&'a str>,
    /// `device_code` (MSAL Python also sends it as `code`).
    pub device_code: Option<&'a str>,
    /// `client_id` as the client sent it (a device flow ID token's `aud`).
    pub client_id: Option<&'a str>,
    /// `client_info=1`.
    pub client_info: bool,
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// The `scp` a refresh token was minted with, read without checking it: the token is then
/// found by its hash, which proves it. `None` for anything that is not one of ours.
fn refresh_scopes(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("scp")?.as_str().map(str::to_owned)
}

/// Runs `grant` for `client` and answers with Entra's tokens; `base` is the public URL.
pub async fn exchange(
    kg: &Keygate,
    base: &str,
    grant: EntraGrant,
    (client, proof): (&Client, ClientProof),
    request: EntraTokenRequest<'_>,
) -> Result<EntraTokens, EntraErrorKind> {
    let issued = match grant {
        EntraGrant::AuthorizationCode => {
            if non_empty(request.code).is_none() {
                return Err(EntraErrorKind::MissingParameter("code"));
            }
            token::exchange_code(
                kg,
                client,
                CodeGrant {
                    code: request.code,
                    redirect_uri: request.redirect_uri,
                    code_verifier: request.code_verifier,
                    refuse_unexpected_verifier: true,
                },
            )
            .await?
        }
        EntraGrant::RefreshToken => {
            let Some(refresh) = non_empty(request.refresh_token) else {
                return Err(EntraErrorKind::MissingParameter("refresh_token"));
            };
            // Only a grant that carried offline_access was ever given its refresh token here.
            let offline = refresh_scopes(refresh)
                .is_some_and(|scp| scp.split(' ').any(|s| s == "offline_access"));
            if !offline {
                return Err(EntraErrorKind::InvalidGrant);
            }
            let scope = narrowed_scope(kg, client, request.scope).await?;
            token::refresh(
                kg,
                client,
                RefreshGrant {
                    refresh_token: Some(refresh),
                    redirect_uri: RedirectRule::NotChecked,
                    scope: scope.as_deref(),
                },
            )
            .await?
        }
        EntraGrant::DeviceCode => {
            let code = non_empty(request.device_code)
                .or(non_empty(request.code))
                .ok_or(EntraErrorKind::MissingParameter("device_code"))?;
            device::poll_device_code(kg, client, Some(code)).await?
        }
        EntraGrant::ClientCredentials => {
            let app = client_app(kg, client).await?;
            EntraScopes {
                registered: &app.scopes,
            }
            .for_client(request.scope)
            .map_err(|_| EntraErrorKind::InvalidScope)?;
            if client.is_public() {
                return Err(EntraErrorKind::UnauthorizedClient);
            }
            let granted = client_credentials(kg, client, None).await?;
            return Ok(tokens::app_token(kg, app.id, granted, proof)?);
        }
    };
    // A device code carries no OpenID context of its own: its ID token names the client id sent.
    let fallback = request.client_id.map(|cid| OidcContext {
        cid: cid.to_owned(),
        nonce: None,
        auth_time: kg.clock.now(),
        sid: None,
    });
    Ok(tokens::user_tokens(kg, base, issued, proof, request.client_info, fallback).await?)
}

async fn client_app(
    kg: &Keygate,
    client: &Client,
) -> Result<std::sync::Arc<crate::model::App>, EntraErrorKind> {
    kg.data()
        .app(client.app_id())
        .await
        .map_err(TokenError::from)?
        .ok_or(EntraErrorKind::AppNotFound)
}

/// The Keygate `scope` a refresh narrows to: none (everything granted) for `.default` or no
/// scope, else the translated scopes, which the shared grant checks against what was granted.
async fn narrowed_scope(
    kg: &Keygate,
    client: &Client,
    scope: Option<&str>,
) -> Result<Option<String>, EntraErrorKind> {
    let Some(scope) = non_empty(scope) else {
        return Ok(None);
    };
    let app = client_app(kg, client).await?;
    match (EntraScopes {
        registered: &app.scopes,
    })
    .delegated(Some(scope), None)
    {
        Ok(asked) if asked.default => Ok(None),
        Ok(asked) => Ok(Some(asked.scopes.to_string())),
        Err(EntraScopeError::Invalid(_) | EntraScopeError::NotDefault) => {
            Err(EntraErrorKind::InvalidScope)
        }
        Err(EntraScopeError::UnknownResource(_)) => Err(EntraErrorKind::ResourceNotFound),
    }
}
