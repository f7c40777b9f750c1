//! The tokens of Entra's token endpoint (entra.md §3): a v1-shaped access token for the Azure
//! DevOps resource, a v2 ID token, `client_info`, and the response that carries them. They are
//! minted from what the shared grants issued, so one authorization stands behind both wire
//! flavours and revocation, secrets and organization policy apply alike.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use super::scopes::wire_scope;
use super::{Tenant, AZURE_DEVOPS_RESOURCE};
use crate::clock::UnixTime;
use crate::context::Keygate;
use crate::credentials::OidcContext;
use crate::ids::{AppId, AuthorizationId, UserId};
use crate::model::{App, User};
use crate::oauth::client_credentials::AccessGrant;
use crate::oauth::token::IssuedTokens;
use crate::oauth::TokenError;
use crate::oidc::OPENID_SCOPE;
use crate::scopes::ScopeSet;

/// How the client proved itself (`appidacr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientProof {
    /// A public client: nothing but its id (and PKCE).
    Public,
    /// A client secret.
    Secret,
    /// A certificate (`private_key_jwt`).
    Certificate,
}

impl ClientProof {
    fn appidacr(self) -> &'static str {
        match self {
            ClientProof::Public => "0",
            ClientProof::Secret => "1",
            ClientProof::Certificate => "2",
        }
    }
}

/// What an Entra token response carries.
#[derive(Clone)]
pub struct EntraTokens {
    /// The v1-shaped access token.
    pub access_token: String,
    /// The refresh token, only when `offline_access` was granted.
    pub refresh_token: Option<String>,
    /// The v2 ID token, only when `openid` was granted.
    pub id_token: Option<String>,
    /// `client_info`, when the request asked for it.
    pub client_info: Option<String>,
    /// Seconds the access token remains valid.
    pub expires_in: i64,
    /// The `scope` of the response, in Entra's spelling.
    pub scope: String,
}

impl std::fmt::Debug for EntraTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntraTokens")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The claims of a v1 access token for the Azure DevOps resource. `nameid` and `aui` are
/// Keygate's own: the REST API reads the user and the authorization from them, as it does from
/// the Azure DevOps OAuth tokens.
#[derive(Serialize)]
struct AccessClaims<'a> {
    aud: &'static str,
    iss: String,
    iat: UnixTime,
    nbf: UnixTime,
    exp: UnixTime,
    appid: AppId,
    appidacr: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    oid: UserId,
    scp: String,
    tid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    unique_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upn: Option<&'a str>,
    uti: String,
    ver: &'static str,
    nameid: UserId,
    aui: AuthorizationId,
}

/// The claims of a v2 ID token.
#[derive(Serialize)]
struct IdClaims<'a> {
    aud: &'a str,
    iss: String,
    iat: UnixTime,
    nbf: UnixTime,
    exp: UnixTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    oid: UserId,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<&'a str>,
    sub: String,
    tid: String,
    uti: String,
    ver: &'static str,
}

/// The `scp` of an Entra access token: the API scopes, without the OpenID Connect ones.
fn api_scopes(scopes: &ScopeSet) -> String {
    let api = scopes.registrable_part();
    api.to_string()
}

/// A short random token id (`uti`).
fn token_id() -> String {
    let id = uuid::Uuid::new_v4();
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// `client_info`: base64url of `{"uid":"<oid>","utid":"<tid>"}`, MSAL's account id source.
pub fn client_info(user: UserId, tenant: &Tenant) -> String {
    let json = serde_json::json!({ "uid": user.to_string(), "utid": tenant.id.to_string() });
    URL_SAFE_NO_PAD.encode(json.to_string())
}

/// The subject of a v2 ID token: always pairwise (one per user and app), as Entra's is.
fn pairwise_subject(app: &App, user: &User) -> String {
    let pairwise = App {
        pairwise_subject: true,
        ..app.clone()
    };
    crate::oidc::claims::subject(&pairwise, user)
}

/// The Entra tokens for a user grant (code, refresh or device code) the shared grant issued.
/// `base` is Keygate's public URL; `oidc` says what the ID token needs when the grant carried
/// none of its own (a device code's).
pub async fn user_tokens(
    kg: &Keygate,
    base: &str,
    issued: IssuedTokens,
    proof: ClientProof,
    want_client_info: bool,
    oidc: Option<OidcContext>,
) -> Result<EntraTokens, TokenError> {
    let user = kg
        .data()
        .user(issued.user_id)
        .await?
        .ok_or(TokenError::GrantInvalid)?;
    let app = kg
        .data()
        .app(issued.app_id)
        .await?
        .ok_or(TokenError::ClientFailedValidation)?;
    let tenant = &kg.tenant;
    let now = kg.clock.now();
    let exp = now + kg.lifetimes.access_token;
    let access_token = kg.credentials.sign_access_claims(&AccessClaims {
        aud: AZURE_DEVOPS_RESOURCE,
        iss: tenant.v1_issuer(),
        iat: now,
        nbf: now,
        exp,
        appid: app.id,
        appidacr: proof.appidacr(),
        name: Some(&user.display_name),
        oid: user.id,
        scp: api_scopes(&issued.scopes),
        tid: tenant.id.to_string(),
        unique_name: Some(&user.email),
        upn: Some(&user.email),
        uti: token_id(),
        ver: "1.0",
        nameid: user.id,
        aui: issued.authorization_id,
    })?;
    let oidc = issued.oidc.clone().or(oidc);
    let id_token = match oidc.filter(|_| issued.scopes.contains(OPENID_SCOPE)) {
        Some(context) => {
            let profile = issued.scopes.contains("profile");
            let claims = IdClaims {
                aud: &context.cid,
                iss: tenant.v2_issuer(base),
                iat: now,
                nbf: now,
                exp,
                email: issued
                    .scopes
                    .contains("email")
                    .then_some(user.email.as_str()),
                name: profile.then_some(user.display_name.as_str()),
                nonce: context.nonce.as_deref(),
                oid: user.id,
                preferred_username: profile.then_some(user.email.as_str()),
                sub: pairwise_subject(&app, &user),
                tid: tenant.id.to_string(),
                uti: token_id(),
                ver: "2.0",
            };
            Some(kg.credentials.sign_id_token(&claims)?)
        }
        None => None,
    };
    Ok(EntraTokens {
        access_token,
        refresh_token: issued
            .scopes
            .contains("offline_access")
            .then_some(issued.refresh_token),
        id_token,
        client_info: want_client_info.then(|| client_info(user.id, tenant)),
        expires_in: issued.expires_in,
        scope: wire_scope(&issued.scopes),
    })
}

/// The Entra token for a client credentials grant: an app token (its `oid` is the app's own
/// id, as the shared grant's subject is), with the app's registered scopes.
pub fn app_token(
    kg: &Keygate,
    app: AppId,
    grant: AccessGrant,
    proof: ClientProof,
) -> Result<EntraTokens, TokenError> {
    let tenant = &kg.tenant;
    let now = kg.clock.now();
    let subject = UserId(app.0);
    let access_token = kg.credentials.sign_access_claims(&AccessClaims {
        aud: AZURE_DEVOPS_RESOURCE,
        iss: tenant.v1_issuer(),
        iat: now,
        nbf: now,
        exp: now + kg.lifetimes.access_token,
        appid: app,
        appidacr: proof.appidacr(),
        name: None,
        oid: subject,
        scp: api_scopes(&grant.scopes),
        tid: tenant.id.to_string(),
        unique_name: None,
        upn: None,
        uti: token_id(),
        ver: "1.0",
        nameid: subject,
        aui: grant.authorization_id,
    })?;
    Ok(EntraTokens {
        access_token,
        refresh_token: None,
        id_token: None,
        client_info: None,
        expires_in: grant.expires_in,
        scope: format!("{AZURE_DEVOPS_RESOURCE}/.default"),
    })
}
